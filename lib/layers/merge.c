/* Layers joining branches: concat (along channels) and add (element-wise).
 * No attributes, no tensors. */
#include <string.h>

#include "common/common.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status concat_infer(const cna__layer *layer, const cna__shape *inputs,
                               cna__shape *out) {
  size_t channels = 0;
  for (size_t i = 0; i < layer->num_inputs; i++) {
    if (inputs[i].h != inputs[0].h || inputs[i].w != inputs[0].w)
      return cna__error(CNA_ERROR_INVALID_SHAPE,
                        "concat '%s': input %zu is %zux%zu but input 0 is %zux%zu; "
                        "concatenated layers need equal height and width",
                        layer->name, i, inputs[i].h, inputs[i].w, inputs[0].h,
                        inputs[0].w);
    if (!cna__add_size(channels, inputs[i].c, &channels))
      return cna__error(CNA_ERROR_TOO_LARGE, "concat '%s': too many channels",
                        layer->name);
  }
  *out = (cna__shape){channels, inputs[0].h, inputs[0].w};
  return CNA_OK;
}

static cna_status concat_forward(const cna__layer *layer, const cna__forward_args *args) {
  float *out = args->output;
  for (size_t n = 0; n < args->batch; n++)
    for (size_t i = 0; i < layer->num_inputs; i++) {
      const size_t size = cna__shape_elems(&args->input_shapes[i]);
      memcpy(out, args->inputs[i] + n * size, size * sizeof(float));
      out += size;
    }
  return CNA_OK;
}

const cna__layer_ops cna__concat_ops = {
    .type_name = "concat",
    .min_inputs = 1,
    .max_inputs = SIZE_MAX,
    .infer = concat_infer,
    .receptive_field = cna__rf_merge,
    .forward = concat_forward,
};

static cna_status add_infer(const cna__layer *layer, const cna__shape *inputs,
                            cna__shape *out) {
  const cna__shape *a = &inputs[0], *b = &inputs[1];
  if (a->c != b->c || a->h != b->h || a->w != b->w)
    return cna__error(CNA_ERROR_INVALID_SHAPE,
                      "add '%s': inputs must have the same shape, found %zux%zux%zu "
                      "and %zux%zux%zu (CxHxW)",
                      layer->name, a->c, a->h, a->w, b->c, b->h, b->w);
  *out = *a;
  return CNA_OK;
}

static cna_status add_forward(const cna__layer *layer, const cna__forward_args *args) {
  cna_f32_add__scalar(args->batch * cna__shape_elems(&layer->out), args->inputs[0], args->inputs[1],
                      args->output);
  return CNA_OK;
}

const cna__layer_ops cna__add_ops = {
    .type_name = "add",
    .min_inputs = 2,
    .max_inputs = 2,
    .infer = add_infer,
    .receptive_field = cna__rf_merge,
    .forward = add_forward,
};

/* Layers joining branches: concat (along channels) and add (element-wise).
 * No attributes, no tensors. */
#include <string.h>

#include "common/common.h"
#include "common/pool.h"
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

/* Copies over the pool's threads: each image's output cut into pieces of
 * at most PIECE floats, none spanning two inputs. */
enum { PIECE = 16384 };

typedef struct concat_job {
  const cna__layer *layer;
  const cna__forward_args *args;
  size_t pieces; /* per image */
} concat_job;

static void concat_task(void *ctx, size_t task, size_t thread) {
  (void)thread;
  const concat_job *j = ctx;
  const size_t n = task / j->pieces;
  size_t piece = task % j->pieces, offset = 0;
  for (size_t i = 0; i < j->layer->num_inputs; i++) {
    const size_t size = cna__shape_elems(&j->args->input_shapes[i]);
    const size_t count = (size + PIECE - 1) / PIECE;
    if (piece < count) {
      const size_t begin = piece * PIECE, len = size - begin < PIECE ? size - begin : PIECE;
      memcpy(j->args->output + n * cna__shape_elems(&j->layer->out) + offset + begin,
             j->args->inputs[i] + n * size + begin, len * sizeof(float));
      return;
    }
    piece -= count;
    offset += size;
  }
}

static cna_status concat_forward(const cna__layer *layer, const cna__forward_args *args) {
  concat_job j = {layer, args, 0};
  for (size_t i = 0; i < layer->num_inputs; i++)
    j.pieces += (cna__shape_elems(&args->input_shapes[i]) + PIECE - 1) / PIECE;
  cna__pool_run(args->pool, args->batch * j.pieces, concat_task, &j);
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

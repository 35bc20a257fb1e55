/*
 * Layers that move values without computing on them.
 *  dropout: p in [0, 1); the identity at inference.
 *  flatten: C x H x W -> (C*H*W) x 1 x 1.
 *  channel_pad: pad_before, pad_after zero channels around the input.
 */
#include <string.h>

#include "common/common.h"
#include "layers/layer.h"

static cna_status copy_forward(const cna__layer *layer, const cna__forward_args *args) {
  if (args->output != args->inputs[0]) /* else the plan made it a view */
    memcpy(args->output, args->inputs[0],
           args->batch * cna__shape_elems(&layer->out) * sizeof(float));
  return CNA_OK;
}

static cna_status dropout_infer(const cna__layer *layer, const cna__shape *inputs,
                                cna__shape *out) {
  const float p = layer->attrs.p;
  if (!(p >= 0.0f && p < 1.0f))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "dropout '%s': p must be in [0, 1), found %g", layer->name,
                      (double)p);
  *out = inputs[0];
  return CNA_OK;
}

const cna__layer_ops cna__dropout_ops = {
    .type_name = "dropout",
    .in_place = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = dropout_infer,
    .forward = copy_forward,
};

static cna_status flatten_infer(const cna__layer *layer, const cna__shape *inputs,
                                cna__shape *out) {
  (void)layer;
  *out = (cna__shape){cna__shape_elems(&inputs[0]), 1, 1};
  return CNA_OK;
}

/* Positions become channels: a layer after it that mixes channels (fully
 * connected, softmax, a 1x1 convolution) sees the input's whole extent. */
static void flatten_rf(const cna__layer *layer, const cna__shape *inputs,
                       const cna__rf *in, cna__rf *out) {
  (void)layer;
  (void)inputs;
  cna__rf_global(in, out);
}

const cna__layer_ops cna__flatten_ops = {
    .type_name = "flatten",
    .in_place = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = flatten_infer,
    .receptive_field = flatten_rf,
    .forward = copy_forward,
};

static cna_status channel_pad_infer(const cna__layer *layer, const cna__shape *inputs,
                                    cna__shape *out) {
  const cna__attrs *a = &layer->attrs;
  if (a->pad_before < 0 || a->pad_after < 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "channel_pad '%s': padding must be at least 0, found %d before "
                      "and %d after",
                      layer->name, a->pad_before, a->pad_after);
  *out = inputs[0];
  out->c += (size_t)a->pad_before + (size_t)a->pad_after;
  return CNA_OK;
}

static cna_status channel_pad_forward(const cna__layer *layer,
                                      const cna__forward_args *args) {
  const cna__shape *in = &args->input_shapes[0];
  const size_t plane = in->h * in->w;
  const size_t before = (size_t)layer->attrs.pad_before * plane;
  const size_t after = (size_t)layer->attrs.pad_after * plane;
  for (size_t n = 0; n < args->batch; n++) {
    float *out = args->output + n * cna__shape_elems(&layer->out);
    memset(out, 0, before * sizeof(float));
    memcpy(out + before, args->inputs[0] + n * cna__shape_elems(in), cna__shape_elems(in) * sizeof(float));
    memset(out + before + cna__shape_elems(in), 0, after * sizeof(float));
  }
  return CNA_OK;
}

const cna__layer_ops cna__channel_pad_ops = {
    .type_name = "channel_pad",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = channel_pad_infer,
    .forward = channel_pad_forward,
};

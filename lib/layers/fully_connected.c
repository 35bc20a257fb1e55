/*
 * Fully connected layer on the flattened input. Attributes: out_channels
 * (the output features), bias. Tensors: weight (out, C*H*W), bias (out).
 */
#include "common/common.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status fc_infer(const cna__layer *layer, const cna__shape *inputs,
                           cna__shape *out) {
  (void)inputs;
  if (layer->attrs.out_channels < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "fully_connected '%s': out_features must be at least 1, found %d",
                      layer->name, layer->attrs.out_channels);
  *out = (cna__shape){(size_t)layer->attrs.out_channels, 1, 1};
  return CNA_OK;
}

static size_t fc_tensors(const cna__layer *layer, const cna__shape *inputs,
                         cna__tensor_desc *d) {
  const size_t in_features = cna__shape_elems(&inputs[0]);
  d[0] = (cna__tensor_desc){.kind = "weight",
                            .ndim = 2,
                            .dims = {(size_t)layer->attrs.out_channels, in_features},
                            .init = CNA__INIT_HE_UNIFORM,
                            .fan_in = in_features,
                            .is_parameter = 1};
  if (!layer->attrs.bias) return 1;
  d[1] = (cna__tensor_desc){.kind = "bias",
                            .ndim = 1,
                            .dims = {(size_t)layer->attrs.out_channels},
                            .init = CNA__INIT_ZERO,
                            .is_parameter = 1};
  return 2;
}

static uint64_t fc_macs(const cna__layer *layer, const cna__shape *inputs) {
  return (uint64_t)cna__shape_elems(&inputs[0]) * (uint64_t)layer->attrs.out_channels;
}

static void fc_rf(const cna__layer *layer, const cna__shape *inputs,
                  const cna__rf *in, cna__rf *out) {
  (void)layer;
  (void)inputs;
  cna__rf_global(in, out);
}

static cna_status fc_forward(const cna__layer *layer, const cna__forward_args *args) {
  const size_t in_features = cna__shape_elems(&args->input_shapes[0]);
  const size_t out_features = (size_t)layer->attrs.out_channels;
  const float *bias = layer->attrs.bias ? args->tensors[1] : NULL;
  for (size_t n = 0; n < args->batch; n++)
    cna_f32_fully_connected__scalar(in_features, out_features,
                                    args->inputs[0] + n * in_features, args->tensors[0],
                                    bias, args->output + n * out_features);
  return CNA_OK;
}

const cna__layer_ops cna__fully_connected_ops = {
    .type_name = "fully_connected",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = fc_infer,
    .tensors = fc_tensors,
    .macs = fc_macs,
    .receptive_field = fc_rf,
    .forward = fc_forward,
    .has_weights = 1,
};

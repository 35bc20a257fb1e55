/*
 * Fully connected layer on the flattened input. Attributes: out_channels
 * (the output features), bias. Tensors: weight (out, C*H*W), bias (out).
 */
#include "common/common.h"
#include "common/pool.h"
#include "kernels/dispatch.h"
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

/* The fast path: blocks of rows as tasks; each block of weights is read
 * once for up to 8 images. */
typedef struct fc_job {
  const cna__forward_args *args;
  const cna__kernels *kernels;
  size_t in_features, out_features, rows, blocks;
  const float *bias;
} fc_job;

static void fc_task(void *ctx, size_t task, size_t thread) {
  (void)thread;
  const fc_job *j = ctx;
  const size_t r0 = task % j->blocks * j->rows, b0 = task / j->blocks * 8;
  const size_t rows = r0 + j->rows < j->out_features ? j->rows : j->out_features - r0;
  const size_t batch = j->args->batch - b0 < 8 ? j->args->batch - b0 : 8;
  j->kernels->fully_connected_rows(j->in_features, rows, batch,
                                   j->args->inputs[0] + b0 * j->in_features, j->in_features,
                                   j->args->tensors[0] + r0 * j->in_features,
                                   j->bias != NULL ? j->bias + r0 : NULL,
                                   j->args->output + b0 * j->out_features + r0,
                                   j->out_features);
}

static cna_status fc_forward(const cna__layer *layer, const cna__forward_args *args) {
  const size_t in_features = cna__shape_elems(&args->input_shapes[0]);
  const size_t out_features = (size_t)layer->attrs.out_channels;
  const float *bias = layer->attrs.bias ? args->tensors[1] : NULL;
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->fully_connected_rows != NULL) {
    /* Row blocks of 32 (a multiple of the kernel's 4), fewer when there
     * are too few for the threads. */
    fc_job j = {args, kernels, in_features, out_features, 32, 0, bias};
    j.blocks = (out_features + j.rows - 1) / j.rows;
    cna__pool_run(args->pool, j.blocks * ((args->batch + 7) / 8), fc_task, &j);
    return CNA_OK;
  }
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

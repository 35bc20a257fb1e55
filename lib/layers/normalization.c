/*
 * Normalization layers.
 *  batch_norm: eps. Tensors: weight, bias (parameters), running_mean,
 *    running_var (buffers), one value per channel.
 *  lrn: size, alpha, beta, k.
 */
#include <math.h>

#include "common/common.h"
#include "common/pool.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status batch_norm_infer(const cna__layer *layer, const cna__shape *inputs,
                                   cna__shape *out) {
  const float eps = layer->attrs.eps;
  if (!(eps > 0.0f) || isinf(eps))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "batch_norm '%s': eps must be positive and finite, found %g",
                      layer->name, (double)eps);
  return cna__infer_same_shape(layer, inputs, out);
}

static size_t batch_norm_tensors(const cna__layer *layer, const cna__shape *inputs,
                                 cna__tensor_desc *d) {
  (void)layer;
  const size_t c = inputs[0].c;
  d[0] = (cna__tensor_desc){"weight", 1, {c}, CNA__INIT_ONE, 0, 1};
  d[1] = (cna__tensor_desc){"bias", 1, {c}, CNA__INIT_ZERO, 0, 1};
  d[2] = (cna__tensor_desc){"running_mean", 1, {c}, CNA__INIT_ZERO, 0, 0};
  d[3] = (cna__tensor_desc){"running_var", 1, {c}, CNA__INIT_ONE, 0, 0};
  return 4;
}

/* Channel blocks as tasks; a fused ReLU (args->relu) applied to each
 * channel while it is in cache. */
typedef struct batch_norm_job {
  const cna__layer *layer;
  const cna__forward_args *args;
  size_t block, blocks;
} batch_norm_job;

static void batch_norm_task(void *ctx, size_t task, size_t thread) {
  (void)thread;
  const batch_norm_job *j = ctx;
  const cna__shape *s = &j->layer->out;
  const cna__forward_args *args = j->args;
  const size_t plane = s->h * s->w, image = task / j->blocks;
  const size_t c0 = task % j->blocks * j->block;
  const size_t count = c0 + j->block < s->c ? j->block : s->c - c0;
  const size_t at = image * cna__shape_elems(s) + c0 * plane;
  cna_f32_batch_norm__scalar(count, plane, j->layer->attrs.eps, args->tensors[0] + c0,
                             args->tensors[1] + c0, args->tensors[2] + c0,
                             args->tensors[3] + c0, args->inputs[0] + at, args->output + at);
  if (args->relu) cna_f32_relu__scalar(count * plane, args->output + at, args->output + at);
}

static cna_status batch_norm_forward(const cna__layer *layer,
                                     const cna__forward_args *args) {
  const cna__shape *s = &layer->out;
  /* Blocks of about 16K floats. */
  const size_t plane = s->h * s->w > 0 ? s->h * s->w : 1;
  batch_norm_job j = {layer, args, (16384 + plane - 1) / plane, 0};
  if (j.block > s->c) j.block = s->c;
  j.blocks = (s->c + j.block - 1) / j.block;
  cna__pool_run(args->pool, args->batch * j.blocks, batch_norm_task, &j);
  return CNA_OK;
}

const cna__layer_ops cna__batch_norm_ops = {
    .type_name = "batch_norm",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = batch_norm_infer,
    .tensors = batch_norm_tensors,
    .forward = batch_norm_forward,
};

static cna_status lrn_infer(const cna__layer *layer, const cna__shape *inputs,
                            cna__shape *out) {
  const cna__attrs *a = &layer->attrs;
  if (a->size < 1 || !isfinite(a->alpha) || a->alpha < 0.0f || !isfinite(a->beta) || a->beta < 0.0f ||
      !isfinite(a->k) || !(a->k > 0.0f))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "lrn '%s': needs size >= 1, finite alpha >= 0, finite beta >= 0 and "
                      "finite k > 0, found size %d, alpha %g, beta %g, k %g",
                      layer->name, a->size, (double)a->alpha, (double)a->beta,
                      (double)a->k);
  return cna__infer_same_shape(layer, inputs, out);
}

static cna_status lrn_forward(const cna__layer *layer, const cna__forward_args *args) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *s = &layer->out;
  for (size_t n = 0; n < args->batch; n++)
    cna_f32_lrn__scalar(s->c, s->h * s->w, (size_t)a->size, a->alpha, a->beta, a->k,
                        args->inputs[0] + n * cna__shape_elems(s), args->output + n * cna__shape_elems(s));
  return CNA_OK;
}

/* Each output reads its channel window, clipped to the channels. */
static uint64_t lrn_ops(const cna__layer *layer, const cna__shape *inputs) {
  const uint64_t window = (uint64_t)layer->attrs.size < inputs[0].c ? (uint64_t)layer->attrs.size
                                                                     : inputs[0].c;
  return cna__sat_mul(cna__shape_elems(&layer->out), window);
}

const cna__layer_ops cna__lrn_ops = {
    .type_name = "lrn",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = lrn_infer,
    .ops = lrn_ops,
    .forward = lrn_forward,
};

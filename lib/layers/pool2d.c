/*
 * Pooling layers.
 *  max_pool2d, avg_pool2d: kernel_h/w, stride_h/w, pad_top/left/bottom/right,
 *    ceil_mode; avg_pool2d also count_include_pad.
 *  adaptive_avg_pool2d: out_h, out_w.
 *  global_avg_pool: no attributes.
 */
#include "common/common.h"
#include "common/pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status pool2d_infer(const cna__layer *layer, const cna__shape *inputs,
                               cna__shape *out) {
  const cna__attrs *a = &layer->attrs;
  const char *type = cna_layer_type_name(layer->type);
  const cna__shape *in = &inputs[0];
  if (a->kernel_h < 1 || a->kernel_w < 1 || a->stride_h < 1 || a->stride_w < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s '%s': kernel and stride must be at least 1, found kernel "
                      "%dx%d, stride %dx%d",
                      type, layer->name, a->kernel_h, a->kernel_w, a->stride_h,
                      a->stride_w);
  /* PyTorch's rule; it also guarantees every window sees an input pixel. */
  if (a->pad_top < 0 || a->pad_left < 0 || a->pad_bottom < 0 || a->pad_right < 0 ||
      a->pad_top > a->kernel_h / 2 || a->pad_bottom > a->kernel_h / 2 ||
      a->pad_left > a->kernel_w / 2 || a->pad_right > a->kernel_w / 2)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s '%s': padding must be between 0 and half the kernel "
                      "(%dx%d), found %d,%d,%d,%d",
                      type, layer->name, a->kernel_h, a->kernel_w, a->pad_top,
                      a->pad_left, a->pad_bottom, a->pad_right);
  size_t oh = cna__window_output(in->h, a->kernel_h, a->stride_h, a->pad_top,
                                 a->pad_bottom, 1, a->ceil_mode);
  size_t ow = cna__window_output(in->w, a->kernel_w, a->stride_w, a->pad_left,
                                 a->pad_right, 1, a->ceil_mode);
  if (oh == 0 || ow == 0)
    return cna__error(CNA_ERROR_INVALID_SHAPE,
                      "%s '%s': kernel %dx%d is larger than the padded input %zux%zu "
                      "(input %zux%zu)",
                      type, layer->name, a->kernel_h, a->kernel_w,
                      in->h + (size_t)a->pad_top + (size_t)a->pad_bottom,
                      in->w + (size_t)a->pad_left + (size_t)a->pad_right, in->h, in->w);
  *out = (cna__shape){in->c, oh, ow};
  return CNA_OK;
}

static void pool2d_rf(const cna__layer *layer, const cna__shape *inputs,
                      const cna__rf *in, cna__rf *out) {
  (void)inputs;
  const cna__attrs *a = &layer->attrs;
  cna__rf_window(in, (uint64_t)a->kernel_h, (uint64_t)a->kernel_w,
                 (uint64_t)a->stride_h, (uint64_t)a->stride_w, &layer->out, out);
}

/* Each output reads the part of its window that lies on the input; the
 * separable kernels (f32-maxpool-avx2.c) instead reduce the window's rows
 * over the whole (padded) input width, then take each output's window
 * along it, once per output row: both are counted, so the figure bounds
 * either path even at strides far larger than the kernel. */
static uint64_t pool2d_ops(const cna__layer *layer, const cna__shape *inputs) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *in = &inputs[0], *o = &layer->out;
  const uint64_t kh = (uint64_t)a->kernel_h < in->h ? (uint64_t)a->kernel_h : in->h;
  const uint64_t kw = (uint64_t)a->kernel_w < in->w ? (uint64_t)a->kernel_w : in->w;
  const uint64_t direct = cna__sat_mul(cna__shape_elems(o), cna__sat_mul(kh, kw));
  const uint64_t rows = cna__sat_mul(cna__sat_mul(o->c, o->h),
                                     cna__sat_mul((uint64_t)in->w + (uint64_t)a->pad_left +
                                                      (uint64_t)a->pad_right,
                                                  kh + kw));
  return cna__sat_add(direct, rows);
}

static cna_pool2d_params pool2d_params(const cna__layer *layer, const cna__shape *in) {
  const cna__attrs *a = &layer->attrs;
  return (cna_pool2d_params){
      .channels = in->c, .in_height = in->h, .in_width = in->w,
      .out_height = layer->out.h, .out_width = layer->out.w,
      .kernel_h = (size_t)a->kernel_h, .kernel_w = (size_t)a->kernel_w,
      .stride_h = (size_t)a->stride_h, .stride_w = (size_t)a->stride_w,
      .pad_top = (size_t)a->pad_top, .pad_left = (size_t)a->pad_left,
      .pad_bottom = (size_t)a->pad_bottom, .pad_right = (size_t)a->pad_right,
      .count_include_pad = a->count_include_pad,
  };
}

/* Channel blocks as tasks over the pool's threads (max pooling's SIMD
 * kernel, the reference average, adaptive and global ones). */
typedef struct channel_job {
  const cna__forward_args *args;
  cna_pool2d_params p;  /* for the whole image */
  size_t in_plane, out_plane, blocks, block;
  void (*kernel)(const cna_pool2d_params *, const float *restrict, float *restrict,
                 float *restrict);
} channel_job;

static void channel_task(void *ctx, size_t task, size_t thread) {
  const channel_job *j = ctx;
  const size_t image = task / j->blocks, c0 = task % j->blocks * j->block;
  cna_pool2d_params p = j->p;
  p.channels = c0 + j->block < j->p.channels ? j->block : j->p.channels - c0;
  const size_t first = image * j->p.channels + c0;
  j->kernel(&p, j->args->inputs[0] + first * j->in_plane, j->args->output + first * j->out_plane,
            j->args->workspace != NULL ? j->args->workspace[thread] : NULL);
}

/* A channel-block kernel over every image, blocks of about 16K input
 * floats (at least one channel) as tasks over the pool's threads: each
 * output is computed by one task, the same bits for any thread count. */
static void run_by_channels(const cna__forward_args *args, const cna_pool2d_params *p,
                            void (*kernel)(const cna_pool2d_params *, const float *restrict,
                                           float *restrict, float *restrict)) {
  channel_job j = {args, *p, p->in_height * p->in_width, p->out_height * p->out_width, 0, 0,
                   kernel};
  j.block = (16384 + j.in_plane - 1) / j.in_plane;
  if (j.block > 8) j.block = j.block / 8 * 8; /* whole steps of the 8-channel kernels */
  if (j.block > p->channels) j.block = p->channels;
  j.blocks = (p->channels + j.block - 1) / j.block;
  cna__pool_run(args->pool, args->batch * j.blocks, channel_task, &j);
}

/* The SIMD kernel's scratch, planned with the workspace (none without
 * one, or for windows it does not take). */
static size_t max_pool2d_workspace(const cna__layer *layer, const cna__shape *inputs) {
  if (cna__kernels_get()->max_pool2d == NULL) return 0;
  const cna_pool2d_params p = pool2d_params(layer, &inputs[0]);
  return cna_f32_max_pool2d_scratch(&p);
}

static cna_status max_pool2d_forward(const cna__layer *layer,
                                     const cna__forward_args *args) {
  const cna__shape *in = &args->input_shapes[0];
  const cna_pool2d_params p = pool2d_params(layer, in);
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->max_pool2d != NULL && cna_f32_max_pool2d_scratch(&p) > 0 &&
      args->workspace != NULL && args->workspace[0] != NULL) {
    run_by_channels(args, &p, kernels->max_pool2d);
    return CNA_OK;
  }
  for (size_t n = 0; n < args->batch; n++)
    cna_f32_max_pool2d__scalar(&p, args->inputs[0] + n * cna__shape_elems(in),
                               args->output + n * cna__shape_elems(&layer->out));
  return CNA_OK;
}

/* The reference average pooling, as a channel-block kernel. */
static void avg_pool_block(const cna_pool2d_params *p, const float *restrict input,
                           float *restrict output, float *restrict scratch) {
  (void)scratch;
  cna_f32_avg_pool2d__scalar(p, input, output);
}

static cna_status avg_pool2d_forward(const cna__layer *layer,
                                     const cna__forward_args *args) {
  const cna__shape *in = &args->input_shapes[0];
  const cna_pool2d_params p = pool2d_params(layer, in);
  const cna__kernels *kernels = cna__kernels_get();
  run_by_channels(args, &p,
                  kernels->avg_pool2d_2x2s2 != NULL && cna_f32_avg_pool2d_2x2s2(&p)
                      ? kernels->avg_pool2d_2x2s2
                      : avg_pool_block);
  return CNA_OK;
}

const cna__layer_ops cna__max_pool2d_ops = {
    .type_name = "max_pool2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = pool2d_infer,
    .ops = pool2d_ops,
    .receptive_field = pool2d_rf,
    .forward = max_pool2d_forward,
    .workspace = max_pool2d_workspace,
};

const cna__layer_ops cna__avg_pool2d_ops = {
    .type_name = "avg_pool2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = pool2d_infer,
    .ops = pool2d_ops,
    .receptive_field = pool2d_rf,
    .forward = avg_pool2d_forward,
};

static cna_status adaptive_infer(const cna__layer *layer, const cna__shape *inputs,
                                 cna__shape *out) {
  const cna__attrs *a = &layer->attrs;
  if (a->out_h < 1 || a->out_w < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "adaptive_avg_pool2d '%s': output size must be at least 1x1, "
                      "found %dx%d",
                      layer->name, a->out_h, a->out_w);
  *out = (cna__shape){inputs[0].c, (size_t)a->out_h, (size_t)a->out_w};
  return CNA_OK;
}

/* One axis of adaptive pooling. The bins tile the whole input, so the
 * outputs together see its whole extent; one output sees at most the widest
 * bin. Bins start every in/out pixels on average: the jump when out <= in;
 * when out > in neighbouring bins share pixels, so the jump stays. */
static void adaptive_axis(uint64_t size, uint64_t jump, uint64_t extent, size_t in,
                          size_t out, uint64_t *out_size, uint64_t *out_jump,
                          uint64_t *out_extent) {
  /* The widest bin, floor(i*in/out) to ceil((i+1)*in/out), in closed form
   * (a loop over the bins made a tiny model file with out near 2^30 take
   * seconds to load). With f = in / out, m = in % out and g = gcd(in, out),
   * the bins are f wide when m is 0; otherwise bin i is f wide, plus one
   * where i*in % out + m reaches out, plus one where its end is not exact.
   * The residues i*in % out run over every multiple of g below out, so both
   * happen at once (f + 2) exactly when m > g, and f + 1 is the widest when
   * m == g. (Checked against the loop for every in, out up to 300.) */
  size_t g = in, r = out;
  while (r != 0) {
    const size_t t = g % r;
    g = r;
    r = t;
  }
  const size_t f = in / out, m = in % out;
  uint64_t widest = m == 0 ? f : m > g ? f + 2 : f + 1;
  if (widest < 1) widest = 1;
  *out_size = out == 1 ? extent : cna__sat_add(size, cna__sat_mul(widest - 1, jump));
  *out_jump = out == 1 ? extent : out <= in ? cna__sat_mul(jump, in / out) : jump;
  *out_extent = extent;
}

static void adaptive_rf(const cna__layer *layer, const cna__shape *inputs,
                        const cna__rf *in, cna__rf *out) {
  adaptive_axis(in->size_h, in->jump_h, in->extent_h, inputs[0].h, layer->out.h,
                &out->size_h, &out->jump_h, &out->extent_h);
  adaptive_axis(in->size_w, in->jump_w, in->extent_w, inputs[0].w, layer->out.w,
                &out->size_w, &out->jump_w, &out->extent_w);
}

/* Global average pooling, and adaptive pooling to 1x1 (the same sums in
 * the same order). */
static void global_block(const cna_pool2d_params *p, const float *restrict input,
                         float *restrict output, float *restrict scratch) {
  (void)scratch;
  const cna__kernels *k = cna__kernels_get();
  if (k->global_avg_pool != NULL)
    k->global_avg_pool(p->channels, p->in_height * p->in_width, input, output);
  else
    cna_f32_global_avg_pool__scalar(p->channels, p->in_height * p->in_width, input, output);
}

static void adaptive_block(const cna_pool2d_params *p, const float *restrict input,
                           float *restrict output, float *restrict scratch) {
  (void)scratch;
  cna_f32_adaptive_avg_pool2d__scalar(p->channels, p->in_height, p->in_width, p->out_height,
                                      p->out_width, input, output);
}

static cna_status adaptive_forward(const cna__layer *layer,
                                   const cna__forward_args *args) {
  const cna__shape *in = &args->input_shapes[0];
  const cna_pool2d_params p = {.channels = in->c, .in_height = in->h, .in_width = in->w,
                               .out_height = layer->out.h, .out_width = layer->out.w};
  run_by_channels(args, &p,
                  p.out_height == 1 && p.out_width == 1 ? global_block : adaptive_block);
  return CNA_OK;
}

/* Adjacent bins share at most one input row (column), so the windows of a
 * dimension cover at most in + out - 1 rows in all. */
static uint64_t adaptive_ops(const cna__layer *layer, const cna__shape *inputs) {
  const cna__shape *in = &inputs[0], *o = &layer->out;
  return cna__sat_mul(in->c, cna__sat_mul((uint64_t)in->h + o->h - 1, (uint64_t)in->w + o->w - 1));
}

const cna__layer_ops cna__adaptive_avg_pool2d_ops = {
    .type_name = "adaptive_avg_pool2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = adaptive_infer,
    .ops = adaptive_ops,
    .receptive_field = adaptive_rf,
    .forward = adaptive_forward,
};

static cna_status global_infer(const cna__layer *layer, const cna__shape *inputs,
                               cna__shape *out) {
  (void)layer;
  *out = (cna__shape){inputs[0].c, 1, 1};
  return CNA_OK;
}

static void global_rf(const cna__layer *layer, const cna__shape *inputs,
                      const cna__rf *in, cna__rf *out) {
  (void)layer;
  (void)inputs;
  cna__rf_global(in, out);
}

static cna_status global_forward(const cna__layer *layer,
                                 const cna__forward_args *args) {
  const cna__shape *in = &args->input_shapes[0];
  const cna_pool2d_params p = {.channels = in->c, .in_height = in->h, .in_width = in->w,
                               .out_height = 1, .out_width = 1};
  (void)layer;
  run_by_channels(args, &p, global_block);
  return CNA_OK;
}

static uint64_t global_ops(const cna__layer *layer, const cna__shape *inputs) {
  (void)layer;
  return cna__shape_elems(&inputs[0]);
}

const cna__layer_ops cna__global_avg_pool_ops = {
    .type_name = "global_avg_pool",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = global_infer,
    .ops = global_ops,
    .receptive_field = global_rf,
    .forward = global_forward,
};

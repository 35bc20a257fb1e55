/*
 * 2-D convolution. Attributes: out_channels, kernel_h/w, stride_h/w,
 * pad_top/left/bottom/right, dilation_h/w, groups, bias.
 * Tensors: weight (out, in/groups, kh, kw), bias (out) if bias.
 */
#include <math.h>
#include <stdlib.h>

#include "common/common.h"
#include "common/pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status conv2d_infer(const cna__layer *layer, const cna__shape *inputs,
                               cna__shape *out) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *in = &inputs[0];
  if (a->out_channels < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': out_channels must be at least 1, found %d",
                      layer->name, a->out_channels);
  if (a->kernel_h < 1 || a->kernel_w < 1 || a->stride_h < 1 || a->stride_w < 1 ||
      a->dilation_h < 1 || a->dilation_w < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': kernel, stride and dilation must be at least 1, "
                      "found kernel %dx%d, stride %dx%d, dilation %dx%d",
                      layer->name, a->kernel_h, a->kernel_w, a->stride_h, a->stride_w,
                      a->dilation_h, a->dilation_w);
  if (a->pad_top < 0 || a->pad_left < 0 || a->pad_bottom < 0 || a->pad_right < 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': padding must be at least 0, found %d,%d,%d,%d",
                      layer->name, a->pad_top, a->pad_left, a->pad_bottom, a->pad_right);
  if (a->groups < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': groups must be at least 1, found %d", layer->name,
                      a->groups);
  if (in->c % (size_t)a->groups != 0 || (size_t)a->out_channels % (size_t)a->groups != 0)
    return cna__error(CNA_ERROR_INVALID_SHAPE,
                      "conv2d '%s': %d groups must divide the input channels (%zu) "
                      "and the output channels (%d)",
                      layer->name, a->groups, in->c, a->out_channels);
  size_t oh = cna__window_output(in->h, a->kernel_h, a->stride_h, a->pad_top,
                                 a->pad_bottom, a->dilation_h, 0);
  size_t ow = cna__window_output(in->w, a->kernel_w, a->stride_w, a->pad_left,
                                 a->pad_right, a->dilation_w, 0);
  if (oh == 0 || ow == 0)
    return cna__error(CNA_ERROR_INVALID_SHAPE,
                      "conv2d '%s': kernel %dx%d (dilation %dx%d) is larger than the "
                      "padded input %zux%zu (input %zux%zu, padding %d,%d,%d,%d)",
                      layer->name, a->kernel_h, a->kernel_w, a->dilation_h, a->dilation_w,
                      in->h + (size_t)a->pad_top + (size_t)a->pad_bottom,
                      in->w + (size_t)a->pad_left + (size_t)a->pad_right, in->h, in->w,
                      a->pad_top, a->pad_left, a->pad_bottom, a->pad_right);
  out->c = (size_t)a->out_channels;
  out->h = oh;
  out->w = ow;
  return CNA_OK;
}

static size_t conv2d_tensors(const cna__layer *layer, const cna__shape *inputs,
                             cna__tensor_desc *d) {
  const cna__attrs *a = &layer->attrs;
  const size_t in_per_group = inputs[0].c / (size_t)a->groups;
  d[0] = (cna__tensor_desc){
      .kind = "weight",
      .ndim = 4,
      .dims = {(size_t)a->out_channels, in_per_group, (size_t)a->kernel_h,
               (size_t)a->kernel_w},
      .init = CNA__INIT_HE_UNIFORM,
      .fan_in = in_per_group * (size_t)a->kernel_h * (size_t)a->kernel_w,
      .is_parameter = 1,
  };
  if (!a->bias) return 1;
  d[1] = (cna__tensor_desc){.kind = "bias",
                            .ndim = 1,
                            .dims = {(size_t)a->out_channels},
                            .init = CNA__INIT_ZERO,
                            .is_parameter = 1};
  return 2;
}

static uint64_t conv2d_macs(const cna__layer *layer, const cna__shape *inputs) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *o = &layer->out;
  return (uint64_t)o->c * o->h * o->w * (inputs[0].c / (uint64_t)a->groups) *
         (uint64_t)a->kernel_h * (uint64_t)a->kernel_w;
}

static void conv2d_rf(const cna__layer *layer, const cna__shape *inputs,
                      const cna__rf *in, cna__rf *out) {
  (void)inputs;
  const cna__attrs *a = &layer->attrs;
  cna__rf_window(in, (uint64_t)a->dilation_h * (uint64_t)(a->kernel_h - 1) + 1,
                 (uint64_t)a->dilation_w * (uint64_t)(a->kernel_w - 1) + 1,
                 (uint64_t)a->stride_h, (uint64_t)a->stride_w, &layer->out, out);
}

/* ------------------------------------------------------- the fast path
 *
 * Weights are packed once for the blocked GEMM (kernels/f32-gemm-*.c), a
 * folded batch norm scaling their rows and moving the bias; each call then
 * multiplies, per image and group, the packed weights (out/groups x K) by
 * the input unfolded block by block (K x out_h*out_w, K = in/groups*kh*kw),
 * bias, residual and ReLU applied as the tiles are stored. */

typedef struct conv_prepared {
  const float *bias;   /* out_channels values, or NULL */
  const float *packed; /* groups x packed_group floats; Winograd: products x packed_group */
  size_t packed_group;
  int winograd; /* Winograd's output tile (4 or 6), or 0 */
  int grouped; /* the direct grouped kernel's layout */
  /* A fused prologue (cna__prologue): per input channel, or NULL; and the
   * channels of each part of a concatenation it reads in place. */
  const float *pre_scale, *pre_shift;
  int pre_relu;
  const size_t *part_rows;
} conv_prepared;

/* It heads the prepared block, in the 16 floats before the bias. */
_Static_assert(sizeof(conv_prepared) <= 16 * sizeof(float), "conv_prepared outgrew its room");

static cna_conv2d_params layer_params(const cna__layer *layer, const cna__shape *in) {
  const cna__attrs *a = &layer->attrs;
  return (cna_conv2d_params){
      .in_channels = in->c, .in_height = in->h, .in_width = in->w,
      .out_channels = layer->out.c, .out_height = layer->out.h, .out_width = layer->out.w,
      .kernel_h = (size_t)a->kernel_h, .kernel_w = (size_t)a->kernel_w,
      .stride_h = (size_t)a->stride_h, .stride_w = (size_t)a->stride_w,
      .pad_top = (size_t)a->pad_top, .pad_left = (size_t)a->pad_left,
      .dilation_h = (size_t)a->dilation_h, .dilation_w = (size_t)a->dilation_w,
      .groups = (size_t)a->groups,
  };
}

/* One group's geometry. */
static cna_conv2d_params group_params(const cna_conv2d_params *p) {
  cna_conv2d_params g = *p;
  g.in_channels = p->in_channels / p->groups;
  g.out_channels = p->out_channels / p->groups;
  g.groups = 1;
  return g;
}

/* Grouped convolutions with few output channels per group run on the
 * direct kernel: the GEMM path would pack (unfold) each group's input for
 * a handful of multiply-adds per packed value. */
static int use_grouped_direct(const cna__layer *layer, const cna__shape *in) {
  const cna_conv2d_params p = layer_params(layer, in);
  return cna__kernels_get()->conv2d_group != NULL && p.groups > 1 &&
         p.out_channels / p.groups <= 32 && cna_f32_conv2d_group_supported(&p);
}

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* F(6x6, 3x3) does 64 products per 6x6 tile, F(4x4, 3x3) 36 per 4x4 tile,
 * each product as wide as the image's tiles rounded up to whole panels of
 * the micro-kernel (nr columns). F(6x6) where that makes its products at
 * least 8% narrower in all, and where they are large enough (in x out at
 * least 64 x 64) to outweigh its transforms' extra work. Measured on AVX2,
 * F(6x6)'s time over F(4x4)'s (this count's ratio in brackets): 224x224
 * 0.87-0.90 (0.83), 112x112 0.89-0.91 (0.83), 28x28 0.86-0.99 (0.89) at
 * 32 -> 128 channels and more; not taken: 28x28 at 16 -> 32 1.05 and at
 * 32 -> 96 1.006, 56x56 0.97-1.01 (0.96), 14x14 1.75 (1.78). On AVX-512
 * (nr = 32) the rule takes 224x224, 112x112 and 28x28 planes but not 56x56
 * (1.02 there); VGG-16's 224x224-28x28 layers measured 0.78-0.92. */
static int winograd63_pays(const cna__layer *layer, const cna__shape *in, size_t nr) {
  const size_t h = layer->out.h, w = layer->out.w;
  const size_t cols6 = ceil_div(ceil_div(h, 6) * ceil_div(w, 6), nr) * nr;
  const size_t cols4 = ceil_div(ceil_div(h, 4) * ceil_div(w, 4), nr) * nr;
  return in->c * layer->out.c >= 64 * 64 && 64 * cols6 * 100 <= 36 * cols4 * 92;
}

/* Winograd for 3x3 stride-1 convolutions, where it measures faster: enough
 * channels for the products to be real GEMMs and enough tiles to amortize
 * the transforms. F(6x6, 3x3) where the path has its transforms and the
 * plane is large enough that rounding it up to whole 6x6 tiles costs
 * little; F(4x4, 3x3) otherwise. Returns the output tile's side, or 0. */
size_t cna__conv2d_winograd_tile(const cna__layer *layer, const cna__shape *in) {
  const cna__attrs *a = &layer->attrs;
  const cna__kernels *k = cna__kernels_get();
  const cna_gemm_ukernel *uk = &k->winograd_ukernel;
  if (uk->fn == NULL || uk->nr % 16 != 0 || a->kernel_h != 3 || a->kernel_w != 3 ||
      a->stride_h != 1 || a->stride_w != 1 || a->dilation_h != 1 || a->dilation_w != 1 ||
      a->groups != 1 || in->c < 16 || layer->out.c < 16 || layer->out.h * layer->out.w < 144)
    return 0;
  if (k->winograd63_input != NULL && winograd63_pays(layer, in, uk->nr)) return 6;
  return 4;
}

/* The transforms of Winograd with output tiles of `tile`. */
typedef struct winograd_variant {
  size_t tile, products; /* (tile + 2)^2 */
  cna_winograd_input_fn input;
  cna_winograd_output_fn output;
  size_t (*input_scratch)(size_t tiles_w, size_t count);
} winograd_variant;

static winograd_variant winograd_variant_of(size_t tile, const cna__kernels *k) {
  if (tile == 6)
    return (winograd_variant){.tile = 6, .products = 64, .input = k->winograd63_input,
                              .output = k->winograd63_output,
                              .input_scratch = cna_f32_winograd63_input_scratch};
  return (winograd_variant){.tile = 4, .products = 36, .input = k->winograd_input,
                            .output = k->winograd_output,
                            .input_scratch = cna_f32_winograd43_input_scratch};
}

/* Tiles per task, whole panels of the micro-kernel (nr columns), so that V
 * and M of a task (products x (in + out) x tiles floats) fit in about L2;
 * at least one panel, at most 128 tiles. */
static size_t winograd_tiles(const cna__layer *layer, const cna__shape *in,
                             const cna__kernels *k, size_t products) {
  const size_t l2 = k->l2_bytes, nr = k->winograd_ukernel.nr;
  size_t panels = l2 / (products * (in->c + layer->out.c) * sizeof(float) * nr);
  if (panels < 1) panels = 1;
  if (panels > 128 / nr) panels = 128 / nr;
  return panels * nr;
}

/* The prepared block: the struct, then the bias, then a prologue's scale,
 * shift and parts, then the packed weights, each 64-byte aligned. */
static size_t align_floats(size_t n) { return (n + 15) / 16 * 16; }

/* A batch norm (and ReLU) before the convolution can be applied as the
 * GEMM packs its input: only where that input is packed as a plain matrix
 * (a pointwise convolution), not gathered (the padding must stay zero) or
 * transformed (Winograd, the direct grouped kernel). */
static int conv2d_takes_prologue(const cna__layer *layer, const cna__shape *inputs) {
  if (cna__kernels_get()->gemm_ukernel.fn == NULL ||
      cna__conv2d_winograd_tile(layer, &inputs[0]) != 0 || use_grouped_direct(layer, &inputs[0]))
    return 0;
  const cna_conv2d_params p = layer_params(layer, &inputs[0]);
  const cna_conv2d_params g = group_params(&p);
  const cna_gemm_b_source src = {.conv = &g};
  return cna_f32_gemm_b_is_matrix(&src); /* 1x1, stride 1, unpadded */
}

static cna_status conv2d_prepare(const cna__layer *layer, const cna__shape *inputs,
                                 const float *const *tensors, const cna__fold *bn,
                                 const cna__prologue *pre, void **state) {
  const cna__kernels *kernels = cna__kernels_get();
  *state = NULL;
  if (kernels->gemm_ukernel.fn == NULL) return CNA_OK;
  const cna__attrs *a = &layer->attrs;
  const size_t groups = (size_t)a->groups, out_c = layer->out.c;
  const size_t out_group = out_c / groups;
  const size_t k = inputs[0].c / groups * (size_t)a->kernel_h * (size_t)a->kernel_w;
  const int winograd = (int)cna__conv2d_winograd_tile(layer, &inputs[0]);
  const winograd_variant wv = winograd_variant_of((size_t)winograd, kernels);
  const int grouped = !winograd && use_grouped_direct(layer, &inputs[0]);
  const cna_conv2d_params params = layer_params(layer, &inputs[0]);
  const size_t mr = winograd ? kernels->winograd_ukernel.mr : kernels->gemm_ukernel.mr;
  const size_t packed_group =
      winograd  ? cna_f32_gemm_packed_a_size(out_c, inputs[0].c, mr)
      : grouped ? cna_f32_conv2d_group_packed_size(&params) / groups
                : cna_f32_gemm_packed_a_size(out_group, k, mr);
  const size_t parts = winograd ? wv.products : groups;
  const int has_bias = a->bias || bn != NULL;
  if (pre != NULL && !conv2d_takes_prologue(layer, inputs))
    return cna__error(CNA_ERROR_INTERNAL, "conv2d '%s': a fused prologue, but its input is "
                      "not packed as a matrix", layer->name);
  const size_t in_c = inputs[0].c;
  const size_t bias_floats = has_bias ? align_floats(out_c) : 0;
  const size_t num_parts = pre != NULL ? pre->num_parts : 0;
  const size_t part_floats = align_floats(num_parts * sizeof(size_t) / sizeof(float));
  const size_t pre_floats = pre != NULL && pre->bn != NULL ? 2 * align_floats(in_c) : 0;
  size_t floats = 16 + bias_floats + pre_floats + part_floats, total;
  if (!cna__mul_size(packed_group, parts, &total) || !cna__add_size(total, floats, &total) ||
      !cna__mul_size(total, sizeof(float), &total))
    return cna__error(CNA_ERROR_TOO_LARGE, "conv2d '%s': packed weights too large", layer->name);
  float *block = cna__aligned_alloc(total);
  float *scale = bn != NULL ? malloc(out_c * sizeof *scale) : NULL;
  if (block == NULL || (bn != NULL && scale == NULL)) {
    cna__aligned_free(block);
    free(scale);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                      "conv2d '%s': out of memory for %zu bytes of packed weights", layer->name,
                      total);
  }
  conv_prepared *prep = (conv_prepared *)(void *)block;
  float *bias = has_bias ? block + 16 : NULL;
  float *packed = block + floats;
  float *pre_scale = NULL, *pre_shift = NULL;
  size_t *part_rows = NULL;
  if (pre != NULL && pre->bn != NULL) {
    /* As the batch-norm kernel computes them (f32-normalization-scalar.c). */
    const cna__fold *f = pre->bn;
    pre_scale = block + 16 + bias_floats;
    pre_shift = pre_scale + align_floats(in_c);
    for (size_t c = 0; c < in_c; c++) {
      pre_scale[c] = f->weight[c] / sqrtf(f->var[c] + f->eps);
      pre_shift[c] = f->bias[c] - f->mean[c] * pre_scale[c];
    }
  }
  if (num_parts > 0) {
    part_rows = (size_t *)(void *)(block + 16 + bias_floats + pre_floats);
    for (size_t q = 0; q < num_parts; q++) part_rows[q] = pre->part_channels[q];
  }
  const float *conv_bias = a->bias ? tensors[1] : NULL;
  for (size_t c = 0; c < out_c && has_bias; c++) {
    const double b = conv_bias != NULL ? conv_bias[c] : 0.0;
    if (bn == NULL) {
      bias[c] = (float)b;
      continue;
    }
    /* y = (x - mean) / sqrt(var + eps) * weight + bias, with x = w * in + b */
    const double s = bn->weight[c] / sqrt((double)bn->var[c] + (double)bn->eps);
    scale[c] = (float)s;
    bias[c] = (float)((b - bn->mean[c]) * s + bn->bias[c]);
  }
  if (winograd) {
    /* The transformed weight matrices, each packed like GEMM weights. */
    float *u = malloc(wv.products * out_c * in_c * sizeof *u);
    if (u == NULL) {
      cna__aligned_free(block);
      free(scale);
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "conv2d '%s': out of memory transforming weights", layer->name);
    }
    if (winograd == 6)
      cna_f32_winograd63_weights(out_c, in_c, tensors[0], scale, u);
    else
      cna_f32_winograd43_weights(out_c, in_c, tensors[0], scale, u);
    for (size_t xi = 0; xi < wv.products; xi++)
      cna_f32_gemm_pack_a(out_c, in_c, u + xi * out_c * in_c, in_c, NULL, mr,
                          cna_f32_gemm_kc(&kernels->gemm_blocking, in_c),
                          packed + xi * packed_group);
    free(u);
  } else if (grouped) {
    cna_f32_conv2d_group_pack(&params, tensors[0], scale, packed);
  } else {
    for (size_t g = 0; g < groups; g++)
      cna_f32_gemm_pack_a(out_group, k, tensors[0] + g * out_group * k, k,
                          scale != NULL ? scale + g * out_group : NULL, mr,
                          cna_f32_gemm_kc(&kernels->gemm_blocking, k), packed + g * packed_group);
  }
  free(scale);
  const int pre_relu = pre != NULL && pre->bn != NULL && pre->relu;
  *prep = (conv_prepared){bias,    packed,    packed_group, winograd, grouped,
                          pre_scale, pre_shift, pre_relu,     part_rows};
  *state = prep;
  return CNA_OK;
}

static size_t conv2d_workspace(const cna__layer *layer, const cna__shape *inputs) {
  const cna__kernels *kernels = cna__kernels_get();
  const size_t tile = cna__conv2d_winograd_tile(layer, &inputs[0]);
  if (use_grouped_direct(layer, &inputs[0]) && tile == 0) {
    const cna_conv2d_params p = layer_params(layer, &inputs[0]);
    const cna_conv2d_params g = group_params(&p);
    return cna_f32_conv2d_group_workspace(&g);
  }
  if (tile == 0) {
    /* One packed block of B (less than the machine's for small layers). */
    const cna__attrs *a = &layer->attrs;
    const size_t k = inputs[0].c / (size_t)a->groups * (size_t)a->kernel_h * (size_t)a->kernel_w;
    return cna_f32_gemm_workspace_size(&kernels->gemm_ukernel, &kernels->gemm_blocking, k,
                                       layer->out.h * layer->out.w);
  }
  /* V and M of one task, and the input transform's padded rows. */
  const winograd_variant wv = winograd_variant_of(tile, kernels);
  const size_t tiles = winograd_tiles(layer, &inputs[0], kernels, wv.products);
  return wv.products * (cna_winograd_stride(inputs[0].c, tiles) +
                        cna_winograd_stride(layer->out.c, tiles)) +
         wv.input_scratch(ceil_div(layer->out.w, wv.tile), tiles);
}

/* ------------------------------------------------------------- Winograd */


/* Floats from one image's output to the next: the layer's own size, or
 * the concatenation's it writes its channels of in place. */
static size_t output_stride(const cna__layer *layer, const cna__forward_args *args) {
  return args->out_stride != 0 ? args->out_stride : cna__shape_elems(&layer->out);
}

typedef struct winograd_job {
  const cna__layer *layer;
  const cna__forward_args *args;
  const conv_prepared *prep;
  const cna__kernels *kernels;
  winograd_variant wv;
  size_t in_c, out_c, tiles_w, tiles, chunk, chunks;
  size_t rows, row_blocks; /* output channels per task (a multiple of mr) */
} winograd_job;

static void winograd_task(void *ctx, size_t task, size_t thread) {
  const winograd_job *j = ctx;
  const cna__layer *l = j->layer;
  const cna__shape *in = &j->args->input_shapes[0];
  const size_t row0 = task % j->row_blocks * j->rows;
  const size_t rows = row0 + j->rows < j->out_c ? j->rows : j->out_c - row0;
  const size_t image = task / j->row_blocks / j->chunks;
  const size_t t0 = task / j->row_blocks % j->chunks * j->chunk;
  const size_t count = t0 + j->chunk < j->tiles ? j->chunk : j->tiles - t0;
  const cna_gemm_ukernel *uk = &j->kernels->winograd_ukernel;
  const size_t ld = (count + uk->nr - 1) / uk->nr * uk->nr; /* columns of V and M */
  const size_t live = (count + 15) / 16 * 16; /* what the input transform wrote */
  const size_t kc_max = cna_f32_gemm_kc(&j->kernels->gemm_blocking, j->in_c);
  /* M holds this task's rows only: products matrices of rows x ld. */
  const size_t products = j->wv.products;
  const size_t v_stride = cna_winograd_stride(j->in_c, ld);
  const size_t m_stride = cna_winograd_stride(rows, ld);
  float *v = j->args->workspace[thread], *m = v + products * v_stride;
  float *scratch = m + products * m_stride;
  const size_t out_plane = l->out.h * l->out.w;
  j->wv.input(j->args->inputs[0] + image * j->in_c * in->h * in->w, j->in_c, in->h,
                           in->w, (size_t)l->attrs.pad_top, (size_t)l->attrs.pad_left,
                           j->tiles_w, t0, count, uk->nr, v, scratch);
  for (size_t xi = 0; xi < products; xi++) {
    const float *a = j->prep->packed + xi * j->prep->packed_group;
    const float *b = v + xi * v_stride;
    float *c = m + xi * m_stride;
    /* Rows outside (as in f32-gemm-blocked.c): a row panel of U stays
     * in L1 while it meets each panel of V (all of them in L2). */
    for (size_t pc = 0; pc < j->in_c; pc += kc_max) {
      const size_t kc = j->in_c - pc < kc_max ? j->in_c - pc : kc_max;
      for (size_t row = 0; row < rows; row += uk->mr) {
        cna_gemm_tile t = {.kc = kc,
                           .a = cna_f32_gemm_packed_a_panel(a, j->out_c, j->in_c, uk->mr,
                                                            kc_max, row0 + row, pc),
                           .ldc = ld,
                           .rows = rows - row < uk->mr ? rows - row : uk->mr,
                           .accumulate = pc > 0};
        for (size_t col = 0; col < live; col += uk->nr) {
          t.b = b + col * j->in_c + pc * uk->nr;
          t.c = c + row * ld + col;
          t.cols = live - col < uk->nr ? live - col : uk->nr;
          uk->fn(&t);
        }
      }
    }
  }
  const float *res = j->args->residual;
  const size_t res_offset = (image * j->out_c + row0) * out_plane;
  j->wv.output(m, rows, ld, t0, count, j->tiles_w, l->out.h, l->out.w,
                            j->prep->bias != NULL ? j->prep->bias + row0 : NULL,
                            res != NULL ? res + res_offset : NULL, j->args->relu,
                            j->args->output + image * output_stride(l, j->args) +
                                row0 * out_plane);
}

static cna_status conv2d_winograd(const cna__layer *layer, const cna__forward_args *args) {
  const cna__kernels *kernels = cna__kernels_get();
  const cna__shape *in = &args->input_shapes[0];
  winograd_job j = {.layer = layer, .args = args, .prep = args->prepared, .kernels = kernels,
                    .in_c = in->c, .out_c = layer->out.c};
  j.wv = winograd_variant_of((size_t)j.prep->winograd, kernels);
  j.tiles_w = ceil_div(layer->out.w, j.wv.tile);
  j.tiles = j.tiles_w * ceil_div(layer->out.h, j.wv.tile);
  /* Tiles go to tasks in whole panels (the micro-kernel's width: a
   * panel of 1 tile costs what a full one does), at most the L2-sized
   * chunk, all chunks about as big. */
  const size_t threads = args->pool != NULL ? cna__pool_threads(args->pool) : 1;
  const size_t nr = kernels->winograd_ukernel.nr;
  const size_t panels = (j.tiles + nr - 1) / nr;
  size_t per_chunk = winograd_tiles(layer, in, kernels, j.wv.products) / nr;
  size_t chunks = ceil_div(panels, per_chunk);
  if (args->batch * chunks < threads) chunks = ceil_div(threads, args->batch);
  if (chunks > panels) chunks = panels;
  per_chunk = ceil_div(panels, chunks);
  j.chunk = per_chunk * nr;
  j.chunks = ceil_div(j.tiles, j.chunk);
  /* Still too few (an image of 16 tiles or fewer for two threads): split
   * the output channels too, in whole micro-kernel rows; each such task
   * transforms the same input tiles (a small cost next to its products). */
  const size_t mr = kernels->winograd_ukernel.mr;
  j.rows = ceil_div(j.out_c, mr) * mr;
  j.row_blocks = 1;
  if (args->batch * j.chunks < threads) {
    const size_t split = ceil_div(threads, args->batch * j.chunks);
    j.rows = ceil_div(ceil_div(j.out_c, split), mr) * mr;
    j.row_blocks = ceil_div(j.out_c, j.rows);
  }
  cna__pool_run(args->pool, args->batch * j.chunks * j.row_blocks, winograd_task, &j);
  return CNA_OK;
}

/* One task: rows m0..m1 and columns n0..n1 of one group of one image. */
typedef struct conv_job {
  const cna__layer *layer;
  const cna__forward_args *args;
  const conv_prepared *prep;
  const cna__kernels *kernels;
  cna_conv2d_params group; /* one group's geometry */
  size_t groups, m_chunks, m_chunk, n_chunks, n_chunk;
} conv_job;

static void conv_task(void *ctx, size_t task, size_t thread) {
  const conv_job *j = ctx;
  const cna_conv2d_params *p = &j->group;
  const size_t mi = task % j->m_chunks, ni = task / j->m_chunks % j->n_chunks;
  const size_t g = task / j->m_chunks / j->n_chunks % j->groups;
  const size_t b = task / j->m_chunks / j->n_chunks / j->groups;
  const size_t m = p->out_channels, n = p->out_height * p->out_width;
  const size_t k = p->in_channels * p->kernel_h * p->kernel_w;
  const size_t m0 = mi * j->m_chunk, m1 = m0 + j->m_chunk < m ? m0 + j->m_chunk : m;
  const size_t n0 = ni * j->n_chunk, n1 = n0 + j->n_chunk < n ? n0 + j->n_chunk : n;
  const size_t in_image = p->in_channels * j->groups * p->in_height * p->in_width;
  const size_t res_offset = (b * j->groups + g) * m * n;
  const size_t out_offset = b * output_stride(j->layer, j->args) + g * m * n;
  const conv_prepared *prep = j->prep;
  const size_t parts = j->args->num_parts;
  const cna_gemm_b_source src = {
      .data = parts > 0 ? NULL
                        : j->args->inputs[0] + b * in_image +
                              g * p->in_channels * p->in_height * p->in_width,
      .conv = p,
      .scale = prep->pre_scale != NULL ? prep->pre_scale + g * p->in_channels : NULL,
      .shift = prep->pre_shift != NULL ? prep->pre_shift + g * p->in_channels : NULL,
      .relu = prep->pre_relu,
      .parts = parts > 0 ? j->args->inputs : NULL,
      .part_rows = prep->part_rows,
      .num_parts = parts,
      .image = b,
      .row0 = g * p->in_channels,
  };
  const cna_gemm_epilogue ep = {
      .bias = j->prep->bias != NULL ? j->prep->bias + g * m : NULL,
      .residual = j->args->residual != NULL ? j->args->residual + res_offset : NULL,
      .ld_residual = n,
      .relu = j->args->relu,
  };
  cna_f32_gemm_blocked(&j->kernels->gemm_ukernel, &j->kernels->gemm_blocking, m, m0, m1, n0, n1, k,
                       j->prep->packed + g * j->prep->packed_group, &src, &ep,
                       j->args->output + out_offset, n, j->args->workspace[thread]);
}

static cna_status conv2d_fast(const cna__layer *layer, const cna__forward_args *args,
                              const cna_conv2d_params *p) {
  const cna__kernels *kernels = cna__kernels_get();
  const size_t mr = kernels->gemm_ukernel.mr;
  conv_job j = {.layer = layer, .args = args, .prep = args->prepared, .kernels = kernels,
                .group = *p, .groups = p->groups};
  j.group.in_channels = p->in_channels / p->groups;
  j.group.out_channels = p->out_channels / p->groups;
  j.group.groups = 1;
  const size_t m = j.group.out_channels, n = p->out_height * p->out_width;
  const size_t k = j.group.in_channels * p->kernel_h * p->kernel_w;
  const size_t images = args->batch * p->groups;
  /* A task per image and group (the GEMM blocks its columns for the
   * caches itself). */
  j.n_chunks = 1;
  j.m_chunks = 1;
  /* Too few for the threads: split further, each task as big as the
   * others (a 14x14 image is 196 columns: 98 + 98, not 64 + 64 + 64 + 4).
   * Every extra column block reads all of A (the weights) again, every
   * extra row block packs its columns of B again, which costs more per
   * element for a convolution's gathered input: split what copies less. */
  const size_t threads = args->pool != NULL ? cna__pool_threads(args->pool) : 1;
  if (images * j.n_chunks < threads) {
    const size_t parts = ceil_div(threads, images);
    const double pack_cost = p->kernel_h * p->kernel_w > 1 ? 3.0 : 1.0;
    double best = -1;
    for (size_t pm = 1; pm <= parts; pm++) {
      const size_t pn = ceil_div(parts, pm);
      if (pm > 1 && ceil_div(m, pm) < mr) break;
      if (pn > 1 && ceil_div(n, pn) < 8) continue;
      const double cost = (double)pm * (double)n * (double)k * pack_cost +
                          (double)pn * (double)m * (double)k;
      if (best < 0 || cost < best) {
        best = cost;
        j.m_chunks = pm;
        j.n_chunks = pn;
      }
    }
  }
  /* Columns in multiples of 8 (whole AVX2 vectors), rows of whole tiles. */
  j.n_chunk = ceil_div(ceil_div(n, j.n_chunks), 8) * 8;
  j.n_chunks = ceil_div(n, j.n_chunk);
  j.m_chunk = ceil_div(ceil_div(m, j.m_chunks), mr) * mr;
  j.m_chunks = ceil_div(m, j.m_chunk);
  cna__pool_run(args->pool, images * j.n_chunks * j.m_chunks, conv_task, &j);
  return CNA_OK;
}

/* ---------------------------------------------- direct grouped kernel */

typedef struct grouped_job {
  const cna__forward_args *args;
  const conv_prepared *prep;
  cna_conv2d_group_kernel kernel;
  cna_conv2d_group_pixels_kernel pixels;
  cna_conv2d_params group;
  size_t groups, out_stride;
} grouped_job;

/* One group of one image. */
static void grouped_task(void *ctx, size_t task, size_t thread) {
  const grouped_job *j = ctx;
  const cna_conv2d_params *p = &j->group;
  const size_t g = task % j->groups, b = task / j->groups;
  const size_t in_group = p->in_channels * p->in_height * p->in_width;
  const size_t out_group = p->out_channels * p->out_height * p->out_width;
  const size_t res_offset = (b * j->groups + g) * out_group;
  const size_t out_offset = b * j->out_stride + g * out_group;
  const float *residual = j->args->residual;
  cna_f32_conv2d_group(j->kernel, j->pixels, p, j->args->inputs[0] + (b * j->groups + g) * in_group,
                       j->prep->packed + g * j->prep->packed_group,
                       j->prep->bias != NULL ? j->prep->bias + g * p->out_channels : NULL,
                       residual != NULL ? residual + res_offset : NULL, j->args->relu,
                       j->args->output + out_offset, j->args->workspace[thread]);
}

static cna_status conv2d_grouped(const cna__layer *layer, const cna__forward_args *args,
                                 const cna_conv2d_params *p) {
  const grouped_job j = {.args = args, .prep = args->prepared,
                         .kernel = cna__kernels_get()->conv2d_group,
                         .pixels = cna__kernels_get()->conv2d_group_pixels,
                         .group = group_params(p), .groups = p->groups,
                         .out_stride = output_stride(layer, args)};
  cna__pool_run(args->pool, args->batch * p->groups, grouped_task, (void *)&j);
  return CNA_OK;
}

static cna_status conv2d_forward(const cna__layer *layer, const cna__forward_args *args) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *in = args->num_parts > 0 ? &args->concat_shape : &args->input_shapes[0];
  const cna_conv2d_params p = layer_params(layer, in);
  const conv_prepared *prep = args->prepared;
  if (prep != NULL)
    return prep->winograd  ? conv2d_winograd(layer, args)
           : prep->grouped ? conv2d_grouped(layer, args, &p)
                           : conv2d_fast(layer, args, &p);
  const size_t in_size = in->c * in->h * in->w;
  const float *bias = a->bias ? args->tensors[1] : NULL;
  for (size_t n = 0; n < args->batch; n++)
    cna_f32_conv2d__scalar(&p, args->inputs[0] + n * in_size, args->tensors[0], bias,
                           args->output + n * output_stride(layer, args));
  return CNA_OK;
}

const cna__layer_ops cna__conv2d_ops = {
    .type_name = "conv2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = conv2d_infer,
    .tensors = conv2d_tensors,
    .macs = conv2d_macs,
    .receptive_field = conv2d_rf,
    .forward = conv2d_forward,
    .prepare = conv2d_prepare,
    .takes_prologue = conv2d_takes_prologue,
    .workspace = conv2d_workspace,
    .has_weights = 1,
    .strided_output = 1,
};

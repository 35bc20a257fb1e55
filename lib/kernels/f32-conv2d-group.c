/* Grouped convolution with few channels per group (ResNeXt's 32 groups of
 * 4 to 32): a direct kernel, since packing the unfolded input per group
 * (what the GEMM path needs) costs more than the few multiply-adds each
 * packed value feeds.
 *
 * The group's input is copied once, zero-padded, and split by stride
 * phase: padded element (y, x) goes to phase (y % s, x % s) at (y / s,
 * x / s), each phase a wq-wide plane. Output pixel (oy, ox) is then
 * "virtual" pixel v = oy * wq + ox, and its tap (ky, kx) reads phase
 * ((ky * dh) % s, (kx * dw) % s) at v + (ky * dh / s) * wq + kx * dw / s:
 * contiguous in v for every stride. An ISA micro-kernel sweeps v in whole
 * vectors for 4 or 8 output channels at a time (the wq - out_width virtual
 * columns past each row are computed and dropped) and adds the bias and
 * the ReLU in registers; this file does the padding, the weight layout,
 * and drops the virtual columns (adding a residual, then the ReLU, when
 * one is fused).
 *
 * Groups of a multiple of 16 output channels go, where the CPU has one, to
 * a channel-vectorized kernel instead (f32-conv2d-group-16x6-avx2.c): each
 * pixel a broadcast, no virtual column computed, the output stored in
 * place, and its input only padded (a broadcast reads any address: no
 * phase split at stride 2). ResNeXt's groups of 16 and 32 (14x14 and 7x7,
 * and the stride-2 layers into them): 0.66-0.81x the time, the same bits. */
#include <string.h>

#include "kernels/kernels.h"

enum {
  BLOCK = CNA_CONV2D_GROUP_BLOCK,
  STEP = 16,  /* vn's multiple: the vectors of 16 virtual pixels the kernels store */
  REACH = 64, /* virtual pixels one step of a kernel's sweep computes, at most */
  PIXEL_STEPS = 1024, /* input channels x taps the channel-vectorized kernel takes */
};

int cna_f32_conv2d_group_supported(const cna_conv2d_params *p) {
  return p->stride_h == p->stride_w && p->stride_w >= 1 && p->stride_w <= 4 &&
         p->kernel_h * p->kernel_w <= 64;
}

typedef struct geometry {
  size_t s, wq, hq; /* stride, phase plane width and height */
  size_t plane;     /* floats per input channel: s * s phase planes */
  size_t vn;        /* virtual pixels computed, a multiple of STEP */
  size_t padded;    /* floats of the padded input, with slack */
} geometry;

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

static geometry geometry_of(const cna_conv2d_params *p) {
  geometry g;
  g.s = p->stride_w;
  /* Wide enough for the image and for every tap of every valid output. */
  const size_t reach_w = p->out_width + (p->kernel_w - 1) * p->dilation_w / g.s;
  const size_t reach_h = p->out_height + (p->kernel_h - 1) * p->dilation_h / g.s;
  g.wq = ceil_div(p->pad_left + p->in_width, g.s);
  if (g.wq < reach_w) g.wq = reach_w;
  g.hq = ceil_div(p->pad_top + p->in_height, g.s);
  if (g.hq < reach_h) g.hq = reach_h;
  g.plane = g.s * g.s * g.hq * g.wq;
  g.vn = ceil_div(p->out_height * g.wq, STEP) * STEP;
  /* The dropped virtual pixels of the last channel's last sweep read up to
   * vn + REACH + one plane past its start. */
  g.padded = p->in_channels * g.plane + g.vn + REACH;
  return g;
}

/* The channel-vectorized kernel's input: each channel zero-padded, not
 * phase-split (a pixel is a broadcast from anywhere), width x height. */
static size_t plain_width(const cna_conv2d_params *p) {
  const size_t reach = (p->out_width - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1;
  return p->pad_left + p->in_width > reach ? p->pad_left + p->in_width : reach;
}
static size_t plain_height(const cna_conv2d_params *p) {
  const size_t reach = (p->out_height - 1) * p->stride_h + (p->kernel_h - 1) * p->dilation_h + 1;
  return p->pad_top + p->in_height > reach ? p->pad_top + p->in_height : reach;
}

size_t cna_f32_conv2d_group_workspace(const cna_conv2d_params *p) {
  const geometry g = geometry_of(p);
  const size_t plain = p->in_channels * plain_height(p) * plain_width(p);
  return g.padded + BLOCK * g.vn > plain ? g.padded + BLOCK * g.vn : plain;
}

size_t cna_f32_conv2d_group_packed_size(const cna_conv2d_params *p) {
  const size_t m = p->out_channels / p->groups, c = p->in_channels / p->groups;
  return p->groups * ((m + BLOCK - 1) / BLOCK * BLOCK) * c * p->kernel_h * p->kernel_w;
}

void cna_f32_conv2d_group_pack(const cna_conv2d_params *p, const float *restrict weights,
                               const float *restrict scale, float *restrict packed) {
  const size_t m = p->out_channels / p->groups, c = p->in_channels / p->groups;
  const size_t taps = p->kernel_h * p->kernel_w;
  for (size_t g = 0; g < p->groups; g++)
    for (size_t b0 = 0; b0 < m; b0 += BLOCK)
      for (size_t ci = 0; ci < c; ci++)
        for (size_t t = 0; t < taps; t++)
          for (size_t j = 0; j < BLOCK; j++) {
            const size_t o = g * m + b0 + j;
            *packed++ = b0 + j < m ? weights[(o * c + ci) * taps + t] *
                                         (scale != NULL ? scale[o] : 1.0f)
                                   : 0.0f;
          }
}

/* Groups of a multiple of 16 output channels on the channel-vectorized
 * kernel, 16 channels a call. */
static void by_channels(cna_conv2d_group_pixels_kernel pixels, const cna_conv2d_params *p,
                        const float *restrict input, const float *restrict packed,
                        const float *restrict bias, const float *residual, int relu,
                        float *output, float *restrict padded) {
  const size_t c = p->in_channels, m = p->out_channels, taps = p->kernel_h * p->kernel_w;
  const size_t wp = plain_width(p), plane = plain_height(p) * wp;
  const size_t out_plane = p->out_height * p->out_width;
  memset(padded, 0, c * plane * sizeof *padded);
  for (size_t ci = 0; ci < c; ci++)
    for (size_t y = 0; y < p->in_height; y++)
      memcpy(padded + ci * plane + (y + p->pad_top) * wp + p->pad_left,
             input + (ci * p->in_height + y) * p->in_width, p->in_width * sizeof *input);
  ptrdiff_t steps[PIXEL_STEPS];
  for (size_t ci = 0; ci < c; ci++)
    for (size_t t = 0; t < taps; t++)
      steps[ci * taps + t] = (ptrdiff_t)(ci * plane + t / p->kernel_w * p->dilation_h * wp +
                                         t % p->kernel_w * p->dilation_w);
  for (size_t b0 = 0; b0 < m; b0 += 16) {
    float block_bias[16] = {0};
    if (bias != NULL) memcpy(block_bias, bias + b0, sizeof block_bias);
    const cna_conv2d_group_tile t = {
        .input = padded,
        .offsets = steps,
        .steps = c * taps,
        .weights = packed + b0 * c * taps,
        .bias = block_bias,
        .residual = residual != NULL ? residual + b0 * out_plane : NULL,
        .relu = relu,
        .out_width = p->out_width,
        .row_step = p->stride_h * wp,
        .col_step = p->stride_w,
        .count = out_plane,
        .ld = out_plane,
        .out = output + b0 * out_plane,
    };
    pixels(&t);
  }
}

void cna_f32_conv2d_group(cna_conv2d_group_kernel kernel,
                          cna_conv2d_group_pixels_kernel pixels, const cna_conv2d_params *p,
                          const float *restrict input, const float *restrict packed,
                          const float *restrict bias, const float *residual, int relu,
                          float *output, float *restrict workspace) {
  const size_t c = p->in_channels, m = p->out_channels;
  const size_t taps = p->kernel_h * p->kernel_w, out_plane = p->out_height * p->out_width;
  if (pixels != NULL && m % 16 == 0 && c * taps <= PIXEL_STEPS) {
    by_channels(pixels, p, input, packed, bias, residual, relu, output, workspace);
    return;
  }
  const geometry g = geometry_of(p);
  const size_t s = g.s, phase = g.hq * g.wq;
  float *padded = workspace, *virtual_out = workspace + g.padded;
  memset(padded, 0, g.padded * sizeof *padded);
  for (size_t ci = 0; ci < c; ci++) {
    float *dst = padded + ci * g.plane;
    for (size_t y = 0; y < p->in_height; y++) {
      const float *src = input + (ci * p->in_height + y) * p->in_width;
      const size_t py = y + p->pad_top;
      float *row = dst + (py % s * s) * phase + py / s * g.wq;
      if (s == 1)
        memcpy(row + p->pad_left, src, p->in_width * sizeof *src);
      else
        cna_f32_split_row_phases(src, p->in_width, s, p->pad_left, phase, row);
    }
  }
  ptrdiff_t offsets[64];
  for (size_t t = 0; t < taps; t++) {
    const size_t dy = t / p->kernel_w * p->dilation_h, dx = t % p->kernel_w * p->dilation_w;
    offsets[t] = (ptrdiff_t)((dy % s * s + dx % s) * phase + dy / s * g.wq + dx / s);
  }
  /* With a residual, the kernel adds the bias only: the sum is added
   * before the ReLU. */
  const int relu_in_kernel = relu && residual == NULL;
  const size_t ow = p->out_width;
  for (size_t b0 = 0; b0 < m; b0 += BLOCK) {
    const size_t rows = m - b0 < BLOCK ? m - b0 : BLOCK;
    float block_bias[BLOCK] = {0};
    if (bias != NULL) memcpy(block_bias, bias + b0, rows * sizeof *bias);
    kernel(rows <= BLOCK / 2 ? BLOCK / 2 : BLOCK, padded, c, g.plane, offsets, taps,
           packed + b0 * c * taps, block_bias, relu_in_kernel, g.vn, virtual_out);
    /* Drop the virtual columns past each row (and add the residual). */
    for (size_t j = 0; j < rows; j++) {
      const float *src = virtual_out + j * g.vn;
      float *dst = output + (b0 + j) * out_plane;
      if (residual == NULL) {
        for (size_t oy = 0; oy < p->out_height; oy++)
          memcpy(dst + oy * ow, src + oy * g.wq, ow * sizeof *dst);
        continue;
      }
      /* The residual may be the output itself (the plan adds in place). */
      const float *add = residual + (b0 + j) * out_plane;
      for (size_t oy = 0; oy < p->out_height; oy++)
        for (size_t x = 0; x < ow; x++) {
          const float v = src[oy * g.wq + x] + add[oy * ow + x];
          dst[oy * ow + x] = relu && v < 0.0f ? 0.0f : v; /* NaN stays */
        }
    }
  }
}

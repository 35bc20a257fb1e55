/* Optimized kernels against the scalar oracle: the dispatched GEMM over a
 * table of shapes (partial tiles, k = 1, primes), convolution through GEMM
 * against the direct reference over every stride/padding/dilation/group
 * combination the zoo uses and more, and whole nets on the dispatched path
 * against the same nets forced onto the scalar path (CNNARCH_ISA=scalar, in
 * a child process). Tests of a SIMD path skip where the CPU lacks it. */
#define _POSIX_C_SOURCE 200809L /* fork, setenv (isa_in_child) */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "graph/graph.h"
#include "graph/plan.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include "layers/layer.h"
#include "support/batch_norms.h"
#include "support/scalar_child.h"
#include "tests.h"

static float uniform(unsigned *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)(*state >> 8) / (float)(1u << 23) - 1.0f;
}

/* Differences allowed between two summation orders of k products of values
 * in [-1, 1]: a few ulps per term. */
static float tolerance(size_t k) { return 4e-7f * (float)(k + 4); }

START_TEST(gemm_matches_scalar) {
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->gemm == cna_f32_gemm__scalar) return; /* nothing to compare (scalar, neon) */
  static const size_t shapes[][3] = {
      {1, 1, 1},   {6, 16, 1},  {6, 16, 7},  {7, 17, 3},   {5, 15, 2},    {13, 31, 29},
      {12, 32, 64}, {64, 49, 512}, {3, 257, 5}, {11, 300, 37}, {96, 196, 27}, {1, 1000, 97},
      {37, 1, 11}, {6, 513, 9},  {128, 64, 1152}};
  unsigned seed = 7;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
    /* Leading dimensions wider than the matrices, as in grouped layers. */
    const size_t lda = k + 3, ldb = n + 5, ldc = n + 2;
    float *a = malloc(m * lda * sizeof *a), *b = malloc(k * ldb * sizeof *b);
    float *bias = malloc(m * sizeof *bias), *want = malloc(m * ldc * sizeof *want);
    float *got = malloc(m * ldc * sizeof *got);
    for (size_t i = 0; i < m * lda; i++) a[i] = uniform(&seed);
    for (size_t i = 0; i < k * ldb; i++) b[i] = uniform(&seed);
    for (size_t i = 0; i < m; i++) bias[i] = uniform(&seed);
    for (size_t i = 0; i < m * ldc; i++) want[i] = got[i] = 12345.0f; /* gaps stay */
    for (int with_bias = 0; with_bias < 2; with_bias++) {
      cna_f32_gemm__scalar(m, n, k, a, lda, b, ldb, with_bias ? bias : NULL, want, ldc);
      kernels->gemm(m, n, k, a, lda, b, ldb, with_bias ? bias : NULL, got, ldc);
      for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < ldc; j++) {
          const float w = want[i * ldc + j], g = got[i * ldc + j];
          if (j >= n) {
            ck_assert_msg(g == 12345.0f, "%zux%zux%zu: wrote past column %zu", m, n, k, n);
            continue;
          }
          ck_assert_msg(fabsf(g - w) <= tolerance(k), "%s gemm %zux%zux%zu at (%zu,%zu): %g vs %g",
                        kernels->isa, m, n, k, i, j, (double)g, (double)w);
        }
    }
    free(a), free(b), free(bias), free(want), free(got);
  }
}
END_TEST

START_TEST(gemm_propagates_nan_and_inf) {
  const cna__kernels *kernels = cna__kernels_get();
  /* 7 x 19: a full tile and both edges; NaN in A row 6 (an edge row) and
   * +Inf in B column 17 (the masked tail), plus one in the tile body. */
  enum { M = 7, N = 19, K = 3 };
  float a[M * K], b[K * N], c[M * N];
  for (int i = 0; i < M * K; i++) a[i] = 0.5f;
  for (int i = 0; i < K * N; i++) b[i] = 0.25f;
  a[6 * K + 1] = NAN;
  a[2 * K] = NAN;
  b[1 * N + 17] = INFINITY;
  kernels->gemm(M, N, K, a, K, b, N, NULL, c, N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      const float v = c[i * N + j];
      if (i == 6 || i == 2)
        ck_assert_msg(isnan(v), "(%d,%d) = %g, expected NaN", i, j, (double)v);
      else if (j == 17)
        ck_assert_msg(isinf(v) && v > 0, "(%d,%d) = %g, expected +Inf", i, j, (double)v);
      else
        ck_assert(v == 0.375f);
    }
}
END_TEST

START_TEST(convolution_through_gemm_matches_direct) {
  static const size_t cases[][12] = {
      /* ic ih iw oc kh kw sh sw pt pl dil groups */
      {3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 1, 1},  /* ResNet stem */
      {64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1},   /* 3x3 */
      {64, 56, 56, 256, 1, 1, 1, 1, 0, 0, 1, 1},  /* 1x1: no unfolding */
      {256, 28, 28, 128, 1, 1, 2, 2, 0, 0, 1, 1}, /* strided 1x1 shortcut */
      {128, 28, 28, 128, 3, 3, 2, 2, 1, 1, 1, 32}, /* ResNeXt */
      {96, 27, 27, 256, 5, 5, 1, 1, 2, 2, 1, 2},  /* AlexNet's two GPUs */
      {3, 227, 227, 96, 11, 11, 4, 4, 0, 0, 1, 1}, /* AlexNet CONV1 */
      {5, 13, 11, 7, 3, 2, 1, 3, 2, 1, 2, 1},     /* dilation, odd sizes */
      {6, 9, 9, 9, 1, 3, 1, 1, 0, 1, 1, 3},       /* asymmetric kernel, groups */
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},
      /* Kernels wide for their stride pack from a band split into
       * phases: odd and even left padding and widths, dilation, a kernel
       * wider than tall, strides 3 and 4. */
      {3, 33, 31, 8, 7, 7, 2, 2, 2, 3, 1, 1},
      {3, 31, 36, 8, 5, 5, 2, 2, 1, 2, 2, 1},
      {4, 40, 33, 9, 3, 5, 2, 2, 0, 0, 1, 1},
      {2, 30, 31, 5, 7, 7, 3, 3, 1, 2, 1, 1},     /* three phases */
      {3, 47, 45, 8, 11, 11, 4, 4, 2, 3, 1, 1},   /* four */
      /* The direct grouped kernel: blocks of 8 and 4 channels with
       * dilation, stride 3, one channel per group with a 5x5 kernel. */
      {24, 15, 13, 36, 3, 3, 1, 1, 1, 1, 2, 3},
      {16, 17, 17, 32, 3, 3, 3, 3, 1, 1, 1, 8},
      {8, 20, 20, 8, 5, 5, 2, 2, 2, 2, 1, 8},
      /* Groups of 16 and 32 output channels: the channel-vectorized
       * kernel (ResNeXt's layer3 and layer4.0). */
      {64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 4},
      {128, 15, 15, 128, 3, 3, 2, 2, 1, 1, 1, 4},
      /* Winograd F(4x4, 3x3): partial tiles, no padding, wider padding,
       * more input channels than one block of k, channels not a multiple
       * of the tile. */
      {16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1},
      {17, 15, 17, 23, 3, 3, 1, 1, 0, 0, 1, 1},
      {32, 18, 18, 19, 3, 3, 1, 1, 2, 2, 1, 1},
      {400, 14, 14, 20, 3, 3, 1, 1, 1, 1, 1, 1},
      /* Winograd F(6x6, 3x3) (where the path has it): padded, and 38x36
       * outputs in partial tiles both ways. */
      {64, 28, 28, 72, 3, 3, 1, 1, 1, 1, 1, 1},
      {67, 40, 38, 65, 3, 3, 1, 1, 0, 0, 1, 1},
  };
  const cna__kernels *kernels = cna__kernels_get();
  unsigned seed = 99;
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const size_t *c = cases[t];
    cna_builder *b;
    cna_net *net;
    ck_assert_ok(cna_builder_create(&b));
    ck_assert_ok(cna_builder_input(b, "x", (int)c[0], (int)c[1], (int)c[2]));
    ck_assert_ok(cna_builder_conv2d_ex(b, "conv", NULL, (int)c[3], (int)c[4], (int)c[5],
                                       (int)c[6], (int)c[7], (int)c[8], (int)c[9], (int)c[10],
                                       (int)c[10], (int)c[11], 1));
    ck_assert_ok(cna_builder_build(b, NULL, &net));
    cna_builder_destroy(b);
    size_t shape[3], out;
    ck_assert_ok(cna_net_input_shape(net, shape));
    ck_assert_ok(cna_net_output_size(net, &out));
    const size_t in = shape[0] * shape[1] * shape[2];
    float *x = malloc(2 * in * sizeof *x), *y = malloc(2 * out * sizeof *y);
    float *want = malloc(out * sizeof *want);
    for (size_t i = 0; i < 2 * in; i++) x[i] = uniform(&seed);
    size_t wi, bi, dims[4], nd;
    ck_assert_ok(cna_net_find_tensor(net, "conv.weight", &wi));
    ck_assert_ok(cna_net_find_tensor(net, "conv.bias", &bi));
    ck_assert_ok(cna_net_tensor_shape(net, wi, &nd, dims));
    const size_t nw = dims[0] * dims[1] * dims[2] * dims[3];
    float *w = malloc(nw * sizeof *w), bias[256];
    ck_assert_ok(cna_net_get_tensor(net, wi, w, nw));
    for (size_t i = 0; i < c[3]; i++) bias[i] = uniform(&seed);
    ck_assert_ok(cna_net_set_tensor(net, bi, bias, c[3]));
    ck_assert_ok(cna_net_forward(net, x, 2, y));
    size_t out_shape[3];
    ck_assert_ok(cna_net_layer_output_shape(net, 1, out_shape));
    const cna_conv2d_params p = {
        .in_channels = c[0], .in_height = c[1], .in_width = c[2], .out_channels = c[3],
        .out_height = out_shape[1], .out_width = out_shape[2], .kernel_h = c[4],
        .kernel_w = c[5], .stride_h = c[6], .stride_w = c[7], .pad_top = c[8],
        .pad_left = c[9], .dilation_h = c[10], .dilation_w = c[10], .groups = c[11]};
    const size_t k = c[0] / c[11] * c[4] * c[5];
    for (int image = 0; image < 2; image++) {
      cna_f32_conv2d__scalar(&p, x + image * in, w, bias, want);
      for (size_t i = 0; i < out; i++) {
        /* He-initialized weights are up to sqrt(6/k): scale the bound. */
        const float bound = tolerance(k) * 3.0f;
        ck_assert_msg(fabsf(y[image * out + i] - want[i]) <= bound,
                      "%s case %zu output %zu: %g vs %g", kernels->isa, t, i,
                      (double)y[image * out + i], (double)want[i]);
      }
    }
    free(x), free(y), free(want), free(w);
    cna_net_destroy(net);
  }
}
END_TEST

/* The grouped direct kernel with a residual and a ReLU fused (the add and
 * the ReLU after the convolution join its step): the bias is added in the
 * kernel, the residual and the ReLU on the way out, in that order. Against
 * the direct reference plus the residual, with values of both signs. */
START_TEST(grouped_convolution_fuses_a_residual) {
  enum { C = 16, H = 13, W = 12, BATCH = 2 };
  cna_builder *b;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", C, H, W));
  ck_assert_ok(cna_builder_conv2d_ex(b, "conv", "x", C, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1));
  ck_assert_ok(cna_builder_add(b, "sum", "conv", "x"));
  ck_assert_ok(cna_builder_relu(b, "out", NULL));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  unsigned seed = 7;
  size_t wi, bi;
  ck_assert_ok(cna_net_find_tensor(net, "conv.weight", &wi));
  ck_assert_ok(cna_net_find_tensor(net, "conv.bias", &bi));
  enum { NW = C * (C / 4) * 9 };
  static float w[NW], bias[C], x[BATCH * C * H * W], y[BATCH * C * H * W], want[C * H * W];
  for (size_t i = 0; i < NW; i++) w[i] = uniform(&seed) * 0.3f;
  for (size_t i = 0; i < C; i++) bias[i] = uniform(&seed);
  for (size_t i = 0; i < BATCH * C * H * W; i++) x[i] = uniform(&seed);
  ck_assert_ok(cna_net_set_tensor(net, wi, w, NW));
  ck_assert_ok(cna_net_set_tensor(net, bi, bias, C));
  ck_assert_ok(cna_net_forward(net, x, BATCH, y));
  const cna_conv2d_params p = {.in_channels = C, .in_height = H, .in_width = W,
                               .out_channels = C, .out_height = H, .out_width = W,
                               .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                               .pad_top = 1, .pad_left = 1, .dilation_h = 1, .dilation_w = 1,
                               .groups = 4};
  size_t zeros = 0;
  for (size_t image = 0; image < BATCH; image++) {
    const float *xi = x + image * C * H * W;
    cna_f32_conv2d__scalar(&p, xi, w, bias, want);
    for (size_t i = 0; i < C * H * W; i++) {
      const float v = want[i] + xi[i], expect = v < 0.0f ? 0.0f : v;
      zeros += expect == 0.0f;
      ck_assert_msg(fabsf(y[image * C * H * W + i] - expect) <= tolerance(36) * 2.0f,
                    "%s image %zu output %zu: %g vs %g", cna_isa(), image, i,
                    (double)y[image * C * H * W + i], (double)expect);
    }
  }
  ck_assert(zeros > 0 && zeros < BATCH * C * H * W); /* the ReLU cut some, not all */
  cna_net_destroy(net);
}
END_TEST

/* The channel-vectorized grouped kernel (16 output channels x 6 pixels, a
 * tile transposed on the way out) against the pixel-vectorized one on the
 * same padded input: the same bits, NaN where NaN, over groups of 16 and
 * 32 channels, images whose pixel counts leave each tail of 1 to 5,
 * strides 1 to 3, dilation, 1x1 to 5x5 kernels, bias or none, a residual
 * (apart or the output itself), ReLU or none; and both against the direct
 * reference. Skipped where the CPU has no such kernel. */
START_TEST(grouped_convolution_by_channels_matches_by_pixels) {
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->conv2d_group_pixels == NULL) return;
  static const size_t cases[][10] = {
      /* c m h w k stride pad dilation residual(0 none, 1 apart, 2 in place) relu */
      {32, 32, 7, 7, 3, 1, 1, 1, 0, 1},    /* ResNeXt layer4: 49 = 8 x 6 + 1 */
      {16, 16, 14, 14, 3, 1, 1, 1, 0, 1},  /* layer3: 196 = 32 x 6 + 4 */
      {16, 16, 28, 28, 3, 2, 1, 1, 0, 1},  /* layer3.0's stride 2 */
      {32, 32, 14, 14, 3, 2, 1, 1, 1, 1},  /* layer4.0's, with a residual */
      {16, 16, 5, 4, 3, 1, 1, 1, 2, 1},    /* 20 pixels (tail 2), in place */
      {16, 32, 3, 3, 3, 1, 1, 1, 1, 0},    /* 9 (tail 3), no ReLU */
      {8, 16, 11, 11, 5, 3, 2, 1, 0, 0},   /* stride 3: 4x4 = 16 (tail 4) */
      {24, 16, 9, 10, 3, 1, 2, 2, 0, 1},   /* dilation 2: 90 (tail 0) */
      {16, 48, 13, 9, 1, 1, 0, 1, 2, 1},   /* 1x1: 117 (tail 3) */
      {4, 16, 1, 5, 3, 1, 1, 1, 1, 1},     /* one row of 5 (tail only) */
  };
  unsigned seed = 2024;
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const size_t *c = cases[t];
    const size_t k = c[4], s = c[5], pad = c[6], dil = c[7];
    cna_conv2d_params p = {.in_channels = c[0], .in_height = c[2], .in_width = c[3],
                           .out_channels = c[1], .kernel_h = k, .kernel_w = k,
                           .stride_h = s, .stride_w = s, .pad_top = pad, .pad_left = pad,
                           .dilation_h = dil, .dilation_w = dil, .groups = 1};
    p.out_height = (c[2] + 2 * pad - dil * (k - 1) - 1) / s + 1;
    p.out_width = (c[3] + 2 * pad - dil * (k - 1) - 1) / s + 1;
    ck_assert(cna_f32_conv2d_group_supported(&p));
    const size_t in = c[0] * c[2] * c[3], out = c[1] * p.out_height * p.out_width;
    const size_t nw = c[1] * c[0] * k * k;
    float *x = malloc(in * sizeof *x), *w = malloc(nw * sizeof *w);
    float *bias = malloc(c[1] * sizeof *bias), *res = malloc(out * sizeof *res);
    float *want = malloc(out * sizeof *want), *by_pixels = malloc(out * sizeof *by_pixels);
    float *by_channels = malloc(out * sizeof *by_channels);
    float *packed = malloc(cna_f32_conv2d_group_packed_size(&p) * sizeof *packed);
    float *work = malloc(cna_f32_conv2d_group_workspace(&p) * sizeof *work);
    for (size_t i = 0; i < in; i++) x[i] = uniform(&seed);
    for (size_t i = 0; i < nw; i++) w[i] = uniform(&seed) * 0.3f;
    for (size_t i = 0; i < c[1]; i++) bias[i] = uniform(&seed);
    for (size_t i = 0; i < out; i++) res[i] = uniform(&seed);
    x[in / 2] = NAN; /* one input value's NaN reaches the outputs that read it */
    const int with_bias = t % 3 != 2, relu = (int)c[9];
    cna_f32_conv2d_group_pack(&p, w, NULL, packed);
    float *const outs[2] = {by_pixels, by_channels};
    for (int v = 0; v < 2; v++) {
      const float *residual = NULL;
      if (c[8] == 1) residual = res;
      if (c[8] == 2) memcpy(outs[v], res, out * sizeof *res), residual = outs[v];
      cna_f32_conv2d_group(kernels->conv2d_group, v ? kernels->conv2d_group_pixels : NULL, &p,
                           x, packed, with_bias ? bias : NULL, residual, relu, outs[v], work);
    }
    cna_f32_conv2d__scalar(&p, x, w, with_bias ? bias : NULL, want);
    size_t nans = 0;
    for (size_t i = 0; i < out; i++) {
      const float a = by_pixels[i], b = by_channels[i];
      ck_assert_msg(isnan(a) == isnan(b) && (isnan(a) || memcmp(&a, &b, sizeof a) == 0),
                    "case %zu output %zu: %g by channels, %g by pixels", t, i, (double)b,
                    (double)a);
      float expect = want[i] + (c[8] != 0 ? res[i] : 0.0f);
      if (relu && expect < 0.0f) expect = 0.0f;
      nans += isnan(expect);
      ck_assert_msg(isnan(expect) ? isnan(b) : fabsf(b - expect) <= tolerance(c[0] * k * k),
                    "case %zu output %zu: %g vs %g", t, i, (double)b, (double)expect);
    }
    ck_assert(nans > 0 && nans < out);
    free(x), free(w), free(bias), free(res), free(want), free(by_pixels), free(by_channels);
    free(packed), free(work);
  }
}
END_TEST

/* Global average pooling against the reference, bit for bit: channel
 * counts around the 8 a step takes (the rest on the reference), planes
 * shorter than a step and with tails of every length, values of mixed
 * magnitude (the order of the additions shows), NaN, infinities and
 * planes of negative zeros (whose mean is +0: the sum starts at 0). The
 * adaptive reference pooling to 1x1 gives the same bits too: adaptive
 * layers with a 1x1 output run this kernel (layers/pool2d.c). */
START_TEST(global_avg_pool_matches_the_reference) {
  const cna__kernels *kernels = cna__kernels_get();
  static const size_t shapes[][2] = {/* channels, plane */
                                     {8, 1},  {8, 7},   {9, 8},   {16, 49}, {17, 169},
                                     {1, 9},  {7, 100}, {24, 13}, {40, 3},  {1000, 169}};
  unsigned seed = 11;
  for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
    const size_t channels = shapes[t][0], plane = shapes[t][1], in = channels * plane;
    float *x = malloc(in * sizeof *x), *want = malloc(channels * sizeof *want);
    float *got = malloc(channels * sizeof *got);
    for (size_t i = 0; i < in; i++) x[i] = uniform(&seed) * (i % 3 == 0 ? 1e4f : 1.0f);
    for (size_t i = 0; i < plane; i++) x[i] = -0.0f; /* channel 0 */
    if (channels > 2) x[2 * plane + plane / 2] = NAN;
    if (channels > 4) x[4 * plane] = INFINITY;
    if (channels > 5) x[5 * plane + plane - 1] = -INFINITY;
    cna_f32_global_avg_pool__scalar(channels, plane, x, want);
    /* The plane as rows of a width that divides it (13x13, 7x7, ...). */
    size_t width = 1;
    for (size_t w = 2; w * w <= plane; w++)
      if (plane % w == 0) width = w;
    float *adaptive = malloc(channels * sizeof *adaptive);
    cna_f32_adaptive_avg_pool2d__scalar(channels, plane / width, width, 1, 1, x, adaptive);
    for (size_t c = 0; c < channels; c++)
      ck_assert_msg(isnan(want[c]) ? isnan(adaptive[c])
                                   : memcmp(&want[c], &adaptive[c], sizeof *want) == 0,
                    "shape %zu channel %zu: adaptive %a vs global %a", t, c, (double)adaptive[c],
                    (double)want[c]);
    free(adaptive);
    ck_assert(!signbit(want[0]) && want[0] == 0.0f);
    if (kernels->global_avg_pool != NULL) { /* the SIMD path, where there is one */
      kernels->global_avg_pool(channels, plane, x, got);
      for (size_t c = 0; c < channels; c++)
        ck_assert_msg(isnan(want[c]) ? isnan(got[c]) : memcmp(&want[c], &got[c], sizeof *got) == 0,
                      "shape %zu channel %zu: %a vs %a", t, c, (double)got[c], (double)want[c]);
    }
    free(x), free(want), free(got);
  }
}
END_TEST

/* Average pooling over 2x2 windows at stride 2 (DenseNet's transitions)
 * against the reference, bit for bit: widths that leave tails of every
 * length past the 8-output steps, an odd last row and column dropped,
 * NaN, infinities and negative zeros among the values. */
START_TEST(avg_pool_2x2_matches_the_reference) {
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->avg_pool2d_2x2s2 == NULL) return;
  static const size_t shapes[][3] = {/* channels, height, width */
                                     {3, 56, 56}, {2, 7, 15}, {1, 4, 16}, {2, 5, 17},
                                     {1, 2, 2},   {4, 9, 33}, {1, 3, 30}, {2, 14, 14}};
  unsigned seed = 5;
  for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
    const cna_pool2d_params p = {.channels = shapes[t][0], .in_height = shapes[t][1],
                                 .in_width = shapes[t][2], .out_height = shapes[t][1] / 2,
                                 .out_width = shapes[t][2] / 2, .kernel_h = 2, .kernel_w = 2,
                                 .stride_h = 2, .stride_w = 2};
    ck_assert(cna_f32_avg_pool2d_2x2s2(&p));
    const size_t in = p.channels * p.in_height * p.in_width;
    const size_t out = p.channels * p.out_height * p.out_width;
    float *x = malloc(in * sizeof *x), *want = malloc(out * sizeof *want);
    float *got = malloc(out * sizeof *got);
    for (size_t i = 0; i < in; i++) x[i] = uniform(&seed) * 3.0f;
    for (size_t i = 0; i < in; i += 7) x[i] = -0.0f;
    /* A window of negative zeros averages to +0: the sum starts at 0. */
    x[0] = x[1] = x[p.in_width] = x[p.in_width + 1] = -0.0f;
    x[in / 3] = NAN;
    x[in / 2] = INFINITY;
    if (in > 8) x[in - 5] = -INFINITY;
    cna_f32_avg_pool2d__scalar(&p, x, want);
    kernels->avg_pool2d_2x2s2(&p, x, got, NULL);
    for (size_t i = 0; i < out; i++)
      ck_assert_msg(isnan(want[i]) ? isnan(got[i]) : memcmp(&want[i], &got[i], sizeof *got) == 0,
                    "shape %zu output %zu: %g vs %g", t, i, (double)got[i], (double)want[i]);
    free(x), free(want), free(got);
  }
  /* Padding, other windows and strides, and ceil-mode partial windows
   * stay on the reference. */
  cna_pool2d_params q = {.channels = 1, .in_height = 8, .in_width = 8, .out_height = 4,
                         .out_width = 4, .kernel_h = 2, .kernel_w = 2, .stride_h = 2,
                         .stride_w = 2};
  q.pad_left = 1;
  ck_assert(!cna_f32_avg_pool2d_2x2s2(&q));
  q.pad_left = 0, q.kernel_w = 3;
  ck_assert(!cna_f32_avg_pool2d_2x2s2(&q));
  q.kernel_w = 2, q.in_width = 7; /* ceil mode: 4 outputs of 7 columns */
  ck_assert(!cna_f32_avg_pool2d_2x2s2(&q));
}
END_TEST

START_TEST(whole_nets_agree_with_the_scalar_path) {
  /* Needs each test in a process of its own (Check's default), so that the
   * scalar children run before this process chooses its kernels. */
  const char *no_fork = getenv("CK_FORK");
  if (no_fork != NULL && strcmp(no_fork, "no") == 0) return;
  static const char *const archs[] = {"lenet5", "resnet20", "nin", "squeezenet1_1",
                                      "preact_resnet18", "alexnet_2012_grouped", "googlenet",
                                      "resnet18", "densenet121", "resnext50_32x4d"};
  enum { ALL = sizeof archs / sizeof archs[0] };
  /* Under emulation the last two, the slowest, stay out: ResNeXt's 32 groups
   * and DenseNet's concatenations are in the convolution table above and
   * in squeezenet1_1 / googlenet. */
  const size_t count = cna_test_emulated() ? ALL - 2 : ALL;
  float *want[ALL];
  size_t sizes[ALL];
  for (size_t a = 0; a < count; a++) {
    want[a] = cna_test_scalar_run(archs[a], NULL, 0, &sizes[a]);
    ck_assert_msg(want[a] != NULL, "the scalar run of %s failed", archs[a]);
  }
  for (size_t a = 0; a < count; a++) {
    cna_net *net;
    ck_assert_ok(cna_net_create_arch(archs[a], NULL, &net));
    size_t shape[3], out;
    ck_assert_ok(cna_net_input_shape(net, shape));
    ck_assert_ok(cna_net_output_size(net, &out));
    ck_assert_uint_eq(out, sizes[a]);
    float *x = cna_test_net_input(shape[0] * shape[1] * shape[2]), *y = malloc(out * sizeof *y);
    ck_assert_ok(cna_net_forward(net, x, 1, y));
    float largest = 0, error = 0;
    for (size_t i = 0; i < out; i++) {
      if (fabsf(want[a][i]) > largest) largest = fabsf(want[a][i]);
      if (fabsf(y[i] - want[a][i]) > error) error = fabsf(y[i] - want[a][i]);
    }
    ck_assert_msg(error <= 1e-4f * largest, "%s on %s: error %g of largest %g", archs[a],
                  cna_isa(), (double)error, (double)largest);
    free(x), free(y), free(want[a]);
    cna_net_destroy(net);
  }
}
END_TEST


/* ------------------------------------------------- prologue (BN before) */

/* The builder's net on `threads` threads, its batch norms ("n...") given
 * statistics that are not the identity. */
static cna_net *build_with_threads(const cna_builder *b, int threads) {
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_threads(opts, threads));
  ck_assert_ok(cna_builder_build(b, opts, &net));
  cna_options_destroy(opts);
  cna_test_set_batch_norms(net, "n");
  return net;
}

START_TEST(batch_norm_prologue_matches_the_unfused_layers) {
  /* A batch norm (and ReLU) that alone feeds a pointwise convolution is
   * applied as the convolution packs its input (graph/plan.c): the same
   * float operations as the layers', so the output is bit-identical to a
   * plan that keeps those layers (a feature plan). n1+r1 -> c1 and n2 -> c2
   * (2 groups of 40, on the GEMM) fuse; n3+r3 -> c3 (3x3, padded) must not: its padding has to
   * stay zero. The concatenation before n4 is read in place by c4, whose
   * second group starts inside its first part, and cat2 by c5 (no batch
   * norm between them). */
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 24, 10, 11));
  ck_assert_ok(cna_builder_batch_norm(b, "n1", "x", 1e-5f));
  ck_assert_ok(cna_builder_relu(b, "r1", NULL));
  ck_assert_ok(cna_builder_conv2d(b, "c1", NULL, 80, 1, 1, 0, 1));
  ck_assert_ok(cna_builder_batch_norm(b, "n2", "x", 1e-3f));
  ck_assert_ok(cna_builder_conv2d_ex(b, "c2", NULL, 80, 1, 1, 1, 1, 0, 0, 1, 1, 2, 0));
  ck_assert_ok(cna_builder_add(b, "sum", "c1", "c2"));
  ck_assert_ok(cna_builder_batch_norm(b, "n3", "x", 1e-5f));
  ck_assert_ok(cna_builder_relu(b, "r3", NULL));
  ck_assert_ok(cna_builder_conv2d(b, "c3", NULL, 20, 3, 1, 1, 1));
  const char *cat_parts[] = {"x", "c3"};
  ck_assert_ok(cna_builder_concat(b, "cat", cat_parts, 2));
  ck_assert_ok(cna_builder_batch_norm(b, "n4", NULL, 1e-5f));
  ck_assert_ok(cna_builder_relu(b, "r4", NULL));
  ck_assert_ok(cna_builder_conv2d_ex(b, "c4", NULL, 80, 1, 1, 1, 1, 0, 0, 1, 1, 2, 1));
  const char *cat2_parts[] = {"c1", "x"};
  ck_assert_ok(cna_builder_concat(b, "cat2", cat2_parts, 2));
  ck_assert_ok(cna_builder_conv2d(b, "c5", NULL, 16, 1, 1, 0, 1));
  const char *parts[] = {"sum", "c4", "c5"};
  ck_assert_ok(cna_builder_concat(b, "out", parts, 3));
  for (int threads = 1; threads <= 2; threads++) {
    cna_net *net = build_with_threads(b, threads);
    const size_t in = 24 * 10 * 11, out = 176 * 10 * 11;
    float *x = cna_test_net_input(2 * in), *y = malloc(2 * out * sizeof *y);
    float *want = malloc(2 * out * sizeof *want), *keep[3];
    float *keep_cat2 = malloc(2 * 104 * 10 * 11 * sizeof(float));
    for (int k = 0; k < 3; k++) keep[k] = malloc(2 * 44 * 10 * 11 * sizeof(float));
    x[5] = NAN; /* through the prologue's ReLU as through the layer's */
    ck_assert_ok(cna_net_forward(net, x, 2, y));
    /* Which steps the forward plan fused: on the scalar path, none. */
    const cna__graph *g = &net->graph;
    size_t n1, r1, c1, n2, c2, n3, c3, cat, c4, cat2, c5;
    ck_assert(cna__graph_find(g, "n1", &n1) && cna__graph_find(g, "r1", &r1) &&
              cna__graph_find(g, "c1", &c1) && cna__graph_find(g, "n2", &n2) &&
              cna__graph_find(g, "c2", &c2) && cna__graph_find(g, "n3", &n3) &&
              cna__graph_find(g, "c3", &c3) && cna__graph_find(g, "cat", &cat) &&
              cna__graph_find(g, "c4", &c4) && cna__graph_find(g, "cat2", &cat2) &&
              cna__graph_find(g, "c5", &c5));
    const size_t *step_of = net->plan->step_of;
    const int fast = cna__kernels_get()->gemm_ukernel.fn != NULL;
    ck_assert_int_eq(step_of[n1] == step_of[c1], fast);
    ck_assert_int_eq(step_of[r1] == CNA__NOWHERE, fast);
    ck_assert_int_eq(step_of[n2] == step_of[c2], fast);
    ck_assert(step_of[n3] != step_of[c3]);
    ck_assert_int_eq(step_of[cat] == CNA__NOWHERE, fast);
    ck_assert_int_eq(net->plan->steps[step_of[c4]].source == cat, fast);
    ck_assert_int_eq(step_of[cat2] == CNA__NOWHERE, fast);
    ck_assert_int_eq(net->plan->steps[step_of[c5]].source == cat2, fast);
    /* Keeping the batch norms' outputs keeps them out of the convolutions. */
    const char *names[] = {"r1", "n2", "r4", "cat2", "out"};
    float *outputs[] = {keep[0], keep[1], keep[2], keep_cat2, want};
    ck_assert_ok(cna_net_forward_features(net, x, 2, names, 5, outputs));
    ck_assert(isnan(keep[0][5]));
    ck_assert_mem_eq(y, want, 2 * out * sizeof *y);
    /* A batch-norm tensor set later reaches the fused step. */
    size_t index;
    ck_assert_ok(cna_net_find_tensor(net, "n1.bias", &index));
    float bias[24];
    for (int c = 0; c < 24; c++) bias[c] = (float)(c % 3) - 1.0f;
    ck_assert_ok(cna_net_set_tensor(net, index, bias, 24));
    ck_assert_ok(cna_net_forward(net, x, 2, y));
    ck_assert_ok(cna_net_forward_features(net, x, 2, names, 5, outputs));
    ck_assert_mem_eq(y, want, 2 * out * sizeof *y);
    free(x), free(y), free(want), free(keep_cat2);
    for (int k = 0; k < 3; k++) free(keep[k]);
    cna_net_destroy(net);
  }
  cna_builder_destroy(b);
}
END_TEST

/* A concatenation whose parts only it reads is never copied: each part's
 * step writes its channels of it (graph/plan.c), on every convolution path
 * (Winograd, the grouped direct kernel, the GEMM with a fused residual or
 * batch norm, a pointwise convolution after a pooling branch), at a batch
 * of 3, where each image's part lies a whole concatenation after the
 * last. The output must be bit-identical to a feature plan's, which keeps
 * the parts and copies them as the concat layer does. */
START_TEST(concat_written_in_place_by_its_producers) {
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 16, 13, 12));
  ck_assert_ok(cna_builder_conv2d(b, "wino", "x", 20, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_conv2d_ex(b, "grouped", "x", 16, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1));
  ck_assert_ok(cna_builder_conv2d(b, "c1", "x", 16, 1, 1, 0, 1));
  ck_assert_ok(cna_builder_add(b, "sum", "c1", "x"));
  ck_assert_ok(cna_builder_relu(b, "sum_relu", NULL));
  ck_assert_ok(cna_builder_conv2d(b, "c2", "x", 8, 1, 1, 0, 0));
  ck_assert_ok(cna_builder_batch_norm(b, "n2", NULL, 1e-5f));
  ck_assert_ok(cna_builder_relu(b, "n2_relu", NULL));
  ck_assert_ok(cna_builder_max_pool2d(b, "pool", "x", 3, 1, 1, 0));
  ck_assert_ok(cna_builder_conv2d(b, "c3", NULL, 8, 1, 1, 0, 1));
  const char *parts[] = {"wino", "grouped", "sum_relu", "n2_relu", "c3"};
  ck_assert_ok(cna_builder_concat(b, "cat", parts, 5));
  ck_assert_ok(cna_builder_max_pool2d(b, "out", NULL, 2, 2, 0, 0));
  for (int threads = 1; threads <= 2; threads++) {
    cna_net *net = build_with_threads(b, threads);
    const size_t in = 16 * 13 * 12, out = 68 * 6 * 6;
    float *x = cna_test_net_input(3 * in), *y = malloc(3 * out * sizeof *y);
    float *want = malloc(3 * out * sizeof *want), *kept[5];
    static const size_t channels[5] = {20, 16, 16, 8, 8};
    for (int k = 0; k < 5; k++) kept[k] = malloc(3 * channels[k] * 13 * 12 * sizeof(float));
    ck_assert_ok(cna_net_forward(net, x, 3, y));
    const cna__graph *g = &net->graph;
    const int fast = cna__kernels_get()->gemm_ukernel.fn != NULL;
    size_t cat, layer;
    ck_assert(cna__graph_find(g, "cat", &cat));
    ck_assert_int_eq(net->plan->step_of[cat] == CNA__NOWHERE, fast);
    size_t offset = 0;
    for (int k = 0; k < 5; k++) {
      ck_assert(cna__graph_find(g, parts[k], &layer));
      size_t producers = 0;
      for (size_t s = 0; s < net->plan->num_steps; s++)
        if (net->plan->steps[s].out == layer) {
          producers++;
          ck_assert_uint_eq(net->plan->steps[s].into, fast ? cat : CNA__NOWHERE);
          if (fast) ck_assert_uint_eq(net->plan->steps[s].into_offset, offset);
        }
      ck_assert_uint_eq(producers, 1); /* each part is one step's output */
      offset += channels[k] * 13 * 12;
    }
    const char *names[] = {"wino", "grouped", "sum_relu", "n2_relu", "c3", "out"};
    float *outputs[] = {kept[0], kept[1], kept[2], kept[3], kept[4], want};
    ck_assert_ok(cna_net_forward_features(net, x, 3, names, 6, outputs));
    ck_assert_mem_eq(y, want, 3 * out * sizeof *y);
    free(x), free(y), free(want);
    for (int k = 0; k < 5; k++) free(kept[k]);
    cna_net_destroy(net);
  }
  cna_builder_destroy(b);
}
END_TEST

/* ------------------------------------------------------------ packed GEMM */

/* C = A * B + bias, + residual, ReLU'd: the reference of the packed path's
 * epilogue, through the scalar GEMM. */
static void reference_epilogue(size_t m, size_t n, size_t k, const float *a, const float *b,
                               const cna_gemm_epilogue *ep, float *c) {
  cna_f32_gemm__scalar(m, n, k, a, k, b, n, ep->bias, c, n);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      float v = c[i * n + j];
      if (ep->residual != NULL) v += ep->residual[i * ep->ld_residual + j];
      if (ep->relu) v = v < 0.0f ? 0.0f : v;
      c[i * n + j] = v;
    }
}

/* The machine's blocking made multiples of this kernel's tile (it was
 * chosen for the dispatched kernel), or, on the scalar path, which has
 * none, a typical one. */
static cna_gemm_blocking blocking_for_kernel(const cna_gemm_ukernel *uk) {
  const cna_gemm_blocking *machine = &cna__kernels_get()->gemm_blocking;
  if (machine->kc == 0) return (cna_gemm_blocking){256, 64 * uk->nr};
  return (cna_gemm_blocking){machine->kc, (machine->nc + uk->nr - 1) / uk->nr * uk->nr};
}

/* Every micro-kernel this CPU can run (not only the dispatched one: an
 * AVX-512 machine also checks the AVX2 kernel), then the dispatched one
 * with the machine's blocking. */
static size_t ukernels_to_test(cna_gemm_ukernel *out, size_t capacity) {
  const size_t count = cna__gemm_ukernels_available(out, capacity);
  return count < capacity ? count : capacity;
}

static void check_packed_gemm(const cna_gemm_ukernel *uk, const char *name);

/* k in as few blocks as the blocking's kc allows, of one length (a
 * multiple of 8 where kc is), the last no sliver. */
START_TEST(gemm_depth_splits_into_even_blocks) {
  static const size_t limits[] = {336, 256, 512, 8, 20, 1};
  for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
    const cna_gemm_blocking bl = {limits[l], 96};
    for (size_t k = 1; k <= 5000; k++) {
      const size_t kc = cna_f32_gemm_kc(&bl, k), fewest = (k + bl.kc - 1) / bl.kc;
      ck_assert_uint_le(kc, k < bl.kc ? k : bl.kc);
      ck_assert_uint_ge(kc, 1);
      const size_t blocks = (k + kc - 1) / kc, last = k - (blocks - 1) * kc;
      ck_assert_msg(blocks == fewest, "kc limit %zu, k %zu: %zu blocks of %zu", bl.kc, k, blocks,
                    kc);
      if (blocks > 1 && bl.kc % 8 == 0) {
        ck_assert_uint_eq(kc % 8, 0);
        ck_assert_msg(last + 8 * (blocks - 1) >= k / blocks,
                      "kc limit %zu, k %zu: blocks of %zu end in a sliver of %zu", bl.kc, k, kc,
                      last);
      }
    }
  }
  /* ResNet-50's depths at the 32 KB L1's limit, 336: no pass of 16 or 32. */
  const cna_gemm_blocking l1 = {336, 96};
  ck_assert_uint_eq(cna_f32_gemm_kc(&l1, 1024), 256);
  ck_assert_uint_eq(cna_f32_gemm_kc(&l1, 2048), 296);
  ck_assert_uint_eq(cna_f32_gemm_kc(&l1, 576), 288);
  ck_assert_uint_eq(cna_f32_gemm_kc(&l1, 336), 336);
  ck_assert_uint_eq(cna_f32_gemm_kc(&l1, 64), 64);
}
END_TEST

START_TEST(packed_gemm_matches_scalar) {
  const cna__kernels *kernels = cna__kernels_get();
  cna_gemm_ukernel all[8];
  const size_t count = ukernels_to_test(all, 8);
  for (size_t i = 0; i < count; i++) check_packed_gemm(&all[i], "available");
  if (kernels->gemm_ukernel.fn != NULL) check_packed_gemm(&kernels->gemm_ukernel, kernels->isa);
  /* Winograd's own kernel where it is not the GEMM's (AVX2 and AVX-512
   * share theirs; NEON has a 4x16 one). */
  if (kernels->winograd_ukernel.fn != NULL &&
      kernels->winograd_ukernel.fn != kernels->gemm_ukernel.fn)
    check_packed_gemm(&kernels->winograd_ukernel, "winograd");
}
END_TEST

/* B as the parts of a concatenation (a pointwise convolution reading one
 * in place, SqueezeNet's): packed from where the parts lie, it must give
 * the bits of B copied into one matrix, whatever the blocking (parts that
 * end inside a block of k, blocks that end inside a part), from the
 * second image, for a group that starts inside the first part (row0). */
START_TEST(packed_gemm_reads_concatenation_parts) {
  const cna__kernels *kernels = cna__kernels_get();
  const cna_gemm_ukernel *uk = &kernels->gemm_ukernel;
  if (uk->fn == NULL) return;
  static const size_t rows[] = {7, 1, 40, 300, 13};
  enum { PARTS = 5, ROW0 = 3, M = 29, N = 75, IMAGES = 2 };
  size_t k = 0;
  for (size_t p = 0; p < PARTS; p++) k += rows[p];
  k -= ROW0;
  unsigned seed = 23;
  float *parts[PARTS];
  for (size_t p = 0; p < PARTS; p++) {
    parts[p] = malloc(IMAGES * rows[p] * N * sizeof(float));
    for (size_t i = 0; i < IMAGES * rows[p] * N; i++) parts[p][i] = uniform(&seed);
  }
  /* The second image's rows ROW0.. of the concatenation, as one matrix. */
  float *b = malloc(k * N * sizeof *b), *a = malloc(M * k * sizeof *a);
  for (size_t p = 0, row = 0; p < PARTS; p++)
    for (size_t r = 0; r < rows[p]; r++, row++)
      if (row >= ROW0)
        memcpy(b + (row - ROW0) * N, parts[p] + (rows[p] + r) * N, N * sizeof(float));
  for (size_t i = 0; i < M * k; i++) a[i] = uniform(&seed);
  float bias[M], *res = malloc(M * N * sizeof *res);
  for (size_t i = 0; i < M; i++) bias[i] = uniform(&seed);
  for (size_t i = 0; i < M * N; i++) res[i] = uniform(&seed);
  const cna_gemm_b_source whole = {.data = b, .ld = N};
  const cna_gemm_b_source split = {.ld = N, .parts = (const float *const *)parts,
                                   .part_rows = rows, .num_parts = PARTS, .image = 1,
                                   .row0 = ROW0};
  const cna_gemm_blocking blockings[] = {kernels->gemm_blocking, {8, 2 * uk->nr},
                                         {64, 4 * uk->nr}};
  const cna_gemm_epilogue ep = {bias, res, N, 1};
  float *packed = malloc(cna_f32_gemm_packed_a_size(M, k, uk->mr) * sizeof *packed);
  float *want = malloc(M * N * sizeof *want), *got = malloc(M * N * sizeof *got);
  for (size_t bl = 0; bl < 3; bl++) {
    cna_f32_gemm_pack_a(M, k, a, k, NULL, uk->mr, cna_f32_gemm_kc(&blockings[bl], k), packed);
    float *work = malloc(cna_f32_gemm_workspace_size(uk, &blockings[bl], k, N) * sizeof *work);
    cna_f32_gemm_blocked(uk, &blockings[bl], M, 0, M, 0, N, k, packed, &whole, &ep, want, N, work);
    cna_f32_gemm_blocked(uk, &blockings[bl], M, 0, M, 0, N, k, packed, &split, &ep, got, N, work);
    ck_assert_msg(memcmp(want, got, M * N * sizeof *got) == 0, "blocking %zu: parts differ", bl);
    free(work);
  }
  reference_epilogue(M, N, k, a, b, &ep, want);
  for (size_t i = 0; i < M * N; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= tolerance(k) * 2.0f, "output %zu: %g vs %g", i,
                  (double)got[i], (double)want[i]);
  for (size_t p = 0; p < PARTS; p++) free(parts[p]);
  free(b), free(a), free(res), free(packed), free(want), free(got);
}
END_TEST

static void check_packed_gemm(const cna_gemm_ukernel *uk, const char *name) {
  static const size_t shapes[][3] = {
      {1, 1, 1},    {6, 16, 1},   {6, 16, 7},   {7, 17, 3},    {5, 15, 2},   {13, 31, 29},
      {12, 32, 64}, {64, 49, 577}, {3, 257, 5}, {11, 300, 37}, {96, 196, 27}, {37, 1, 11},
      {130, 70, 1030}, {8, 12, 1}, {8, 12, 9}, {16, 24, 4}, {9, 13, 2},
      /* right-edge tiles of 1 to 4 columns, or 16 plus 1 to 4 */
      {13, 51, 300}, {5, 34, 9}, {25, 3, 260}, {4, 20, 17}, {9, 98, 33}};
  /* The machine's blocking for this kernel, a tiny one that splits every
   * dimension into several blocks (k into blocks of 8...), and one whose
   * kc is no multiple of 8 (k split into blocks of 16 or of 20). */
  const cna_gemm_blocking blockings[] = {
      blocking_for_kernel(uk), {8, uk->nr * 2}, {20, uk->nr * 3}};
  unsigned seed = 17;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
    float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
    float *bias = malloc(m * sizeof *bias), *res = malloc(m * (n + 3) * sizeof *res);
    float *want = malloc(m * n * sizeof *want), *got = malloc(m * (n + 2) * sizeof *got);
    float *split = malloc(m * (n + 2) * sizeof *split);
    float *packed = malloc(cna_f32_gemm_packed_a_size(m, k, uk->mr) * sizeof *packed);
    for (size_t i = 0; i < m * k; i++) a[i] = uniform(&seed);
    for (size_t i = 0; i < k * n; i++) b[i] = uniform(&seed);
    for (size_t i = 0; i < m; i++) bias[i] = uniform(&seed);
    for (size_t i = 0; i < m * (n + 3); i++) res[i] = uniform(&seed);
    const cna_gemm_b_source src = {.data = b, .ld = n};
    for (size_t bl = 0; bl < 3; bl++) {
      cna_f32_gemm_pack_a(m, k, a, k, NULL, uk->mr, cna_f32_gemm_kc(&blockings[bl], k), packed);
      float *work = malloc(cna_f32_gemm_workspace_size(uk, &blockings[bl], k, n) * sizeof *work);
      for (int variant = 0; variant < 4; variant++) {
        const cna_gemm_epilogue ep = {variant & 1 ? bias : NULL, variant & 2 ? res : NULL, n + 3,
                                      variant == 3};
        reference_epilogue(m, n, k, a, b, &ep, want);
        for (size_t i = 0; i < m * (n + 2); i++) got[i] = split[i] = 12345.0f;
        cna_f32_gemm_blocked(uk, &blockings[bl], m, 0, m, 0, n, k, packed, &src, &ep, got, n + 2,
                             work);
        /* The same product in four ranges (as threads split it): the same bits. */
        const size_t mh = m / 2 / uk->mr * uk->mr, nh = n / 3;
        cna_f32_gemm_blocked(uk, &blockings[bl], m, 0, mh, 0, nh, k, packed, &src, &ep, split,
                             n + 2, work);
        cna_f32_gemm_blocked(uk, &blockings[bl], m, 0, mh, nh, n, k, packed, &src, &ep, split,
                             n + 2, work);
        cna_f32_gemm_blocked(uk, &blockings[bl], m, mh, m, 0, nh, k, packed, &src, &ep, split,
                             n + 2, work);
        cna_f32_gemm_blocked(uk, &blockings[bl], m, mh, m, nh, n, k, packed, &src, &ep, split,
                             n + 2, work);
        for (size_t i = 0; i < m; i++)
          for (size_t j = 0; j < n + 2; j++) {
            const float g = got[i * (n + 2) + j];
            ck_assert_msg(memcmp(&g, &split[i * (n + 2) + j], sizeof g) == 0,
                          "%zux%zux%zu: splitting changed (%zu,%zu)", m, n, k, i, j);
            if (j >= n) {
              ck_assert_msg(g == 12345.0f, "%zux%zux%zu: wrote past column %zu", m, n, k, n);
              continue;
            }
            const float w = want[i * n + j];
            ck_assert_msg(fabsf(g - w) <= tolerance(k) * 2.0f,
                          "%s %zux%zu packed gemm %zux%zux%zu blocking %zu variant %d at "
                          "(%zu,%zu): %g vs %g",
                          name, uk->mr, uk->nr, m, n, k, bl, variant, i, j, (double)g, (double)w);
          }
      }
      free(work);
    }
    free(a), free(b), free(bias), free(res), free(want), free(got), free(split), free(packed);
  }
}

static void check_nan_and_inf(const cna_gemm_ukernel *uk);

START_TEST(packed_gemm_propagates_nan_and_inf) {
  const cna__kernels *kernels = cna__kernels_get();
  cna_gemm_ukernel all[8];
  const size_t count = ukernels_to_test(all, 8);
  for (size_t i = 0; i < count; i++) check_nan_and_inf(&all[i]);
  if (kernels->gemm_ukernel.fn != NULL) check_nan_and_inf(&kernels->gemm_ukernel);
}
END_TEST

static void check_nan_and_inf(const cna_gemm_ukernel *uk) {
  /* 9 x 19: full tiles and both edges for 6x16 and 8x12 alike. NaN in A's
   * row 2 (a tile body), row 6 (AVX2's edge, NEON's body) and row 8 (the
   * edge), +Inf in B's column 17 (the tail) and column 3 (the body); ReLU
   * must keep NaN (PyTorch does) and turn -Inf into 0. */
  enum { M = 9, N = 19, K = 3 };
  float a[M * K], b[K * N], c[M * N], packed[256];
  for (int i = 0; i < M * K; i++) a[i] = 0.5f;
  for (int i = 0; i < K * N; i++) b[i] = 0.25f;
  a[6 * K + 1] = NAN;
  a[2 * K] = NAN;
  a[8 * K + 2] = NAN;
  a[4 * K + 2] = -1.0f; /* row 4 times +Inf: -Inf */
  b[1 * N + 17] = INFINITY;
  b[2 * N + 3] = INFINITY;
  ck_assert_uint_le(cna_f32_gemm_packed_a_size(M, K, uk->mr), sizeof packed / sizeof packed[0]);
  const cna_gemm_blocking blocking = blocking_for_kernel(uk);
  cna_f32_gemm_pack_a(M, K, a, K, NULL, uk->mr, cna_f32_gemm_kc(&blocking, K), packed);
  const cna_gemm_b_source src = {.data = b, .ld = N};
  float *work = malloc(cna_f32_gemm_workspace_size(uk, &blocking, K, N) * sizeof *work);
  for (int relu = 0; relu < 2; relu++) {
    const cna_gemm_epilogue ep = {.relu = relu};
    cna_f32_gemm_blocked(uk, &blocking, M, 0, M, 0, N, K, packed, &src, &ep, c, N,
                         work);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        const float v = c[i * N + j];
        if (i == 2 || i == 6 || i == 8)
          ck_assert_msg(isnan(v), "(%d,%d): %g, not NaN", i, j, (double)v);
        else if (i == 4 && j == 3)
          ck_assert_msg(relu ? v == 0.0f : v == -INFINITY, "(%d,%d): %g", i, j, (double)v);
        else if (j == 17 || j == 3)
          ck_assert_msg(v == INFINITY, "(%d,%d): %g, not +Inf", i, j, (double)v);
        else /* row 4 sums 0.125 + 0.125 - 0.25 */
          ck_assert_msg(fabsf(v - (i == 4 ? 0.0f : 0.375f)) < 1e-6f, "(%d,%d): %g", i, j,
                        (double)v);
      }
  }
  free(work);
}

/* The packed blocks of B read from a convolution's input hold exactly the
 * unfolded matrix's values, for every geometry and block position. */
/* Winograd's two tile sizes: F(4x4, 3x3) and F(6x6, 3x3), their portable
 * transforms and the dispatched ones (NULL: this path has none). */
typedef struct winograd_variant {
  size_t tile, products;
  void (*weights)(size_t, size_t, const float *, const float *, float *);
  cna_winograd_input_fn input, fast_input;
  cna_winograd_output_fn output, fast_output;
  size_t (*scratch)(size_t tiles_w, size_t count);
} winograd_variant;

static winograd_variant winograd_variant_of(int which) {
  const cna__kernels *k = cna__kernels_get();
  if (which == 0)
    return (winograd_variant){4, 36, cna_f32_winograd43_weights, cna_f32_winograd43_input,
                              k->winograd_input, cna_f32_winograd43_output, k->winograd_output,
                              cna_f32_winograd43_input_scratch};
  return (winograd_variant){6, 64, cna_f32_winograd63_weights, cna_f32_winograd63_input,
                            k->winograd63_input, cna_f32_winograd63_output, k->winograd63_output,
                            cna_f32_winograd63_input_scratch};
}

/* The dispatched Winograd transforms against the portable ones, bit for
 * bit (the same operations in the same order), for both tile sizes: runs
 * of tiles that start and end mid-row, partial edge tiles, padding 0..2,
 * bias, residual (also in place, as the plan runs it), ReLU, NaN and Inf. */
START_TEST(winograd_transforms_match_portable) {
  const cna__kernels *kernels = cna__kernels_get();
  static const size_t cases[][6] = {
      /* channels in_h in_w pad t0 count */
      {3, 12, 12, 1, 0, 9},   {2, 15, 17, 0, 1, 12}, {5, 18, 18, 2, 3, 20},
      {1, 56, 56, 1, 13, 48}, {4, 7, 30, 1, 5, 16},  {2, 9, 9, 1, 0, 1},
      {2, 6, 5, 1, 0, 4}, /* rows narrower than a vector */
      {3, 40, 38, 0, 2, 33},
  };
  unsigned seed = 41;
  for (int which = 0; which < 2; which++) {
    const winograd_variant wv = winograd_variant_of(which);
    if (wv.fast_input == NULL) continue;
    const size_t np = wv.products;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
      const size_t *c = cases[t];
      const size_t ch = c[0], h = c[1], w = c[2], pad = c[3], t0 = c[4];
      const size_t oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
      const size_t tiles_w = (ow + wv.tile - 1) / wv.tile;
      const size_t all = tiles_w * ((oh + wv.tile - 1) / wv.tile);
      if (t0 >= all) continue;
      const size_t count = c[5] < all - t0 ? c[5] : all - t0;
      const size_t panels = (count + 15) / 16, ld = panels * 16;
      float *x = malloc(ch * h * w * sizeof *x);
      for (size_t i = 0; i < ch * h * w; i++) x[i] = uniform(&seed);
      x[0] = NAN, x[ch * h * w - 1] = INFINITY;
      const size_t scratch_n = wv.scratch(tiles_w, count);
      float *s1 = malloc(scratch_n * sizeof *s1), *s2 = malloc(scratch_n * sizeof *s2);
      /* Panels of 16 lanes (AVX2, NEON) and of 32 (AVX-512): the
       * dispatched transform against the portable one, and each value
       * where the panels of 16 have it (v16, the portable transform's).
       * The products an odd number of 64-byte lines apart (no shared L1
       * set), no closer than their size. */
      const size_t stride16 = cna_winograd_stride(ch, ld);
      ck_assert(stride16 >= ch * ld && stride16 % 16 == 0 && stride16 / 16 % 2 == 1);
      float *v16 = calloc(np * stride16, sizeof *v16);
      wv.input(x, ch, h, w, pad, pad, tiles_w, t0, count, 16, v16, s1);
      for (size_t lanes = 16; lanes <= 32; lanes += 16) {
        const size_t vld = (count + lanes - 1) / lanes * lanes;
        const size_t stride = cna_winograd_stride(ch, vld), vn = np * stride;
        float *v1 = calloc(vn, sizeof *v1), *v2 = calloc(vn, sizeof *v2);
        wv.input(x, ch, h, w, pad, pad, tiles_w, t0, count, lanes, v1, s1);
        wv.fast_input(x, ch, h, w, pad, pad, tiles_w, t0, count, lanes, v2, s2);
        /* Columns past count hold whatever: compare the live ones. */
        for (size_t xi = 0; xi < np; xi++)
          for (size_t p = 0; p < panels; p++)
            for (size_t k = 0; k < ch; k++)
              for (size_t l = 0; l < 16 && p * 16 + l < count; l++) {
                const size_t i = xi * stride + cna_winograd_v_offset(p, k, ch, lanes) + l;
                const size_t i16 = xi * stride16 + (p * ch + k) * 16 + l;
                ck_assert_msg(memcmp(&v1[i], &v2[i], sizeof v1[i]) == 0,
                              "%s F(%zu) input transform, %zu lanes, case %zu: %g vs %g",
                              kernels->isa, wv.tile, lanes, t, (double)v1[i], (double)v2[i]);
                ck_assert_msg(memcmp(&v1[i], &v16[i16], sizeof v1[i]) == 0,
                              "F(%zu) input transform, %zu lanes, case %zu: (%zu,%zu,%zu,%zu) "
                              "moved", wv.tile, lanes, t, xi, p, k, l);
              }
        free(v1), free(v2);
      }
      free(v16);
      /* Output: M with out = ch channels, [xi][o][ld]. */
      const size_t mn = np * cna_winograd_stride(ch, ld), plane = oh * ow;
      float *m = malloc(mn * sizeof *m), bias[8];
      for (size_t i = 0; i < mn; i++) m[i] = uniform(&seed);
      m[5] = NAN, m[mn - 1] = -INFINITY;
      for (size_t i = 0; i < ch; i++) bias[i] = uniform(&seed);
      float *res = malloc(ch * plane * sizeof *res), *y1 = malloc(ch * plane * sizeof *y1);
      float *y2 = malloc(ch * plane * sizeof *y2);
      for (size_t i = 0; i < ch * plane; i++) res[i] = uniform(&seed);
      res[1] = -0.0f; /* ReLU keeps a sum of -0 as -0 on every path */
      for (int variant = 0; variant < 6; variant++) {
        /* residual: none, separate, in place (the output's own values) */
        const int relu = variant & 1, residual = variant / 2;
        for (size_t i = 0; i < ch * plane; i++) y1[i] = y2[i] = residual == 2 ? res[i] : 777.0f;
        wv.output(m, ch, ld, t0, count, tiles_w, oh, ow, bias,
                  residual == 0 ? NULL : residual == 1 ? res : y1, relu, y1);
        wv.fast_output(m, ch, ld, t0, count, tiles_w, oh, ow, bias,
                       residual == 0 ? NULL : residual == 1 ? res : y2, relu, y2);
        ck_assert_msg(memcmp(y1, y2, ch * plane * sizeof *y1) == 0,
                      "%s F(%zu) output transform, case %zu variant %d differs", kernels->isa,
                      wv.tile, t, variant);
      }
      free(x), free(s1), free(s2), free(m), free(res), free(y1), free(y2);
    }
  }
}
END_TEST

/* The portable transforms of both tile sizes around plain matrix products
 * compute the convolution: against the scalar reference over partial
 * tiles, padding 0..2 and a run of tiles that starts mid-row, within the
 * tolerance of a reduction over 9 x channels (F(6x6, 3x3)'s constants
 * lose more precision: the bound is 4x F(4x4, 3x3)'s). */
START_TEST(winograd_computes_the_convolution) {
  static const size_t cases[][4] = {
      /* channels in_h in_w pad */
      {16, 12, 12, 1}, {5, 17, 15, 0}, {24, 20, 26, 2}, {64, 14, 14, 1},
  };
  unsigned seed = 77;
  for (int which = 0; which < 2; which++) {
    const winograd_variant wv = winograd_variant_of(which);
    const size_t np = wv.products;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
      const size_t ch = cases[t][0], h = cases[t][1], w = cases[t][2], pad = cases[t][3];
      const size_t out_c = ch + 3, oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
      const size_t tiles_w = (ow + wv.tile - 1) / wv.tile;
      const size_t tiles = tiles_w * ((oh + wv.tile - 1) / wv.tile), ld = (tiles + 15) / 16 * 16;
      float *x = malloc(ch * h * w * sizeof *x), *wt = malloc(out_c * ch * 9 * sizeof *wt);
      float *bias = malloc(out_c * sizeof *bias), *scale = malloc(out_c * sizeof *scale);
      for (size_t i = 0; i < ch * h * w; i++) x[i] = uniform(&seed);
      for (size_t i = 0; i < out_c * ch * 9; i++) wt[i] = uniform(&seed);
      for (size_t i = 0; i < out_c; i++) bias[i] = uniform(&seed), scale[i] = 0.5f + uniform(&seed);
      float *u = malloc(np * out_c * ch * sizeof *u);
      const size_t vs = cna_winograd_stride(ch, ld), ms = cna_winograd_stride(out_c, ld);
      float *v = calloc(np * vs, sizeof *v), *m = calloc(np * ms, sizeof *m);
      float *scratch = malloc(wv.scratch(tiles_w, tiles) * sizeof *scratch);
      const size_t out_n = out_c * oh * ow;
      float *y = malloc(out_n * sizeof *y), *want = malloc(out_n * sizeof *want);
      wv.weights(out_c, ch, wt, scale, u);
      /* All tiles in two runs, the second starting mid-row. */
      const size_t split = tiles_w + 1 < tiles ? tiles_w + 1 : tiles;
      for (int run = 0; run < 2; run++) {
        const size_t t0 = run == 0 ? 0 : split, count = run == 0 ? split : tiles - split;
        if (count == 0) continue;
        const size_t cld = (count + 15) / 16 * 16;
        const size_t cvs = cna_winograd_stride(ch, cld), cms = cna_winograd_stride(out_c, cld);
        wv.input(x, ch, h, w, pad, pad, tiles_w, t0, count, 16, v, scratch);
        /* M[xi] = U[xi] V[xi]; V in panels of 16: [xi][panel][c][16]. */
        for (size_t xi = 0; xi < np; xi++)
          for (size_t o = 0; o < out_c; o++)
            for (size_t j = 0; j < cld; j++) {
              double sum = 0;
              for (size_t k = 0; k < ch; k++)
                sum += (double)u[(xi * out_c + o) * ch + k] *
                       v[xi * cvs + (j / 16 * ch + k) * 16 + j % 16];
              m[xi * cms + o * cld + j] = (float)sum;
            }
        wv.output(m, out_c, cld, t0, count, tiles_w, oh, ow, bias, NULL, 0, y);
      }
      const cna_conv2d_params p = {
          .in_channels = ch, .in_height = h, .in_width = w, .out_channels = out_c,
          .out_height = oh, .out_width = ow, .kernel_h = 3, .kernel_w = 3, .stride_h = 1,
          .stride_w = 1, .pad_top = pad, .pad_left = pad, .dilation_h = 1, .dilation_w = 1,
          .groups = 1};
      for (size_t i = 0; i < out_c * ch * 9; i++) wt[i] *= scale[i / (ch * 9)];
      cna_f32_conv2d__scalar(&p, x, wt, bias, want);
      const float bound = tolerance(9 * ch) * (which == 0 ? 2.0f : 8.0f);
      for (size_t i = 0; i < out_n; i++)
        ck_assert_msg(fabsf(y[i] - want[i]) <= bound * (1.0f + fabsf(want[i])),
                      "F(%zu) case %zu at %zu: %g vs %g", wv.tile, t, i, (double)y[i],
                      (double)want[i]);
      free(x), free(wt), free(bias), free(scale), free(u), free(v), free(m), free(scratch);
      free(y), free(want);
    }
  }
}
END_TEST

/* Which Winograd each 3x3 convolution runs on: F(6x6, 3x3) where its
 * products come out at least 8% narrower and in x out is at least 64 x 64
 * (layers/conv2d.c), on the paths that have its transforms; F(4x4, 3x3)
 * elsewhere; none for strides, groups, few channels or small planes. The
 * products' width is the tiles rounded up to whole panels: 38x36 is 42
 * 6x6 tiles against 90 4x4 ones, 48 against 96 columns in panels of 16
 * but 64 against 96 in panels of 32 (AVX-512). */
START_TEST(winograd_tile_follows_the_plane) {
  const cna__kernels *kernels = cna__kernels_get();
  static const int cases[][8] = {
      /* in_c h w out_c stride groups, F(6x6)'s tile where it has
       * transforms: panels of 16, of 32 */
      {64, 28, 28, 64, 1, 1, 6, 6},   {32, 38, 36, 128, 1, 1, 6, 4},
      {64, 224, 224, 64, 1, 1, 6, 6}, {128, 112, 112, 32, 1, 1, 6, 6},
      {32, 28, 28, 96, 1, 1, 4, 4},   {16, 28, 28, 16, 1, 1, 4, 4},
      {64, 56, 56, 64, 1, 1, 4, 4},   {64, 14, 14, 64, 1, 1, 4, 4},
      {16, 12, 12, 16, 1, 1, 4, 4},   {64, 7, 7, 64, 1, 1, 0, 0},
      {64, 28, 28, 64, 2, 1, 0, 0},   {64, 28, 28, 64, 1, 2, 0, 0},
      {8, 28, 28, 64, 1, 1, 0, 0},
  };
  const size_t nr = kernels->winograd_ukernel.nr;
  ck_assert(kernels->winograd_ukernel.fn == NULL || nr == 16 || nr == 32);
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const int *c = cases[t];
    cna_builder *b;
    cna_net *net;
    ck_assert_ok(cna_builder_create(&b));
    ck_assert_ok(cna_builder_input(b, "x", c[0], c[1], c[2]));
    ck_assert_ok(cna_builder_conv2d_ex(b, "conv", NULL, c[3], 3, 3, c[4], c[4], 1, 1, 1, 1, c[5],
                                       1));
    ck_assert_ok(cna_builder_build(b, NULL, &net));
    cna_builder_destroy(b);
    size_t index;
    ck_assert(cna__graph_find(&net->graph, "conv", &index));
    const cna__layer *layer = &net->graph.layers[index];
    const size_t got =
        cna__conv2d_winograd_tile(layer, &net->graph.layers[layer->inputs[0]].out);
    size_t want = (size_t)c[nr == 32 ? 7 : 6];
    if (kernels->winograd_ukernel.fn == NULL) want = 0;
    else if (want == 6 && kernels->winograd63_input == NULL) want = 4;
    ck_assert_msg(got == want, "case %zu (%s): tile %zu, expected %zu", t, kernels->isa, got,
                  want);
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(conv_packing_matches_im2col) {
  static const size_t cases[][11] = {
      /* ic ih iw kh kw sh sw pt pl dil (oh ow computed) */
      {3, 15, 17, 7, 7, 2, 2, 3, 3, 1, 0}, {4, 9, 9, 3, 3, 1, 1, 1, 1, 1, 0},
      {2, 8, 8, 1, 1, 2, 2, 0, 0, 1, 0},   {3, 13, 11, 3, 2, 1, 3, 2, 1, 2, 0},
      {2, 7, 7, 5, 5, 1, 1, 2, 2, 1, 0},   {3, 23, 23, 11, 11, 4, 4, 0, 0, 1, 0},
      {5, 6, 6, 1, 1, 1, 1, 0, 0, 1, 0},   {1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 0},
      /* rows too wide for the padded band: packed run by run */
      {1, 3, 1500, 3, 3, 1, 1, 1, 1, 1, 0},
      /* panels across the end of an output row (34, 23, 20 and 21
       * columns a row): step 1 after the stride phases, step 1, step 2 */
      {2, 19, 139, 11, 11, 4, 4, 2, 2, 1, 0}, {2, 11, 45, 7, 7, 2, 2, 3, 3, 1, 0},
      {2, 5, 20, 3, 3, 1, 1, 1, 1, 1, 0},     {2, 9, 41, 3, 3, 2, 2, 1, 1, 1, 0},
  };
  unsigned seed = 3;
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const size_t *c = cases[t];
    cna_conv2d_params p = {.in_channels = c[0], .in_height = c[1], .in_width = c[2],
                           .out_channels = 1, .kernel_h = c[3], .kernel_w = c[4],
                           .stride_h = c[5], .stride_w = c[6], .pad_top = c[7],
                           .pad_left = c[8], .dilation_h = c[9], .dilation_w = c[9],
                           .groups = 1};
    /* Symmetric padding. */
    p.out_height = (c[1] + 2 * c[7] - c[9] * (c[3] - 1) - 1) / c[5] + 1;
    p.out_width = (c[2] + 2 * c[8] - c[9] * (c[4] - 1) - 1) / c[6] + 1;
    const size_t k = c[0] * c[3] * c[4], n = p.out_height * p.out_width;
    float *x = malloc(c[0] * c[1] * c[2] * sizeof *x), *cols = malloc(k * n * sizeof *cols);
    for (size_t i = 0; i < c[0] * c[1] * c[2]; i++) x[i] = uniform(&seed);
    cna_f32_im2col__scalar(&p, x, cols);
    const cna_gemm_b_source src = {.data = x, .conv = &p};
    static const size_t blocks[][2] = {{0, 1}, {1, 5}, {3, 17}, {0, 1000}};
    /* Panels of the micro-kernels: NEON's 12, AVX2's 16, AVX-512's 32. */
    static const size_t widths[] = {12, 16, 32};
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
      const size_t nr = widths[wi];
      for (size_t bk = 0; bk < 4; bk++)
        for (size_t bn = 0; bn < 4; bn++) {
          const size_t k0 = blocks[bk][0] < k ? blocks[bk][0] : 0;
          const size_t kc = k0 + blocks[bk][1] <= k ? blocks[bk][1] : k - k0;
          const size_t n0 = blocks[bn][0] < n ? blocks[bn][0] : 0;
          const size_t nc = n0 + blocks[bn][1] <= n ? blocks[bn][1] : n - n0;
          const size_t panels = (nc + nr - 1) / nr;
          float *packed = malloc(panels * kc * nr * sizeof *packed);
          cna_f32_gemm_pack_b(&src, k0, kc, n0, nc, nr, packed);
          for (size_t q = 0; q < kc; q++)
            for (size_t j = 0; j < panels * nr; j++) {
              const float got = packed[(j / nr) * kc * nr + q * nr + j % nr];
              const float want = j < nc ? cols[(k0 + q) * n + n0 + j] : 0.0f;
              ck_assert_msg(got == want,
                            "case %zu nr %zu block k%zu+%zu n%zu+%zu at (%zu,%zu): %g vs %g", t,
                            nr, k0, kc, n0, nc, q, j, (double)got, (double)want);
            }
          free(packed);
        }
    }
    free(x), free(cols);
  }
}
END_TEST


/* The fast max pooling equals the reference bit for bit (max is exact),
 * NaN included, over the zoo's windows and odd ones: padding, ceil mode
 * (windows running past the input), strides wider than windows. */
START_TEST(max_pool_matches_scalar) {
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->max_pool2d == NULL) return;
  static const size_t cases[][10] = {
      /* c ih iw kh kw sh sw pt pl extra(bottom/right pad for ceil mode) */
      {3, 112, 112, 3, 3, 2, 2, 1, 1, 0}, {5, 28, 28, 3, 3, 1, 1, 1, 1, 0},
      {2, 55, 55, 3, 3, 2, 2, 0, 0, 0},   {2, 13, 13, 3, 3, 2, 2, 0, 0, 1},
      {4, 9, 17, 2, 2, 2, 2, 0, 0, 0},    {3, 7, 23, 3, 5, 1, 1, 1, 2, 0},
      {1, 1, 1, 1, 1, 1, 1, 0, 0, 0},     {2, 10, 10, 2, 2, 3, 3, 0, 0, 0},
      {2, 6, 40, 3, 3, 1, 1, 1, 1, 0},   {2, 3, 2, 3, 3, 1, 1, 1, 1, 0},
      {3, 17, 21, 3, 3, 2, 2, 1, 1, 1},   {2, 27, 27, 3, 3, 2, 2, 0, 0, 1},
      {2, 111, 111, 3, 3, 2, 2, 0, 0, 1}, {2, 8, 33, 4, 4, 2, 2, 1, 1, 0},
      {2, 9, 70, 1, 5, 1, 2, 0, 2, 0},    {2, 6, 19, 2, 7, 2, 3, 1, 3, 1},
      {1, 4, 8, 2, 2, 2, 2, 0, 0, 0},     {1, 3, 9, 3, 9, 1, 1, 0, 0, 0},
      /* "same" pooling at stride 1, pooled as flat planes (and one too big) */
      {3, 14, 14, 3, 3, 1, 1, 1, 1, 0},   {2, 7, 7, 3, 3, 1, 1, 1, 1, 0},
      {2, 9, 11, 5, 5, 1, 1, 2, 2, 0},    {2, 10, 12, 2, 2, 1, 1, 0, 0, 1},
      {1, 70, 70, 3, 3, 1, 1, 1, 1, 0},   {2, 1, 5, 1, 3, 1, 1, 0, 1, 0},
      /* stride 2 straight from the input rows: rows of 16, 8, 7 and 1
       * outputs (a whole last block, a single one, a partial one), 2x2
       * windows cut by padding on the left */
      {2, 9, 33, 3, 3, 2, 2, 0, 0, 0},    {3, 14, 14, 2, 2, 2, 2, 0, 0, 0},
      {2, 3, 3, 3, 3, 2, 2, 0, 0, 0},     {2, 10, 15, 2, 2, 2, 2, 1, 1, 0},
      {2, 5, 34, 3, 3, 2, 2, 1, 1, 1},
  };
  unsigned seed = 41;
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const size_t *c = cases[t];
    cna_pool2d_params p = {.channels = c[0], .in_height = c[1], .in_width = c[2],
                           .kernel_h = c[3], .kernel_w = c[4], .stride_h = c[5],
                           .stride_w = c[6], .pad_top = c[7], .pad_left = c[8],
                           .pad_bottom = c[7] + c[9], .pad_right = c[8] + c[9]};
    p.out_height = (c[1] + p.pad_top + p.pad_bottom - c[3]) / c[5] + 1;
    p.out_width = (c[2] + p.pad_left + p.pad_right - c[4]) / c[6] + 1;
    const size_t in = c[0] * c[1] * c[2], out = c[0] * p.out_height * p.out_width;
    float *x = malloc(in * sizeof *x), *want = malloc(out * sizeof *want);
    float *got = malloc((out + 8) * sizeof *got); /* 8 floats of guard */
    float *row = malloc(cna_f32_max_pool2d_scratch(&p) * sizeof *row);
    for (size_t i = 0; i < in; i++) x[i] = uniform(&seed);
    for (size_t i = out; i < out + 8; i++) got[i] = 1234.5f;
    /* NaN in the vector body, in a row tail and at the plane's edge. */
    x[in / 2] = NAN;
    x[c[2] - 1] = NAN;
    x[in - 1] = -INFINITY;
    cna_f32_max_pool2d__scalar(&p, x, want);
    kernels->max_pool2d(&p, x, got, row);
    for (size_t i = 0; i < out; i++)
      ck_assert_msg(memcmp(&got[i], &want[i], sizeof got[i]) == 0 ||
                        (isnan(got[i]) && isnan(want[i])),
                    "case %zu output %zu: %g vs %g", t, i, (double)got[i], (double)want[i]);
    /* Rows may be stored whole into the next row's outputs, never past
     * the last. */
    for (size_t i = out; i < out + 8; i++)
      ck_assert_msg(got[i] == 1234.5f, "case %zu wrote past its output", t);
    free(x), free(want), free(got), free(row);
  }
}
END_TEST

START_TEST(fully_connected_matches_scalar) {
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->fully_connected_rows == NULL) return;
  static const size_t shapes[][3] = {/* in, out, batch */
                                     {1, 1, 1},   {16, 4, 1},   {17, 5, 3},   {400, 120, 2},
                                     {9216, 37, 1}, {31, 1000, 8}, {4096, 10, 5},
                                     /* columns in chunks with a tail, 3 + 3 + 2 and 3 + 3
                                      * + 1 images, more than 8 */
                                     {1100, 9, 8}, {2053, 6, 7}, {600, 5, 11}};
  unsigned seed = 43;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const size_t in = shapes[s][0], out = shapes[s][1], batch = shapes[s][2];
    float *x = malloc(in * batch * sizeof *x), *w = malloc(in * out * sizeof *w);
    float *bias = malloc(out * sizeof *bias), *want = malloc(out * sizeof *want);
    float *got = malloc(out * batch * sizeof *got), *split = malloc(out * batch * sizeof *split);
    for (size_t i = 0; i < in * batch; i++) x[i] = uniform(&seed);
    for (size_t i = 0; i < in * out; i++) w[i] = uniform(&seed);
    for (size_t i = 0; i < out; i++) bias[i] = uniform(&seed);
    if (in > 20) x[in + 3 < in * batch ? in + 3 : 3] = NAN; /* image 1 (or 0): NaN everywhere */
    kernels->fully_connected_rows(in, out, batch, x, in, w, bias, got, out);
    /* Rows split at an odd place: the same bits. */
    const size_t half = out / 2 + (out > 2);
    kernels->fully_connected_rows(in, half, batch, x, in, w, bias, split, out);
    kernels->fully_connected_rows(in, out - half, batch, x, in, w + half * in, bias + half,
                                  split + half, out);
    ck_assert_msg(memcmp(got, split, out * batch * sizeof *got) == 0,
                  "%zux%zu: splitting rows changed results", in, out);
    /* Each image alone: the same bits as in its batch. */
    for (size_t b = 0; b < batch; b++) {
      kernels->fully_connected_rows(in, out, 1, x + b * in, in, w, bias, split, out);
      ck_assert_msg(memcmp(got + b * out, split, out * sizeof *got) == 0,
                    "%zux%zu: image %zu of %zu differs from the same image alone", in, out, b,
                    batch);
    }
    for (size_t b = 0; b < batch; b++) {
      cna_f32_fully_connected__scalar(in, out, x + b * in, w, bias, want);
      for (size_t o = 0; o < out; o++) {
        const float g = got[b * out + o], v = want[o];
        if (isnan(v)) {
          ck_assert_msg(isnan(g), "%zux%zu image %zu row %zu: %g, not NaN", in, out, b, o,
                        (double)g);
          continue;
        }
        ck_assert_msg(fabsf(g - v) <= tolerance(in), "%zux%zu image %zu row %zu: %g vs %g", in,
                      out, b, o, (double)g, (double)v);
      }
    }
    free(x), free(w), free(bias), free(want), free(got), free(split);
  }
}
END_TEST

/* The ways a convolution's work is cut into tasks for the threads
 * (layers/conv2d.c): Winograd tiles in panels, then output channels when an
 * image has too few tiles (14x14 is 16, 20x20 is 25); GEMM columns and rows
 * by what copies less (196, 100 and 49 columns). Every cut must give the
 * bits the uncut 1-thread pass gives, for 1 and 3 images. */
static cna_net *partition_net(int threads, size_t side) {
  cna_builder *b;
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 24, side, side));
  ck_assert_ok(cna_builder_conv2d(b, "wino", NULL, 40, 3, 1, 1, 1));     /* Winograd */
  ck_assert_ok(cna_builder_conv2d(b, "point", NULL, 70, 1, 1, 0, 0));    /* 1x1 GEMM */
  ck_assert_ok(cna_builder_conv2d(b, "down", NULL, 52, 3, 2, 1, 1));     /* 3x3 /2 */
  ck_assert_ok(cna_builder_conv2d(b, "small", NULL, 36, 3, 1, 1, 0));    /* GEMM, < 12x12 */
  ck_assert_ok(cna_builder_conv2d(b, "wide", NULL, 130, 1, 1, 0, 1));    /* rows split */
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_threads(opts, threads));
  ck_assert_ok(cna_builder_build(b, opts, &net));
  cna_options_destroy(opts);
  cna_builder_destroy(b);
  /* Biases start at zero: give them values, so that a bias applied to the
   * wrong rows shows. */
  static const char *const biases[] = {"wino.bias", "down.bias", "wide.bias"};
  unsigned seed = 9;
  for (size_t i = 0; i < sizeof biases / sizeof biases[0]; i++) {
    size_t index, ndim, dims[4];
    float values[130];
    ck_assert_ok(cna_net_find_tensor(net, biases[i], &index));
    ck_assert_ok(cna_net_tensor_shape(net, index, &ndim, dims));
    for (size_t k = 0; k < dims[0]; k++) values[k] = uniform(&seed);
    ck_assert_ok(cna_net_set_tensor(net, index, values, dims[0]));
  }
  return net;
}

START_TEST(conv_partitions_give_identical_outputs) {
  static const size_t sides[] = {14, 20, 13};
  static const int thread_counts[] = {2, 3, 5, 8};
  for (size_t s = 0; s < sizeof sides / sizeof sides[0]; s++) {
    cna_net *net = partition_net(1, sides[s]);
    size_t shape[3], out;
    ck_assert_ok(cna_net_input_shape(net, shape));
    ck_assert_ok(cna_net_output_size(net, &out));
    const size_t in = shape[0] * shape[1] * shape[2];
    float *x = malloc(3 * in * sizeof *x), *want = malloc(3 * out * sizeof *want);
    float *got = malloc(3 * out * sizeof *got);
    unsigned seed = 5;
    for (size_t i = 0; i < 3 * in; i++) x[i] = uniform(&seed);
    ck_assert_ok(cna_net_forward(net, x, 3, want));
    cna_net_destroy(net);
    size_t distinct = 0;
    for (size_t i = 1; i < 3 * out; i++) distinct += want[i] != want[0] && isfinite(want[i]);
    ck_assert_msg(distinct > out, "side %zu: the reference output is degenerate", sides[s]);
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
      net = partition_net(thread_counts[t], sides[s]);
      for (size_t batch = 1; batch <= 3; batch += 2) {
        ck_assert_ok(cna_net_forward(net, x, batch, got));
        ck_assert_msg(memcmp(got, want, batch * out * sizeof *got) == 0,
                      "side %zu, %d threads, batch %zu: the output changed", sides[s],
                      thread_counts[t], batch);
      }
      cna_net_destroy(net);
    }
    free(x), free(want), free(got);
  }
}
END_TEST

/* Runs a net with 1..3 threads, at batch 2 and at batch 1 (where the
 * threads split single images): every output bit must be the same. */
START_TEST(thread_counts_give_identical_outputs) {
  static const char *const archs[] = {"resnet20", "squeezenet1_1", "densenet121"};
  /* Under emulation densenet121 stays out: threads there share two emulated
   * cores and it takes minutes. */
  const size_t count = sizeof archs / sizeof archs[0] - (cna_test_emulated() ? 1 : 0);
  for (size_t a = 0; a < count; a++) {
    float *first = NULL, *first1 = NULL;
    for (int threads = 1; threads <= 3; threads++) {
      cna_options *opts;
      cna_net *net;
      ck_assert_ok(cna_options_create(&opts));
      ck_assert_ok(cna_options_set_num_threads(opts, threads));
      ck_assert_ok(cna_net_create_arch(archs[a], opts, &net));
      cna_options_destroy(opts);
      size_t shape[3], out;
      ck_assert_ok(cna_net_input_shape(net, shape));
      ck_assert_ok(cna_net_output_size(net, &out));
      const size_t in = shape[0] * shape[1] * shape[2];
      float *x = malloc(2 * in * sizeof *x), *y = malloc(2 * out * sizeof *y);
      float *y1 = malloc(out * sizeof *y1);
      unsigned seed = 11;
      for (size_t i = 0; i < 2 * in; i++) x[i] = uniform(&seed);
      ck_assert_ok(cna_net_forward(net, x, 2, y));
      ck_assert_ok(cna_net_forward(net, x + in, 1, y1));
      if (first == NULL) {
        first = y, first1 = y1;
      } else {
        ck_assert_msg(memcmp(first, y, 2 * out * sizeof *y) == 0,
                      "%s: %d threads changed the output", archs[a], threads);
        ck_assert_msg(memcmp(first1, y1, out * sizeof *y1) == 0,
                      "%s: %d threads changed the output at batch 1", archs[a], threads);
        free(y), free(y1);
      }
      free(x);
      cna_net_destroy(net);
    }
    free(first), free(first1);
  }
}
END_TEST

/* After cna_net_set_tensor on weights that were packed and folded (a
 * convolution's, its batch norm's), forward gives what a net built afresh
 * from the same tensors gives. */
START_TEST(prepared_weights_follow_set_tensor) {
  cna_net *net, *fresh;
  ck_assert_ok(cna_net_create_arch("resnet20", NULL, &net));
  static const char *const names[] = {"layer1.0.conv1.weight", "layer1.0.bn1.running_var",
                                      "layer1.0.bn1.weight", "layer2.0.bn2.running_mean",
                                      "conv1.weight"};
  unsigned seed = 23;
  for (size_t t = 0; t < sizeof names / sizeof names[0]; t++) {
    size_t index, dims[4], ndim, count = 1;
    ck_assert_ok(cna_net_find_tensor(net, names[t], &index));
    ck_assert_ok(cna_net_tensor_shape(net, index, &ndim, dims));
    for (size_t d = 0; d < ndim; d++) count *= dims[d];
    float *v = malloc(count * sizeof *v);
    for (size_t i = 0; i < count; i++) v[i] = 0.5f + 0.5f * (uniform(&seed) + 1.0f) / 2.0f;
    ck_assert_ok(cna_net_set_tensor(net, index, v, count));
    free(v);
  }
  void *bytes;
  size_t size;
  ck_assert_ok(cna_net_save_to_memory(net, 0, &bytes, &size));
  ck_assert_ok(cna_net_load_from_memory(bytes, size, NULL, &fresh));
  cna_free(bytes);
  size_t shape[3], out;
  ck_assert_ok(cna_net_input_shape(net, shape));
  ck_assert_ok(cna_net_output_size(net, &out));
  float *x = cna_test_net_input(shape[0] * shape[1] * shape[2]);
  float *y = malloc(out * sizeof *y), *want = malloc(out * sizeof *want);
  ck_assert_ok(cna_net_forward(net, x, 1, y));
  ck_assert_ok(cna_net_forward(fresh, x, 1, want));
  ck_assert_msg(memcmp(y, want, out * sizeof *y) == 0,
                "set_tensor left stale prepared weights");
  free(x), free(y), free(want);
  cna_net_destroy(net);
  cna_net_destroy(fresh);
}
END_TEST

/* The planned activation memory: the targets for VGG-16 and
 * ResNet-50 at batch 1, and linear growth with the batch. */
START_TEST(workspace_is_planned) {
  static const struct {
    const char *arch;
    double max_mb;
  } cases[] = {{"vgg16", 40.0}, {"resnet50", 25.0}};
  for (size_t i = 0; i < 2; i++) {
    cna_net *net;
    size_t one, eight;
    ck_assert_ok(cna_net_create_arch(cases[i].arch, NULL, &net));
    ck_assert_ok(cna_net_workspace_size(net, 1, &one));
    ck_assert_ok(cna_net_workspace_size(net, 8, &eight));
    ck_assert_msg((double)one / 1e6 <= cases[i].max_mb, "%s: %.1f MB at batch 1",
                  cases[i].arch, (double)one / 1e6);
    ck_assert_msg(one > 0 && eight > one && eight <= 8 * one, "%s: %zu then %zu bytes",
                  cases[i].arch, one, eight);
    ck_assert_status(cna_net_workspace_size(net, SIZE_MAX / 2, &one), CNA_ERROR_TOO_LARGE);
    ck_assert_status(cna_net_workspace_size(NULL, 1, &one), CNA_ERROR_INVALID_ARGUMENT);
    cna_net_destroy(net);
  }
}
END_TEST

/* Small blocks are aligned for vectors, blocks of a huge page or more on
 * a huge page (their whole huge pages are offered to THP), and every byte
 * of each is usable. */
START_TEST(large_blocks_start_on_a_huge_page) {
  static const size_t sizes[] = {1, 63, 4096, ((size_t)2 << 20) - 1, (size_t)2 << 20,
                                 ((size_t)5 << 20) + 12, (size_t)9437184};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = cna__aligned_alloc(sizes[i]);
    ck_assert_ptr_nonnull(p);
    const size_t align = sizes[i] >= ((size_t)2 << 20) ? (size_t)2 << 20 : 64;
    ck_assert_msg((uintptr_t)p % align == 0, "%zu bytes at %p", sizes[i], (void *)p);
    memset(p, 0xA5, sizes[i]);
    ck_assert_int_eq(p[0] & p[sizes[i] - 1], 0xA5);
    cna__aligned_free(p);
  }
  ck_assert_ptr_null(cna__aligned_alloc(0));
  ck_assert_ptr_null(cna__aligned_alloc(SIZE_MAX));
}
END_TEST

/* What cna_isa() reports in a child process whose CNNARCH_ISA is value
 * (NULL: unset). The table is filled once per process, so the child must
 * be forked before this one uses the library. */
static void isa_in_child(const char *value, char *isa, size_t size) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    if (value != NULL)
      setenv("CNNARCH_ISA", value, 1);
    else
      unsetenv("CNNARCH_ISA");
    const char *got = cna_isa();
    const ssize_t len = (ssize_t)strlen(got);
    _exit(write(fds[1], got, (size_t)len) == len ? 0 : 1);
  }
  close(fds[1]);
  ssize_t n = read(fds[0], isa, size - 1);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ck_assert_msg(n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "the child with CNNARCH_ISA=%s failed", value != NULL ? value : "(unset)");
  isa[n] = '\0';
}

START_TEST(isa_is_reported) {
  /* CNNARCH_ISA in children first (before this process fills its table):
   * scalar forces the reference; a path's name asks for it, and one this
   * machine cannot run (or an unknown name) gives the best it can. */
  const char *no_fork = getenv("CK_FORK");
  if (no_fork == NULL || strcmp(no_fork, "no") != 0) {
    char best[32], got[32];
    isa_in_child(NULL, best, sizeof best);
#if defined(__aarch64__)
    ck_assert_str_eq(best, "neon"); /* baseline on AArch64 */
#elif defined(__x86_64__) || defined(__i386__)
    ck_assert(strcmp(best, "avx512") == 0 || strcmp(best, "avx2") == 0 ||
              strcmp(best, "scalar") == 0);
#else
    ck_assert_str_eq(best, "scalar");
#endif
    isa_in_child("scalar", got, sizeof got);
    ck_assert_str_eq(got, "scalar");
#if defined(__x86_64__) || defined(__i386__)
    /* avx2 caps an AVX-512 machine at AVX2; elsewhere it is the best. */
    isa_in_child("avx2", got, sizeof got);
    ck_assert_str_eq(got, strcmp(best, "avx512") == 0 ? "avx2" : best);
    static const char *const others[] = {"avx512", "neon", "sse9", ""};
#elif defined(__aarch64__)
    static const char *const others[] = {"neon", "avx2", "avx512", "sse9", ""};
#else
    static const char *const others[] = {"avx2", "avx512", "neon", "sse9", ""};
#endif
    /* Another architecture's path, an unknown name or the best itself: the
     * best this machine can run. */
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
      isa_in_child(others[i], got, sizeof got);
      ck_assert_msg(strcmp(got, best) == 0, "CNNARCH_ISA=%s gave %s, expected %s", others[i],
                    got, best);
    }
  }
  const char *isa = cna_isa();
  ck_assert(strcmp(isa, "scalar") == 0 || strcmp(isa, "avx2") == 0 ||
            strcmp(isa, "avx512") == 0 || strcmp(isa, "neon") == 0);
  ck_assert_str_eq(isa, cna__kernels_get()->isa);
  const char *forced = getenv("CNNARCH_ISA");
  if (forced != NULL && strcmp(forced, "scalar") == 0) ck_assert_str_eq(isa, "scalar");
  if (forced != NULL && strcmp(forced, "avx2") == 0) ck_assert_str_ne(isa, "avx512");
}
END_TEST

Suite *cna_test_kernels_suite(void) {
  Suite *s = suite_create("kernels");
  TCase *tc = tcase_create("dispatched");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, isa_is_reported);
  tcase_add_test(tc, gemm_matches_scalar);
  tcase_add_test(tc, gemm_propagates_nan_and_inf);
  tcase_add_test(tc, convolution_through_gemm_matches_direct);
  tcase_add_test(tc, gemm_depth_splits_into_even_blocks);
  tcase_add_test(tc, packed_gemm_matches_scalar);
  tcase_add_test(tc, packed_gemm_reads_concatenation_parts);
  tcase_add_test(tc, packed_gemm_propagates_nan_and_inf);
  tcase_add_test(tc, conv_packing_matches_im2col);
  tcase_add_test(tc, winograd_transforms_match_portable);
  tcase_add_test(tc, winograd_computes_the_convolution);
  tcase_add_test(tc, winograd_tile_follows_the_plane);
  tcase_add_test(tc, max_pool_matches_scalar);
  tcase_add_test(tc, global_avg_pool_matches_the_reference);
  tcase_add_test(tc, fully_connected_matches_scalar);
  tcase_add_test(tc, thread_counts_give_identical_outputs);
  tcase_add_test(tc, conv_partitions_give_identical_outputs);
  tcase_add_test(tc, prepared_weights_follow_set_tensor);
  tcase_add_test(tc, workspace_is_planned);
  tcase_add_test(tc, large_blocks_start_on_a_huge_page);
  tcase_add_test(tc, grouped_convolution_fuses_a_residual);
  tcase_add_test(tc, grouped_convolution_by_channels_matches_by_pixels);
  tcase_add_test(tc, avg_pool_2x2_matches_the_reference);
  tcase_add_test(tc, whole_nets_agree_with_the_scalar_path);
  tcase_add_test(tc, batch_norm_prologue_matches_the_unfused_layers);
  tcase_add_test(tc, concat_written_in_place_by_its_producers);
  suite_add_tcase(s, tc);
  return s;
}

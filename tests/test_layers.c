/* Every layer type's forward pass on small cases computed by hand, and the
 * reference convolution against a naive seven-loop oracle. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "tests.h"

/* 1, 2, 3, ... n */
static void iota(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(i + 1);
}

static void set_tensor(cna_net *net, const char *name, const float *values, size_t count) {
  size_t index;
  ck_assert_ok(cna_net_find_tensor(net, name, &index));
  ck_assert_ok(cna_net_set_tensor(net, index, values, count));
}

/* Builds the net, runs it on input and compares with expected exactly
 * (tolerance 0) or within tol. */
static void expect_forward(cna_net *net, const float *input, size_t batch,
                           const float *expected, size_t count, float tol) {
  size_t out_size;
  ck_assert_ok(cna_net_output_size(net, &out_size));
  ck_assert_uint_eq(out_size * batch, count);
  float *out = malloc(count * sizeof *out);
  ck_assert_ok(cna_net_forward(net, input, batch, out));
  for (size_t i = 0; i < count; i++) {
    if (isnan(expected[i])) {
      ck_assert_msg(isnan(out[i]), "output %zu: expected NaN, found %g", i, (double)out[i]);
    } else if (tol == 0.0f) {
      ck_assert_msg(out[i] == expected[i], "output %zu: expected %.9g, found %.9g", i,
                    (double)expected[i], (double)out[i]);
    } else {
      ck_assert_msg(fabsf(out[i] - expected[i]) <= tol,
                    "output %zu: expected %.9g, found %.9g (tolerance %g)", i,
                    (double)expected[i], (double)out[i], (double)tol);
    }
  }
  free(out);
}

static cna_builder *with_input(int c, int h, int w) {
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", c, h, w));
  return b;
}

static cna_net *build(cna_builder *b) {
  cna_net *net;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  return net;
}

START_TEST(conv_valid_3x3) {
  cna_builder *b = with_input(1, 4, 4);
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 1, 3, 1, 0, 0));
  cna_net *net = build(b);
  const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  set_tensor(net, "conv.weight", ones, 9);
  float x[16];
  iota(x, 16);
  const float expected[4] = {54, 63, 90, 99};
  expect_forward(net, x, 1, expected, 4, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(conv_padding_stride_bias) {
  cna_builder *b = with_input(1, 4, 4);
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 1, 3, 2, 1, 1));
  cna_net *net = build(b);
  const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, bias = 0.5f;
  set_tensor(net, "conv.weight", ones, 9);
  set_tensor(net, "conv.bias", &bias, 1);
  float x[16];
  iota(x, 16);
  const float expected[4] = {14.5f, 30.5f, 57.5f, 99.5f};
  expect_forward(net, x, 1, expected, 4, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(conv_dilation) {
  cna_builder *b = with_input(1, 4, 4);
  ck_assert_ok(cna_builder_conv2d_ex(b, "conv", NULL, 1, 2, 2, 1, 1, 0, 0, 2, 2, 1, 0));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, "conv", shape));
  ck_assert_uint_eq(shape[1], 2);
  cna_net *net = build(b);
  const float w[4] = {1, 2, 3, 4};
  set_tensor(net, "conv.weight", w, 4);
  float x[16];
  iota(x, 16);
  const float expected[4] = {78, 88, 118, 128};
  expect_forward(net, x, 1, expected, 4, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(conv_groups_and_full) {
  /* groups=2: each output channel sees only its own input channel. */
  cna_builder *b = with_input(2, 1, 1);
  ck_assert_ok(cna_builder_conv2d_ex(b, "grouped", "x", 2, 1, 1, 1, 1, 0, 0, 1, 1, 2, 1));
  ck_assert_ok(cna_builder_conv2d(b, "full", "x", 2, 1, 1, 0, 1));
  ck_assert_ok(cna_builder_concat(b, "both", (const char *[]){"grouped", "full"}, 2));
  cna_net *net = build(b);
  set_tensor(net, "grouped.weight", (const float[]){5, 7}, 2);
  set_tensor(net, "grouped.bias", (const float[]){1, -1}, 2);
  set_tensor(net, "full.weight", (const float[]){1, 2, 3, 4}, 4);
  set_tensor(net, "full.bias", (const float[]){0, 1}, 2);
  const float x[2] = {2, 3};
  const float expected[4] = {11, 20, 8, 19};
  expect_forward(net, x, 1, expected, 4, 0);
  cna_net_destroy(net);
}
END_TEST

/* The plainest possible convolution: seven loops, a bounds test per tap. */
static void naive_conv(const cna_conv2d_params *p, const float *in, const float *w,
                       const float *bias, float *out) {
  const size_t icg = p->in_channels / p->groups, ocg = p->out_channels / p->groups;
  for (size_t oc = 0; oc < p->out_channels; oc++)
    for (size_t oh = 0; oh < p->out_height; oh++)
      for (size_t ow = 0; ow < p->out_width; ow++) {
        double sum = bias ? bias[oc] : 0.0;
        for (size_t i = 0; i < icg; i++)
          for (size_t kh = 0; kh < p->kernel_h; kh++)
            for (size_t kw = 0; kw < p->kernel_w; kw++) {
              long ih = (long)(oh * p->stride_h + kh * p->dilation_h) - (long)p->pad_top;
              long iw = (long)(ow * p->stride_w + kw * p->dilation_w) - (long)p->pad_left;
              if (ih < 0 || iw < 0 || ih >= (long)p->in_height || iw >= (long)p->in_width)
                continue;
              size_t ic = oc / ocg * icg + i;
              sum += (double)in[(ic * p->in_height + (size_t)ih) * p->in_width + (size_t)iw] *
                     w[((oc * icg + i) * p->kernel_h + kh) * p->kernel_w + kw];
            }
        out[(oc * p->out_height + oh) * p->out_width + ow] = (float)sum;
      }
}

START_TEST(conv_kernel_matches_naive_oracle) {
  /* Shapes with odd sizes, strides, dilations, asymmetric kernels, groups. */
  static const size_t cases[][12] = {
      /* ic ih iw oc kh kw sh sw pt pl dh groups (dw = dh) */
      {3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1},  {2, 5, 5, 6, 5, 5, 2, 2, 2, 2, 1, 2},
      {4, 11, 6, 4, 3, 1, 3, 1, 0, 0, 1, 4}, {1, 13, 13, 3, 3, 3, 2, 3, 2, 1, 2, 1},
      {6, 8, 8, 9, 1, 1, 2, 2, 0, 0, 1, 3},  {3, 17, 5, 2, 7, 3, 4, 1, 3, 1, 1, 1},
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},  {5, 9, 7, 5, 2, 4, 1, 2, 1, 2, 3, 5},
  };
  unsigned seed = 12345;
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const size_t *c = cases[t];
    cna_conv2d_params p = {.in_channels = c[0], .in_height = c[1], .in_width = c[2],
                           .out_channels = c[3], .kernel_h = c[4], .kernel_w = c[5],
                           .stride_h = c[6], .stride_w = c[7], .pad_top = c[8],
                           .pad_left = c[9], .dilation_h = c[10], .dilation_w = c[10],
                           .groups = c[11]};
    /* Symmetric padding, PyTorch's output size. */
    p.out_height = (p.in_height + 2 * p.pad_top - p.dilation_h * (p.kernel_h - 1) - 1) /
                       p.stride_h + 1;
    p.out_width = (p.in_width + 2 * p.pad_left - p.dilation_w * (p.kernel_w - 1) - 1) /
                      p.stride_w + 1;
    size_t n_in = p.in_channels * p.in_height * p.in_width;
    size_t n_w = p.out_channels * (p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
    size_t n_out = p.out_channels * p.out_height * p.out_width;
    float *in = malloc(n_in * sizeof *in), *w = malloc(n_w * sizeof *w);
    float *bias = malloc(p.out_channels * sizeof *bias);
    float *got = malloc(n_out * sizeof *got), *want = malloc(n_out * sizeof *want);
    for (size_t i = 0; i < n_in; i++) in[i] = (float)((seed = seed * 1103515245u + 12345u) >> 16 & 255) / 64.0f - 2.0f;
    for (size_t i = 0; i < n_w; i++) w[i] = (float)((seed = seed * 1103515245u + 12345u) >> 16 & 255) / 128.0f - 1.0f;
    for (size_t i = 0; i < p.out_channels; i++) bias[i] = (float)i - 1.5f;
    cna_f32_conv2d__scalar(&p, in, w, bias, got);
    naive_conv(&p, in, w, bias, want);
    const size_t k = (p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
    for (size_t i = 0; i < n_out; i++)
      ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-5f * (float)k * (1.0f + fabsf(want[i])),
                    "case %zu output %zu: %g vs %g", t, i, (double)got[i], (double)want[i]);
    free(in), free(w), free(bias), free(got), free(want);
  }
}
END_TEST

START_TEST(max_pool_cases) {
  cna_builder *b = with_input(1, 4, 4);
  ck_assert_ok(cna_builder_max_pool2d(b, "p2", "x", 2, 2, 0, 0));
  ck_assert_ok(cna_builder_max_pool2d(b, "p3", "x", 3, 2, 1, 0));
  ck_assert_ok(cna_builder_concat(b, "both", (const char *[]){"p2", "p3"}, 2));
  cna_net *net = build(b);
  float x[16];
  iota(x, 16);
  const float expected[8] = {6, 8, 14, 16, 6, 8, 14, 16};
  expect_forward(net, x, 1, expected, 8, 0);
  /* NaN wins its window, and only its window. */
  x[0] = NAN;
  const float with_nan[8] = {NAN, 8, 14, 16, NAN, 8, 14, 16};
  expect_forward(net, x, 1, with_nan, 8, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(max_pool_ceil_mode) {
  cna_builder *b = with_input(1, 5, 5);
  ck_assert_ok(cna_builder_max_pool2d(b, "ceil", "x", 2, 2, 0, 1));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, NULL, shape));
  ck_assert_uint_eq(shape[1], 3);
  ck_assert_ok(cna_builder_max_pool2d(b, "floor", "x", 2, 2, 0, 0));
  ck_assert_ok(cna_builder_output_shape(b, NULL, shape));
  ck_assert_uint_eq(shape[1], 2);
  ck_assert_ok(cna_builder_set_output(b, "ceil"));
  cna_net *net = build(b);
  float x[25];
  iota(x, 25);
  const float expected[9] = {7, 9, 10, 17, 19, 20, 22, 24, 25};
  expect_forward(net, x, 1, expected, 9, 0);
  cna_net_destroy(net);
}
END_TEST

/* A model file may ask for any window: one of 200 million columns (half
 * of it padding on each side) over a 2x3 input covers the whole plane from
 * each of the 2x3 outputs, and the workspace stays small (the SIMD kernels pad a row as wide as
 * the window; such windows take the reference path). */
START_TEST(max_pool_huge_window_small_workspace) {
  cna_builder *b = with_input(2, 2, 3);
  ck_assert_ok(cna_builder_max_pool2d(b, "p", "x", 200000001, 1, 100000000, 0));
  cna_net *net = build(b);
  size_t bytes = 0;
  ck_assert_ok(cna_net_workspace_size(net, 1, &bytes));
  ck_assert_msg(bytes < 65536, "workspace %zu bytes for a 2x2x3 input", bytes);
  float x[12];
  iota(x, 12);
  x[7] = NAN;
  const float expected[12] = {6, 6, 6, 6, 6, 6, NAN, NAN, NAN, NAN, NAN, NAN};
  expect_forward(net, x, 1, expected, 12, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(avg_pool_cases) {
  cna_builder *b = with_input(1, 4, 4);
  ck_assert_ok(cna_builder_avg_pool2d(b, "plain", "x", 2, 2, 0, 0, 1));
  ck_assert_ok(cna_builder_avg_pool2d(b, "incl", "x", 2, 2, 1, 0, 1));
  ck_assert_ok(cna_builder_avg_pool2d(b, "excl", "x", 2, 2, 1, 0, 0));
  ck_assert_ok(cna_builder_flatten(b, "f1", "plain"));
  ck_assert_ok(cna_builder_flatten(b, "f2", "incl"));
  ck_assert_ok(cna_builder_flatten(b, "f3", "excl"));
  ck_assert_ok(cna_builder_concat(b, "all", (const char *[]){"f1", "f2", "f3"}, 3));
  cna_net *net = build(b);
  float x[16];
  iota(x, 16);
  const float expected[4 + 9 + 9] = {
      3.5f, 5.5f, 11.5f, 13.5f,
      /* count_include_pad: corners divide by 4 though 1 pixel is inside */
      0.25f, 1.25f, 1.0f, 3.5f, 8.5f, 5.0f, 3.25f, 7.25f, 4.0f,
      /* padding excluded */
      1.0f, 2.5f, 4.0f, 7.0f, 8.5f, 10.0f, 13.0f, 14.5f, 16.0f};
  expect_forward(net, x, 1, expected, 22, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(avg_pool_ceil_mode_divisor) {
  /* PyTorch: a window running past the input in ceil mode divides by the
   * part inside the padded input (here, no padding: the part inside). */
  cna_builder *b = with_input(1, 5, 5);
  ck_assert_ok(cna_builder_avg_pool2d(b, "ceil", "x", 2, 2, 0, 1, 1));
  cna_net *net = build(b);
  float x[25];
  iota(x, 25);
  const float expected[9] = {4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25};
  expect_forward(net, x, 1, expected, 9, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(adaptive_and_global_pool) {
  cna_builder *b = with_input(2, 1, 5);
  ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, "adaptive", "x", 1, 3));
  ck_assert_ok(cna_builder_global_avg_pool(b, "global", "x"));
  ck_assert_ok(cna_builder_flatten(b, "fa", "adaptive"));
  ck_assert_ok(cna_builder_concat(b, "all", (const char *[]){"fa", "global"}, 2));
  cna_net *net = build(b);
  float x[10];
  iota(x, 10);
  /* bins [0,2) [1,4) [3,5) of 1..5, then of 6..10; means 3 and 8 */
  const float expected[8] = {1.5f, 3, 4.5f, 6.5f, 8, 9.5f, 3, 8};
  expect_forward(net, x, 1, expected, 8, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(lrn_odd_and_even_windows) {
  cna_builder *b = with_input(3, 1, 1);
  /* alpha / size = 1, beta = 1, k = 1: b_c = a_c / (1 + sum of squares) */
  ck_assert_ok(cna_builder_lrn(b, "odd", "x", 3, 3.0f, 1.0f, 1.0f));
  ck_assert_ok(cna_builder_lrn(b, "even", "x", 2, 2.0f, 1.0f, 1.0f));
  ck_assert_ok(cna_builder_concat(b, "both", (const char *[]){"odd", "even"}, 2));
  cna_net *net = build(b);
  const float x[3] = {1, 2, 3};
  const float expected[6] = {1.0f / 6, 2.0f / 15, 3.0f / 14, 0.5f, 2.0f / 6, 3.0f / 14};
  expect_forward(net, x, 1, expected, 6, 1e-7f);
  cna_net_destroy(net);
}
END_TEST

START_TEST(batch_norm_inference) {
  cna_builder *b = with_input(2, 1, 2);
  ck_assert_ok(cna_builder_batch_norm(b, "bn", NULL, 1.0f));
  cna_net *net = build(b);
  set_tensor(net, "bn.weight", (const float[]){2, 1}, 2);
  set_tensor(net, "bn.bias", (const float[]){1, 0}, 2);
  set_tensor(net, "bn.running_mean", (const float[]){1, -1}, 2);
  set_tensor(net, "bn.running_var", (const float[]){3, 0}, 2);
  const float x[4] = {5, -7, 2, 0.25f};
  /* channel 0: (x - 1) / 2 * 2 + 1 = x; channel 1: (x + 1) / 1 = x + 1 */
  const float expected[4] = {5, -7, 3, 1.25f};
  expect_forward(net, x, 1, expected, 4, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(activations) {
  cna_builder *b = with_input(1, 1, 4);
  ck_assert_ok(cna_builder_relu(b, "relu", "x"));
  ck_assert_ok(cna_builder_tanh(b, "tanh", "x"));
  ck_assert_ok(cna_builder_dropout(b, "dropout", "x", 0.5f));
  ck_assert_ok(cna_builder_concat(b, "all", (const char *[]){"relu", "tanh", "dropout"}, 3));
  cna_net *net = build(b);
  const float x[4] = {-1, 0, 2, NAN};
  const float expected[12] = {0, 0, 2, NAN, tanhf(-1), 0, tanhf(2), NAN, -1, 0, 2, NAN};
  expect_forward(net, x, 1, expected, 12, 1e-7f);
  cna_net_destroy(net);
}
END_TEST

START_TEST(softmax_per_position) {
  cna_builder *b = with_input(2, 1, 2);
  ck_assert_ok(cna_builder_softmax(b, "softmax", NULL));
  cna_net *net = build(b);
  /* position 0: (0, ln 3) -> (1/4, 3/4); position 1: (5, 5) -> (1/2, 1/2);
   * large values must not overflow. */
  const float x[4] = {1000.0f, 5, 1000.0f + logf(3.0f), 5};
  const float expected[4] = {0.25f, 0.5f, 0.75f, 0.5f};
  expect_forward(net, x, 1, expected, 4, 1e-4f);
  cna_net_destroy(net);
}
END_TEST

START_TEST(fully_connected_and_flatten) {
  cna_builder *b = with_input(3, 1, 1);
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, 2, 1));
  cna_net *net = build(b);
  set_tensor(net, "fc.weight", (const float[]){1, 2, 3, 4, 5, 6}, 6);
  set_tensor(net, "fc.bias", (const float[]){1, -1}, 2);
  /* batch 2: (1, 1, 2) and (0, 1, 0) */
  const float x[6] = {1, 1, 2, 0, 1, 0};
  const float expected[4] = {10, 20, 3, 4};
  expect_forward(net, x, 2, expected, 4, 0);
  cna_net_destroy(net);

  /* A 2x1x2 input is flattened in memory order before the product. */
  b = with_input(2, 1, 2);
  ck_assert_ok(cna_builder_flatten(b, "flat", NULL));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, "flat", shape));
  ck_assert_uint_eq(shape[0], 4);
  ck_assert_uint_eq(shape[1] * shape[2], 1);
  ck_assert_ok(cna_builder_fully_connected(b, "fc", "x", 1, 0));
  net = build(b);
  set_tensor(net, "fc.weight", (const float[]){1, 10, 100, 1000}, 4);
  const float y[4] = {1, 2, 3, 4};
  const float expected2[1] = {4321};
  expect_forward(net, y, 1, expected2, 1, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(concat_and_add_over_batch) {
  cna_builder *b = with_input(1, 1, 2);
  ck_assert_ok(cna_builder_conv2d(b, "one", "x", 1, 1, 1, 0, 0));
  ck_assert_ok(cna_builder_conv2d(b, "two", "x", 2, 1, 1, 0, 0));
  ck_assert_ok(cna_builder_concat(b, "cat", (const char *[]){"one", "two"}, 2));
  ck_assert_ok(cna_builder_conv2d(b, "three", "x", 3, 1, 1, 0, 0));
  ck_assert_ok(cna_builder_add(b, "sum", "cat", "three"));
  cna_net *net = build(b);
  set_tensor(net, "one.weight", (const float[]){1}, 1);
  set_tensor(net, "two.weight", (const float[]){2, 3}, 2);
  set_tensor(net, "three.weight", (const float[]){10, 20, 30}, 3);
  const float x[4] = {1, 2, -1, 0.5f}; /* batch 2 */
  /* cat = (x, 2x, 3x); three = (10x, 20x, 30x); sum = (11x, 22x, 33x) */
  const float expected[12] = {11, 22, 22, 44, 33, 66, -11, 5.5f, -22, 11, -33, 16.5f};
  expect_forward(net, x, 2, expected, 12, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(channel_pad_and_subsample) {
  cna_builder *b = with_input(1, 2, 2);
  ck_assert_ok(cna_builder_max_pool2d(b, "subsample", NULL, 1, 2, 0, 0));
  ck_assert_ok(cna_builder_channel_pad(b, "pad", NULL, 1, 2));
  cna_net *net = build(b);
  const float x[8] = {5, 6, 7, 8, 9, 10, 11, 12}; /* batch 2 */
  const float expected[8] = {0, 5, 0, 0, 0, 9, 0, 0};
  expect_forward(net, x, 2, expected, 8, 0);
  cna_net_destroy(net);
}
END_TEST

START_TEST(output_can_be_the_input) {
  cna_builder *b = with_input(1, 1, 3);
  ck_assert_ok(cna_builder_relu(b, "relu", NULL));
  ck_assert_ok(cna_builder_set_output(b, "x"));
  cna_net *net = build(b);
  const float x[3] = {-1, 2, -3};
  expect_forward(net, x, 1, x, 3, 0);
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_layers_suite(void) {
  Suite *s = suite_create("layers");
  TCase *conv = tcase_create("conv2d");
  tcase_add_test(conv, conv_valid_3x3);
  tcase_add_test(conv, conv_padding_stride_bias);
  tcase_add_test(conv, conv_dilation);
  tcase_add_test(conv, conv_groups_and_full);
  tcase_add_test(conv, conv_kernel_matches_naive_oracle);
  suite_add_tcase(s, conv);
  TCase *pool = tcase_create("pooling");
  tcase_add_test(pool, max_pool_cases);
  tcase_add_test(pool, max_pool_ceil_mode);
  tcase_add_test(pool, max_pool_huge_window_small_workspace);
  tcase_add_test(pool, avg_pool_cases);
  tcase_add_test(pool, avg_pool_ceil_mode_divisor);
  tcase_add_test(pool, adaptive_and_global_pool);
  suite_add_tcase(s, pool);
  TCase *other = tcase_create("other");
  tcase_add_test(other, lrn_odd_and_even_windows);
  tcase_add_test(other, batch_norm_inference);
  tcase_add_test(other, activations);
  tcase_add_test(other, softmax_per_position);
  tcase_add_test(other, fully_connected_and_flatten);
  tcase_add_test(other, concat_and_add_over_batch);
  tcase_add_test(other, channel_pad_and_subsample);
  tcase_add_test(other, output_can_be_the_input);
  suite_add_tcase(s, other);
  return s;
}

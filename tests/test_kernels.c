/* Optimized kernels against the scalar oracle: the dispatched GEMM over a
 * table of shapes (partial tiles, k = 1, primes), convolution through GEMM
 * against the direct reference over every stride/padding/dilation/group
 * combination the zoo uses and more, and whole nets on the dispatched path
 * against the same nets forced onto the scalar path (CNNARCH_ISA=scalar, in
 * a child process). Tests of a SIMD path skip where the CPU lacks it. */
#define _POSIX_C_SOURCE 200809L /* fork, setenv */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernels/dispatch.h"
#include "kernels/kernels.h"
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
  if (strcmp(kernels->isa, "scalar") == 0) return; /* nothing to compare */
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

/* The input every whole-net comparison uses. */
static float *net_input(size_t size) {
  unsigned seed = 5;
  float *x = malloc(size * sizeof *x);
  for (size_t i = 0; i < size; i++) x[i] = uniform(&seed);
  return x;
}

/* Runs arch on its input in a child process with CNNARCH_ISA=scalar and
 * returns the output (size in *out). The dispatch table is chosen once per
 * process, so this must run before the calling process uses the library. */
static float *scalar_outputs(const char *arch, size_t *out) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    setenv("CNNARCH_ISA", "scalar", 1);
    cna_net *net;
    size_t shape[3], n = 0;
    if (strcmp(cna_isa(), "scalar") != 0 || cna_net_create_arch(arch, NULL, &net) != CNA_OK ||
        cna_net_input_shape(net, shape) != CNA_OK || cna_net_output_size(net, &n) != CNA_OK)
      _exit(1);
    float *x = net_input(shape[0] * shape[1] * shape[2]), *y = malloc(n * sizeof *y);
    if (cna_net_forward(net, x, 1, y) != CNA_OK || write(fds[1], &n, sizeof n) != sizeof n ||
        write(fds[1], y, n * sizeof *y) != (ssize_t)(n * sizeof *y))
      _exit(1);
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0, got = 0;
  float *y = NULL;
  if (read(fds[0], &n, sizeof n) == sizeof n && n > 0 && n < ((size_t)1 << 24)) {
    y = malloc(n * sizeof *y);
    while (got < n * sizeof *y) {
      ssize_t r = read(fds[0], (char *)y + got, n * sizeof *y - got);
      if (r <= 0) break;
      got += (size_t)r;
    }
  }
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && y != NULL &&
                    got == n * sizeof *y,
                "the scalar run of %s failed", arch);
  *out = n;
  return y;
}

START_TEST(whole_nets_agree_with_the_scalar_path) {
  /* Needs each test in a process of its own (Check's default), so that the
   * scalar children run before this process chooses its kernels. */
  const char *no_fork = getenv("CK_FORK");
  if (no_fork != NULL && strcmp(no_fork, "no") == 0) return;
  static const char *const archs[] = {"lenet5", "resnet20", "nin", "squeezenet1_1",
                                      "preact_resnet18", "alexnet_2012_grouped", "googlenet",
                                      "densenet121", "resnext50_32x4d"};
  enum { COUNT = sizeof archs / sizeof archs[0] };
  float *want[COUNT];
  size_t sizes[COUNT];
  for (size_t a = 0; a < COUNT; a++) want[a] = scalar_outputs(archs[a], &sizes[a]);
  for (size_t a = 0; a < COUNT; a++) {
    cna_net *net;
    ck_assert_ok(cna_net_create_arch(archs[a], NULL, &net));
    size_t shape[3], out;
    ck_assert_ok(cna_net_input_shape(net, shape));
    ck_assert_ok(cna_net_output_size(net, &out));
    ck_assert_uint_eq(out, sizes[a]);
    float *x = net_input(shape[0] * shape[1] * shape[2]), *y = malloc(out * sizeof *y);
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

START_TEST(isa_is_reported) {
  const char *isa = cna_isa();
  ck_assert(strcmp(isa, "scalar") == 0 || strcmp(isa, "avx2") == 0);
  ck_assert_str_eq(isa, cna__kernels_get()->isa);
  const char *forced = getenv("CNNARCH_ISA");
  if (forced != NULL && strcmp(forced, "scalar") == 0) ck_assert_str_eq(isa, "scalar");
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
  tcase_add_test(tc, whole_nets_agree_with_the_scalar_path);
  suite_add_tcase(s, tc);
  return s;
}

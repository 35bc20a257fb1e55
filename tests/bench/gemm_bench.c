/* gemm_bench: this core's fp32 FMA peak and how close the dispatched GEMM
 * micro-kernel gets to it.
 *
 *   build/tests/gemm_bench [SIZE]     (default 512: M = N = K = SIZE)
 *
 * The peak is measured, not looked up: a loop of independent FMAs (2 flops
 * per lane; AVX2's 8 lanes, or 16 where the AVX-512 path was chosen) on
 * one thread. The GEMM runs the packed blocked
 * product (kernels/f32-gemm-blocked.c) with A pre-packed as the library
 * packs weights, B packed per call as it packs activations. Medians of 15.
 * Links the static library for the internal kernel entry points. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#if defined(__x86_64__)
#include <immintrin.h>
/* 12 independent chains hide the FMA latency (4 cycles x 2 ports + slack). */
__attribute__((target("avx2,fma"))) static float fma_loop(long iterations) {
  __m256 acc[12];
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < iterations; it++) {
    acc[0] = _mm256_fmadd_ps(acc[0], x, y), acc[1] = _mm256_fmadd_ps(acc[1], x, y);
    acc[2] = _mm256_fmadd_ps(acc[2], x, y), acc[3] = _mm256_fmadd_ps(acc[3], x, y);
    acc[4] = _mm256_fmadd_ps(acc[4], x, y), acc[5] = _mm256_fmadd_ps(acc[5], x, y);
    acc[6] = _mm256_fmadd_ps(acc[6], x, y), acc[7] = _mm256_fmadd_ps(acc[7], x, y);
    acc[8] = _mm256_fmadd_ps(acc[8], x, y), acc[9] = _mm256_fmadd_ps(acc[9], x, y);
    acc[10] = _mm256_fmadd_ps(acc[10], x, y), acc[11] = _mm256_fmadd_ps(acc[11], x, y);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < 12; i++) sum = _mm256_add_ps(sum, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, sum);
  return out[0];
}

/* The same with 512-bit FMAs (32 flops each). */
__attribute__((target("avx512f"))) static float fma512_loop(long iterations) {
  __m512 acc[12];
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < iterations; it++)
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 sum = acc[0];
  for (int i = 1; i < 12; i++) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

/* The peak of the vector width the chosen path computes with. */
static double peak_gflops(int wide) {
  const long iterations = 20000000;
  double times[15];
  volatile float sink = 0;
  for (int r = 0; r < 15; r++) {
    const double t0 = now();
    sink += wide ? fma512_loop(iterations) : fma_loop(iterations);
    times[r] = now() - t0;
  }
  (void)sink;
  qsort(times, 15, sizeof times[0], by_value);
  return 12.0 * (wide ? 32.0 : 16.0) * (double)iterations / times[7] / 1e9;
}
#else
static double peak_gflops(int wide) {
  (void)wide;
  return 0;
}
#endif

int main(int argc, char **argv) {
  const size_t size = argc > 1 ? (size_t)atol(argv[1]) : 512;
  const cna__kernels *k = cna__kernels_get();
  const int wide = strcmp(k->isa, "avx512") == 0;
  const double peak = peak_gflops(wide);
  printf("fp32 FMA peak, 1 thread: %.1f GFLOP/s (%s)\n", peak,
         peak > 0 ? (wide ? "AVX-512 FMA loop" : "AVX2 FMA loop") : "not measured on this ISA");
  if (k->gemm_ukernel.fn == NULL || size == 0) {
    printf("gemm: no packed GEMM on the %s path\n", k->isa);
    return 0;
  }
  const size_t m = size, n = size, kk = size;
  /* 64-byte aligned, as the library's packed weights, workspace and
   * activations are (malloc's 16-byte alignment split a cache line per
   * vector access: ~10% slower here). */
  float *a = cna__aligned_alloc(m * kk * sizeof *a), *b = cna__aligned_alloc(kk * n * sizeof *b);
  float *c = cna__aligned_alloc(m * n * sizeof *c);
  float *packed =
      cna__aligned_alloc(cna_f32_gemm_packed_a_size(m, kk, k->gemm_ukernel.mr) * sizeof *packed);
  const size_t work_floats =
      cna_f32_gemm_workspace_size(&k->gemm_ukernel, &k->gemm_blocking, kk, n);
  float *work = cna__aligned_alloc(work_floats * sizeof *work);
  if (a == NULL || b == NULL || c == NULL || packed == NULL || work == NULL) return 1;
  for (size_t i = 0; i < m * kk; i++) a[i] = (float)(i % 7) * 0.1f;
  for (size_t i = 0; i < kk * n; i++) b[i] = (float)(i % 5) * 0.1f;
  cna_f32_gemm_pack_a(m, kk, a, kk, NULL, k->gemm_ukernel.mr,
                      cna_f32_gemm_kc(&k->gemm_blocking, kk), packed);
  const cna_gemm_b_source src = {.data = b, .ld = n};
  const cna_gemm_epilogue ep = {0};
  double times[15];
  for (int r = 0; r < 15; r++) {
    const double t0 = now();
    cna_f32_gemm_blocked(&k->gemm_ukernel, &k->gemm_blocking, m, 0, m, 0, n, kk, packed, &src, &ep,
                         c, n, work);
    times[r] = now() - t0;
  }
  qsort(times, 15, sizeof times[0], by_value);
  const double gflops = 2.0 * (double)m * (double)n * (double)kk / times[7] / 1e9;
  printf("gemm %zux%zux%zu (%s %zux%zu, kc=%zu nc=%zu): %.2f ms, %.1f GFLOP/s",
         m, n, kk, k->isa, k->gemm_ukernel.mr, k->gemm_ukernel.nr, k->gemm_blocking.kc,
         k->gemm_blocking.nc, times[7] * 1e3, gflops);
  if (peak > 0) printf(" = %.0f%% of peak", 100.0 * gflops / peak);
  printf("\n");
  cna__aligned_free(a), cna__aligned_free(b), cna__aligned_free(c);
  cna__aligned_free(packed), cna__aligned_free(work);
  return 0;
}

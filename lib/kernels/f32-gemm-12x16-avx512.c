/* AVX-512F packed micro-kernel: 12 rows of C times 16 columns (one zmm per
 * row), the same contract as the AVX2 6x16 (kernels.h, cna_gemm_tile) on
 * the same 16-column B panels, so packing and Winograd are shared. Each k
 * step is one B load and 12 FMAs with the A value broadcast from memory.
 * Partial tiles use masked loads and stores. Compiled with -mavx512f for
 * this file alone; chosen only when the CPU and the OS (XGETBV: opmask and
 * ZMM state) support it (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

void cna_f32_gemm_ukernel_12x16__avx512(const cna_gemm_tile *t) {
  const size_t rows = t->rows, ldc = t->ldc;
  const __mmask16 mask = (__mmask16)(t->cols >= 16 ? 0xFFFF : (1u << t->cols) - 1);
  float *c = t->c;
  __m512 c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
  if (t->accumulate) {
#define LOAD(r) c##r = r < rows ? _mm512_maskz_loadu_ps(mask, c + r * ldc) : _mm512_setzero_ps();
    ROWS(LOAD)
#undef LOAD
  } else {
#define START(r) c##r = _mm512_set1_ps(t->bias != NULL && r < rows ? t->bias[r] : 0.0f);
    ROWS(START)
#undef START
  }
  const float *restrict a = t->a, *restrict b = t->b;
  for (size_t p = t->kc; p > 0; p--) {
    const __m512 vb = _mm512_loadu_ps(b);
#define STEP(r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), vb, c##r);
    ROWS(STEP)
#undef STEP
    a += 12;
    b += 16;
  }
  if (t->residual != NULL) {
#define RES(r)                                                                              \
  if (r < rows)                                                                             \
    c##r = _mm512_add_ps(c##r, _mm512_maskz_loadu_ps(mask, t->residual + r * t->ld_residual));
    ROWS(RES)
#undef RES
  }
  if (t->relu) {
    /* max(0, x) returns x when x is NaN (the second operand wins). */
    const __m512 zero = _mm512_setzero_ps();
#define RELU(r) c##r = _mm512_max_ps(zero, c##r);
    ROWS(RELU)
#undef RELU
  }
#define STORE(r) \
  if (r < rows) _mm512_mask_storeu_ps(c + r * ldc, mask, c##r);
  ROWS(STORE)
#undef STORE
}

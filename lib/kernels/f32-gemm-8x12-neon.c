/* The packed GEMM micro-kernel for AArch64 Advanced SIMD (NEON): an 8x12
 * register tile, 8 rows of C times 12 columns (three 4-float vectors) held in
 * 24 accumulators. Each step of k loads A's 8 values into two q registers and
 * B's 12 into three, then multiplies each B vector by one lane of A
 * (vfmaq_laneq_f32, FMLA by element): 24 FMAs for 5 loads, 29 of the 32
 * vector registers live. NEON is baseline on AArch64, so this file needs no
 * extra compiler flags; it is built for aarch64 targets only (Makefile).
 *
 * Same contract as cna_f32_gemm_ukernel_6x16__avx2 (kernels.h): start from
 * the bias or from C, then after the last block of k add the residual and
 * apply ReLU. Partial tiles run in full on the zero-padded panels and store
 * only their valid part, through a small buffer, so an element's value never
 * depends on where the tile boundaries fall. */
#include <arm_neon.h>

#include "kernels/kernels.h"

/* The 24 accumulators are named variables, not an array: GCC keeps named
 * vectors in registers across the loop, where an array of them may be
 * spilled to the stack every step. */
#define CNA_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

void cna_f32_gemm_ukernel_8x12__neon(const cna_gemm_tile *t) {
  const size_t rows = t->rows, cols = t->cols, ldc = t->ldc;
  const int full = rows == 8 && cols == 12;
  float edge[8 * 12];
  /* Where the tile's values are read and written: C itself, or the buffer. */
  float *c = full ? t->c : edge;
  const size_t ld = full ? ldc : 12;
  if (!full && t->accumulate)
    for (size_t r = 0; r < 8; r++)
      for (size_t j = 0; j < 12; j++)
        edge[r * 12 + j] = r < rows && j < cols ? t->c[r * ldc + j] : 0.0f;

#define DECLARE(r) float32x4_t c##r##0, c##r##1, c##r##2;
  CNA_ROWS(DECLARE)
#undef DECLARE
  if (t->accumulate) {
#define LOAD(r)                            \
  c##r##0 = vld1q_f32(c + r * ld);         \
  c##r##1 = vld1q_f32(c + r * ld + 4);     \
  c##r##2 = vld1q_f32(c + r * ld + 8);
    CNA_ROWS(LOAD)
#undef LOAD
  } else {
    float start[8] = {0};
    for (size_t r = 0; r < rows && t->bias != NULL; r++) start[r] = t->bias[r];
#define START(r) c##r##0 = c##r##1 = c##r##2 = vdupq_n_f32(start[r]);
    CNA_ROWS(START)
#undef START
  }

  const float *restrict a = t->a, *restrict b = t->b;
  for (size_t p = t->kc; p > 0; p--) {
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
#define FMA(r, av, lane)                              \
  c##r##0 = vfmaq_laneq_f32(c##r##0, b0, av, lane);   \
  c##r##1 = vfmaq_laneq_f32(c##r##1, b1, av, lane);   \
  c##r##2 = vfmaq_laneq_f32(c##r##2, b2, av, lane);
    FMA(0, a0, 0) FMA(1, a0, 1) FMA(2, a0, 2) FMA(3, a0, 3)
    FMA(4, a1, 0) FMA(5, a1, 1) FMA(6, a1, 2) FMA(7, a1, 3)
#undef FMA
    a += 8;
    b += 12;
  }

  /* The epilogue runs once per tile: an array is fine here. */
  float32x4_t acc[8][3] = {
#define ROW(r) {c##r##0, c##r##1, c##r##2},
      CNA_ROWS(ROW)
#undef ROW
  };
  if (t->residual != NULL) {
    for (size_t r = 0; r < 8; r++) {
      const float *res = t->residual + r * t->ld_residual;
      if (full) {
        for (int v = 0; v < 3; v++) acc[r][v] = vaddq_f32(acc[r][v], vld1q_f32(res + 4 * v));
      } else if (r < rows) {
        float row[12] = {0};
        for (size_t j = 0; j < cols; j++) row[j] = res[j];
        for (int v = 0; v < 3; v++) acc[r][v] = vaddq_f32(acc[r][v], vld1q_f32(row + 4 * v));
      }
    }
  }
  if (t->relu) {
    /* FMAX returns NaN when either operand is NaN: ReLU keeps NaN, as
     * PyTorch's relu does (and as max(0, x) does on the AVX2 path). */
    const float32x4_t zero = vdupq_n_f32(0.0f);
    for (int r = 0; r < 8; r++)
      for (int v = 0; v < 3; v++) acc[r][v] = vmaxq_f32(zero, acc[r][v]);
  }
  for (int r = 0; r < 8; r++)
    for (int v = 0; v < 3; v++) vst1q_f32(c + r * ld + 4 * v, acc[r][v]);
  if (!full)
    for (size_t r = 0; r < rows; r++)
      for (size_t j = 0; j < cols; j++) t->c[r * ldc + j] = edge[r * 12 + j];
}

#undef CNA_ROWS

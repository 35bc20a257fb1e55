/* A NEON micro-kernel on 16-column B panels: 4 rows of C times 16 columns
 * (four 4-float vectors) in 16 accumulators, for Winograd's products, whose
 * input transform writes 16-lane panels (the 8x12 kernel's 12-column panels
 * do not match them). Each step of k loads A's 4 values into one q register
 * and B's 16 into four, then one FMLA by element per accumulator: 16 FMAs
 * for 5 loads, 21 of the 32 vector registers live. Built for aarch64
 * targets only (Makefile).
 *
 * Same contract and epilogue as the 8x12 kernel (f32-gemm-8x12-neon.c):
 * partial tiles run in full on the zero-padded panels and store only their
 * valid part through a small buffer. */
#include <arm_neon.h>

#include "kernels/kernels.h"

#define CNA_ROWS(X) X(0) X(1) X(2) X(3)

void cna_f32_gemm_ukernel_4x16__neon(const cna_gemm_tile *t) {
  const size_t rows = t->rows, cols = t->cols, ldc = t->ldc;
  const int full = rows == 4 && cols == 16;
  float edge[4 * 16];
  float *c = full ? t->c : edge;
  const size_t ld = full ? ldc : 16;
  if (!full && t->accumulate)
    for (size_t r = 0; r < 4; r++)
      for (size_t j = 0; j < 16; j++)
        edge[r * 16 + j] = r < rows && j < cols ? t->c[r * ldc + j] : 0.0f;

#define DECLARE(r) float32x4_t c##r##0, c##r##1, c##r##2, c##r##3;
  CNA_ROWS(DECLARE)
#undef DECLARE
  if (t->accumulate) {
#define LOAD(r)                            \
  c##r##0 = vld1q_f32(c + r * ld);         \
  c##r##1 = vld1q_f32(c + r * ld + 4);     \
  c##r##2 = vld1q_f32(c + r * ld + 8);     \
  c##r##3 = vld1q_f32(c + r * ld + 12);
    CNA_ROWS(LOAD)
#undef LOAD
  } else {
    float start[4] = {0};
    for (size_t r = 0; r < rows && t->bias != NULL; r++) start[r] = t->bias[r];
#define START(r) c##r##0 = c##r##1 = c##r##2 = c##r##3 = vdupq_n_f32(start[r]);
    CNA_ROWS(START)
#undef START
  }

  const float *restrict a = t->a, *restrict b = t->b;
  for (size_t p = t->kc; p > 0; p--) {
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8),
                      b3 = vld1q_f32(b + 12);
#define FMA(r)                                        \
  c##r##0 = vfmaq_laneq_f32(c##r##0, b0, a0, r);      \
  c##r##1 = vfmaq_laneq_f32(c##r##1, b1, a0, r);      \
  c##r##2 = vfmaq_laneq_f32(c##r##2, b2, a0, r);      \
  c##r##3 = vfmaq_laneq_f32(c##r##3, b3, a0, r);
    CNA_ROWS(FMA)
#undef FMA
    a += 4;
    b += 16;
  }

  float32x4_t acc[4][4] = {
#define ROW(r) {c##r##0, c##r##1, c##r##2, c##r##3},
      CNA_ROWS(ROW)
#undef ROW
  };
  if (t->residual != NULL) {
    for (size_t r = 0; r < 4; r++) {
      const float *res = t->residual + r * t->ld_residual;
      if (full) {
        for (int v = 0; v < 4; v++) acc[r][v] = vaddq_f32(acc[r][v], vld1q_f32(res + 4 * v));
      } else if (r < rows) {
        float row[16] = {0};
        for (size_t j = 0; j < cols; j++) row[j] = res[j];
        for (int v = 0; v < 4; v++) acc[r][v] = vaddq_f32(acc[r][v], vld1q_f32(row + 4 * v));
      }
    }
  }
  if (t->relu) {
    /* FMAX returns NaN when either operand is NaN: ReLU keeps NaN. */
    const float32x4_t zero = vdupq_n_f32(0.0f);
    for (int r = 0; r < 4; r++)
      for (int v = 0; v < 4; v++) acc[r][v] = vmaxq_f32(zero, acc[r][v]);
  }
  for (int r = 0; r < 4; r++)
    for (int v = 0; v < 4; v++) vst1q_f32(c + r * ld + 4 * v, acc[r][v]);
  if (!full)
    for (size_t r = 0; r < rows; r++)
      for (size_t j = 0; j < cols; j++) t->c[r * ldc + j] = edge[r * 16 + j];
}

#undef CNA_ROWS

/* AVX-512F micro-kernel of the direct grouped convolution
 * (f32-conv2d-group.c): 8 output channels x 2 vectors of 16 virtual pixels
 * (16 accumulators), or 4 x 4 for groups of 4 channels. Per input channel
 * and tap: one unaligned load per pixel vector, one broadcast per channel,
 * channels x vectors FMAs; the bias and ReLU in registers on the way out.
 * Compiled with -mavx512f for this file alone; chosen only where the CPU
 * and the OS support it (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

enum { V = 16, BLOCK = CNA_CONV2D_GROUP_BLOCK };

#define SWEEP(MB, PV)                                                                      \
  static void sweep_##MB##x##PV(const float *input, size_t channels, size_t plane,          \
                                const ptrdiff_t *offsets, size_t taps, const float *weights, \
                                const float *bias, int relu, size_t vn, float *out) {        \
    for (size_t v0 = 0; v0 < vn; v0 += V * PV) {                                             \
      __m512 acc[MB][PV];                                                                    \
      for (int j = 0; j < MB; j++)                                                           \
        for (int q = 0; q < PV; q++) acc[j][q] = _mm512_setzero_ps();                        \
      const float *w = weights;                                                              \
      for (size_t c = 0; c < channels; c++) {                                                \
        const float *base = input + c * plane + v0;                                          \
        for (size_t t = 0; t < taps; t++, w += BLOCK) {                                      \
          __m512 x[PV];                                                                      \
          for (int q = 0; q < PV; q++) x[q] = _mm512_loadu_ps(base + offsets[t] + q * V);    \
          for (int j = 0; j < MB; j++) {                                                     \
            const __m512 wj = _mm512_set1_ps(w[j]);                                          \
            for (int q = 0; q < PV; q++) acc[j][q] = _mm512_fmadd_ps(wj, x[q], acc[j][q]);   \
          }                                                                                  \
        }                                                                                    \
      }                                                                                      \
      for (int j = 0; j < MB; j++) {                                                         \
        const __m512 b = _mm512_set1_ps(bias[j]);                                            \
        /* vn is a multiple of 16, not of V * PV: the vectors past it are dropped. */        \
        for (int q = 0; q < PV && v0 + (size_t)q * V < vn; q++) {                            \
          __m512 y = _mm512_add_ps(acc[j][q], b);                                            \
          if (relu) y = _mm512_max_ps(_mm512_setzero_ps(), y); /* NaN kept */                \
          _mm512_storeu_ps(out + (size_t)j * vn + v0 + (size_t)q * V, y);                    \
        }                                                                                    \
      }                                                                                      \
    }                                                                                        \
  }

SWEEP(8, 2)
SWEEP(4, 4)
#undef SWEEP

void cna_f32_conv2d_group_kernel__avx512(size_t rows, const float *input, size_t channels,
                                         size_t plane, const ptrdiff_t *offsets, size_t taps,
                                         const float *weights, const float *bias, int relu,
                                         size_t vn, float *out) {
  if (rows == BLOCK)
    sweep_8x2(input, channels, plane, offsets, taps, weights, bias, relu, vn, out);
  else
    sweep_4x4(input, channels, plane, offsets, taps, weights, bias, relu, vn, out);
}

/* AVX2 micro-kernel of the direct grouped convolution
 * (f32-conv2d-group.c): 4 output channels x 2 vectors of 8 virtual pixels
 * (8 accumulators: AVX2 has 16 registers), twice for blocks of 8
 * channels. Per input channel and tap: one unaligned load per pixel
 * vector, one broadcast per channel, channels x vectors FMAs; the bias and
 * ReLU are applied in registers on the way out. Compiled with -mavx2 -mfma
 * for this file alone; chosen only where the CPU and the OS support it
 * (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

enum { V = 8, PV = 2, MB = 4, BLOCK = CNA_CONV2D_GROUP_BLOCK };

/* Output channels first..first+3 of the block. */
static void sweep(const float *input, size_t channels, size_t plane, const ptrdiff_t *offsets,
                  size_t taps, const float *weights, const float *bias, int relu, size_t first,
                  size_t vn, float *out) {
  for (size_t v0 = 0; v0 < vn; v0 += V * PV) {
    __m256 acc[MB][PV];
    for (int j = 0; j < MB; j++)
      for (int q = 0; q < PV; q++) acc[j][q] = _mm256_setzero_ps();
    const float *w = weights + first;
    for (size_t c = 0; c < channels; c++) {
      const float *base = input + c * plane + v0;
      for (size_t t = 0; t < taps; t++, w += BLOCK) {
        __m256 x[PV];
        for (int q = 0; q < PV; q++) x[q] = _mm256_loadu_ps(base + offsets[t] + q * V);
        for (int j = 0; j < MB; j++) {
          const __m256 wj = _mm256_broadcast_ss(w + j);
          for (int q = 0; q < PV; q++) acc[j][q] = _mm256_fmadd_ps(wj, x[q], acc[j][q]);
        }
      }
    }
    for (int j = 0; j < MB; j++) {
      const __m256 b = _mm256_broadcast_ss(bias + first + j);
      for (int q = 0; q < PV; q++) {
        /* max(0, x) is x when x is NaN. */
        __m256 y = _mm256_add_ps(acc[j][q], b);
        if (relu) y = _mm256_max_ps(_mm256_setzero_ps(), y);
        _mm256_storeu_ps(out + (first + (size_t)j) * vn + v0 + (size_t)q * V, y);
      }
    }
  }
}

void cna_f32_conv2d_group_kernel__avx2(size_t rows, const float *input, size_t channels,
                                       size_t plane, const ptrdiff_t *offsets, size_t taps,
                                       const float *weights, const float *bias, int relu,
                                       size_t vn, float *out) {
  for (size_t first = 0; first < rows; first += MB)
    sweep(input, channels, plane, offsets, taps, weights, bias, relu, first, vn, out);
}

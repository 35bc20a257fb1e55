/* AVX2 average pooling over 2x2 windows at stride 2, unpadded (DenseNet's
 * transitions), 8 outputs a step: two rows of 16 inputs split into their
 * even and odd columns. Each output gets the reference's arithmetic
 * (cna_f32_avg_pool2d__scalar): 0 + top left + top right + bottom left +
 * bottom right, in that order, divided by 4: the same bits. The reference
 * spends most of its time finding each window's bounds (1.6 ns an input
 * value: 1.1 ms of DenseNet-121's 57 at batch 1). Compiled with -mavx2
 * for this file alone (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

/* Columns 0, 2, ..., 14 and 1, 3, ..., 15 of 16 values. */
static inline void split(const float *src, __m256 *even, __m256 *odd) {
  const __m256 a = _mm256_loadu_ps(src), b = _mm256_loadu_ps(src + 8);
  /* Within each 128-bit half: a's pair then b's; then the 64-bit quarters
   * reordered to a's four, b's four. */
  *even = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
  *odd = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

void cna_f32_avg_pool2d_2x2s2__avx2(const cna_pool2d_params *p, const float *restrict input,
                                    float *restrict output, float *restrict scratch) {
  (void)scratch;
  const size_t iw = p->in_width, ow = p->out_width;
  const __m256 zero = _mm256_setzero_ps(), four = _mm256_set1_ps(4.0f);
  for (size_t c = 0; c < p->channels; c++) {
    const float *plane = input + c * p->in_height * iw;
    for (size_t oy = 0; oy < p->out_height; oy++, output += ow) {
      const float *top = plane + 2 * oy * iw, *bottom = top + iw;
      size_t ox = 0;
      for (; ox + 8 <= ow; ox += 8) {
        __m256 e0, o0, e1, o1;
        split(top + 2 * ox, &e0, &o0);
        split(bottom + 2 * ox, &e1, &o1);
        __m256 sum = _mm256_add_ps(zero, e0);
        sum = _mm256_add_ps(sum, o0);
        sum = _mm256_add_ps(sum, e1);
        sum = _mm256_add_ps(sum, o1);
        _mm256_storeu_ps(output + ox, _mm256_div_ps(sum, four));
      }
      for (; ox < ow; ox++) {
        float sum = 0.0f;
        sum += top[2 * ox];
        sum += top[2 * ox + 1];
        sum += bottom[2 * ox];
        sum += bottom[2 * ox + 1];
        output[ox] = sum / 4.0f;
      }
    }
  }
}

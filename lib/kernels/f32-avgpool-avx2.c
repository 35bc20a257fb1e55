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

/* Element i of 8 planes (stride floats apart), one per lane. */
static inline __m256 column(const float *x, size_t stride, size_t i) {
  return _mm256_setr_ps(x[i], x[stride + i], x[2 * stride + i], x[3 * stride + i],
                        x[4 * stride + i], x[5 * stride + i], x[6 * stride + i],
                        x[7 * stride + i]);
}

/* Global average pooling, 8 channels at a time, one per lane: each lane
 * adds its plane's values one by one from 0, in the reference's order
 * (cna_f32_global_avg_pool__scalar), so the bits are the same. 8 values of
 * 8 planes are loaded as rows and transposed in registers. The reference
 * is one chain of dependent additions per channel (169 on SqueezeNet's
 * 13x13 planes: 0.16 ms for its 1000 channels, ORT 0.05). */
void cna_f32_global_avg_pool__avx2(size_t channels, size_t plane_size,
                                   const float *restrict input, float *restrict output) {
  const __m256 count = _mm256_set1_ps((float)plane_size);
  size_t c = 0;
  for (; c + 8 <= channels; c += 8) {
    const float *x = input + c * plane_size;
    __m256 sum = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= plane_size; i += 8) {
      const __m256 r0 = _mm256_loadu_ps(x + i), r1 = _mm256_loadu_ps(x + plane_size + i);
      const __m256 r2 = _mm256_loadu_ps(x + 2 * plane_size + i);
      const __m256 r3 = _mm256_loadu_ps(x + 3 * plane_size + i);
      const __m256 r4 = _mm256_loadu_ps(x + 4 * plane_size + i);
      const __m256 r5 = _mm256_loadu_ps(x + 5 * plane_size + i);
      const __m256 r6 = _mm256_loadu_ps(x + 6 * plane_size + i);
      const __m256 r7 = _mm256_loadu_ps(x + 7 * plane_size + i);
      /* Pairs of rows interleaved, then pairs of pairs: each 128-bit half
       * holds 4 channels' values at i + k (low half) and i + 4 + k. */
      const __m256 a0 = _mm256_unpacklo_ps(r0, r1), a1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 a2 = _mm256_unpacklo_ps(r2, r3), a3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 a4 = _mm256_unpacklo_ps(r4, r5), a5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 a6 = _mm256_unpacklo_ps(r6, r7), a7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
      const __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
      const __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
      const __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);
      /* b0: channels 0-3 at i (low) and i + 4 (high); b4 the same for 4-7. */
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b0, b4, 0x20));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b1, b5, 0x20));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b2, b6, 0x20));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b3, b7, 0x20));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b0, b4, 0x31));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b1, b5, 0x31));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b2, b6, 0x31));
      sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(b3, b7, 0x31));
    }
    for (; i < plane_size; i++) sum = _mm256_add_ps(sum, column(x, plane_size, i));
    _mm256_storeu_ps(output + c, _mm256_div_ps(sum, count));
  }
  if (c < channels)
    cna_f32_global_avg_pool__scalar(channels - c, plane_size, input + c * plane_size, output + c);
}

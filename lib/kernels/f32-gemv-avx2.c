/* AVX2 + FMA fully connected product for small batches (8 images at a
 * time). A block of 4 weight rows meets 3 images at a time: each 8-float
 * load of a row feeds an FMA per image and each load of an image one per
 * row, 7 loads for 12 FMAs. The rows go by in chunks of CHUNK floats
 * that every group of images reads before the next chunk, so the later
 * groups find the chunk in L1: with whole rows they read it from L2, and
 * each pass after the first cost AlexNet's 9216 -> 4096 layer 3.5 ms on
 * the Xeon, a third of its weights' trip from memory. In AlexNet at
 * batch 8 on the Xeon that layer went from 18.5 to 12.1 ms; at batch 1 it
 * is level (memory-bound). Prefetching the next block's rows into L2
 * made it faster alone but up to 8% slower in the net.
 *
 * Every (row, image) pair has its own 8-lane accumulator, fed in the
 * same order and summed the same way whatever block, chunk, batch or
 * thread it falls in: an image's outputs do not depend on the others in
 * its batch, and splitting rows over threads never changes a result. */
#include <immintrin.h>

#include "kernels/kernels.h"

#define INLINE static inline __attribute__((always_inline))

enum { ROWS = 4, IMAGES = 8, GROUP = 3, CHUNK = 512 };

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* Columns [i0, i1) (multiples of 8) of R rows (w, n floats apart) against
 * B images (x, ld_x apart), R and B constants once inlined: adds to the
 * accumulators acc[r][b0 + b]. */
INLINE void part(size_t n, const size_t R, const size_t B, const float *restrict w,
                 const float *restrict x, size_t ld_x, size_t i0, size_t i1,
                 __m256 acc[ROWS][IMAGES], size_t b0) {
  __m256 a[ROWS][GROUP];
  for (size_t r = 0; r < R; r++)
    for (size_t b = 0; b < B; b++) a[r][b] = acc[r][b0 + b];
  for (size_t i = i0; i < i1; i += 8) {
    __m256 xv[GROUP];
    for (size_t b = 0; b < B; b++) xv[b] = _mm256_loadu_ps(x + b * ld_x + i);
    for (size_t r = 0; r < R; r++) {
      const __m256 wv = _mm256_loadu_ps(w + r * n + i);
      for (size_t b = 0; b < B; b++) a[r][b] = _mm256_fmadd_ps(wv, xv[b], a[r][b]);
    }
  }
  for (size_t r = 0; r < R; r++)
    for (size_t b = 0; b < B; b++) acc[r][b0 + b] = a[r][b];
}

/* R rows for batch <= IMAGES images: output[b * ld_out + r] = bias[r] +
 * w_r . x_b. */
INLINE void rows_block(size_t n, const size_t R, size_t batch, const float *restrict w,
                       const float *restrict x, size_t ld_x, const float *restrict bias,
                       float *restrict out, size_t ld_out) {
  __m256 acc[ROWS][IMAGES];
  for (size_t r = 0; r < R; r++)
    for (size_t b = 0; b < batch; b++) acc[r][b] = _mm256_setzero_ps();
  const size_t n8 = n / 8 * 8;
  for (size_t i0 = 0; i0 < n8; i0 += CHUNK) {
    const size_t i1 = n8 - i0 < CHUNK ? n8 : i0 + CHUNK;
    size_t b = 0;
    for (; b + GROUP <= batch; b += GROUP)
      part(n, R, GROUP, w, x + b * ld_x, ld_x, i0, i1, acc, b);
    if (batch - b == 2)
      part(n, R, 2, w, x + b * ld_x, ld_x, i0, i1, acc, b);
    if (batch - b == 1)
      part(n, R, 1, w, x + b * ld_x, ld_x, i0, i1, acc, b);
  }
  for (size_t r = 0; r < R; r++)
    for (size_t b = 0; b < batch; b++) {
      float s = hsum(acc[r][b]);
      for (size_t j = n8; j < n; j++) s += w[r * n + j] * x[b * ld_x + j];
      out[b * ld_out + r] = s + (bias != NULL ? bias[r] : 0.0f);
    }
}

void cna_f32_fully_connected_rows__avx2(size_t in_features, size_t rows, size_t batch,
                                        const float *restrict input, size_t ld_input,
                                        const float *restrict weights,
                                        const float *restrict bias, float *restrict output,
                                        size_t ld_output) {
  const size_t n = in_features;
  for (size_t b0 = 0; b0 < batch; b0 += IMAGES) {
    const size_t images = batch - b0 < IMAGES ? batch - b0 : IMAGES;
    const float *x = input + b0 * ld_input;
    float *out = output + b0 * ld_output;
    size_t r = 0;
    for (; r + ROWS <= rows; r += ROWS)
      rows_block(n, ROWS, images, weights + r * n, x, ld_input, bias != NULL ? bias + r : NULL,
                 out + r, ld_output);
    for (; r < rows; r++)
      rows_block(n, 1, images, weights + r * n, x, ld_input, bias != NULL ? bias + r : NULL,
                 out + r, ld_output);
  }
}

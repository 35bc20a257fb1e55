/* AVX2 + FMA fully connected product for small batches: four weight rows
 * at a time against each image (a 4-row block, 4 x in_features floats,
 * stays in L2 while the images pass), two 8-float accumulators per row.
 * Each row's sum is formed the same way whichever block it falls in, so
 * splitting rows over threads never changes a result. */
#include <immintrin.h>

#include "kernels/kernels.h"

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* One row's dot product, in the order every row uses. */
static float dot(size_t n, const float *restrict w, const float *restrict x) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  float sum = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; i++) sum += w[i] * x[i];
  return sum;
}

void cna_f32_fully_connected_rows__avx2(size_t in_features, size_t rows, size_t batch,
                                        const float *restrict input, size_t ld_input,
                                        const float *restrict weights,
                                        const float *restrict bias, float *restrict output,
                                        size_t ld_output) {
  const size_t n = in_features;
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *w0 = weights + r * n, *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    for (size_t b = 0; b < batch; b++) {
      const float *x = input + b * ld_input;
      __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
             a30 = a00, a31 = a00;
      size_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
        a00 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), x0, a00);
        a01 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i + 8), x1, a01);
        a10 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), x0, a10);
        a11 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i + 8), x1, a11);
        a20 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), x0, a20);
        a21 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i + 8), x1, a21);
        a30 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), x0, a30);
        a31 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i + 8), x1, a31);
      }
      float s[4] = {hsum(_mm256_add_ps(a00, a01)), hsum(_mm256_add_ps(a10, a11)),
                    hsum(_mm256_add_ps(a20, a21)), hsum(_mm256_add_ps(a30, a31))};
      for (size_t j = i; j < n; j++) {
        s[0] += w0[j] * x[j];
        s[1] += w1[j] * x[j];
        s[2] += w2[j] * x[j];
        s[3] += w3[j] * x[j];
      }
      for (int q = 0; q < 4; q++)
        output[b * ld_output + r + (size_t)q] = s[q] + (bias != NULL ? bias[r + (size_t)q] : 0.0f);
    }
  }
  for (; r < rows; r++)
    for (size_t b = 0; b < batch; b++)
      output[b * ld_output + r] =
          dot(n, weights + r * n, input + b * ld_input) + (bias != NULL ? bias[r] : 0.0f);
}

/* Reference matrix product, the oracle of the SIMD GEMM kernels:
 * C (m x n) = A (m x k) * B (k x n) + bias (one value per row of C, or
 * none), all row-major with leading dimensions lda, ldb, ldc. */
#include "kernels/kernels.h"

void cna_f32_gemm__scalar(size_t m, size_t n, size_t k, const float *restrict a,
                          size_t lda, const float *restrict b, size_t ldb,
                          const float *restrict bias, float *restrict c, size_t ldc) {
  for (size_t i = 0; i < m; i++) {
    float *row = c + i * ldc;
    const float start = bias != NULL ? bias[i] : 0.0f;
    for (size_t j = 0; j < n; j++) row[j] = start;
    for (size_t p = 0; p < k; p++) {
      const float w = a[i * lda + p];
      const float *src = b + p * ldb;
      for (size_t j = 0; j < n; j++) row[j] += w * src[j];
    }
  }
}

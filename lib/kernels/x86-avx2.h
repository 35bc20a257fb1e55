/* x86-avx2.h - inline helpers shared by the AVX2 kernels. Include it only
 * from files compiled with -mavx2 -mfma (the -avx2.c files, see the
 * Makefile): its functions are AVX2 code. */
#ifndef CNA_X86_AVX2_H
#define CNA_X86_AVX2_H

#include <immintrin.h>

/* Rows 0..7 of an 8x8 matrix (r[i] its row i) into its columns. */
static inline __attribute__((always_inline)) void cna_avx2_transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* A row of 6 values: into a vector's first 6 lanes (the rest zero), and
 * out of them (a 4-float and a 2-float access each, any alignment). */
static inline __m256 cna_avx2_load_row6(const float *src) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src)),
                              _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(src + 4))), 1);
}
static inline void cna_avx2_store_row6(float *dst, __m256 y) {
  _mm_storeu_ps(dst, _mm256_castps256_ps128(y));
  _mm_storel_epi64((__m128i *)(dst + 4), _mm_castps_si128(_mm256_extractf128_ps(y, 1)));
}

#endif /* CNA_X86_AVX2_H */

/* AVX2 max pooling, separable: for each output row the window's input rows
 * are reduced into one row (8 columns per instruction), then each output
 * takes the max along its window of that row (8 outputs per step at stride
 * 1). Max is exact, so results equal the scalar reference's; NaN
 * propagates and padding never wins, as there. */
#include <immintrin.h>
#include <math.h>

#include "kernels/kernels.h"

/* max(a, b) that returns NaN if either is NaN (vmaxps alone returns b when
 * a is NaN). */
static inline __m256 nan_max(__m256 a, __m256 b) {
  return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

static inline float nan_max1(float a, float b) { return a > b || isnan(a) ? a : b; }

static void clip(size_t o, size_t stride, size_t pad, size_t kernel, size_t in, size_t *begin,
                 size_t *end) {
  ptrdiff_t b = (ptrdiff_t)(o * stride) - (ptrdiff_t)pad, e = b + (ptrdiff_t)kernel;
  if (b < 0) b = 0;
  if (e > (ptrdiff_t)in) e = (ptrdiff_t)in;
  *begin = (size_t)b;
  *end = e > b ? (size_t)e : (size_t)b;
}

/* The max of output o's window along a row, clipped to the row. */
static float clipped_max(const cna_pool2d_params *p, const float *row, size_t o) {
  size_t w0, w1;
  clip(o, p->stride_w, p->pad_left, p->kernel_w, p->in_width, &w0, &w1);
  float m = -INFINITY;
  for (size_t w = w0; w < w1; w++) m = nan_max1(row[w], m);
  return m;
}

/* Lanes [0, n) of 8 set, for masked loads and stores of a row's tail. */
static inline __m256i tail_mask(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

void cna_f32_max_pool2d__avx2(const cna_pool2d_params *p, const float *restrict input,
                              float *restrict output, float *restrict scratch) {
  const size_t iw = p->in_width, ow = p->out_width, kw = p->kernel_w;
  float *restrict row = scratch, *restrict wide = scratch + iw;
  /* Outputs whose window lies inside the row: [first, last). */
  size_t first = (p->pad_left + p->stride_w - 1) / p->stride_w, last = 0;
  if (iw + p->pad_left >= kw) last = (iw + p->pad_left - kw) / p->stride_w + 1;
  if (last > ow) last = ow;
  if (first > last) first = last;
  /* Window starts inside the row: 0 .. iw - kw. */
  const size_t starts = iw >= kw ? iw - kw + 1 : 0;
  const __m256i row_tail = tail_mask(iw % 8), start_tail = tail_mask(starts % 8);
  for (size_t c = 0; c < p->channels; c++) {
    const float *plane = input + c * p->in_height * iw;
    for (size_t oh = 0; oh < p->out_height; oh++, output += ow) {
      size_t h0, h1;
      clip(oh, p->stride_h, p->pad_top, p->kernel_h, p->in_height, &h0, &h1);
      /* Rows h0..h1 reduced into row, 8 columns at a time, the tail masked. */
      if (h1 == h0) {
        for (size_t x = 0; x < iw; x++) row[x] = -INFINITY;
      } else {
        size_t x = 0;
        for (; x + 8 <= iw; x += 8) {
          __m256 m = _mm256_loadu_ps(plane + h0 * iw + x);
          for (size_t h = h0 + 1; h < h1; h++) m = nan_max(_mm256_loadu_ps(plane + h * iw + x), m);
          _mm256_storeu_ps(row + x, m);
        }
        if (x < iw) {
          __m256 m = _mm256_maskload_ps(plane + h0 * iw + x, row_tail);
          for (size_t h = h0 + 1; h < h1; h++)
            m = nan_max(_mm256_maskload_ps(plane + h * iw + x, row_tail), m);
          _mm256_maskstore_ps(row + x, row_tail, m);
        }
      }
      /* The max of every window starting inside the row (stride 1), then
       * the outputs pick theirs: wide[x] = max(row[x .. x + kw)). */
      size_t x = 0;
      for (; x + 8 <= starts; x += 8) {
        __m256 m = _mm256_loadu_ps(row + x);
        for (size_t k = 1; k < kw; k++) m = nan_max(_mm256_loadu_ps(row + x + k), m);
        _mm256_storeu_ps(wide + x, m);
      }
      if (x < starts) {
        __m256 m = _mm256_maskload_ps(row + x, start_tail);
        for (size_t k = 1; k < kw; k++) m = nan_max(_mm256_maskload_ps(row + x + k, start_tail), m);
        _mm256_maskstore_ps(wide + x, start_tail, m);
      }
      for (size_t o = first; o < last; o++) output[o] = wide[o * p->stride_w - p->pad_left];
      /* Windows cut by the padding, at both ends. */
      for (size_t o = 0; o < first; o++) output[o] = clipped_max(p, row, o);
      for (size_t o = last; o < ow; o++) output[o] = clipped_max(p, row, o);
    }
  }
}

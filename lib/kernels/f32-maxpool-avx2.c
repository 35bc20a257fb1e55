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

void cna_f32_max_pool2d__avx2(const cna_pool2d_params *p, const float *restrict input,
                              float *restrict output, float *restrict row) {
  const size_t iw = p->in_width, ow = p->out_width;
  /* Outputs whose window lies inside the row: [first, last). */
  size_t first = (p->pad_left + p->stride_w - 1) / p->stride_w, last = 0;
  if (iw + p->pad_left >= p->kernel_w) last = (iw + p->pad_left - p->kernel_w) / p->stride_w + 1;
  if (last > ow) last = ow;
  if (first > last) first = last;
  for (size_t c = 0; c < p->channels; c++) {
    const float *plane = input + c * p->in_height * iw;
    for (size_t oh = 0; oh < p->out_height; oh++, output += ow) {
      size_t h0, h1;
      clip(oh, p->stride_h, p->pad_top, p->kernel_h, p->in_height, &h0, &h1);
      /* Rows h0..h1 reduced into row. */
      size_t x = 0;
      if (h1 == h0) {
        for (; x < iw; x++) row[x] = -INFINITY;
      } else {
        for (; x + 8 <= iw; x += 8) {
          __m256 m = _mm256_loadu_ps(plane + h0 * iw + x);
          for (size_t h = h0 + 1; h < h1; h++) m = nan_max(_mm256_loadu_ps(plane + h * iw + x), m);
          _mm256_storeu_ps(row + x, m);
        }
        for (; x < iw; x++) {
          float m = plane[h0 * iw + x];
          for (size_t h = h0 + 1; h < h1; h++) m = nan_max1(plane[h * iw + x], m);
          row[x] = m;
        }
      }
      /* Along the row. */
      size_t o = 0;
      for (; o < first; o++) {
        size_t w0, w1;
        clip(o, p->stride_w, p->pad_left, p->kernel_w, iw, &w0, &w1);
        float m = -INFINITY;
        for (size_t w = w0; w < w1; w++) m = nan_max1(row[w], m);
        output[o] = m;
      }
      if (p->stride_w == 1) {
        for (; o + 8 <= last; o += 8) {
          const float *src = row + o - p->pad_left;
          __m256 m = _mm256_loadu_ps(src);
          for (size_t k = 1; k < p->kernel_w; k++) m = nan_max(_mm256_loadu_ps(src + k), m);
          _mm256_storeu_ps(output + o, m);
        }
      }
      for (; o < last; o++) {
        const float *src = row + o * p->stride_w - p->pad_left;
        float m = src[0];
        for (size_t k = 1; k < p->kernel_w; k++) m = nan_max1(src[k], m);
        output[o] = m;
      }
      for (; o < ow; o++) {
        size_t w0, w1;
        clip(o, p->stride_w, p->pad_left, p->kernel_w, iw, &w0, &w1);
        float m = -INFINITY;
        for (size_t w = w0; w < w1; w++) m = nan_max1(row[w], m);
        output[o] = m;
      }
    }
  }
}

/* AVX2 max pooling, separable: for each output row the window's input rows
 * are reduced into one padded row (8 columns per instruction), then each
 * output takes the max along its window of that row, 8 outputs per step:
 * at stride 1 straight from the row, at stride 2 (the zoo's pooling) from
 * its even and odd columns, split apart once per row so that every window
 * is again a few unit-stride loads; other strides one output at a time.
 * The row's padding holds -inf, so windows cut by the padding (or by
 * ceil mode) need no clipping. Max is exact, so results equal the scalar
 * reference's; NaN propagates and padding never wins, as there. */
#include <immintrin.h>
#include <math.h>

#include "kernels/kernels.h"

/* max(a, b) that returns NaN if either is NaN (vmaxps alone returns b when
 * a is NaN). */
static inline __m256 nan_max(__m256 a, __m256 b) {
  return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

static inline float nan_max1(float a, float b) { return a > b || isnan(a) ? a : b; }

/* Lanes [0, n) of 8 set, for masked loads and stores of a row's tail. */
static inline __m256i tail_mask(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

/* Rows h0..h1 of the plane (h0 < h1), max-reduced into row[0 .. iw). */
static void reduce_rows(const float *restrict plane, size_t iw, size_t h0, size_t h1,
                        __m256i tail, float *restrict row) {
  size_t x = 0;
  for (; x + 8 <= iw; x += 8) {
    __m256 m = _mm256_loadu_ps(plane + h0 * iw + x);
    for (size_t h = h0 + 1; h < h1; h++) m = nan_max(_mm256_loadu_ps(plane + h * iw + x), m);
    _mm256_storeu_ps(row + x, m);
  }
  if (x < iw) {
    __m256 m = _mm256_maskload_ps(plane + h0 * iw + x, tail);
    for (size_t h = h0 + 1; h < h1; h++)
      m = nan_max(_mm256_maskload_ps(plane + h * iw + x, tail), m);
    _mm256_maskstore_ps(row + x, tail, m);
  }
}

/* Outputs o..o+8 of a stride-1 row: max(row[o + k]), k < kw. */
static inline __m256 window1(const float *row, size_t o, size_t kw) {
  __m256 m = _mm256_loadu_ps(row + o);
  for (size_t k = 1; k < kw; k++) m = nan_max(_mm256_loadu_ps(row + o + k), m);
  return m;
}

/* Outputs o..o+8 of a stride-2 row split into even and odd columns:
 * column 2o + k is even[o + k/2] or odd[o + k/2]. */
static inline __m256 window2(const float *even, const float *odd, size_t o, size_t kw) {
  __m256 m = _mm256_loadu_ps(even + o);
  for (size_t k = 1; k < kw; k++)
    m = nan_max(_mm256_loadu_ps((k & 1 ? odd : even) + o + k / 2), m);
  return m;
}

/* "Same" pooling at stride 1 (GoogLeNet's 3x3 pools beside its
 * convolutions, on 28x28 to 7x7 planes, where a row of 7 or 14 outputs
 * left the per-row work unamortized: 3-4x ORT's time): the plane as one
 * flat array, output i = y * W + x at input index i too. The rows whose
 * window lies inside the plane are reduced over their whole flat range at
 * once (offsets of whole rows), the others row by row; then every output
 * takes its window along the flat reduced plane, a window element that
 * would cross into the neighbouring row masked to -inf by the output's
 * column (col[i] = i % W). v has room for -inf before and after the plane
 * (16 and kw + 8 floats). */
static void pool_flat(const cna_pool2d_params *p, const float *restrict plane,
                      float *restrict out, float *restrict v, const int *restrict col) {
  const size_t w = p->in_width, h = p->in_height, n = h * w, kh = p->kernel_h, kw = p->kernel_w;
  const size_t pt = p->pad_top, pl = p->pad_left, below = kh - 1 - pt;
  const size_t y0 = pt < h ? pt : h, y1 = h > below && h - below > y0 ? h - below : y0;
  for (size_t y = 0; y < h; y++) {
    if (y == y0 && y1 > y0) y = y1; /* the inside rows, below */
    if (y >= h) break;
    const size_t h0 = y >= pt ? y - pt : 0, end = y + kh - pt, h1 = end < h ? end : h;
    if (h1 > h0)
      reduce_rows(plane, w, h0, h1, tail_mask(w % 8), v + y * w);
    else
      for (size_t x = 0; x < w; x++) v[y * w + x] = -INFINITY;
  }
  const size_t i1 = y1 * w;
  const __m256i inside_tail = tail_mask((i1 - y0 * w) % 8);
  size_t i = y0 * w;
  for (; i + 8 <= i1; i += 8) {
    __m256 m = _mm256_loadu_ps(plane + i - pt * w);
    for (size_t dy = 1; dy < kh; dy++) m = nan_max(_mm256_loadu_ps(plane + i + dy * w - pt * w), m);
    _mm256_storeu_ps(v + i, m);
  }
  if (i < i1) {
    __m256 m = _mm256_maskload_ps(plane + i - pt * w, inside_tail);
    for (size_t dy = 1; dy < kh; dy++)
      m = nan_max(_mm256_maskload_ps(plane + i + dy * w - pt * w, inside_tail), m);
    _mm256_maskstore_ps(v + i, inside_tail, m);
  }
  const __m256i out_tail = tail_mask(n % 8), width = _mm256_set1_epi32((int)w);
  const __m256i none = _mm256_set1_epi32(-1);
  const __m256 lowest = _mm256_set1_ps(-INFINITY);
  for (i = 0; i < n; i += 8) {
    const __m256i x = _mm256_loadu_si256((const __m256i *)(col + i));
    __m256 m = _mm256_loadu_ps(v + i); /* dx == pl: always in the row */
    for (size_t dx = 0; dx < kw; dx++) {
      if (dx == pl) continue;
      /* column x + dx - pl inside [0, w) */
      const __m256i xx = _mm256_add_epi32(x, _mm256_set1_epi32((int)dx - (int)pl));
      const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(xx, none),
                                          _mm256_cmpgt_epi32(width, xx));
      const __m256 e = _mm256_blendv_ps(lowest, _mm256_loadu_ps(v + i + dx - pl),
                                        _mm256_castsi256_ps(in));
      m = nan_max(e, m);
    }
    if (i + 8 <= n)
      _mm256_storeu_ps(out + i, m);
    else
      _mm256_maskstore_ps(out + i, out_tail, m);
  }
}

/* Columns c..c+8 of rows h0..h1 (h0 < h1) max-reduced; with edge, the
 * columns outside [0, iw) are -inf and never read. */
static inline __m256 column8(const float *plane, size_t iw, size_t h0, size_t h1, ptrdiff_t c,
                             int edge) {
  if (!edge) {
    __m256 m = _mm256_loadu_ps(plane + h0 * iw + (size_t)c);
    for (size_t h = h0 + 1; h < h1; h++)
      m = nan_max(_mm256_loadu_ps(plane + h * iw + (size_t)c), m);
    return m;
  }
  const __m256i x = _mm256_add_epi32(_mm256_set1_epi32((int)c),
                                     _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(x, _mm256_set1_epi32(-1)),
                                      _mm256_cmpgt_epi32(_mm256_set1_epi32((int)iw), x));
  /* A masked load reads no lane outside the mask, even before the plane. */
  const float *base = plane + (ptrdiff_t)(h0 * iw) + c;
  __m256 m = _mm256_maskload_ps(base, in);
  for (size_t h = h0 + 1; h < h1; h++) m = nan_max(_mm256_maskload_ps(base + (h - h0) * iw, in), m);
  return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), m, _mm256_castsi256_ps(in));
}

/* One output row at stride 2 with a window of 2 or 3 columns, straight
 * from the input rows h0..h1: 16 columns reduced down the window and split
 * into even and odd (outputs o..o+8 take columns 2o + dx), the third tap
 * the even ones moved one lane on, the next block's first column shifted
 * in. A row's last block is stored whole, its extra lanes landing on the
 * next rows' first outputs, which those rows then overwrite: only where
 * fewer than 8 of the call's outputs are left from it (room: floats from
 * out to the end of the output) is it stored masked. On Zen 3 a masked
 * store costs about what the rest of a block does (`perf` put 12% of the
 * old kernel's samples right after its two per row); this path takes
 * SqueezeNet's 27x27 -> 13x13 pools in 0.64-0.71x the old time. */
static void row_stride2(const cna_pool2d_params *p, const float *plane, size_t h0, size_t h1,
                        size_t room, float *out) {
  const size_t iw = p->in_width, ow = p->out_width, kw = p->kernel_w;
  const ptrdiff_t first = -(ptrdiff_t)p->pad_left;
  const __m256i next = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 0);
  /* Whether columns c..c+8 need clipping. */
#define CNA_EDGE(c) ((c) < 0 || (c) + 8 > (ptrdiff_t)iw)
  ptrdiff_t c = first;
  __m256 a = column8(plane, iw, h0, h1, c, CNA_EDGE(c));
  __m256 b = column8(plane, iw, h0, h1, c + 8, CNA_EDGE(c + 8));
  for (size_t o = 0; o < ow; o += 8, c += 16) {
    /* Within each 128-bit lane a's pair then b's; the 64-bit quarters
     * put back in column order. */
    const __m256 e = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))),
                              _MM_SHUFFLE(3, 1, 2, 0)));
    const __m256 d = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))),
                              _MM_SHUFFLE(3, 1, 2, 0)));
    __m256 m = nan_max(d, e);
    const int more = o + 8 < ow;
    if (kw == 3 || more) a = column8(plane, iw, h0, h1, c + 16, CNA_EDGE(c + 16));
    if (more) b = column8(plane, iw, h0, h1, c + 24, CNA_EDGE(c + 24));
    if (kw == 3) {
      /* columns 2o + 2: e's lanes 1..7, then the next block's column 0 */
      const __m256 first_next = _mm256_broadcastss_ps(_mm256_castps256_ps128(a));
      const __m256 shifted = _mm256_blend_ps(_mm256_permutevar8x32_ps(e, next), first_next, 0x80);
      m = nan_max(shifted, m);
    }
    if (o + 8 <= room)
      _mm256_storeu_ps(out + o, m);
    else
      _mm256_maskstore_ps(out + o, tail_mask(ow - o), m);
  }
#undef CNA_EDGE
}

void cna_f32_max_pool2d__avx2(const cna_pool2d_params *p, const float *restrict input,
                              float *restrict output, float *restrict scratch) {
  if (cna_f32_max_pool2d_flat(p)) {
    /* scratch: 16 floats of -inf, the plane, kw + 16 of -inf, the columns */
    const size_t n = p->in_height * p->in_width;
    float *restrict v = scratch + 16;
    int *restrict col = (int *)(void *)(v + n + p->kernel_w + 16);
    for (size_t x = 0; x < 16; x++) scratch[x] = -INFINITY;
    for (size_t x = n; x < n + p->kernel_w + 16; x++) v[x] = -INFINITY;
    for (size_t x = 0; x < n + 8; x++) col[x] = (int)(x % p->in_width);
    for (size_t c = 0; c < p->channels; c++) pool_flat(p, input + c * n, output + c * n, v, col);
    return;
  }
  const size_t iw = p->in_width, ow = p->out_width, kw = p->kernel_w, sw = p->stride_w;
  const size_t len = cna_f32_max_pool2d_row_floats(p), half = len / 2;
  /* row[pad_left + x] is the reduced input column x, -inf elsewhere. */
  float *restrict row = scratch, *restrict even = scratch + len, *restrict odd = even + half;
  for (size_t x = 0; x < len; x++) row[x] = -INFINITY;
  float *restrict inside = row + p->pad_left;
  const __m256i row_tail = tail_mask(iw % 8), out_tail = tail_mask(ow % 8);
  const size_t whole = ow / 8 * 8;
  const int direct2 = sw == 2 && (kw == 2 || kw == 3);
  const float *end = output + p->channels * p->out_height * ow;
  for (size_t c = 0; c < p->channels; c++) {
    const float *plane = input + c * p->in_height * iw;
    for (size_t oh = 0; oh < p->out_height; oh++, output += ow) {
      /* The window's rows, clipped to the input. */
      const ptrdiff_t top = (ptrdiff_t)(oh * p->stride_h) - (ptrdiff_t)p->pad_top;
      const ptrdiff_t h0 = top < 0 ? 0 : top;
      const ptrdiff_t bottom = top + (ptrdiff_t)p->kernel_h;
      const ptrdiff_t h1 = bottom > (ptrdiff_t)p->in_height ? (ptrdiff_t)p->in_height : bottom;
      if (direct2 && h1 > h0) {
        row_stride2(p, plane, (size_t)h0, (size_t)h1, (size_t)(end - output), output);
        continue;
      }
      if (h1 <= h0) {
        for (size_t x = 0; x < iw; x++) inside[x] = -INFINITY;
      } else {
        reduce_rows(plane, iw, (size_t)h0, (size_t)h1, row_tail, inside);
      }
      if (sw == 1) {
        size_t o = 0;
        for (; o < whole; o += 8) _mm256_storeu_ps(output + o, window1(row, o, kw));
        if (o < ow) _mm256_maskstore_ps(output + o, out_tail, window1(row, o, kw));
      } else if (sw == 2) {
        for (size_t i = 0; i < half; i += 8) {
          const __m256 a = _mm256_loadu_ps(row + 2 * i), b = _mm256_loadu_ps(row + 2 * i + 8);
          /* Within each 128-bit lane: a0 a2 b0 b2 | a4 a6 b4 b6; the
           * permute puts the four 64-bit pairs in column order. */
          const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
          const __m256 d = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
          _mm256_storeu_ps(even + i, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                         _mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
          _mm256_storeu_ps(odd + i, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                        _mm256_castps_pd(d), _MM_SHUFFLE(3, 1, 2, 0))));
        }
        size_t o = 0;
        for (; o < whole; o += 8) _mm256_storeu_ps(output + o, window2(even, odd, o, kw));
        if (o < ow) _mm256_maskstore_ps(output + o, out_tail, window2(even, odd, o, kw));
      } else {
        for (size_t o = 0; o < ow; o++) {
          float m = -INFINITY;
          for (size_t k = 0; k < kw; k++) m = nan_max1(row[o * sw + k], m);
          output[o] = m;
        }
      }
    }
  }
}

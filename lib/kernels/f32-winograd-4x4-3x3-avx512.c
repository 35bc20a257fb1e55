/* Winograd F(4x4, 3x3) input and output transforms with AVX-512F: one zmm
 * holds a group of 16 tiles (16 lanes of the GEMM's B panels), so each
 * transform is a few vector adds and multiplies per value. The input
 * patches are gathered from zero-padded rows (no bounds checks); the output
 * tiles are transposed in registers and stored a tile row (16 bytes) at a
 * time, lane by lane where a tile crosses the edge. The same arithmetic, in the same order, as the portable transforms
 * (f32-winograd-4x4-3x3.c), whose contracts these follow (kernels.h).
 * Compiled with -mavx512f for this file alone; chosen only where the CPU
 * and the OS support it (kernels/dispatch.c). */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels.h"

enum { LANES = 16 };

/* B^T d for one column of 6 values. */
static inline void bt6(const __m512 d[6], __m512 y[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f),
               five = _mm512_set1_ps(5.0f);
  y[0] = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four, d[0]), _mm512_mul_ps(five, d[2])), d[4]);
  y[1] = _mm512_add_ps(
      _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(-4.0f), d[1]),
                                  _mm512_mul_ps(four, d[2])),
                    d[3]),
      d[4]);
  y[2] = _mm512_add_ps(
      _mm512_sub_ps(_mm512_sub_ps(_mm512_mul_ps(four, d[1]), _mm512_mul_ps(four, d[2])), d[3]),
      d[4]);
  y[3] = _mm512_add_ps(
      _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), d[1]), d[2]),
                    _mm512_mul_ps(two, d[3])),
      d[4]);
  y[4] = _mm512_add_ps(
      _mm512_sub_ps(_mm512_sub_ps(_mm512_mul_ps(two, d[1]), d[2]), _mm512_mul_ps(two, d[3])),
      d[4]);
  y[5] = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four, d[1]), _mm512_mul_ps(five, d[3])), d[5]);
}

/* A^T m for one column of 6 values. */
static inline void at6(const __m512 m[6], __m512 y[4]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f),
               eight = _mm512_set1_ps(8.0f);
  y[0] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]), m[3]), m[4]);
  y[1] = _mm512_sub_ps(
      _mm512_add_ps(_mm512_sub_ps(m[1], m[2]), _mm512_mul_ps(two, m[3])), _mm512_mul_ps(two, m[4]));
  y[2] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(m[1], m[2]), _mm512_mul_ps(four, m[3])),
                       _mm512_mul_ps(four, m[4]));
  y[3] = _mm512_add_ps(
      _mm512_sub_ps(_mm512_add_ps(_mm512_sub_ps(m[1], m[2]), _mm512_mul_ps(eight, m[3])),
                    _mm512_mul_ps(eight, m[4])),
      m[5]);
}

void cna_f32_winograd43_input__avx512(const float *restrict input, size_t in_channels,
                                      size_t in_height, size_t in_width, size_t pad_top,
                                      size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                      size_t lanes, float *restrict v, float *restrict scratch) {
  /* Groups of 16 tiles in panels of `lanes`. */
  const size_t groups = (count + LANES - 1) / LANES;
  const size_t xi_stride =
      cna_winograd_stride(in_channels, (count + lanes - 1) / lanes * lanes);
  const size_t ty0 = t0 / tiles_w, ty1 = (t0 + count - 1) / tiles_w;
  const size_t rows = 4 * (ty1 - ty0) + 6, wp = 4 * tiles_w + 2;
  if (rows * wp > INT32_MAX) { /* beyond 32-bit gather indices: a huge row */
    cna_f32_winograd43_input(input, in_channels, in_height, in_width, pad_top, pad_left,
                             tiles_w, t0, count, lanes, v, scratch);
    return;
  }
  for (size_t c = 0; c < in_channels; c++) {
    const float *plane = input + c * in_height * in_width;
    cna_f32_winograd_pad_rows(plane, in_height, in_width, pad_top, pad_left, 4 * ty0, rows, wp,
                              scratch);
    for (size_t p = 0; p < groups; p++) {
      int at[LANES];
      for (int l = 0; l < LANES; l++) {
        const size_t t = p * LANES + (size_t)l < count ? t0 + p * LANES + (size_t)l : t0;
        at[l] = (int)(4 * (t / tiles_w - ty0) * wp + 4 * (t % tiles_w));
      }
      const __m512i index = _mm512_loadu_si512(at);
      /* Columns: tmp = B^T d, column by column of the 6x6 patch. */
      __m512 tmp[6][6];
      for (int q = 0; q < 6; q++) {
        __m512 d[6], y[6];
        for (int r = 0; r < 6; r++)
          d[r] = _mm512_i32gather_ps(index, scratch + (size_t)r * wp + (size_t)q, 4);
        bt6(d, y);
        for (int r = 0; r < 6; r++) tmp[r][q] = y[r];
      }
      /* Rows: tmp B, straight into the 36 products' panels. */
      float *out = v + cna_winograd_v_offset(p, c, in_channels, lanes);
      for (int r = 0; r < 6; r++) {
        __m512 y[6];
        bt6(tmp[r], y);
        for (int q = 0; q < 6; q++)
          _mm512_storeu_ps(out + (size_t)(r * 6 + q) * xi_stride, y[q]);
      }
    }
  }
}

void cna_f32_winograd43_output__avx512(const float *restrict m, size_t out_channels, size_t ld,
                                       size_t t0, size_t count, size_t tiles_w,
                                       size_t out_height, size_t out_width,
                                       const float *restrict bias, const float *residual,
                                       int relu, float *output) {
  const size_t xi_stride = cna_winograd_stride(out_channels, ld);
  const size_t plane_size = out_height * out_width;
  if (plane_size > INT32_MAX) { /* beyond 32-bit gather indices */
    cna_f32_winograd43_output(m, out_channels, ld, t0, count, tiles_w, out_height, out_width,
                              bias, residual, relu, output);
    return;
  }
  for (size_t p = 0; p * LANES < count; p++) {
    /* Each lane's tile corner in the plane, and which of its 16 outputs
     * are inside (lanes past count: none). */
    int corner[LANES];
    __mmask16 inside[16] = {0};
    for (int l = 0; l < LANES; l++) {
      const size_t j = p * LANES + (size_t)l;
      const size_t t = t0 + (j < count ? j : 0);
      const size_t oy = t / tiles_w * 4, ox = t % tiles_w * 4;
      corner[l] = (int)(oy * out_width + ox);
      for (size_t r = 0; r < 4 && j < count; r++)
        for (size_t q = 0; q < 4; q++)
          if (oy + r < out_height && ox + q < out_width)
            inside[r * 4 + q] |= (__mmask16)(1u << l);
    }
    const __m512i base = _mm512_loadu_si512(corner);
    __mmask16 whole = 0xFFFF; /* lanes whose whole tile is inside */
    for (int i = 0; i < 16; i++) whole &= inside[i];
    for (size_t o = 0; o < out_channels; o++) {
      const __m512 b = _mm512_set1_ps(bias != NULL ? bias[o] : 0.0f);
      float *plane = output + o * plane_size;
      const float *res = residual != NULL ? residual + o * plane_size : NULL;
      const float *x = m + o * ld + p * LANES;
      __m512 tmp[4][6];
      for (int q = 0; q < 6; q++) {
        __m512 col[6], y[4];
        for (int r = 0; r < 6; r++)
          col[r] = _mm512_loadu_ps(x + (size_t)(r * 6 + q) * xi_stride);
        at6(col, y);
        for (int r = 0; r < 4; r++) tmp[r][q] = y[r];
      }
      for (int r = 0; r < 4; r++) {
        __m512 y[4];
        at6(tmp[r], y);
        for (int q = 0; q < 4; q++) {
          y[q] = _mm512_add_ps(y[q], b);
          const __mmask16 mask = inside[r * 4 + q];
          if (res != NULL && mask != 0) {
            const __m512i index = _mm512_add_epi32(
                base, _mm512_set1_epi32((int)((size_t)r * out_width + (size_t)q)));
            y[q] = _mm512_add_ps(
                y[q], _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, index, res, 4));
          }
          /* max(0, x) keeps NaN (the second operand wins). */
          if (relu) y[q] = _mm512_max_ps(_mm512_setzero_ps(), y[q]);
        }
        /* Transposed: 128-bit block k of row[j] holds lane 4k+j's four
         * outputs of this tile row, stored as one 16-byte run. */
        const __m512 u0 = _mm512_unpacklo_ps(y[0], y[1]), u1 = _mm512_unpackhi_ps(y[0], y[1]);
        const __m512 u2 = _mm512_unpacklo_ps(y[2], y[3]), u3 = _mm512_unpackhi_ps(y[2], y[3]);
        const __m512 row[4] = {_mm512_shuffle_ps(u0, u2, 0x44), _mm512_shuffle_ps(u0, u2, 0xEE),
                               _mm512_shuffle_ps(u1, u3, 0x44), _mm512_shuffle_ps(u1, u3, 0xEE)};
        float *dst = plane + (size_t)r * out_width;
        if (whole == 0xFFFF) {
          for (int j = 0; j < 4; j++) {
            _mm_storeu_ps(dst + corner[j], _mm512_extractf32x4_ps(row[j], 0));
            _mm_storeu_ps(dst + corner[4 + j], _mm512_extractf32x4_ps(row[j], 1));
            _mm_storeu_ps(dst + corner[8 + j], _mm512_extractf32x4_ps(row[j], 2));
            _mm_storeu_ps(dst + corner[12 + j], _mm512_extractf32x4_ps(row[j], 3));
          }
          continue;
        }
        /* Some tile crosses the edge or the panel is short: the whole
         * tiles a row at a time, the others value by value (a group of 16
         * tiles spans two rows of tiles and mostly holds an edge one:
         * squeezenet's 55x55 and 13x13 images). */
        float lanes_out[4][LANES];
        for (int j = 0; j < 4; j++) _mm512_storeu_ps(lanes_out[j], row[j]);
        for (int l = 0; l < LANES; l++) {
          if (whole >> l & 1) {
            _mm_storeu_ps(dst + corner[l], _mm_loadu_ps(&lanes_out[l % 4][l / 4 * 4]));
            continue;
          }
          for (int q = 0; q < 4; q++)
            if (inside[r * 4 + q] >> l & 1) dst[corner[l] + q] = lanes_out[l % 4][l / 4 * 4 + q];
        }
      }
    }
  }
}

/* Winograd F(6x6, 3x3) input and output transforms with AVX2: the 16
 * tiles of a group as two halves of 8, one ymm each. An 8x8 input patch
 * row is one 32-byte load, and 8 tiles' rows are transposed in registers;
 * output tiles are transposed back and stored a tile row (6 values: 16 +
 * 8 bytes) at a time, value by value only where a tile crosses the edge.
 * The same arithmetic, in the same order, as the portable transforms
 * (f32-winograd-6x6-3x3.c), whose contracts these follow (kernels.h).
 * Compiled with -mavx2 -mfma for this file alone; chosen only where the
 * CPU and the OS support it (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86-avx2.h"

enum { LANES = 16, HALF = 8 };

static inline __m256 mul(float c, __m256 x) { return _mm256_mul_ps(_mm256_set1_ps(c), x); }

/* B^T d for 8 values (the portable BT, operation for operation). */
static inline void bt8(const __m256 d[8], __m256 y[8]) {
  const __m256 a12 = _mm256_sub_ps(_mm256_add_ps(d[1], d[5]), mul(4.25f, d[3]));
  const __m256 b12 = _mm256_sub_ps(_mm256_add_ps(d[2], d[6]), mul(4.25f, d[4]));
  const __m256 a34 =
      _mm256_add_ps(_mm256_sub_ps(mul(0.5f, d[1]), mul(2.5f, d[3])), mul(2.0f, d[5]));
  const __m256 b34 = _mm256_add_ps(_mm256_sub_ps(mul(0.25f, d[2]), mul(1.25f, d[4])), d[6]);
  const __m256 a56 =
      _mm256_add_ps(_mm256_sub_ps(mul(2.0f, d[1]), mul(2.5f, d[3])), mul(0.5f, d[5]));
  const __m256 b56 = _mm256_add_ps(_mm256_sub_ps(mul(4.0f, d[2]), mul(5.0f, d[4])), d[6]);
  y[0] = _mm256_add_ps(_mm256_sub_ps(d[0], d[6]), mul(5.25f, _mm256_sub_ps(d[4], d[2])));
  y[1] = _mm256_add_ps(b12, a12);
  y[2] = _mm256_sub_ps(b12, a12);
  y[3] = _mm256_add_ps(b34, a34);
  y[4] = _mm256_sub_ps(b34, a34);
  y[5] = _mm256_add_ps(b56, a56);
  y[6] = _mm256_sub_ps(b56, a56);
  y[7] = _mm256_add_ps(_mm256_sub_ps(d[7], d[1]), mul(5.25f, _mm256_sub_ps(d[3], d[5])));
}

/* A^T m for 8 values (the portable AT). */
static inline void at8(const __m256 m[8], __m256 y[6]) {
  const __m256 a1 = _mm256_add_ps(m[1], m[2]), s1 = _mm256_sub_ps(m[1], m[2]);
  const __m256 a2 = _mm256_add_ps(m[3], m[4]), s2 = _mm256_sub_ps(m[3], m[4]);
  const __m256 a3 = _mm256_add_ps(m[5], m[6]), s3 = _mm256_sub_ps(m[5], m[6]);
  y[0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(m[0], a1), a2), a3);
  y[1] = _mm256_add_ps(_mm256_add_ps(s1, mul(2.0f, s2)), mul(0.5f, s3));
  y[2] = _mm256_add_ps(_mm256_add_ps(a1, mul(4.0f, a2)), mul(0.25f, a3));
  y[3] = _mm256_add_ps(_mm256_add_ps(s1, mul(8.0f, s2)), mul(0.125f, s3));
  y[4] = _mm256_add_ps(_mm256_add_ps(a1, mul(16.0f, a2)), mul(0.0625f, a3));
  y[5] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s1, mul(32.0f, s2)), mul(0.03125f, s3)), m[7]);
}

void cna_f32_winograd63_input__avx2(const float *restrict input, size_t in_channels,
                                    size_t in_height, size_t in_width, size_t pad_top,
                                    size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                    size_t lanes, float *restrict v, float *restrict scratch) {
  const size_t groups = (count + LANES - 1) / LANES;
  const size_t xi_stride = cna_winograd_stride(in_channels, (count + lanes - 1) / lanes * lanes);
  const size_t ty0 = t0 / tiles_w, ty1 = (t0 + count - 1) / tiles_w;
  const size_t rows = 6 * (ty1 - ty0) + 8, wp = 6 * tiles_w + 2;
  for (size_t c = 0; c < in_channels; c++) {
    const float *plane = input + c * in_height * in_width;
    cna_f32_winograd_pad_rows__avx2(plane, in_height, in_width, pad_top, pad_left, 6 * ty0, rows,
                                    wp, scratch);
    for (size_t p = 0; p < groups; p++) {
      size_t at[LANES];
      cna_winograd_patch_starts(at, 6, p, t0, count, tiles_w, ty0, wp);
      float *out = v + cna_winograd_v_offset(p, c, in_channels, lanes);
      for (int h = 0; h < 2; h++) {
        /* d[r][q]: row r, column q of the 8 tiles' patches. */
        __m256 d[8][8];
        for (int r = 0; r < 8; r++) {
          for (int l = 0; l < HALF; l++)
            d[r][l] = _mm256_loadu_ps(scratch + at[h * HALF + l] + (size_t)r * wp);
          cna_avx2_transpose8(d[r]);
        }
        for (int q = 0; q < 8; q++) {
          __m256 col[8], y[8];
          for (int r = 0; r < 8; r++) col[r] = d[r][q];
          bt8(col, y);
          for (int r = 0; r < 8; r++) d[r][q] = y[r];
        }
        for (int r = 0; r < 8; r++) {
          __m256 y[8];
          bt8(d[r], y);
          for (int q = 0; q < 8; q++)
            _mm256_storeu_ps(out + (size_t)(r * 8 + q) * xi_stride + (size_t)h * HALF, y[q]);
        }
      }
    }
  }
}

/* A tile row of 6 values, plus the residual's, ReLU'd: max(0, x) keeps
 * NaN (the second operand wins) and -0, as the portable transform does. */
static inline void store6(float *dst, const float *add, __m256 value, int relu) {
  if (add != NULL) value = _mm256_add_ps(value, cna_avx2_load_row6(add));
  if (relu) value = _mm256_max_ps(_mm256_setzero_ps(), value);
  cna_avx2_store_row6(dst, value);
}

void cna_f32_winograd63_output__avx2(const float *restrict m, size_t out_channels, size_t ld,
                                     size_t t0, size_t count, size_t tiles_w, size_t out_height,
                                     size_t out_width, const float *restrict bias,
                                     const float *residual, int relu, float *output) {
  const size_t xi_stride = cna_winograd_stride(out_channels, ld);
  const size_t plane_size = out_height * out_width;
  for (size_t p = 0; p * LANES < count; p++) {
    /* Each lane's tile corner, and whether its whole 6x6 tile is inside
     * (lanes past count: neither stored nor whole). */
    size_t corner[LANES], rows_in[LANES], cols_in[LANES];
    unsigned whole = 0;
    for (int l = 0; l < LANES; l++) {
      const size_t j = p * LANES + (size_t)l;
      const size_t t = t0 + (j < count ? j : 0);
      const size_t oy = t / tiles_w * 6, ox = t % tiles_w * 6;
      corner[l] = oy * out_width + ox;
      rows_in[l] = j < count ? (out_height - oy < 6 ? out_height - oy : 6) : 0;
      cols_in[l] = out_width - ox < 6 ? out_width - ox : 6;
      if (rows_in[l] == 6 && cols_in[l] == 6) whole |= 1u << l;
    }
    for (size_t o = 0; o < out_channels; o++) {
      const __m256 b = _mm256_set1_ps(bias != NULL ? bias[o] : 0.0f);
      float *plane = output + o * plane_size;
      const float *res = residual != NULL ? residual + o * plane_size : NULL;
      for (int h = 0; h < 2; h++) {
        if (p * LANES + (size_t)h * HALF >= count) break; /* no live lane */
        const float *x = m + o * ld + p * LANES + (size_t)h * HALF;
        __m256 tmp[6][8];
        for (int q = 0; q < 8; q++) {
          __m256 col[8], y[6];
          for (int r = 0; r < 8; r++)
            col[r] = _mm256_loadu_ps(x + (size_t)(r * 8 + q) * xi_stride);
          at8(col, y);
          for (int r = 0; r < 6; r++) tmp[r][q] = y[r];
        }
        const size_t *lane_corner = corner + h * HALF;
        for (int r = 0; r < 6; r++) {
          /* y[q] lane l: column q of tile l's row r; transposed, y[l]
           * holds tile l's row (6 values, then 2 unused). */
          __m256 y[8];
          at8(tmp[r], y);
          for (int q = 0; q < 6; q++) y[q] = _mm256_add_ps(y[q], b);
          y[6] = y[7] = _mm256_setzero_ps();
          cna_avx2_transpose8(y);
          float *dst = plane + (size_t)r * out_width;
          const float *add = res != NULL ? res + (size_t)r * out_width : NULL;
          for (int l = 0; l < HALF; l++) {
            const int lane = h * HALF + l;
            const size_t at = lane_corner[l];
            if (whole >> lane & 1) {
              store6(dst + at, add != NULL ? add + at : NULL, y[l], relu);
              continue;
            }
            /* An edge tile (or a lane past count: no rows inside). */
            if ((size_t)r >= rows_in[lane]) continue;
            float values[8];
            _mm256_storeu_ps(values, y[l]);
            for (size_t q = 0; q < cols_in[lane]; q++) {
              float value = values[q];
              if (add != NULL) value += add[at + q];
              if (relu) value = value < 0.0f ? 0.0f : value;
              dst[at + q] = value;
            }
          }
        }
      }
    }
  }
}

/* Winograd F(4x4, 3x3) input and output transforms with AVX2: the 16
 * tiles of a group (16 lanes of the GEMM's B panels) as two halves of 8, one
 * ymm each. The input patches are loaded from zero-padded rows (no
 * bounds checks) a patch row at a time and transposed in registers; the
 * output tiles are transposed in registers and stored a tile row (16
 * bytes) at a time, lane by lane where a tile crosses the edge. The same
 * arithmetic, in the same order, as the portable transforms
 * (f32-winograd-4x4-3x3.c), whose contracts these follow (kernels.h).
 * Compiled with -mavx2 -mfma for this file alone; chosen only where the
 * CPU and the OS support it (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

enum { LANES = 16, HALF = 8 };

/* B^T d for one column of 6 values. */
static inline void bt6(const __m256 d[6], __m256 y[6]) {
  const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
               five = _mm256_set1_ps(5.0f);
  y[0] = _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(four, d[0]), _mm256_mul_ps(five, d[2])), d[4]);
  y[1] = _mm256_add_ps(
      _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(-4.0f), d[1]),
                                  _mm256_mul_ps(four, d[2])),
                    d[3]),
      d[4]);
  y[2] = _mm256_add_ps(
      _mm256_sub_ps(_mm256_sub_ps(_mm256_mul_ps(four, d[1]), _mm256_mul_ps(four, d[2])), d[3]),
      d[4]);
  y[3] = _mm256_add_ps(
      _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), d[1]), d[2]),
                    _mm256_mul_ps(two, d[3])),
      d[4]);
  y[4] = _mm256_add_ps(
      _mm256_sub_ps(_mm256_sub_ps(_mm256_mul_ps(two, d[1]), d[2]), _mm256_mul_ps(two, d[3])),
      d[4]);
  y[5] = _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(four, d[1]), _mm256_mul_ps(five, d[3])), d[5]);
}

/* A^T m for one column of 6 values. */
static inline void at6(const __m256 m[6], __m256 y[4]) {
  const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
               eight = _mm256_set1_ps(8.0f);
  y[0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(m[0], m[1]), m[2]), m[3]), m[4]);
  y[1] = _mm256_sub_ps(
      _mm256_add_ps(_mm256_sub_ps(m[1], m[2]), _mm256_mul_ps(two, m[3])), _mm256_mul_ps(two, m[4]));
  y[2] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(m[1], m[2]), _mm256_mul_ps(four, m[3])),
                       _mm256_mul_ps(four, m[4]));
  y[3] = _mm256_add_ps(
      _mm256_sub_ps(_mm256_add_ps(_mm256_sub_ps(m[1], m[2]), _mm256_mul_ps(eight, m[3])),
                    _mm256_mul_ps(eight, m[4])),
      m[5]);
}

/* Row r of the 6x6 patches of 8 tiles, one vector per column q (lane l:
 * the tile whose patch starts at row + at[l]): each tile's columns 0-3 in
 * one 16-byte load and 4-5 in one 8-byte load, tiles l and l + 4 in one
 * register, then transposed with unpacks and shuffles. Zen 3's gathers
 * took ~25 cycles each (six per row); these take 16 loads, 8 inserts and
 * 12 shuffles a row. */
static inline void patch_row(const float *row, const size_t at[HALF], __m256 d[6]) {
  __m256 lo[4], hi[4];
  for (int l = 0; l < 4; l++) {
    lo[l] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(row + at[l])),
                                 _mm_loadu_ps(row + at[l + 4]), 1);
    const __m128 a = _mm_castpd_ps(_mm_load_sd((const double *)(row + at[l] + 4)));
    const __m128 b = _mm_castpd_ps(_mm_load_sd((const double *)(row + at[l + 4] + 4)));
    hi[l] = _mm256_insertf128_ps(_mm256_castps128_ps256(a), b, 1);
  }
  /* [l0 q0, l1 q0, l0 q1, l1 q1 | the same for lanes 4 and 5], and so on. */
  const __m256 t0 = _mm256_unpacklo_ps(lo[0], lo[1]), t1 = _mm256_unpackhi_ps(lo[0], lo[1]);
  const __m256 t2 = _mm256_unpacklo_ps(lo[2], lo[3]), t3 = _mm256_unpackhi_ps(lo[2], lo[3]);
  const __m256 u0 = _mm256_unpacklo_ps(hi[0], hi[1]), u2 = _mm256_unpacklo_ps(hi[2], hi[3]);
  d[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  d[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  d[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  d[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  d[4] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
  d[5] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
}

/* cna_f32_winograd_pad_rows in 32-byte moves: zeros over the borders
 * first, then the row copied over them in blocks of 8, the last block
 * overlapping the one before (a 56-wide row took three library calls, a
 * third of the transform's time). Rows narrower than 8 go to the portable
 * function. */
void cna_f32_winograd_pad_rows__avx2(const float *restrict plane, size_t in_height,
                                    size_t in_width, size_t pad_top, size_t pad_left, size_t y0,
                                    size_t rows, size_t wp, float *restrict scratch) {
  const size_t copy_w = in_width + pad_left < wp ? in_width : wp - pad_left;
  if (copy_w < 8) {
    cna_f32_winograd_pad_rows(plane, in_height, in_width, pad_top, pad_left, y0, rows, wp,
                              scratch);
    return;
  }
  const __m256 zero = _mm256_setzero_ps();
  for (size_t r = 0; r < rows; r++) {
    float *dst = scratch + r * wp;
    const ptrdiff_t iy = (ptrdiff_t)(y0 + r) - (ptrdiff_t)pad_top;
    const int inside = iy >= 0 && iy < (ptrdiff_t)in_height;
    const size_t left = inside ? pad_left : wp, right = inside ? pad_left + copy_w : wp;
    for (size_t x = 0; x < left; x += 8) _mm256_storeu_ps(dst + (x + 8 <= wp ? x : wp - 8), zero);
    for (size_t x = right; x < wp; x += 8)
      _mm256_storeu_ps(dst + (x + 8 <= wp ? x : wp - 8), zero);
    if (!inside) continue;
    const float *src = plane + (size_t)iy * in_width;
    for (size_t x = 0; x + 8 < copy_w; x += 8)
      _mm256_storeu_ps(dst + pad_left + x, _mm256_loadu_ps(src + x));
    _mm256_storeu_ps(dst + pad_left + copy_w - 8, _mm256_loadu_ps(src + copy_w - 8));
  }
}

void cna_f32_winograd43_input__avx2(const float *restrict input, size_t in_channels,
                                    size_t in_height, size_t in_width, size_t pad_top,
                                    size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                    size_t lanes, float *restrict v, float *restrict scratch) {
  /* Groups of 16 tiles in panels of `lanes`. */
  const size_t groups = (count + LANES - 1) / LANES;
  const size_t xi_stride =
      cna_winograd_stride(in_channels, (count + lanes - 1) / lanes * lanes);
  const size_t ty0 = t0 / tiles_w, ty1 = (t0 + count - 1) / tiles_w;
  const size_t rows = 4 * (ty1 - ty0) + 6, wp = 4 * tiles_w + 2;
  for (size_t c = 0; c < in_channels; c++) {
    const float *plane = input + c * in_height * in_width;
    cna_f32_winograd_pad_rows__avx2(plane, in_height, in_width, pad_top, pad_left, 4 * ty0, rows,
                                    wp, scratch);
    for (size_t p = 0; p < groups; p++) {
      size_t at[LANES];
      cna_winograd_patch_starts(at, 4, p, t0, count, tiles_w, ty0, wp);
      float *out = v + cna_winograd_v_offset(p, c, in_channels, lanes);
      for (int h = 0; h < 2; h++) {
        __m256 d[6][6], tmp[6][6];
        for (int r = 0; r < 6; r++) patch_row(scratch + (size_t)r * wp, at + h * HALF, d[r]);
        for (int q = 0; q < 6; q++) {
          __m256 col[6], y[6];
          for (int r = 0; r < 6; r++) col[r] = d[r][q];
          bt6(col, y);
          for (int r = 0; r < 6; r++) tmp[r][q] = y[r];
        }
        for (int r = 0; r < 6; r++) {
          __m256 y[6];
          bt6(tmp[r], y);
          for (int q = 0; q < 6; q++)
            _mm256_storeu_ps(out + (size_t)(r * 6 + q) * xi_stride + (size_t)h * HALF, y[q]);
        }
      }
    }
  }
}

void cna_f32_winograd43_output__avx2(const float *restrict m, size_t out_channels, size_t ld,
                                     size_t t0, size_t count, size_t tiles_w, size_t out_height,
                                     size_t out_width, const float *restrict bias,
                                     const float *residual, int relu, float *output) {
  const size_t xi_stride = cna_winograd_stride(out_channels, ld);
  const size_t plane_size = out_height * out_width;
  const __m128 zero = _mm_setzero_ps();
  for (size_t p = 0; p * LANES < count; p++) {
    /* Each lane's tile corner in the plane, and which of its 16 outputs
     * are inside (lanes past count: none). */
    size_t corner[LANES];
    unsigned inside[16] = {0};
    for (int l = 0; l < LANES; l++) {
      const size_t j = p * LANES + (size_t)l;
      const size_t t = t0 + (j < count ? j : 0);
      const size_t oy = t / tiles_w * 4, ox = t % tiles_w * 4;
      corner[l] = oy * out_width + ox;
      for (size_t r = 0; r < 4 && j < count; r++)
        for (size_t q = 0; q < 4; q++)
          if (oy + r < out_height && ox + q < out_width) inside[r * 4 + q] |= 1u << l;
    }
    unsigned whole = 0xFFFF; /* lanes whose whole tile is inside */
    for (int i = 0; i < 16; i++) whole &= inside[i];
    for (size_t o = 0; o < out_channels; o++) {
      const __m256 b = _mm256_set1_ps(bias != NULL ? bias[o] : 0.0f);
      float *plane = output + o * plane_size;
      const float *res = residual != NULL ? residual + o * plane_size : NULL;
      for (int h = 0; h < 2; h++) {
        const unsigned half_mask = 0xFFu << (h * HALF);
        if (p * LANES + (size_t)h * HALF >= count) break; /* no live lane */
        const float *x = m + o * ld + p * LANES + (size_t)h * HALF;
        __m256 tmp[4][6];
        for (int q = 0; q < 6; q++) {
          __m256 col[6], y[4];
          for (int r = 0; r < 6; r++)
            col[r] = _mm256_loadu_ps(x + (size_t)(r * 6 + q) * xi_stride);
          at6(col, y);
          for (int r = 0; r < 4; r++) tmp[r][q] = y[r];
        }
        const size_t *lane_corner = corner + h * HALF;
        for (int r = 0; r < 4; r++) {
          __m256 y[4];
          at6(tmp[r], y);
          for (int q = 0; q < 4; q++) y[q] = _mm256_add_ps(y[q], b);
          /* Transposed: 128-bit block k of row[j] holds lane 4k+j's four
           * outputs of this tile row. */
          const __m256 u0 = _mm256_unpacklo_ps(y[0], y[1]), u1 = _mm256_unpackhi_ps(y[0], y[1]);
          const __m256 u2 = _mm256_unpacklo_ps(y[2], y[3]), u3 = _mm256_unpackhi_ps(y[2], y[3]);
          const __m256 row[4] = {
              _mm256_shuffle_ps(u0, u2, 0x44), _mm256_shuffle_ps(u0, u2, 0xEE),
              _mm256_shuffle_ps(u1, u3, 0x44), _mm256_shuffle_ps(u1, u3, 0xEE)};
          float *dst = plane + (size_t)r * out_width;
          const float *add = res != NULL ? res + (size_t)r * out_width : NULL;
          if ((whole & half_mask) == half_mask) {
            for (int j = 0; j < 4; j++)
              for (int k = 0; k < 2; k++) {
                const size_t at = lane_corner[4 * k + j];
                __m128 value = k == 0 ? _mm256_castps256_ps128(row[j])
                                      : _mm256_extractf128_ps(row[j], 1);
                if (add != NULL) value = _mm_add_ps(value, _mm_loadu_ps(add + at));
                /* max(0, x) keeps NaN (the second operand wins). */
                if (relu) value = _mm_max_ps(zero, value);
                _mm_storeu_ps(dst + at, value);
              }
            continue;
          }
          /* Some tile crosses the edge or the panel is short: the whole
           * tiles a row at a time as above, the others value by value
           * (a group of 16 tiles spans two rows of tiles and mostly holds
           * an edge one: squeezenet's 55x55 and 13x13 images). */
          float lanes_out[4][HALF];
          for (int j = 0; j < 4; j++) _mm256_storeu_ps(lanes_out[j], row[j]);
          for (int l = 0; l < HALF; l++) {
            if (whole >> (h * HALF + l) & 1) {
              const size_t at = lane_corner[l];
              __m128 value = _mm_loadu_ps(&lanes_out[l % 4][l / 4 * 4]);
              if (add != NULL) value = _mm_add_ps(value, _mm_loadu_ps(add + at));
              if (relu) value = _mm_max_ps(zero, value);
              _mm_storeu_ps(dst + at, value);
              continue;
            }
            for (int q = 0; q < 4; q++) {
              if (!(inside[r * 4 + q] >> (h * HALF + l) & 1)) continue;
              const size_t at = lane_corner[l] + (size_t)q;
              float value = lanes_out[l % 4][l / 4 * 4 + q];
              if (add != NULL) value += add[at];
              if (relu) value = value < 0.0f ? 0.0f : value;
              dst[at] = value;
            }
          }
        }
      }
    }
  }
}

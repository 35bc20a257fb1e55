/* Winograd F(4x4, 3x3) transforms (Lavin & Gray, 2015): a 3x3 stride-1
 * convolution computed on 4x4 output tiles as 36 independent matrix
 * products in the transformed domain, (4+2)^2 = 36 multiplications per
 * 16 outputs instead of 144. The products run on the packed GEMM
 * micro-kernel; these are the three transforms around them:
 *   weights  U = G g G^T      (once, when the net is prepared)
 *   input    V = B^T d B      (per 6x6 input tile, overlapping by 2)
 *   output   Y = A^T M A      (per tile, with bias, residual and ReLU)
 * Portable C written lane-parallel over 16 tiles, which compilers turn into
 * SIMD on every target. */
#include <string.h>

#include "kernels/kernels.h"

enum { LANES = 16 };

void cna_f32_winograd43_weights(size_t out_channels, size_t in_channels,
                                const float *restrict weights, const float *restrict scale,
                                float *restrict u) {
  const size_t plane = out_channels * in_channels;
  for (size_t o = 0; o < out_channels; o++)
    for (size_t i = 0; i < in_channels; i++) {
      const float *g = weights + (o * in_channels + i) * 9;
      const double s = scale != NULL ? scale[o] : 1.0;
      /* G g: 6x3, then (G g) G^T: 6x6, in double (done once). */
      double t[6][3];
      for (int c = 0; c < 3; c++) {
        const double g0 = g[0 * 3 + c], g1 = g[1 * 3 + c], g2 = g[2 * 3 + c];
        t[0][c] = g0 / 4;
        t[1][c] = -(g0 + g1 + g2) / 6;
        t[2][c] = -(g0 - g1 + g2) / 6;
        t[3][c] = g0 / 24 + g1 / 12 + g2 / 6;
        t[4][c] = g0 / 24 - g1 / 12 + g2 / 6;
        t[5][c] = g2;
      }
      for (int r = 0; r < 6; r++) {
        const double g0 = t[r][0], g1 = t[r][1], g2 = t[r][2];
        const double row[6] = {g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6,
                               g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2};
        for (int c = 0; c < 6; c++)
          u[(size_t)(r * 6 + c) * plane + o * in_channels + i] = (float)(row[c] * s);
      }
    }
}

/* B^T x for 6 values x[0..5], each LANES wide, with stride between them. */
#define BT(x, y, xs, ys)                                                            \
  for (int l = 0; l < LANES; l++) {                                                 \
    const float d0 = x[0 * xs + l], d1 = x[1 * xs + l], d2 = x[2 * xs + l],         \
                d3 = x[3 * xs + l], d4 = x[4 * xs + l], d5 = x[5 * xs + l];         \
    y[0 * ys + l] = 4 * d0 - 5 * d2 + d4;                                           \
    y[1 * ys + l] = -4 * d1 - 4 * d2 + d3 + d4;                                     \
    y[2 * ys + l] = 4 * d1 - 4 * d2 - d3 + d4;                                      \
    y[3 * ys + l] = -2 * d1 - d2 + 2 * d3 + d4;                                     \
    y[4 * ys + l] = 2 * d1 - d2 - 2 * d3 + d4;                                      \
    y[5 * ys + l] = 4 * d1 - 5 * d3 + d5;                                           \
  }

void cna_f32_winograd_pad_rows(const float *restrict plane, size_t in_height,
                               size_t in_width, size_t pad_top, size_t pad_left, size_t y0,
                               size_t rows, size_t wp, float *restrict scratch) {
  const size_t copy_w = in_width + pad_left < wp ? in_width : wp - pad_left;
  for (size_t r = 0; r < rows; r++) {
    float *dst = scratch + r * wp;
    const ptrdiff_t iy = (ptrdiff_t)(y0 + r) - (ptrdiff_t)pad_top;
    if (iy < 0 || iy >= (ptrdiff_t)in_height) {
      for (size_t x = 0; x < wp; x++) dst[x] = 0.0f;
      continue;
    }
    const float *src = plane + (size_t)iy * in_width;
    for (size_t x = 0; x < pad_left; x++) dst[x] = 0.0f;
    for (size_t x = 0; x < copy_w; x++) dst[pad_left + x] = src[x];
    for (size_t x = pad_left + copy_w; x < wp; x++) dst[x] = 0.0f;
  }
}

size_t cna_f32_winograd43_input_scratch(size_t tiles_w, size_t count) {
  /* The tile rows a run of count tiles touches, 6 input rows for the first
   * and 4 more for each next, each 4 * tiles_w + 2 wide. */
  const size_t tile_rows = count / tiles_w + 2;
  return (4 * tile_rows + 2) * (4 * tiles_w + 2);
}

void cna_f32_winograd43_input(const float *restrict input, size_t in_channels,
                              size_t in_height, size_t in_width, size_t pad_top,
                              size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                              size_t lanes, float *restrict v, float *restrict scratch) {
  /* Groups of 16 tiles in panels of `lanes`. */
  const size_t groups = (count + LANES - 1) / LANES;
  const size_t xi_stride =
      cna_winograd_stride(in_channels, (count + lanes - 1) / lanes * lanes);
  /* The input rows under the tiles, zero-padded into scratch (width wp),
   * so that each lane reads its 6x6 patch without bounds checks. */
  const size_t ty0 = t0 / tiles_w, ty1 = (t0 + count - 1) / tiles_w;
  const size_t rows = 4 * (ty1 - ty0) + 6, wp = 4 * tiles_w + 2;
  for (size_t c = 0; c < in_channels; c++) {
    const float *plane = input + c * in_height * in_width;
    cna_f32_winograd_pad_rows(plane, in_height, in_width, pad_top, pad_left, 4 * ty0, rows, wp,
                              scratch);
    for (size_t p = 0; p < groups; p++) {
      size_t at[LANES];
      cna_winograd_patch_starts(at, 4, p, t0, count, tiles_w, ty0, wp);
      float d[36 * LANES], tmp[36 * LANES];
      for (int r = 0; r < 6; r++)
        for (int q = 0; q < 6; q++)
          for (int l = 0; l < LANES; l++)
            d[(r * 6 + q) * LANES + l] = scratch[at[l] + (size_t)r * wp + (size_t)q];
      /* Columns: tmp = B^T d; then rows: each row of tmp times B, written
       * straight into the packed B panels of the 36 products:
       * [xi][panel][c][lanes]. */
      for (int q = 0; q < 6; q++) {
        const float *x = d + q * LANES;
        float *y = tmp + q * LANES;
        BT(x, y, 6 * LANES, 6 * LANES)
      }
      float *out = v + cna_winograd_v_offset(p, c, in_channels, lanes);
      for (int r = 0; r < 6; r++) {
        const float *x = tmp + r * 6 * LANES;
        float *y = out + (size_t)r * 6 * xi_stride;
        BT(x, y, LANES, xi_stride)
      }
    }
  }
}

/* A^T x for 6 values, LANES wide. */
#define AT(x, y, xs, ys)                                                            \
  for (int l = 0; l < LANES; l++) {                                                 \
    const float m0 = x[0 * xs + l], m1 = x[1 * xs + l], m2 = x[2 * xs + l],         \
                m3 = x[3 * xs + l], m4 = x[4 * xs + l], m5 = x[5 * xs + l];         \
    y[0 * ys + l] = m0 + m1 + m2 + m3 + m4;                                         \
    y[1 * ys + l] = m1 - m2 + 2 * m3 - 2 * m4;                                      \
    y[2 * ys + l] = m1 + m2 + 4 * m3 + 4 * m4;                                      \
    y[3 * ys + l] = m1 - m2 + 8 * m3 - 8 * m4 + m5;                                 \
  }

void cna_f32_winograd43_output(const float *restrict m, size_t out_channels, size_t ld,
                               size_t t0, size_t count, size_t tiles_w, size_t out_height,
                               size_t out_width, const float *restrict bias,
                               const float *residual, int relu, float *output) {
  const size_t xi_stride = cna_winograd_stride(out_channels, ld);
  for (size_t o = 0; o < out_channels; o++) {
    const float b = bias != NULL ? bias[o] : 0.0f;
    float *plane = output + o * out_height * out_width;
    const float *res = residual != NULL ? residual + o * out_height * out_width : NULL;
    for (size_t p = 0; p * LANES < count; p++) {
      float x[36 * LANES], tmp[24 * LANES], y[16 * LANES];
      for (int xi = 0; xi < 36; xi++)
        memcpy(x + xi * LANES, m + (size_t)xi * xi_stride + o * ld + p * LANES,
               LANES * sizeof(float));
      /* Columns: tmp (4x6) = A^T x; rows: y (4x4) = tmp A. */
      for (int q = 0; q < 6; q++) {
        const float *xx = x + q * LANES;
        float *yy = tmp + q * LANES;
        AT(xx, yy, 6 * LANES, 6 * LANES)
      }
      for (int r = 0; r < 4; r++) {
        const float *xx = tmp + r * 6 * LANES;
        float *yy = y + r * 4 * LANES;
        AT(xx, yy, LANES, LANES)
      }
      for (int l = 0; l < LANES && p * LANES + (size_t)l < count; l++) {
        const size_t t = t0 + p * LANES + (size_t)l;
        const size_t oy = t / tiles_w * 4, ox = t % tiles_w * 4;
        if (oy + 4 <= out_height && ox + 4 <= out_width) {
          /* A whole tile: no bounds to check. */
          for (size_t r = 0; r < 4; r++) {
            float *dst = plane + (oy + r) * out_width + ox;
            const float *add = res != NULL ? res + (oy + r) * out_width + ox : NULL;
            for (size_t q = 0; q < 4; q++) {
              float v = y[(r * 4 + q) * LANES + (size_t)l] + b;
              if (add != NULL) v += add[q];
              if (relu) v = v < 0.0f ? 0.0f : v;
              dst[q] = v;
            }
          }
          continue;
        }
        for (size_t r = 0; r < 4 && oy + r < out_height; r++)
          for (size_t q = 0; q < 4 && ox + q < out_width; q++) {
            const size_t at = (oy + r) * out_width + ox + q;
            float v = y[(r * 4 + q) * LANES + (size_t)l] + b;
            if (res != NULL) v += res[at];
            if (relu) v = v < 0.0f ? 0.0f : v;
            plane[at] = v;
          }
      }
    }
  }
}

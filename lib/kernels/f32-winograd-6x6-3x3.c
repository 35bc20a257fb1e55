/* Winograd F(6x6, 3x3) transforms: a 3x3 stride-1 convolution on 6x6
 * output tiles, (6+2)^2 = 64 multiplications per 36 outputs (1.78 per
 * output, against F(4x4, 3x3)'s 2.25 and the direct 9), from the
 * interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity. Larger
 * tiles round more of an image up (a 14x14 plane computes 18x18) and the
 * transforms' constants (21/4, 17/4, 1/90, 32) lose more precision, so
 * layers choose it only where it measures faster (layers/conv2d.c). The
 * layout around the 64 products is F(4x4, 3x3)'s (kernels.h); these are
 * the portable transforms, written lane-parallel over 16 tiles:
 *   weights  U = G g G^T      (once, when the net is prepared)
 *   input    V = B^T d B      (per 8x8 input tile, overlapping by 2)
 *   output   Y = A^T M A      (per tile, with bias, residual and ReLU) */
#include <string.h>

#include "kernels/kernels.h"

enum { LANES = 16 };

void cna_f32_winograd63_weights(size_t out_channels, size_t in_channels,
                                const float *restrict weights, const float *restrict scale,
                                float *restrict u) {
  const size_t plane = out_channels * in_channels;
  for (size_t o = 0; o < out_channels; o++)
    for (size_t i = 0; i < in_channels; i++) {
      const float *g = weights + (o * in_channels + i) * 9;
      const double s = scale != NULL ? scale[o] : 1.0;
      /* G g: 8x3, then (G g) G^T: 8x8, in double (done once). */
      double t[8][3];
      for (int c = 0; c < 3; c++) {
        const double g0 = g[0 * 3 + c], g1 = g[1 * 3 + c], g2 = g[2 * 3 + c];
        t[0][c] = g0;
        t[1][c] = -2.0 * (g0 + g1 + g2) / 9;
        t[2][c] = -2.0 * (g0 - g1 + g2) / 9;
        t[3][c] = g0 / 90 + g1 / 45 + 2 * g2 / 45;
        t[4][c] = g0 / 90 - g1 / 45 + 2 * g2 / 45;
        t[5][c] = 32 * g0 / 45 + 16 * g1 / 45 + 8 * g2 / 45;
        t[6][c] = 32 * g0 / 45 - 16 * g1 / 45 + 8 * g2 / 45;
        t[7][c] = g2;
      }
      for (int r = 0; r < 8; r++) {
        const double g0 = t[r][0], g1 = t[r][1], g2 = t[r][2];
        const double row[8] = {g0,
                               -2.0 * (g0 + g1 + g2) / 9,
                               -2.0 * (g0 - g1 + g2) / 9,
                               g0 / 90 + g1 / 45 + 2 * g2 / 45,
                               g0 / 90 - g1 / 45 + 2 * g2 / 45,
                               32 * g0 / 45 + 16 * g1 / 45 + 8 * g2 / 45,
                               32 * g0 / 45 - 16 * g1 / 45 + 8 * g2 / 45,
                               g2};
        for (int c = 0; c < 8; c++)
          u[(size_t)(r * 8 + c) * plane + o * in_channels + i] = (float)(row[c] * s);
      }
    }
}

/* B^T x for 8 values x[0..7], each LANES wide, with stride between them.
 * Rows 1 and 2, 3 and 4, 5 and 6 share their two halves (the SIMD
 * transforms compute the same sums in the same order). */
#define BT(x, y, xs, ys)                                                                \
  for (int l = 0; l < LANES; l++) {                                                     \
    const float d0 = x[0 * xs + l], d1 = x[1 * xs + l], d2 = x[2 * xs + l],             \
                d3 = x[3 * xs + l], d4 = x[4 * xs + l], d5 = x[5 * xs + l],             \
                d6 = x[6 * xs + l], d7 = x[7 * xs + l];                                 \
    const float a12 = (d1 + d5) - 4.25f * d3, b12 = (d2 + d6) - 4.25f * d4;             \
    const float a34 = (0.5f * d1 - 2.5f * d3) + 2.0f * d5,                              \
                b34 = (0.25f * d2 - 1.25f * d4) + d6;                                   \
    const float a56 = (2.0f * d1 - 2.5f * d3) + 0.5f * d5,                              \
                b56 = (4.0f * d2 - 5.0f * d4) + d6;                                     \
    y[0 * ys + l] = (d0 - d6) + 5.25f * (d4 - d2);                                      \
    y[1 * ys + l] = b12 + a12;                                                          \
    y[2 * ys + l] = b12 - a12;                                                          \
    y[3 * ys + l] = b34 + a34;                                                          \
    y[4 * ys + l] = b34 - a34;                                                          \
    y[5 * ys + l] = b56 + a56;                                                          \
    y[6 * ys + l] = b56 - a56;                                                          \
    y[7 * ys + l] = (d7 - d1) + 5.25f * (d3 - d5);                                      \
  }

size_t cna_f32_winograd63_input_scratch(size_t tiles_w, size_t count) {
  /* The tile rows a run of count tiles touches, 8 input rows for the first
   * and 6 more for each next, each 6 * tiles_w + 2 wide. */
  const size_t tile_rows = count / tiles_w + 2;
  return (6 * tile_rows + 2) * (6 * tiles_w + 2);
}

void cna_f32_winograd63_input(const float *restrict input, size_t in_channels,
                              size_t in_height, size_t in_width, size_t pad_top,
                              size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                              size_t lanes, float *restrict v, float *restrict scratch) {
  const size_t groups = (count + LANES - 1) / LANES;
  const size_t xi_stride = cna_winograd_stride(in_channels, (count + lanes - 1) / lanes * lanes);
  const size_t ty0 = t0 / tiles_w, ty1 = (t0 + count - 1) / tiles_w;
  const size_t rows = 6 * (ty1 - ty0) + 8, wp = 6 * tiles_w + 2;
  for (size_t c = 0; c < in_channels; c++) {
    const float *plane = input + c * in_height * in_width;
    cna_f32_winograd_pad_rows(plane, in_height, in_width, pad_top, pad_left, 6 * ty0, rows, wp,
                              scratch);
    for (size_t p = 0; p < groups; p++) {
      size_t at[LANES];
      cna_winograd_patch_starts(at, 6, p, t0, count, tiles_w, ty0, wp);
      float d[64 * LANES], tmp[64 * LANES];
      for (int r = 0; r < 8; r++)
        for (int q = 0; q < 8; q++)
          for (int l = 0; l < LANES; l++)
            d[(r * 8 + q) * LANES + l] = scratch[at[l] + (size_t)r * wp + (size_t)q];
      /* Columns: tmp = B^T d; rows: each row of tmp times B, into the
       * packed B panels of the 64 products, [xi][panel][c][lanes]. */
      for (int q = 0; q < 8; q++) {
        const float *x = d + q * LANES;
        float *y = tmp + q * LANES;
        BT(x, y, 8 * LANES, 8 * LANES)
      }
      float *out = v + cna_winograd_v_offset(p, c, in_channels, lanes);
      for (int r = 0; r < 8; r++) {
        const float *x = tmp + r * 8 * LANES;
        float *y = out + (size_t)r * 8 * xi_stride;
        BT(x, y, LANES, xi_stride)
      }
    }
  }
}

/* A^T x for 8 values, LANES wide. */
#define AT(x, y, xs, ys)                                                                \
  for (int l = 0; l < LANES; l++) {                                                     \
    const float m0 = x[0 * xs + l], m1 = x[1 * xs + l], m2 = x[2 * xs + l],             \
                m3 = x[3 * xs + l], m4 = x[4 * xs + l], m5 = x[5 * xs + l],             \
                m6 = x[6 * xs + l], m7 = x[7 * xs + l];                                 \
    const float a1 = m1 + m2, s1 = m1 - m2, a2 = m3 + m4, s2 = m3 - m4, a3 = m5 + m6,   \
                s3 = m5 - m6;                                                           \
    y[0 * ys + l] = ((m0 + a1) + a2) + a3;                                              \
    y[1 * ys + l] = (s1 + 2.0f * s2) + 0.5f * s3;                                       \
    y[2 * ys + l] = (a1 + 4.0f * a2) + 0.25f * a3;                                      \
    y[3 * ys + l] = (s1 + 8.0f * s2) + 0.125f * s3;                                     \
    y[4 * ys + l] = (a1 + 16.0f * a2) + 0.0625f * a3;                                   \
    y[5 * ys + l] = ((s1 + 32.0f * s2) + 0.03125f * s3) + m7;                           \
  }

void cna_f32_winograd63_output(const float *restrict m, size_t out_channels, size_t ld,
                               size_t t0, size_t count, size_t tiles_w, size_t out_height,
                               size_t out_width, const float *restrict bias,
                               const float *residual, int relu, float *output) {
  const size_t xi_stride = cna_winograd_stride(out_channels, ld);
  for (size_t o = 0; o < out_channels; o++) {
    const float b = bias != NULL ? bias[o] : 0.0f;
    float *plane = output + o * out_height * out_width;
    const float *res = residual != NULL ? residual + o * out_height * out_width : NULL;
    for (size_t p = 0; p * LANES < count; p++) {
      float x[64 * LANES], tmp[48 * LANES], y[36 * LANES];
      for (int xi = 0; xi < 64; xi++)
        memcpy(x + xi * LANES, m + (size_t)xi * xi_stride + o * ld + p * LANES,
               LANES * sizeof(float));
      /* Columns: tmp (6x8) = A^T x; rows: y (6x6) = tmp A. */
      for (int q = 0; q < 8; q++) {
        const float *xx = x + q * LANES;
        float *yy = tmp + q * LANES;
        AT(xx, yy, 8 * LANES, 8 * LANES)
      }
      for (int r = 0; r < 6; r++) {
        const float *xx = tmp + r * 8 * LANES;
        float *yy = y + r * 6 * LANES;
        AT(xx, yy, LANES, LANES)
      }
      for (int l = 0; l < LANES && p * LANES + (size_t)l < count; l++) {
        const size_t t = t0 + p * LANES + (size_t)l;
        const size_t oy = t / tiles_w * 6, ox = t % tiles_w * 6;
        for (size_t r = 0; r < 6 && oy + r < out_height; r++)
          for (size_t q = 0; q < 6 && ox + q < out_width; q++) {
            const size_t at = (oy + r) * out_width + ox + q;
            float value = y[(r * 6 + q) * LANES + (size_t)l] + b;
            if (res != NULL) value += res[at];
            if (relu) value = value < 0.0f ? 0.0f : value;
            plane[at] = value;
          }
      }
    }
  }
}

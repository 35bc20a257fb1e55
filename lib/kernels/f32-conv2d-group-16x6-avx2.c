/* AVX2 channel-vectorized micro-kernel of the direct grouped convolution
 * (f32-conv2d-group.c), for small images: 16 output channels (two packed
 * blocks of 8, one vector each) times 6 output pixels, 12 accumulators.
 * Per input channel and tap: two weight loads and one broadcast per
 * pixel, 12 FMAs. The pixel-vectorized kernel (f32-conv2d-group-avx2.c)
 * sweeps whole vectors of virtual pixels, the wq - out_width columns past
 * each row included: a 7x7 image costs it 64 pixels for 49, plus a pass
 * that drops them. Here a pixel is a broadcast, so any pixel can join a
 * tile: no virtual column is computed, and a last tile of fewer pixels
 * does fewer FMAs. The tile is transposed in registers on the way out
 * (a row of pixels per channel) with the bias, residual and ReLU added.
 *
 * Each output gets the pixel-vectorized kernel's arithmetic: FMAs from
 * zero over the input channels, each over its taps, then the bias, then
 * the residual, then max(0, x): the same bits from either kernel.
 * Compiled with -mavx2 -mfma for this file alone; chosen only where the
 * CPU and the OS support it (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86-avx2.h"

enum { PIXELS = 6, BLOCK = CNA_CONV2D_GROUP_BLOCK };

/* The tile's sums out: plus the bias, transposed (rows: pixels of 8
 * channels; columns: channels of P pixels), plus the residual, through
 * the ReLU, stored. Not inlined into the tile: what it keeps live would
 * push an accumulator of the products' loop onto the stack. */
static __attribute__((noinline)) void finish(const cna_conv2d_group_tile *t, size_t i0,
                                             const __m256 acc[PIXELS][2], int P) {
  const __m256 zero = _mm256_setzero_ps();
  for (int h = 0; h < 2; h++) {
    const __m256 bias = _mm256_loadu_ps(t->bias + h * BLOCK);
    __m256 r[8];
    for (int q = 0; q < 8; q++) r[q] = q < P ? _mm256_add_ps(acc[q][h], bias) : zero;
    cna_avx2_transpose8(r);
    for (int j = 0; j < BLOCK; j++) {
      const size_t row = (size_t)(h * BLOCK + j) * t->ld + i0;
      __m256 y = r[j];
      if (P == PIXELS) {
        if (t->residual != NULL) y = _mm256_add_ps(y, cna_avx2_load_row6(t->residual + row));
        /* max(0, x) is x when x is NaN. */
        if (t->relu) y = _mm256_max_ps(zero, y);
        cna_avx2_store_row6(t->out + row, y);
        continue;
      }
      float v[8];
      _mm256_storeu_ps(v, y);
      for (int q = 0; q < P; q++) {
        float x = v[q];
        if (t->residual != NULL) x += t->residual[row + (size_t)q];
        if (t->relu) _mm_store_ss(&x, _mm_max_ss(_mm_setzero_ps(), _mm_set_ss(x)));
        t->out[row + (size_t)q] = x;
      }
    }
  }
}

/* P pixels (a constant in each inlined copy) from pixel i0, pixel i0 + q
 * reading its taps from at[q]. The accumulators are named variables: an
 * array of them is kept on the stack, stored at every step. */
static inline __attribute__((always_inline)) void tile(const cna_conv2d_group_tile *t, size_t i0,
                                                       const float *const at[PIXELS],
                                                       const int P) {
  const float *a0 = at[0], *a1 = at[1], *a2 = at[2], *a3 = at[3], *a4 = at[4], *a5 = at[5];
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const size_t steps = t->steps, block = steps * BLOCK; /* floats from one block to the next */
  const float *w = t->weights;
  const ptrdiff_t *offsets = t->offsets;
  for (size_t step = 0; step < steps; step++, w += BLOCK) {
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + block);
    const ptrdiff_t off = offsets[step];
    __m256 x = _mm256_broadcast_ss(a0 + off);
    c00 = _mm256_fmadd_ps(x, w0, c00);
    c01 = _mm256_fmadd_ps(x, w1, c01);
    if (P > 1) {
      x = _mm256_broadcast_ss(a1 + off);
      c10 = _mm256_fmadd_ps(x, w0, c10);
      c11 = _mm256_fmadd_ps(x, w1, c11);
    }
    if (P > 2) {
      x = _mm256_broadcast_ss(a2 + off);
      c20 = _mm256_fmadd_ps(x, w0, c20);
      c21 = _mm256_fmadd_ps(x, w1, c21);
    }
    if (P > 3) {
      x = _mm256_broadcast_ss(a3 + off);
      c30 = _mm256_fmadd_ps(x, w0, c30);
      c31 = _mm256_fmadd_ps(x, w1, c31);
    }
    if (P > 4) {
      x = _mm256_broadcast_ss(a4 + off);
      c40 = _mm256_fmadd_ps(x, w0, c40);
      c41 = _mm256_fmadd_ps(x, w1, c41);
    }
    if (P > 5) {
      x = _mm256_broadcast_ss(a5 + off);
      c50 = _mm256_fmadd_ps(x, w0, c50);
      c51 = _mm256_fmadd_ps(x, w1, c51);
    }
  }
  const __m256 acc[PIXELS][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                                 {c30, c31}, {c40, c41}, {c50, c51}};
  finish(t, i0, acc, P);
}

void cna_f32_conv2d_group_16x6__avx2(const cna_conv2d_group_tile *t) {
  /* Each tile's pixels by row and column, counted along (no divisions). */
  const float *at[PIXELS];
  size_t oy = 0, ox = 0;
  for (size_t i0 = 0; i0 < t->count; i0 += PIXELS) {
    const size_t P = t->count - i0 < PIXELS ? t->count - i0 : PIXELS;
    for (size_t q = 0; q < PIXELS; q++) {
      at[q] = t->input + oy * t->row_step + ox * t->col_step; /* past P: the last again */
      if (q + 1 < P && ++ox == t->out_width) ox = 0, oy++;
    }
    if (++ox == t->out_width) ox = 0, oy++;
    switch (P) {
      case 1: tile(t, i0, at, 1); break;
      case 2: tile(t, i0, at, 2); break;
      case 3: tile(t, i0, at, 3); break;
      case 4: tile(t, i0, at, 4); break;
      case 5: tile(t, i0, at, 5); break;
      default: tile(t, i0, at, 6); break;
    }
  }
}

/* AVX2 + FMA matrix product, C = A * B + bias (see cna_f32_gemm__scalar),
 * built from a 6x16 register tile: 6 rows of C times 16 columns (two 8-float
 * vectors) held in 12 accumulators, one broadcast of A and two loads of B per
 * k. Compiled with -mavx2 -mfma for this file alone; called only when the
 * CPU and the OS support both (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

/* One 6x16 tile over the whole k. */
static void tile_6x16(size_t k, const float *restrict a, size_t lda, const float *restrict b,
                      size_t ldb, const float *restrict bias, float *restrict c, size_t ldc) {
  __m256 acc[6][2];
  for (int r = 0; r < 6; r++) {
    const __m256 start = _mm256_set1_ps(bias != NULL ? bias[r] : 0.0f);
    acc[r][0] = start;
    acc[r][1] = start;
  }
  for (size_t p = 0; p < k; p++) {
    const __m256 b0 = _mm256_loadu_ps(b + p * ldb);
    const __m256 b1 = _mm256_loadu_ps(b + p * ldb + 8);
    for (int r = 0; r < 6; r++) {
      const __m256 w = _mm256_broadcast_ss(a + r * lda + p);
      acc[r][0] = _mm256_fmadd_ps(w, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(w, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < 6; r++) {
    _mm256_storeu_ps(c + r * ldc, acc[r][0]);
    _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
  }
}

/* Edge tiles (fewer rows, or columns in steps of 8 with a masked last step):
 * the same arithmetic per element, so results do not depend on the tiling. */
static void tile_edge(size_t rows, size_t cols, size_t k, const float *restrict a, size_t lda,
                      const float *restrict b, size_t ldb, const float *restrict bias,
                      float *restrict c, size_t ldc) {
  for (size_t j = 0; j < cols; j += 8) {
    const size_t width = cols - j < 8 ? cols - j : 8;
    int lanes[8];
    for (int l = 0; l < 8; l++) lanes[l] = (size_t)l < width ? -1 : 0;
    const __m256i mask = _mm256_loadu_si256((const __m256i *)lanes);
    for (size_t r = 0; r < rows; r++) {
      __m256 acc = _mm256_set1_ps(bias != NULL ? bias[r] : 0.0f);
      for (size_t p = 0; p < k; p++)
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + p),
                              _mm256_maskload_ps(b + p * ldb + j, mask), acc);
      _mm256_maskstore_ps(c + r * ldc + j, mask, acc);
    }
  }
}

void cna_f32_gemm__avx2(size_t m, size_t n, size_t k, const float *restrict a, size_t lda,
                        const float *restrict b, size_t ldb, const float *restrict bias,
                        float *restrict c, size_t ldc) {
  /* Column blocks of B sized to stay in L2 while the rows of A stream. */
  const size_t block = 256;
  for (size_t j0 = 0; j0 < n; j0 += block) {
    const size_t cols = n - j0 < block ? n - j0 : block;
    const size_t full_cols = cols / 16 * 16;
    size_t i = 0;
    for (; i + 6 <= m; i += 6) {
      const float *bi = bias != NULL ? bias + i : NULL;
      for (size_t j = 0; j < full_cols; j += 16)
        tile_6x16(k, a + i * lda, lda, b + j0 + j, ldb, bi, c + i * ldc + j0 + j, ldc);
      if (full_cols < cols)
        tile_edge(6, cols - full_cols, k, a + i * lda, lda, b + j0 + full_cols, ldb, bi,
                  c + i * ldc + j0 + full_cols, ldc);
    }
    if (i < m)
      tile_edge(m - i, cols, k, a + i * lda, lda, b + j0, ldb, bias != NULL ? bias + i : NULL,
                c + i * ldc + j0, ldc);
  }
}

/* The packed micro-kernel: A is kc x 6 and B kc x 16, both k-major and
 * contiguous (f32-gemm-pack.c), so each step is one 6-float A read and two
 * 8-float B loads for 12 FMAs, all accumulators in named registers (an
 * array of them ends up on the stack, stored every step). Partial tiles
 * compute R = 2, 4 or 6 rows (a constant in each inlined copy: a 64-row
 * layer's last tile of 4 skips a third of the FMAs) on the zero-padded
 * panels and store only their valid part, through a small buffer; tiles
 * of 8 columns or fewer (H = 1) compute the left half only (a 7x7 image is
 * 49 = 3 x 16 + 1 columns: its last tile cost a whole one). Each computed
 * output gets the same FMAs in the same order whatever R and H. */
static inline __attribute__((always_inline)) void packed_tile(const cna_gemm_tile *t, const int R,
                                                              const int H) {
  const size_t rows = t->rows, cols = t->cols, ldc = t->ldc;
  const int full = rows == 6 && cols == 16;
  float edge[6 * 16];
  /* Where the tile's values are read and written: C itself, or the buffer. */
  float *c = full ? t->c : edge;
  const size_t ld = full ? ldc : 16;
  if (!full && t->accumulate)
    for (size_t r = 0; r < 6; r++)
      for (size_t j = 0; j < 16; j++) edge[r * 16 + j] = r < rows && j < cols ? t->c[r * ldc + j] : 0.0f;
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (t->accumulate) {
    c00 = _mm256_loadu_ps(c + 0 * ld), c01 = _mm256_loadu_ps(c + 0 * ld + 8);
    c10 = _mm256_loadu_ps(c + 1 * ld), c11 = _mm256_loadu_ps(c + 1 * ld + 8);
    c20 = _mm256_loadu_ps(c + 2 * ld), c21 = _mm256_loadu_ps(c + 2 * ld + 8);
    c30 = _mm256_loadu_ps(c + 3 * ld), c31 = _mm256_loadu_ps(c + 3 * ld + 8);
    c40 = _mm256_loadu_ps(c + 4 * ld), c41 = _mm256_loadu_ps(c + 4 * ld + 8);
    c50 = _mm256_loadu_ps(c + 5 * ld), c51 = _mm256_loadu_ps(c + 5 * ld + 8);
  } else {
    /* Broadcast straight from the bias where all 6 rows have one (a
     * copy through a small array first costs the stack round trip). */
    const float *bias = t->bias;
    if (bias != NULL && rows == 6) {
      c00 = c01 = _mm256_broadcast_ss(bias + 0);
      c10 = c11 = _mm256_broadcast_ss(bias + 1);
      c20 = c21 = _mm256_broadcast_ss(bias + 2);
      c30 = c31 = _mm256_broadcast_ss(bias + 3);
      c40 = c41 = _mm256_broadcast_ss(bias + 4);
      c50 = c51 = _mm256_broadcast_ss(bias + 5);
    } else {
      float start[6] = {0};
      for (size_t r = 0; r < rows && bias != NULL; r++) start[r] = bias[r];
      c00 = c01 = _mm256_set1_ps(start[0]);
      c10 = c11 = _mm256_set1_ps(start[1]);
      c20 = c21 = _mm256_set1_ps(start[2]);
      c30 = c31 = _mm256_set1_ps(start[3]);
      c40 = c41 = _mm256_set1_ps(start[4]);
      c50 = c51 = _mm256_set1_ps(start[5]);
    }
  }
  /* The next tile (the same rows, the next 16 columns) reads C (when it
   * accumulates) and the residual, and writes C: fetched during this
   * tile's products, which hide their latency from L3 or memory. R rows,
   * a constant (a prefetch past the valid rows does no harm). */
  for (int r = 0; r < R; r++) _mm_prefetch((const char *)(t->c + r * ldc + 16), _MM_HINT_T0);
  if (t->residual != NULL)
    for (int r = 0; r < R; r++)
      _mm_prefetch((const char *)(t->residual + r * t->ld_residual + 16), _MM_HINT_T0);
  const float *restrict a = t->a, *restrict b = t->b;
  for (size_t p = t->kc; p > 0; p--) {
    /* A 3 KB ahead: it streams from memory when the weights outgrow the
     * caches (ResNet's 7x7 layers), where this measures 1.1-1.25x. */
    _mm_prefetch((const char *)(a + 6 * 128), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b), b1 = H > 1 ? _mm256_loadu_ps(b + 8) : b0;
    __m256 w = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(w, b0, c00);
    if (H > 1) c01 = _mm256_fmadd_ps(w, b1, c01);
    w = _mm256_broadcast_ss(a + 1);
    if (R > 1) c10 = _mm256_fmadd_ps(w, b0, c10);
    if (R > 1 && H > 1) c11 = _mm256_fmadd_ps(w, b1, c11);
    w = _mm256_broadcast_ss(a + 2);
    if (R > 2) c20 = _mm256_fmadd_ps(w, b0, c20);
    if (R > 2 && H > 1) c21 = _mm256_fmadd_ps(w, b1, c21);
    w = _mm256_broadcast_ss(a + 3);
    if (R > 3) c30 = _mm256_fmadd_ps(w, b0, c30);
    if (R > 3 && H > 1) c31 = _mm256_fmadd_ps(w, b1, c31);
    w = _mm256_broadcast_ss(a + 4);
    if (R > 4) c40 = _mm256_fmadd_ps(w, b0, c40);
    if (R > 4 && H > 1) c41 = _mm256_fmadd_ps(w, b1, c41);
    w = _mm256_broadcast_ss(a + 5);
    if (R > 5) c50 = _mm256_fmadd_ps(w, b0, c50);
    if (R > 5 && H > 1) c51 = _mm256_fmadd_ps(w, b1, c51);
    a += 6;
    b += 16;
  }
  /* The residual, then max(0, x) (x when x is NaN: the second operand
   * wins), on the named registers, a partial tile's residual through a
   * buffer like its C. An array of the 12 went through the stack: at
   * kc = 64 the tile ran 1.08-1.14x the time (f32-gemm-6x16 alone). */
  if (t->residual != NULL) {
    float res_edge[6 * 16];
    const float *res = t->residual;
    size_t ldr = t->ld_residual;
    if (!full) {
      for (size_t r = 0; r < 6; r++)
        for (size_t j = 0; j < 16; j++)
          res_edge[r * 16 + j] = r < rows && j < cols ? res[r * ldr + j] : 0.0f;
      res = res_edge, ldr = 16;
    }
#define ADD_ROW(r, lo, hi)                                  \
  lo = _mm256_add_ps(lo, _mm256_loadu_ps(res + r * ldr));   \
  hi = _mm256_add_ps(hi, _mm256_loadu_ps(res + r * ldr + 8))
    ADD_ROW(0, c00, c01);
    ADD_ROW(1, c10, c11);
    ADD_ROW(2, c20, c21);
    ADD_ROW(3, c30, c31);
    ADD_ROW(4, c40, c41);
    ADD_ROW(5, c50, c51);
#undef ADD_ROW
  }
  if (t->relu) {
    const __m256 zero = _mm256_setzero_ps();
    c00 = _mm256_max_ps(zero, c00), c01 = _mm256_max_ps(zero, c01);
    c10 = _mm256_max_ps(zero, c10), c11 = _mm256_max_ps(zero, c11);
    c20 = _mm256_max_ps(zero, c20), c21 = _mm256_max_ps(zero, c21);
    c30 = _mm256_max_ps(zero, c30), c31 = _mm256_max_ps(zero, c31);
    c40 = _mm256_max_ps(zero, c40), c41 = _mm256_max_ps(zero, c41);
    c50 = _mm256_max_ps(zero, c50), c51 = _mm256_max_ps(zero, c51);
  }
  _mm256_storeu_ps(c + 0 * ld, c00), _mm256_storeu_ps(c + 0 * ld + 8, c01);
  _mm256_storeu_ps(c + 1 * ld, c10), _mm256_storeu_ps(c + 1 * ld + 8, c11);
  _mm256_storeu_ps(c + 2 * ld, c20), _mm256_storeu_ps(c + 2 * ld + 8, c21);
  _mm256_storeu_ps(c + 3 * ld, c30), _mm256_storeu_ps(c + 3 * ld + 8, c31);
  _mm256_storeu_ps(c + 4 * ld, c40), _mm256_storeu_ps(c + 4 * ld + 8, c41);
  _mm256_storeu_ps(c + 5 * ld, c50), _mm256_storeu_ps(c + 5 * ld + 8, c51);
  if (!full)
    for (size_t r = 0; r < rows; r++)
      for (size_t j = 0; j < cols; j++) t->c[r * ldc + j] = edge[r * 16 + j];
}

void cna_f32_gemm_ukernel_6x16__avx2(const cna_gemm_tile *t) {
  const int h = t->cols <= 8 ? 1 : 2;
  if (t->rows <= 2)
    h == 1 ? packed_tile(t, 2, 1) : packed_tile(t, 2, 2);
  else if (t->rows <= 4)
    h == 1 ? packed_tile(t, 4, 1) : packed_tile(t, 4, 2);
  else
    h == 1 ? packed_tile(t, 6, 1) : packed_tile(t, 6, 2);
}

/* The right edge (cna_gemm_edge): P row panels times C columns (C of 1 to
 * 4) in P x C accumulators, each a vector over one panel's 6 rows (lanes
 * 6 and 7 compute nothing that is stored). A 16-column tile with 1 to 4
 * valid columns costs 2/3 of a whole one: its 6 chains, one per row, wait
 * on Zen 3's 4-cycle FMA latency; here P x C chains share the two FMA
 * pipes (ResNet-50's 7x7 layers: 49 = 3 x 16 + 1 columns). Every output
 * gets a tile's arithmetic: the same start (bias, 0 or C), FMAs over k in
 * order, residual, then max(0, x). */
static inline __attribute__((always_inline)) void edge_panels(const cna_gemm_edge *e, size_t p0,
                                                              const int P, const int C) {
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  __m256 acc[4][4];
  #pragma GCC unroll 4
  for (int p = 0; p < P; p++)
    #pragma GCC unroll 4
    for (int j = 0; j < C; j++) {
      float start[8] = {0};
      for (size_t r = 0; r < 6; r++) {
        const size_t row = (p0 + (size_t)p) * 6 + r;
        if (row >= e->rows) break;
        if (e->accumulate)
          start[r] = e->c[row * e->ldc + (size_t)j];
        else if (e->bias != NULL)
          start[r] = e->bias[row];
      }
      acc[p][j] = _mm256_loadu_ps(start);
    }
  const float *a = e->a + p0 * e->a_stride, *b = e->b;
  /* 8 floats from each k step's 6: the last step's reads stop at the
   * panel's end (masked), the others spill into the next step's. */
  for (size_t k = 0; k < e->kc; k++, a += 6, b += e->ldb) {
    const int last = k + 1 == e->kc;
    __m256 bj[4];
    #pragma GCC unroll 4
    for (int j = 0; j < C; j++) bj[j] = _mm256_broadcast_ss(b + j);
    #pragma GCC unroll 4
    for (int p = 0; p < P; p++) {
      const float *w_at = a + (size_t)p * e->a_stride;
      const __m256 w = last ? _mm256_maskload_ps(w_at, six) : _mm256_loadu_ps(w_at);
      #pragma GCC unroll 4
      for (int j = 0; j < C; j++) acc[p][j] = _mm256_fmadd_ps(w, bj[j], acc[p][j]);
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  #pragma GCC unroll 4
  for (int p = 0; p < P; p++)
    #pragma GCC unroll 4
    for (int j = 0; j < C; j++) {
      const size_t row0 = (p0 + (size_t)p) * 6;
      const size_t rows = e->rows - row0 < 6 ? e->rows - row0 : 6;
      __m256 v = acc[p][j];
      if (e->residual != NULL) {
        float res[8] = {0};
        for (size_t r = 0; r < rows; r++)
          res[r] = e->residual[(row0 + r) * e->ld_residual + (size_t)j];
        v = _mm256_add_ps(v, _mm256_loadu_ps(res));
      }
      /* max(0, x) returns x when x is NaN (the second operand wins). */
      if (e->relu) v = _mm256_max_ps(zero, v);
      float out[8];
      _mm256_storeu_ps(out, v);
      for (size_t r = 0; r < rows; r++) e->c[(row0 + r) * e->ldc + (size_t)j] = out[r];
    }
}

/* Panels in groups of 4 (1 or 2 columns: 4 to 8 chains) or 2 (3 or 4
 * columns: 6 or 8 chains, 16 registers at most). */
void cna_f32_gemm_edge_6x16__avx2(const cna_gemm_edge *e) {
  const size_t group = e->cols <= 2 ? 4 : 2;
  size_t p = 0;
  for (; p + group <= e->panels; p += group) {
    switch (e->cols) {
      case 1: edge_panels(e, p, 4, 1); break;
      case 2: edge_panels(e, p, 4, 2); break;
      case 3: edge_panels(e, p, 2, 3); break;
      default: edge_panels(e, p, 2, 4); break;
    }
  }
  if (group == 4 && p + 2 <= e->panels) {
    e->cols == 1 ? edge_panels(e, p, 2, 1) : edge_panels(e, p, 2, 2);
    p += 2;
  }
  for (; p < e->panels; p++) {
    switch (e->cols) {
      case 1: edge_panels(e, p, 1, 1); break;
      case 2: edge_panels(e, p, 1, 2); break;
      case 3: edge_panels(e, p, 1, 3); break;
      default: edge_panels(e, p, 1, 4); break;
    }
  }
}

/* AVX-512F packed micro-kernel: 12 rows of C times 32 columns (two zmm per
 * row, 24 accumulators), the contract of kernels.h (cna_gemm_tile) on
 * 32-column B panels. Each k step is two B loads and 24 FMAs, each A value
 * broadcast once for two FMAs: 14 loads per 24 FMAs, where the 12x16 tile
 * needs 13 per 12 and is bound by the two load ports before the FMA units.
 * Tiles of 16 columns or fewer (the right edge, Winograd's panels of 16
 * tiles) run a one-vector loop that reads the low half of each B row
 * only, and right-edge tiles of 1-4 or 17-20 columns take those columns
 * one vector per column (see narrow). Partial tiles use masked loads and
 * stores. Compiled with -mavx512f for this file alone;
 * chosen only when the CPU and the OS support it (kernels/dispatch.c). */
#include <immintrin.h>

#include "kernels/kernels.h"

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

/* The mask of the valid lanes among 16 starting at column `from`. */
static __mmask16 lanes(size_t cols, size_t from) {
  if (cols >= from + 16) return (__mmask16)0xFFFF;
  if (cols <= from) return 0;
  return (__mmask16)((1u << (cols - from)) - 1);
}

/* Both loops take R, a constant once inlined, the rows the tile computes
 * (4, 8 or 12): a partial tile of t->rows <= R rows skips the FMAs of rows
 * past R (ResNet's 64-channel layers end in a tile of 4 rows, 11% of
 * their work when it cost a whole one). */
#define INLINE static inline __attribute__((always_inline))

/* Column j of the tile as one vector of its rows (lane r: row r), from a
 * matrix with leading dimension ld: the thin columns' loads and stores. */
static inline __m512 column_load(const float *m, size_t ld, size_t rows, size_t j) {
  float v[16] = {0};
  for (size_t r = 0; r < rows; r++) v[r] = m[r * ld + j];
  return _mm512_loadu_ps(v);
}

static inline void column_store(float *m, size_t ld, size_t rows, size_t j, __m512 x) {
  float v[16];
  _mm512_storeu_ps(v, x);
  for (size_t r = 0; r < rows; r++) m[r * ld + j] = v[r];
}

/* Tiles of at most 16 + THIN columns (BODY, THIN constants once inlined):
 * if BODY, columns 0..15 as one vector per row, B's panel still 32 wide;
 * then the tile's last THIN columns (0 to 4, from column `from`) as one
 * vector per column over the rows (lane r: row r), an FMA and a broadcast
 * of B per k step each, so exactly as many as there are columns: the
 * broadcasts, not the FMAs, bound these loops. A 7x7 image is 49 columns,
 * 32 + 17: the 17 as a 32-column tile cost 24 FMAs per k step, as 16 + 1
 * they cost 13 (512x49x4608, weights from L3: 2.08-2.17 -> 1.85-1.96 ms;
 * 48 columns take 1.67-1.75); a 14x14 image ends in a tile of 4. Each output is still a[r] * b[j] added
 * to it once per k step, in k order, as in the wide loop: the same bits,
 * whichever loop a column falls in. */
INLINE void narrow(const cna_gemm_tile *t, const size_t R, const int BODY, const size_t THIN) {
  const size_t rows = t->rows, ldc = t->ldc;
  const __mmask16 mask = BODY ? lanes(t->cols, 0) : 0;
  const size_t from = BODY ? 16 : 0;
  float *c = t->c;
  __m512 c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
  __m512 x0 = _mm512_setzero_ps(), x1 = x0, x2 = x0, x3 = x0;
#define THINS(X) X(0) X(1) X(2) X(3)
  if (t->accumulate) {
#define LOAD(r)                                                                  \
  c##r = BODY && r < R && r < rows ? _mm512_maskz_loadu_ps(mask, c + r * ldc)   \
                                   : _mm512_setzero_ps();
    ROWS(LOAD)
#undef LOAD
#define LOAD(j) \
  if (j < THIN) x##j = column_load(c, ldc, rows, from + j);
    THINS(LOAD)
#undef LOAD
  } else {
#define START(r) \
  c##r = _mm512_set1_ps(t->bias != NULL && r < R && r < rows ? t->bias[r] : 0.0f);
    ROWS(START)
#undef START
    if (THIN > 0 && t->bias != NULL) {
      x0 = _mm512_maskz_loadu_ps(lanes(rows, 0), t->bias);
      x1 = x2 = x3 = x0;
    }
  }
  const float *restrict a = t->a, *restrict b = t->b;
  const __mmask16 a_lanes = 0x0FFF; /* a k step of A is 12 floats */
  for (size_t p = t->kc; p > 0; p--) {
    /* A ahead, as in the wide loop: Winograd's 14x14 layers (16 tiles, this
     * loop) stream 9 MB of transformed weights each (1.3x with it). */
    _mm_prefetch((const char *)(a + 12 * 64), _MM_HINT_T0);
    const __m512 vb = _mm512_loadu_ps(b);
#define STEP(r) \
  if (BODY && r < R) c##r = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), vb, c##r);
    ROWS(STEP)
#undef STEP
    if (THIN > 0) {
      const __m512 va = _mm512_maskz_loadu_ps(a_lanes, a);
#define STEP(j) \
  if (j < THIN) x##j = _mm512_fmadd_ps(va, _mm512_set1_ps(b[from + j]), x##j);
      THINS(STEP)
#undef STEP
    }
    a += 12;
    b += 32;
  }
  if (t->residual != NULL) {
#define RES(r)                                                                              \
  if (BODY && r < R && r < rows)                                                            \
    c##r = _mm512_add_ps(c##r, _mm512_maskz_loadu_ps(mask, t->residual + r * t->ld_residual));
    ROWS(RES)
#undef RES
#define RES(j)      \
  if (j < THIN)     \
    x##j = _mm512_add_ps(x##j, column_load(t->residual, t->ld_residual, rows, from + j));
    THINS(RES)
#undef RES
  }
  if (t->relu) {
    /* max(0, x) returns x when x is NaN (the second operand wins). */
    const __m512 zero = _mm512_setzero_ps();
#define RELU(r) c##r = _mm512_max_ps(zero, c##r);
    ROWS(RELU)
#undef RELU
#define RELU(j) \
  if (j < THIN) x##j = _mm512_max_ps(zero, x##j);
    THINS(RELU)
#undef RELU
  }
#define STORE(r) \
  if (BODY && r < R && r < rows) _mm512_mask_storeu_ps(c + r * ldc, mask, c##r);
  ROWS(STORE)
#undef STORE
#define STORE(j) \
  if (j < THIN) column_store(c, ldc, rows, from + j, x##j);
  THINS(STORE)
#undef STORE
#undef THINS
}

INLINE void wide(const cna_gemm_tile *t, const size_t R) {
  const size_t rows = t->rows, ldc = t->ldc;
  const __mmask16 lo = lanes(t->cols, 0), hi = lanes(t->cols, 16);
  float *c = t->c;
#define DECLARE(r) __m512 c##r##l, c##r##h;
  ROWS(DECLARE)
#undef DECLARE
  if (t->accumulate) {
#define LOAD(r)                                                                              \
  c##r##l = r < R && r < rows ? _mm512_maskz_loadu_ps(lo, c + r * ldc) : _mm512_setzero_ps();  \
  c##r##h =                                                                                    \
      r < R && r < rows ? _mm512_maskz_loadu_ps(hi, c + r * ldc + 16) : _mm512_setzero_ps();
    ROWS(LOAD)
#undef LOAD
  } else {
#define START(r)                                                                      \
  c##r##l = _mm512_set1_ps(t->bias != NULL && r < R && r < rows ? t->bias[r] : 0.0f); \
  c##r##h = c##r##l;
    ROWS(START)
#undef START
  }
  const float *restrict a = t->a, *restrict b = t->b;
  for (size_t p = t->kc; p > 0; p--) {
    /* A streams from memory when the weights outgrow the caches (ResNet's
     * 7x7 layers read 9 MB of weights for 49 columns): ask for it 3 KB
     * ahead, which the hardware prefetcher alone does not (1.3x there). */
    _mm_prefetch((const char *)(a + 12 * 64), _MM_HINT_T0);
    const __m512 bl = _mm512_loadu_ps(b), bh = _mm512_loadu_ps(b + 16);
#define STEP(r)                                 \
  if (r < R) {                                  \
    const __m512 ar = _mm512_set1_ps(a[r]);     \
    c##r##l = _mm512_fmadd_ps(ar, bl, c##r##l); \
    c##r##h = _mm512_fmadd_ps(ar, bh, c##r##h); \
  }
    ROWS(STEP)
#undef STEP
    a += 12;
    b += 32;
  }
  if (t->residual != NULL) {
#define RES(r)                                                                              \
  if (r < R && r < rows) {                                                                  \
    const float *res = t->residual + r * t->ld_residual;                                    \
    c##r##l = _mm512_add_ps(c##r##l, _mm512_maskz_loadu_ps(lo, res));                       \
    c##r##h = _mm512_add_ps(c##r##h, _mm512_maskz_loadu_ps(hi, res + 16));                  \
  }
    ROWS(RES)
#undef RES
  }
  if (t->relu) {
    const __m512 zero = _mm512_setzero_ps();
#define RELU(r)                             \
  c##r##l = _mm512_max_ps(zero, c##r##l); \
  c##r##h = _mm512_max_ps(zero, c##r##h);
    ROWS(RELU)
#undef RELU
  }
#define STORE(r)                                           \
  if (r < R && r < rows) {                                \
    _mm512_mask_storeu_ps(c + r * ldc, lo, c##r##l);       \
    _mm512_mask_storeu_ps(c + r * ldc + 16, hi, c##r##h);  \
  }
  ROWS(STORE)
#undef STORE
}

/* The tile's rows rounded up to 4, 8 or 12: R for the loops. */
#define BY_ROWS(CALL)      \
  do {                     \
    if (t->rows <= 4)      \
      CALL(4);             \
    else if (t->rows <= 8) \
      CALL(8);             \
    else                   \
      CALL(12);            \
  } while (0)

void cna_f32_gemm_ukernel_12x32__avx512(const cna_gemm_tile *t) {
  const size_t cols = t->cols;
#define THIN_ONLY(n) narrow(t, 12, 0, n)
#define NARROW(R) narrow(t, R, 1, 0)
#define NARROW_THIN(n, R) narrow(t, R, 1, n)
#define NARROW_THIN1(R) NARROW_THIN(1, R)
#define NARROW_THIN2(R) NARROW_THIN(2, R)
#define NARROW_THIN3(R) NARROW_THIN(3, R)
#define NARROW_THIN4(R) NARROW_THIN(4, R)
#define WIDE(R) wide(t, R)
  switch (cols) {
    case 1: THIN_ONLY(1); return;
    case 2: THIN_ONLY(2); return;
    case 3: THIN_ONLY(3); return;
    case 4: THIN_ONLY(4); return;
    case 17: BY_ROWS(NARROW_THIN1); return;
    case 18: BY_ROWS(NARROW_THIN2); return;
    case 19: BY_ROWS(NARROW_THIN3); return;
    case 20: BY_ROWS(NARROW_THIN4); return;
    default:
      if (cols <= 16)
        BY_ROWS(NARROW);
      else
        BY_ROWS(WIDE);
  }
#undef THIN_ONLY
#undef NARROW
#undef NARROW_THIN
#undef NARROW_THIN1
#undef NARROW_THIN2
#undef NARROW_THIN3
#undef NARROW_THIN4
#undef WIDE
}
#undef BY_ROWS

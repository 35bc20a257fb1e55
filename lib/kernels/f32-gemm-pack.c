/* Packing for the blocked GEMM (f32-gemm-blocked.c): A into panels of mr
 * rows, B into panels of nr columns, each k-major so a micro-kernel reads
 * both with unit stride. B is packed straight from a convolution's input:
 * the unfolded matrix of im2col is never built whole, only one cache-sized
 * block of it at a time. Portable C: the copies are memory-bound. */

#include "kernels/kernels.h"

size_t cna_f32_gemm_packed_a_size(size_t m, size_t k, size_t mr) {
  return (m + mr - 1) / mr * mr * k;
}

void cna_f32_gemm_pack_a(size_t m, size_t k, const float *restrict a, size_t lda,
                         const float *restrict scale, size_t mr, size_t kc,
                         float *restrict packed) {
  for (size_t pc = 0; pc < k; pc += kc) {
    const size_t block = k - pc < kc ? k - pc : kc;
    for (size_t i0 = 0; i0 < m; i0 += mr) {
      for (size_t p = 0; p < block; p++)
        for (size_t r = 0; r < mr; r++) {
          const size_t i = i0 + r;
          packed[p * mr + r] =
              i < m ? a[i * lda + pc + p] * (scale != NULL ? scale[i] : 1.0f) : 0.0f;
        }
      packed += mr * block;
    }
  }
}

/* Writes a run of values into consecutive columns of the packed block:
 * column j of row p lives at panel j / nr, lane j % nr. */
typedef struct packer {
  float *panel; /* the current panel's row p */
  size_t lane, nr, panel_stride;
} packer;

static inline void put(packer *w, float v) {
  w->panel[w->lane] = v;
  if (++w->lane == w->nr) {
    w->lane = 0;
    w->panel += w->panel_stride;
  }
}

/* Short copies inline (a library call per run of a few dozen floats cost
 * more than the copy); strides 1 and 2 (the zoo's) with constant strides
 * the compiler vectorizes. */
static inline void copy_run(float *restrict dst, const float *restrict src, size_t stride,
                            size_t count) {
  if (stride == 1)
    for (size_t q = 0; q < count; q++) dst[q] = src[q];
  else if (stride == 2)
    for (size_t q = 0; q < count; q++) dst[q] = src[2 * q];
  else
    for (size_t q = 0; q < count; q++) dst[q] = src[q * stride];
}

/* count values src[0], src[stride], ... (all inside the image). */
static inline void put_run(packer *w, const float *restrict src, size_t stride, size_t count) {
  while (count > 0) {
    size_t take = w->nr - w->lane;
    if (take > count) take = count;
    copy_run(w->panel + w->lane, src, stride, take);
    src += take * stride;
    count -= take;
    w->lane += take;
    if (w->lane == w->nr) {
      w->lane = 0;
      w->panel += w->panel_stride;
    }
  }
}

static inline void put_zeros(packer *w, size_t count) {
  for (size_t q = 0; q < count; q++) put(w, 0.0f);
}

/* First output column t in [0, count) whose input column t * stride + offset
 * is at least 0, and the first at or past width. */
static void inside_range(ptrdiff_t offset, size_t stride, size_t width, size_t count,
                         size_t *lo, size_t *hi) {
  size_t a = 0, b;
  if (offset < 0) a = ((size_t)-offset + stride - 1) / stride;
  if (offset >= (ptrdiff_t)width) {
    b = 0;
  } else {
    /* t * stride + offset < width  <=>  t < (width - offset) / stride, rounded up */
    b = ((size_t)((ptrdiff_t)width - offset) + stride - 1) / stride;
  }
  if (a > count) a = count;
  if (b > count) b = count;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

/* n (a multiple of 4) floats in 16-byte moves. A loop over a run-time n
 * becomes a memcpy call per panel row (64 bytes; the call was 4% of
 * SqueezeNet at batch 8), so the micro-kernels' widths get copies of a
 * constant size, which the compiler inlines. */
typedef float cna__f32x4 __attribute__((vector_size(16), aligned(4), may_alias));
static inline void copy_moves(float *restrict dst, const float *restrict src, size_t n) {
  for (size_t l = 0; l < n; l += 4) *(cna__f32x4 *)(dst + l) = *(const cna__f32x4 *)(src + l);
}
static inline void copy_panel_row(float *restrict dst, const float *restrict src, size_t n) {
  switch (n) {
    case 12:
      copy_moves(dst, src, 12);
      return;
    case 16:
      copy_moves(dst, src, 16);
      return;
    case 32:
      copy_moves(dst, src, 32);
      return;
    default:
      copy_moves(dst, src, n);
  }
}

/* A run of n < 32 floats as pieces of 16, 8, 4 and single floats: any
 * loop over it GCC turns into `rep movs`, whose start-up costs more than
 * such a run (ResNet's stem packed 1.13x slower that way). */
static inline void copy_short(float *restrict dst, const float *restrict src, size_t n) {
  size_t l = 0;
  if (n & 16) copy_moves(dst, src, 16), l += 16;
  if (n & 8) copy_moves(dst + l, src + l, 8), l += 8;
  if (n & 4) copy_moves(dst + l, src + l, 4), l += 4;
  if (n & 2) dst[l] = src[l], dst[l + 1] = src[l + 1], l += 2;
  if (n & 1) dst[l] = src[l];
}

/* Every other float of src, n of them (a run at step 2). */
static inline void copy_step2(float *restrict dst, const float *restrict src, size_t n) {
  for (size_t l = 0; l < n; l++) dst[l] = src[2 * l];
}

/* A convolution's block through a zero-padded band: the input rows under
 * the block's output rows, one channel at a time, padded into a stack
 * buffer once for the kernel_h * kernel_w rows of B that read it; then
 * each row of B is a fixed pattern of offsets into the band, copied
 * panel by panel with no bounds checks. Run by run with the checks, short
 * rows cost more than the product: 512x7x7 3x3, 3.2 ns a value, the
 * packing 18% of ResNet-50's layer4 3x3 layers; DenseNet's 7x7 ones 66%.
 *
 * Kernels wide for their stride (kernel_w >= 2 * stride + 1: the 7x7
 * stride-2 stems, AlexNet's 11x11 stride 4) store each band row in
 * `stride` phases, the columns x with x % stride = 0 first, then 1, ...:
 * the columns a row of B takes from a band row (x = stride * ox + dx, ox
 * running) are then consecutive, and a panel inside one output row is a
 * plain copy, not a gather of every stride-th value. The split costs a
 * pass over the band per channel, repaid by the many rows of B per
 * channel (49, 121): the stem 0.93x the time, AlexNet's first layer
 * 0.87-0.91x (with the band grown to 8192 floats to hold its 23 rows); a
 * 3x3 kernel's 9 rows do not repay it (1.02-1.06x).
 *
 * Returns 0 (nothing packed) where the band or the block is too big for
 * the buffers, or the kernel is 1x1 (the band would pad more than it
 * reads). */
enum { BAND_FLOATS = 8192, BAND_COLUMNS = 1024 };
static int pack_conv_band(const cna_conv2d_params *p, const float *restrict input, size_t k0,
                          size_t kc, size_t n0, size_t nc, size_t nr, float *restrict packed) {
  const size_t kh = p->kernel_h, kw = p->kernel_w, ow = p->out_width;
  if (kh * kw == 1 || nc > BAND_COLUMNS) return 0;
  const size_t oy0 = n0 / ow, oy1 = (n0 + nc - 1) / ow;
  const size_t band_h = (oy1 - oy0) * p->stride_h + (kh - 1) * p->dilation_h + 1;
  const size_t band_w = (ow - 1) * p->stride_w + (kw - 1) * p->dilation_w + 1;
  /* A row holds `phases` phases of phase_w floats; consecutive outputs
   * read a phase `step` floats apart. */
  const size_t s = p->stride_w, phases = s >= 2 && kw >= 2 * s + 1 ? s : 1, step = s / phases;
  const size_t phase_w = (band_w + phases - 1) / phases, row_w = phase_w * phases;
  if (band_h * row_w > BAND_FLOATS) return 0;
  float band[BAND_FLOATS];
  unsigned off[BAND_COLUMNS];
  for (size_t j = 0, oy = oy0, ox = n0 % ow; j < nc; j++) {
    off[j] = (unsigned)((oy - oy0) * p->stride_h * row_w + ox * step);
    if (++ox == ow) ox = 0, oy++;
  }
  /* Whole panels inside one output row read a run: contiguous at step 1,
   * every other value at step 2 (copies the compiler vectorizes). A panel
   * across the end of an output row reads two runs, split where the row
   * ends (AlexNet's 55 columns a row are 58% such panels of 32). */
  const size_t kernel = kh * kw, panels = nc / nr, tail = nc % nr;
  unsigned char run[BAND_COLUMNS], split[BAND_COLUMNS];
  for (size_t jp = 0; jp < panels; jp++) {
    const unsigned *o = off + jp * nr;
    run[jp] = 0;
    if ((step != 1 && step != 2) || nr % 4 != 0) continue;
    size_t sp = 1;
    while (sp < nr && o[sp] - o[sp - 1] == step) sp++;
    if (sp == nr) {
      run[jp] = (unsigned char)step;
    } else if (nr <= 32 && o[nr - 1] - o[sp] == (nr - 1 - sp) * step) {
      run[jp] = (unsigned char)(2 + step);
      split[jp] = (unsigned char)sp;
    }
  }
  /* The band's column x is the input's x - pad_left; its row y the
   * input's oy0 * stride_h + y - pad_top. */
  const size_t copy_w = p->pad_left >= band_w ? 0
                        : p->in_width < band_w - p->pad_left ? p->in_width
                                                            : band_w - p->pad_left;
  size_t loaded = (size_t)-1;
  for (size_t q = 0; q < kc; q++) {
    const size_t kk = k0 + q, ci = kk / kernel, ky = kk % kernel / kw, kx = kk % kw;
    if (ci != loaded) {
      const float *plane = input + ci * p->in_height * p->in_width;
      for (size_t y = 0; y < band_h; y++) {
        float *row = band + y * row_w;
        const ptrdiff_t iy = (ptrdiff_t)(oy0 * p->stride_h + y) - (ptrdiff_t)p->pad_top;
        const size_t w = iy >= 0 && iy < (ptrdiff_t)p->in_height ? copy_w : 0;
        const size_t left = w > 0 ? p->pad_left : band_w;
        const float *src = w > 0 ? plane + (size_t)iy * p->in_width : plane;
        if (phases == 1) {
          for (size_t x = 0; x < left; x++) row[x] = 0.0f;
          if (w > 0) copy_run(row + left, src, 1, w);
          for (size_t x = left + w; x < band_w; x++) row[x] = 0.0f;
        } else {
          for (size_t x = 0; x < row_w; x++) row[x] = 0.0f;
          if (w > 0) cna_f32_split_row_phases(src, w, phases, left, phase_w, row);
        }
      }
      loaded = ci;
    }
    const size_t dx = kx * p->dilation_w;
    const float *restrict base =
        band + ky * p->dilation_h * row_w + dx % phases * phase_w + dx / phases;
    float *restrict dst = packed + q * nr;
    const unsigned *o = off;
    for (size_t jp = 0; jp < panels; jp++, dst += kc * nr, o += nr) {
      const float *restrict src = base + o[0];
      if (run[jp] == 1) {
        copy_panel_row(dst, src, nr);
      } else if (run[jp] == 2) {
        copy_step2(dst, src, nr);
      } else if (run[jp] == 3) {
        const size_t sp = split[jp];
        copy_short(dst, src, sp);
        copy_short(dst + sp, base + o[sp], nr - sp);
      } else if (run[jp] == 4) {
        const size_t sp = split[jp];
        copy_step2(dst, src, sp);
        copy_step2(dst + sp, base + o[sp], nr - sp);
      } else {
        for (size_t l = 0; l < nr; l++) dst[l] = base[o[l]];
      }
    }
    if (tail != 0) {
      for (size_t l = 0; l < tail; l++) dst[l] = base[o[l]];
      for (size_t l = tail; l < nr; l++) dst[l] = 0.0f;
    }
  }
  return 1;
}

static void pack_conv(const cna_conv2d_params *p, const float *restrict input, size_t k0,
                      size_t kc, size_t n0, size_t nc, size_t nr, float *restrict packed) {
  if (pack_conv_band(p, input, k0, kc, n0, nc, nr, packed)) return;
  const size_t kernel = p->kernel_h * p->kernel_w;
  const size_t ow = p->out_width, plane = p->in_height * p->in_width;
  for (size_t q = 0; q < kc; q++) {
    const size_t kk = k0 + q, ci = kk / kernel, ky = kk % kernel / p->kernel_w,
                 kx = kk % p->kernel_w;
    const float *src_plane = input + ci * plane;
    const ptrdiff_t row_offset = (ptrdiff_t)(ky * p->dilation_h) - (ptrdiff_t)p->pad_top;
    const ptrdiff_t col_offset = (ptrdiff_t)(kx * p->dilation_w) - (ptrdiff_t)p->pad_left;
    packer w = {packed + q * nr, 0, nr, kc * nr};
    size_t oy = n0 / ow, ox = n0 % ow, left = nc;
    while (left > 0) {
      size_t run = ow - ox;
      if (run > left) run = left;
      const ptrdiff_t iy = (ptrdiff_t)(oy * p->stride_h) + row_offset;
      if (iy < 0 || iy >= (ptrdiff_t)p->in_height) {
        put_zeros(&w, run);
      } else {
        const ptrdiff_t first = (ptrdiff_t)(ox * p->stride_w) + col_offset;
        size_t lo, hi;
        inside_range(first, p->stride_w, p->in_width, run, &lo, &hi);
        put_zeros(&w, lo);
        if (hi > lo)
          put_run(&w, src_plane + (size_t)iy * p->in_width +
                          (size_t)(first + (ptrdiff_t)(lo * p->stride_w)),
                  p->stride_w, hi - lo);
        put_zeros(&w, run - hi);
      }
      left -= run;
      ox = 0;
      oy++;
    }
    if (w.lane != 0) put_zeros(&w, nr - w.lane);
  }
}

/* How far ahead to prefetch in a row of ld floats, from column col of a
 * panel of nr: to the next panel, or nowhere past the row's end. */
static inline size_t next_panel(size_t ld, size_t col, size_t nr) {
  return col + nr < ld ? nr : 0;
}

/* A plain matrix's rows k0.. and columns n0.. into panels of NR columns,
 * whole panels as fixed-size copies, one panel after the other: the
 * writes are one stream, the reads kc short ones (row by row, across all
 * panels, the writes were as many streams as panels, kc * NR floats
 * apart: 16x3025x64, SqueezeNet's first squeeze layer, 0.089 -> 0.068 ms
 * for the whole product). The kc reads are more streams than the hardware
 * prefetchers follow: each row's next panel is prefetched while this one
 * is copied (Zen 3, B in L3: 64x3136x256 0.86x the time, 128x784x512
 * 0.92x; with a batch norm applied as it packs, 0.66-0.80x). */
#define PACK_MATRIX(NR)                                                                   \
  static void pack_matrix##NR(const float *restrict data, size_t ld, size_t k0, size_t kc, \
                              size_t n0, size_t nc, float *restrict packed) {            \
    const size_t whole = nc / NR, tail = nc % NR;                                         \
    for (size_t j = 0; j < whole; j++) {                                                  \
      const float *restrict src = data + k0 * ld + n0 + j * NR;                           \
      float *restrict dst = packed + j * kc * NR;                                         \
      const size_t ahead = next_panel(ld, n0 + j * NR, NR);                               \
      for (size_t q = 0; q < kc; q++, src += ld, dst += NR) {                             \
        __builtin_prefetch(src + ahead);                                                  \
        copy_panel_row(dst, src, NR);                                                     \
      }                                                                                   \
    }                                                                                     \
    for (size_t q = 0; tail != 0 && q < kc; q++) {                                        \
      const float *restrict src = data + (k0 + q) * ld + n0 + whole * NR;                 \
      float *restrict dst = packed + (whole * kc + q) * NR;                               \
      for (size_t l = 0; l < tail; l++) dst[l] = src[l];                                  \
      for (size_t l = tail; l < NR; l++) dst[l] = 0.0f;                                   \
    }                                                                                     \
  }
PACK_MATRIX(16)
PACK_MATRIX(32)
#undef PACK_MATRIX

int cna_f32_gemm_b_is_matrix(const cna_gemm_b_source *b) {
  const cna_conv2d_params *p = b->conv;
  return p == NULL || (p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 &&
                       p->stride_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
                       p->out_height == p->in_height && p->out_width == p->in_width);
}

/* Row `row` of B: in data, or in the part of the concatenation holding it. */
static const float *row_of(const cna_gemm_b_source *b, size_t ld, size_t row) {
  if (b->num_parts == 0) return b->data + row * ld;
  row += b->row0;
  size_t p = 0;
  while (p + 1 < b->num_parts && row >= b->part_rows[p]) row -= b->part_rows[p++];
  return b->parts[p] + (b->image * b->part_rows[p] + row) * ld;
}

/* One panel row: cols values of src (then zeros to nr) through the
 * prologue, if any. */
static inline void prologue_piece(float *restrict dst, const float *restrict src, size_t cols,
                                  size_t nr, const cna_gemm_b_source *b, size_t row) {
  const float scale = b->scale != NULL ? b->scale[row] : 1.0f;
  const float shift = b->scale != NULL ? b->shift[row] : 0.0f;
  if (b->scale == NULL && cols == nr) {
    copy_panel_row(dst, src, nr);
  } else if (b->scale == NULL) {
    for (size_t l = 0; l < cols; l++) dst[l] = src[l];
  } else if (b->relu) {
    for (size_t l = 0; l < cols; l++) {
      const float v = src[l] * scale + shift;
      dst[l] = v < 0.0f ? 0.0f : v; /* NaN passes, as in the ReLU layer */
    }
  } else {
    for (size_t l = 0; l < cols; l++) dst[l] = src[l] * scale + shift;
  }
  for (size_t l = cols; l < nr; l++) dst[l] = 0.0f;
}

/* A plain matrix through the source's prologue: rows from the parts of a
 * concatenation, and a batch norm (maybe ReLU) with the same float
 * operations as the layers' (no contraction: this file is built without
 * FMA flags, and the batch-norm kernel writes x * scale + shift the same
 * way), so a fused step's output is bit-identical. Panel after panel, as
 * pack_matrix (prefetching the same way), over chunks of rows whose starts
 * (each in its part) are looked up once. */
static void pack_matrix_prologue(const cna_gemm_b_source *b, size_t ld, size_t k0, size_t kc,
                                 size_t n0, size_t nc, size_t nr, float *restrict packed) {
  enum { CHUNK = 64 };
  const float *rows[CHUNK];
  for (size_t q0 = 0; q0 < kc; q0 += CHUNK) {
    const size_t count = kc - q0 < CHUNK ? kc - q0 : CHUNK;
    for (size_t q = 0; q < count; q++) rows[q] = row_of(b, ld, k0 + q0 + q) + n0;
    for (size_t j0 = 0; j0 < nc; j0 += nr) {
      const size_t cols = nc - j0 < nr ? nc - j0 : nr;
      float *restrict dst = packed + j0 * kc + q0 * nr; /* panel j0 / nr, row q0 */
      const size_t ahead = next_panel(ld, n0 + j0, nr);
      for (size_t q = 0; q < count; q++, dst += nr) {
        __builtin_prefetch(rows[q] + j0 + ahead);
        prologue_piece(dst, rows[q] + j0, cols, nr, b, k0 + q0 + q);
      }
    }
  }
}

void cna_f32_gemm_pack_b(const cna_gemm_b_source *b, size_t k0, size_t kc, size_t n0,
                         size_t nc, size_t nr, float *restrict packed) {
  if (!cna_f32_gemm_b_is_matrix(b)) {
    pack_conv(b->conv, b->data, k0, kc, n0, nc, nr, packed);
    return;
  }
  /* A plain matrix (a pointwise convolution's input is one: channels x
   * pixels). */
  const size_t ld = b->conv != NULL ? b->conv->in_height * b->conv->in_width : b->ld;
  if (b->scale != NULL || b->num_parts > 0) {
    pack_matrix_prologue(b, ld, k0, kc, n0, nc, nr, packed);
    return;
  }
  switch (nr) {
    case 16:
      pack_matrix16(b->data, ld, k0, kc, n0, nc, packed);
      return;
    case 32:
      pack_matrix32(b->data, ld, k0, kc, n0, nc, packed);
      return;
    default:
      for (size_t q = 0; q < kc; q++) {
        packer w = {packed + q * nr, 0, nr, kc * nr};
        put_run(&w, b->data + (k0 + q) * ld + n0, 1, nc);
        if (w.lane != 0) put_zeros(&w, nr - w.lane);
      }
  }
}

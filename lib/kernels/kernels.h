/*
 * kernels.h - compute kernels. Kernels are pure functions on raw float
 * arrays with explicit sizes: no allocation, no globals, no knowledge of
 * layers or graphs. Every operation has a scalar reference kernel
 * (the *__scalar functions), written for clarity; it is the oracle that
 * optimized kernels are tested against and the fallback on any CPU.
 *
 * Layouts: one image at a time, CHW planes, row-major.
 */
#ifndef CNA_KERNELS_H
#define CNA_KERNELS_H

#include <stddef.h>

typedef struct cna_conv2d_params {
  size_t in_channels, in_height, in_width;
  size_t out_channels, out_height, out_width;
  size_t kernel_h, kernel_w;
  size_t stride_h, stride_w;
  size_t pad_top, pad_left; /* bottom/right padding is implied by out size */
  size_t dilation_h, dilation_w;
  size_t groups;
} cna_conv2d_params;

/* Direct convolution. weights: (out_channels, in_channels/groups, kernel_h,
 * kernel_w); bias: out_channels values or NULL. Zero padding. */
void cna_f32_conv2d__scalar(const cna_conv2d_params *p,
                            const float *restrict input,
                            const float *restrict weights,
                            const float *restrict bias,
                            float *restrict output);

typedef struct cna_pool2d_params {
  size_t channels, in_height, in_width, out_height, out_width;
  size_t kernel_h, kernel_w, stride_h, stride_w;
  size_t pad_top, pad_left, pad_bottom, pad_right;
  int count_include_pad;
} cna_pool2d_params;

/* Whether a pooling is over 2x2 windows at stride 2, unpadded and whole
 * (cna_f32_avg_pool2d_2x2s2__avx2 takes it). */
int cna_f32_avg_pool2d_2x2s2(const cna_pool2d_params *p);
/* Average pooling for those, with the reference's bits (scratch unused). */
void cna_f32_avg_pool2d_2x2s2__avx2(const cna_pool2d_params *p, const float *restrict input,
                                    float *restrict output, float *restrict scratch);

/* Max over each window; padding never wins; NaN propagates. */
void cna_f32_max_pool2d__scalar(const cna_pool2d_params *p,
                                const float *restrict input,
                                float *restrict output);

/* The padded row the separable kernel reduces each output row's window
 * into (a multiple of 16 floats, room for whole vectors past the last
 * window); its scratch holds the row and the row's even and odd columns,
 * 2 x cna_f32_max_pool2d_row_floats(p), or a plane for flat pooling:
 * cna_f32_max_pool2d_scratch(p) floats. */
size_t cna_f32_max_pool2d_row_floats(const cna_pool2d_params *p);
/* Whether the kernel pools each plane as one flat array ("same" pooling
 * at stride 1 on planes of at most 4096 floats, left padding at most
 * 16), which needs a plane of
 * scratch instead of rows. */
int cna_f32_max_pool2d_flat(const cna_pool2d_params *p);
/* The scratch floats, or 0 when the SIMD kernels do not take p: a window
 * or stride wider than CNA_F32_MAX_POOL2D_SIMD_WIDTH columns (the padded
 * row grows with them, and a model file may ask for a kernel of a billion
 * columns over a 1x1 input); the reference path runs those. */
#define CNA_F32_MAX_POOL2D_SIMD_WIDTH 128
size_t cna_f32_max_pool2d_scratch(const cna_pool2d_params *p);

/* The same, AVX2, with cna_f32_max_pool2d_scratch(p) floats of scratch.
 * Equal to the reference bit for bit (but for which NaN wins). */
void cna_f32_max_pool2d__avx2(const cna_pool2d_params *p, const float *restrict input,
                              float *restrict output, float *restrict scratch);

/* Mean over each window with PyTorch's divisor: the window clipped to the
 * padded input when count_include_pad, else to the input. */
void cna_f32_avg_pool2d__scalar(const cna_pool2d_params *p,
                                const float *restrict input,
                                float *restrict output);

/* PyTorch's adaptive average pooling bins. */
void cna_f32_adaptive_avg_pool2d__scalar(size_t channels, size_t in_height,
                                         size_t in_width, size_t out_height,
                                         size_t out_width,
                                         const float *restrict input,
                                         float *restrict output);

/* Mean of each of channels planes of plane_size values. */
void cna_f32_global_avg_pool__scalar(size_t channels, size_t plane_size,
                                     const float *restrict input,
                                     float *restrict output);
/* The same, AVX2, 8 channels at a time with the reference's bits. */
void cna_f32_global_avg_pool__avx2(size_t channels, size_t plane_size,
                                   const float *restrict input, float *restrict output);

/* Cross-channel local response normalization (see cna_builder_lrn). */
void cna_f32_lrn__scalar(size_t channels, size_t plane_size, size_t size,
                         float alpha, float beta, float k,
                         const float *restrict input, float *restrict output);

/* Inference batch normalization per channel. */
void cna_f32_batch_norm__scalar(size_t channels, size_t plane_size, float eps,
                                const float *restrict weight,
                                const float *restrict bias,
                                const float *restrict mean,
                                const float *restrict var,
                                const float *restrict input,
                                float *restrict output);

/* Element-wise: output may be input. */
void cna_f32_relu__scalar(size_t n, const float *input, float *output);
void cna_f32_tanh__scalar(size_t n, const float *input, float *output);

/* Softmax over channels at each of plane_size positions. */
void cna_f32_softmax__scalar(size_t channels, size_t plane_size,
                             const float *restrict input,
                             float *restrict output);

/* output[o] = bias[o] + sum_i weights[o][i] * input[i]; bias may be NULL. */
void cna_f32_fully_connected__scalar(size_t in_features, size_t out_features,
                                     const float *restrict input,
                                     const float *restrict weights,
                                     const float *restrict bias,
                                     float *restrict output);

/* Rows 0..rows-1 of a fully connected layer for batch images: output[b *
 * ld_output + r] = bias[r] + weights[r] . input[b * ld_input ..]. */
void cna_f32_fully_connected_rows__avx2(size_t in_features, size_t rows, size_t batch,
                                        const float *restrict input, size_t ld_input,
                                        const float *restrict weights,
                                        const float *restrict bias, float *restrict output,
                                        size_t ld_output);

void cna_f32_add__scalar(size_t n, const float *a, const float *b, float *output);

/* C (m x n) = A (m x k) * B (k x n) + bias per row (or NULL), row-major with
 * leading dimensions. The scalar reference and its AVX2+FMA twin. */
void cna_f32_gemm__scalar(size_t m, size_t n, size_t k, const float *restrict a,
                          size_t lda, const float *restrict b, size_t ldb,
                          const float *restrict bias, float *restrict c, size_t ldc);
void cna_f32_gemm__avx2(size_t m, size_t n, size_t k, const float *restrict a, size_t lda,
                        const float *restrict b, size_t ldb, const float *restrict bias,
                        float *restrict c, size_t ldc);

/* Unfolds one group of input channels into the (in/groups * kh * kw) x
 * (out_h * out_w) matrix whose product with the weights is the convolution
 * (zero where the window leaves the image). */
void cna_f32_im2col__scalar(const cna_conv2d_params *p, const float *restrict input,
                            float *restrict columns);

/* ------------------------------------------------------------ packed GEMM
 *
 * The fast path of convolutions (and, later, fully connected layers at
 * batch > 1): C = A * B + epilogue, with A (m x k, the weights) packed once
 * into panels of mr rows and B (k x n, the activations) packed per call,
 * block by block, into panels of nr columns, straight from the convolution's
 * input (no separate im2col matrix). The blocking loops are portable
 * (f32-gemm-blocked.c); only the mr x nr micro-kernel is ISA-specific. */

/* One call of a micro-kernel: a tile of at most mr x nr outputs over kc
 * steps of packed A (kc x mr, k-major) and packed B (kc x nr, k-major). */
typedef struct cna_gemm_tile {
  size_t kc;
  const float *a, *b;
  float *c;
  size_t ldc;
  size_t rows, cols;       /* the valid part of the tile, <= mr, nr */
  const float *bias;       /* rows values: the start when !accumulate; NULL: 0 */
  int accumulate;          /* add to c's values (a later block of k) */
  /* After the last block of k only (NULL / 0 before it): */
  const float *residual;   /* added element-wise, leading dimension ld_residual */
  size_t ld_residual;
  int relu;                /* max(0, x), NaN kept */
} cna_gemm_tile;

typedef void (*cna_gemm_ukernel_fn)(const cna_gemm_tile *tile);

/* The right edge of a few row panels: columns 0..cols (cols at most the
 * kernel's edge_cols) of panels 0..panels (rows valid rows in all, the
 * last panel may be partial), each panel's kc x mr floats a_stride floats
 * after the previous one's, B the packed panel's columns (k-major, ldb
 * floats per k step), C, bias, accumulate and epilogue as in a tile. The
 * same arithmetic per element as a tile (so a column gives the same bits
 * in either), with vectors over rows instead of columns: a tile whose
 * columns are 1 to 4 of its 16 is a short dependency chain per row that
 * waits on the FMA latency. */
typedef struct cna_gemm_edge {
  size_t kc;
  const float *a;
  size_t a_stride, panels, rows;
  const float *b;
  size_t ldb, cols;
  float *c;
  size_t ldc;
  const float *bias;
  int accumulate;
  const float *residual;
  size_t ld_residual;
  int relu;
} cna_gemm_edge;

typedef void (*cna_gemm_edge_fn)(const cna_gemm_edge *edge);

typedef struct cna_gemm_ukernel {
  size_t mr, nr;
  cna_gemm_ukernel_fn fn;
  /* Optional (NULL: every tile through fn): tiles of at most edge_cols
   * columns go through edge, edge_panels row panels per call. */
  cna_gemm_edge_fn edge;
  size_t edge_cols, edge_panels;
} cna_gemm_ukernel;

/* Block sizes in elements: kc steps of k per pass, and nc columns of B
 * packed at once at kc steps (a multiple of nr; shorter passes pack as
 * many floats in more columns). */
typedef struct cna_gemm_blocking {
  size_t kc, nc;
} cna_gemm_blocking;

/* The steps of k one pass of a product of depth k runs: k split into as
 * few blocks of at most bl->kc as it takes, all of one length (a multiple
 * of 8, the last shorter), so no pass is a sliver: at bl->kc = 336, k =
 * 1024 ran 336, 336, 336 and 16, a whole pass over C for 16 steps. A is
 * packed, and read, with this length. */
static inline size_t cna_f32_gemm_kc(const cna_gemm_blocking *bl, size_t k) {
  if (bl->kc == 0 || k <= bl->kc) return k;
  const size_t blocks = (k + bl->kc - 1) / bl->kc;
  const size_t kc = ((k + blocks - 1) / blocks + 7) / 8 * 8;
  return kc < bl->kc ? kc : bl->kc;
}

/* The micro-kernels: AVX2+FMA on x86-64, NEON on AArch64 (each file built
 * for its own targets only). */
void cna_f32_gemm_ukernel_6x16__avx2(const cna_gemm_tile *tile);
void cna_f32_gemm_edge_6x16__avx2(const cna_gemm_edge *edge);
void cna_f32_gemm_ukernel_12x32__avx512(const cna_gemm_tile *tile);
void cna_f32_gemm_ukernel_8x12__neon(const cna_gemm_tile *tile);
void cna_f32_gemm_ukernel_4x16__neon(const cna_gemm_tile *tile);

/* Direct grouped convolution (f32-conv2d-group.c), for groups of few
 * channels: the input of a group padded once, an ISA kernel sweeping the
 * output for blocks of CNA_CONV2D_GROUP_BLOCK output channels. */
#define CNA_CONV2D_GROUP_BLOCK 8
/* Phase-splits one input row of width values for stride s into the s
 * phases of its padded row (row: phase 0's, the others phase floats
 * apart): padded column pad_left + x goes to phase (pad_left + x) % s at
 * (pad_left + x) / s. Writes the input's values only, not the padding.
 * The direct grouped convolution's input and the im2col band's rows. */
static inline void cna_f32_split_row_phases(const float *restrict src, size_t width, size_t s,
                                            size_t pad_left, size_t phase,
                                            float *restrict row) {
  if (s == 2) {
    /* The zoo's stride: both phases in one pass, which compilers turn into
     * vector deinterleaves. */
    float *restrict even = row + pad_left % 2 * phase + pad_left / 2;
    float *restrict odd = row + (pad_left + 1) % 2 * phase + (pad_left + 1) / 2;
    const size_t pairs = width / 2;
    for (size_t i = 0; i < pairs; i++) {
      even[i] = src[2 * i];
      odd[i] = src[2 * i + 1];
    }
    if (width % 2 != 0) even[pairs] = src[width - 1];
    return;
  }
  for (size_t r = 0; r < s; r++) { /* phase by phase, strided reads */
    const size_t x0 = (r + s - pad_left % s) % s;
    float *to = row + r * phase + (pad_left + x0) / s;
    for (size_t x = x0; x < width; x += s) *to++ = src[x];
  }
}

/* Whether the direct kernel handles this geometry (equal strides of 1 to
 * 4, at most 64 taps). */
int cna_f32_conv2d_group_supported(const cna_conv2d_params *p);
/* Floats of the weights packed for it (p: the whole layer). */
size_t cna_f32_conv2d_group_packed_size(const cna_conv2d_params *p);
/* Packs the layer's weights (out, in/groups, kh, kw), each output channel
 * times scale[o] (NULL: 1), as [group][block][in][tap][BLOCK], zeros past
 * a group's channels. */
void cna_f32_conv2d_group_pack(const cna_conv2d_params *p, const float *restrict weights,
                               const float *restrict scale, float *restrict packed);
/* The micro-kernel: rows (4 or BLOCK) output channels, the virtual pixels
 * 0..vn of each (vn a multiple of 16) into out (rows of vn); it may
 * compute, not store, up to 64 pixels past vn. Tap t of
 * virtual pixel v reads input[c * plane + v + offsets[t]] for input
 * channel c; weights as packed, from the block's first. Each sum is
 * stored plus bias[row] (rows values), then through ReLU (NaN kept) if
 * relu. */
typedef void (*cna_conv2d_group_kernel)(size_t rows, const float *input, size_t channels,
                                        size_t plane, const ptrdiff_t *offsets, size_t taps,
                                        const float *weights, const float *bias, int relu,
                                        size_t vn, float *out);
void cna_f32_conv2d_group_kernel__avx2(size_t rows, const float *input, size_t channels,
                                       size_t plane, const ptrdiff_t *offsets, size_t taps,
                                       const float *weights, const float *bias, int relu,
                                       size_t vn, float *out);
void cna_f32_conv2d_group_kernel__avx512(size_t rows, const float *input, size_t channels,
                                         size_t plane, const ptrdiff_t *offsets, size_t taps,
                                         const float *weights, const float *bias, int relu,
                                         size_t vn, float *out);
/* The channel-vectorized micro-kernel, for small images: 16 output
 * channels (two packed blocks, from `weights`, the first block's) of the
 * output pixels 0..count. Pixel i, at row oy = i / out_width and column
 * ox = i % out_width, reads step s of its sum (input channel s / taps,
 * tap s % taps) at input[oy * row_step + ox * col_step + offsets[s]]
 * (offsets: steps = channels * taps entries). Stored to out[j * ld + i]
 * for channel j: the sum plus bias[j], plus residual[j * ld + i] (residual
 * NULL: none; it may be out itself), then through ReLU (NaN kept) if
 * relu, with the pixel kernel's arithmetic (the same bits). */
typedef struct cna_conv2d_group_tile {
  const float *input;
  const ptrdiff_t *offsets;
  size_t steps;
  const float *weights, *bias, *residual;
  int relu;
  size_t out_width, row_step, col_step, count, ld;
  float *out;
} cna_conv2d_group_tile;
typedef void (*cna_conv2d_group_pixels_kernel)(const cna_conv2d_group_tile *tile);
void cna_f32_conv2d_group_16x6__avx2(const cna_conv2d_group_tile *tile);
/* Floats of workspace for one group (p: one group's geometry, groups = 1). */
size_t cna_f32_conv2d_group_workspace(const cna_conv2d_params *p);
/* One group of one image (p: its geometry, groups = 1): input and output
 * its first planes, packed its weights, bias / residual its channels' (or
 * NULL), ReLU (NaN kept) if relu. */
void cna_f32_conv2d_group(cna_conv2d_group_kernel kernel,
                          cna_conv2d_group_pixels_kernel pixels, const cna_conv2d_params *p,
                          const float *restrict input, const float *restrict packed,
                          const float *restrict bias, const float *residual, int relu,
                          float *output, float *restrict workspace);

/* Floats of A packed into panels of mr rows (zero rows pad the last). */
size_t cna_f32_gemm_packed_a_size(size_t m, size_t k, size_t mr);
/* Packs A (m x k, leading dimension lda) in blocks of kc columns (the
 * GEMM's cna_f32_gemm_kc(blocking, k); the last block may be shorter),
 * block after block, and in each the panels of mr rows one after the
 * other, a panel as its block's columns in groups of mr values: the
 * blocked GEMM then reads A as one stream, the order it multiplies in.
 * Rows may be scaled: row i times scale[i] (NULL: 1). */
void cna_f32_gemm_pack_a(size_t m, size_t k, const float *restrict a, size_t lda,
                         const float *restrict scale, size_t mr, size_t kc,
                         float *restrict packed);
/* The panel of rows i.. (a multiple of mr) in the block of columns pc..
 * (a multiple of kc) of A packed by cna_f32_gemm_pack_a. */
static inline const float *cna_f32_gemm_packed_a_panel(const float *packed, size_t m, size_t k,
                                                       size_t mr, size_t kc, size_t i,
                                                       size_t pc) {
  const size_t block = k - pc < kc ? k - pc : kc;
  return packed + pc * ((m + mr - 1) / mr * mr) + i * block;
}

/* Where B comes from: a plain k x n matrix (conv == NULL; leading dimension
 * ld), or the input of one convolution group (conv: the group's geometry,
 * in_channels per group, groups = 1; data: the group's first plane). */
typedef struct cna_gemm_b_source {
  const float *data;
  size_t ld;
  const cna_conv2d_params *conv;
  /* A prologue on a plain matrix's values as they are packed (a batch norm
   * and ReLU before a pointwise convolution, DenseNet's): row p's values
   * become x * scale[p] + shift[p], then max(0, .) if relu, as the
   * batch-norm and ReLU layers compute them. scale NULL: none. */
  const float *scale, *shift;
  int relu;
  /* A plain matrix whose rows lie in several tensors (a concatenation the
   * prologue reads in place, DenseNet's): num_parts > 0 replaces data.
   * Part p holds part_rows[p] rows of ld floats per image, image `image`
   * of parts[p]; B's row 0 is row `row0` of their concatenation. */
  const float *const *parts;
  const size_t *part_rows;
  size_t num_parts, image, row0;
} cna_gemm_b_source;

/* Whether B is read as a plain matrix (no source convolution, or a 1x1
 * stride-1 unpadded one): the only kind a prologue may apply to. */
int cna_f32_gemm_b_is_matrix(const cna_gemm_b_source *b);
/* Packs rows k0..k0+kc and columns n0..n0+nc of B into panels of nr
 * columns (zero columns pad the last): ceil(nc/nr) * kc * nr floats. */
void cna_f32_gemm_pack_b(const cna_gemm_b_source *b, size_t k0, size_t kc, size_t n0,
                         size_t nc, size_t nr, float *restrict packed);

/* The fused epilogue of a blocked GEMM: bias per row of C (NULL: none),
 * then residual (same layout as C with its own leading dimension; NULL:
 * none), then ReLU. */
typedef struct cna_gemm_epilogue {
  const float *bias;
  const float *residual;
  size_t ld_residual;
  int relu;
} cna_gemm_epilogue;

/* Computes rows m0..m1 and columns n0..n1 of C = A * B (+ epilogue) from A
 * (m x k) packed by cna_f32_gemm_pack_a with uk->mr and
 * cna_f32_gemm_kc(bl, k) (m0 a multiple of mr), packing B into workspace
 * (cna_f32_gemm_workspace_size floats for k and n1 - n0 columns). Each
 * element is summed in the same order whatever the ranges, so splitting C
 * into ranges (threads) never changes a result. */
void cna_f32_gemm_blocked(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl, size_t m,
                          size_t m0, size_t m1, size_t n0, size_t n1, size_t k,
                          const float *packed_a, const cna_gemm_b_source *b,
                          const cna_gemm_epilogue *ep, float *c, size_t ldc,
                          float *workspace);
size_t cna_f32_gemm_workspace_size(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl,
                                   size_t k, size_t n);

/* ------------------------------------------- Winograd F(4x4, 3x3), stride 1
 * (f32-winograd-4x4-3x3.c). The 36 products M[xi] = U[xi] V[xi] run on the
 * packed GEMM micro-kernel in between. */

/* U: 36 matrices of out x in (xi-major) from 3x3 weights (out, in, 3, 3),
 * row o scaled by scale[o] (NULL: 1). */
void cna_f32_winograd43_weights(size_t out_channels, size_t in_channels,
                                const float *restrict weights, const float *restrict scale,
                                float *restrict u);

/* V for tiles t0..t0+count (4x4 output tiles numbered row by row, tiles_w
 * per row) of in_channels planes: for each xi, count rounded up to `lanes`
 * columns (a multiple of 16: the Winograd micro-kernel's nr) packed as the
 * GEMM's B panels ([xi][panel][c][lanes], the 36 products
 * cna_winograd_stride(in_channels, columns) floats apart). Columns past
 * count up to a multiple of 16 hold finite copies; the rest of a panel is
 * not written (the micro-kernel's narrow tile does not read it). scratch:
 * cna_f32_winograd43_input_scratch(tiles_w, count) floats. */
void cna_f32_winograd43_input(const float *restrict input, size_t in_channels,
                              size_t in_height, size_t in_width, size_t pad_top,
                              size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                              size_t lanes, float *restrict v, float *restrict scratch);

/* Floats from one of the 36 matrices of V (or of M) to the next, for
 * matrices of rows x cols floats (cols a multiple of 16): rows * cols, and
 * one 64-byte line more where that is an even number of lines. The
 * transforms write (or read) the same element of all 36 one after the
 * other; 36 matrices a multiple of 4 KB apart (64 or 128 channels of 16
 * tiles) put those 36 lines in one 8-way set of L1, and every store
 * missed (Zen 3: the input transform 1.8x the time). */
static inline size_t cna_winograd_stride(size_t rows, size_t cols) {
  const size_t n = rows * cols;
  return n / 16 % 2 == 0 ? n + 16 : n;
}

/* The transforms compute 16 tiles at a time: where the values of group p
 * (tiles 16p..16p+15 of the call) for channel c start in one product's V. */
static inline size_t cna_winograd_v_offset(size_t p, size_t c, size_t in_channels,
                                           size_t lanes) {
  const size_t groups = lanes / 16; /* per panel */
  return (p / groups * in_channels + c) * lanes + p % groups * 16;
}
/* Where in the padded rows (wp floats each, from tile row ty0) the input
 * patch of each of the 16 tiles of group p starts, for output tiles of
 * `tile`; lanes past count read the first tile's patch (their columns are
 * never stored back). */
static inline void cna_winograd_patch_starts(size_t at[16], size_t tile, size_t p, size_t t0,
                                             size_t count, size_t tiles_w, size_t ty0,
                                             size_t wp) {
  for (size_t l = 0; l < 16; l++) {
    const size_t t = p * 16 + l < count ? t0 + p * 16 + l : t0;
    at[l] = tile * (t / tiles_w - ty0) * wp + tile * (t % tiles_w);
  }
}

/* Rows y0..y0+rows of the padded image (pad_top, pad_left zeros before
 * the plane, zeros after it) into scratch, wp floats per row: what every
 * input transform reads its 6x6 patches from. */
void cna_f32_winograd_pad_rows(const float *restrict plane, size_t in_height,
                               size_t in_width, size_t pad_top, size_t pad_left, size_t y0,
                               size_t rows, size_t wp, float *restrict scratch);
/* The same in 32-byte moves (AVX2, x86; both transforms' AVX2 versions). */
void cna_f32_winograd_pad_rows__avx2(const float *restrict plane, size_t in_height,
                                    size_t in_width, size_t pad_top, size_t pad_left, size_t y0,
                                    size_t rows, size_t wp, float *restrict scratch);
/* Floats of the input transform's scratch for count tiles. */
size_t cna_f32_winograd43_input_scratch(size_t tiles_w, size_t count);

/* Output tiles from M ([xi][out][ld], the 36 products
 * cna_winograd_stride(out_channels, ld) floats apart; column j = tile
 * t0 + j) plus bias, plus residual (same layout as output, may be NULL),
 * ReLU'd if relu, cropped to out_height x out_width. */
void cna_f32_winograd43_output(const float *restrict m, size_t out_channels, size_t ld,
                               size_t t0, size_t count, size_t tiles_w, size_t out_height,
                               size_t out_width, const float *restrict bias,
                               const float *residual, int relu, float *output);

/* ------------------------------------------- Winograd F(6x6, 3x3), stride 1
 * (f32-winograd-6x6-3x3.c): F(4x4, 3x3)'s contracts with 6x6 output tiles,
 * 8x8 input patches and 64 products instead of 36 (U: 64 matrices;
 * V and M: 64 matrices cna_winograd_stride(rows, cols) floats apart). */
void cna_f32_winograd63_weights(size_t out_channels, size_t in_channels,
                                const float *restrict weights, const float *restrict scale,
                                float *restrict u);
void cna_f32_winograd63_input(const float *restrict input, size_t in_channels,
                              size_t in_height, size_t in_width, size_t pad_top,
                              size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                              size_t lanes, float *restrict v, float *restrict scratch);
size_t cna_f32_winograd63_input_scratch(size_t tiles_w, size_t count);
void cna_f32_winograd63_output(const float *restrict m, size_t out_channels, size_t ld,
                               size_t t0, size_t count, size_t tiles_w, size_t out_height,
                               size_t out_width, const float *restrict bias,
                               const float *residual, int relu, float *output);

/* Its input and output transforms with AVX2 (x86). */
void cna_f32_winograd63_input__avx2(const float *restrict input, size_t in_channels,
                                    size_t in_height, size_t in_width, size_t pad_top,
                                    size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                    size_t lanes, float *restrict v, float *restrict scratch);
void cna_f32_winograd63_output__avx2(const float *restrict m, size_t out_channels, size_t ld,
                                     size_t t0, size_t count, size_t tiles_w, size_t out_height,
                                     size_t out_width, const float *restrict bias,
                                     const float *residual, int relu, float *output);

/* F(4x4, 3x3)'s transforms with AVX2 and with AVX-512F (x86). */
void cna_f32_winograd43_input__avx2(const float *restrict input, size_t in_channels,
                                    size_t in_height, size_t in_width, size_t pad_top,
                                    size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                    size_t lanes, float *restrict v, float *restrict scratch);
void cna_f32_winograd43_output__avx2(const float *restrict m, size_t out_channels, size_t ld,
                                     size_t t0, size_t count, size_t tiles_w, size_t out_height,
                                     size_t out_width, const float *restrict bias,
                                     const float *residual, int relu, float *output);
void cna_f32_winograd43_input__avx512(const float *restrict input, size_t in_channels,
                                      size_t in_height, size_t in_width, size_t pad_top,
                                      size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                      size_t lanes, float *restrict v, float *restrict scratch);
void cna_f32_winograd43_output__avx512(const float *restrict m, size_t out_channels, size_t ld,
                                       size_t t0, size_t count, size_t tiles_w,
                                       size_t out_height, size_t out_width,
                                       const float *restrict bias, const float *residual,
                                       int relu, float *output);

/* Their signatures, for the dispatch table. */
typedef void (*cna_winograd_input_fn)(const float *restrict input, size_t in_channels,
                                      size_t in_height, size_t in_width, size_t pad_top,
                                      size_t pad_left, size_t tiles_w, size_t t0, size_t count,
                                      size_t lanes, float *restrict v, float *restrict scratch);
typedef void (*cna_winograd_output_fn)(const float *restrict m, size_t out_channels, size_t ld,
                                       size_t t0, size_t count, size_t tiles_w,
                                       size_t out_height, size_t out_width,
                                       const float *restrict bias, const float *residual,
                                       int relu, float *output);

#endif /* CNA_KERNELS_H */

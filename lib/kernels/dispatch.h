/* dispatch.h - the table of kernels chosen for this CPU (dispatch.c). */
#ifndef CNA_DISPATCH_H
#define CNA_DISPATCH_H

#include "kernels/kernels.h"

typedef void (*cna__gemm_fn)(size_t m, size_t n, size_t k, const float *restrict a,
                             size_t lda, const float *restrict b, size_t ldb,
                             const float *restrict bias, float *restrict c, size_t ldc);

typedef struct cna__kernels {
  const char *isa;   /* "scalar", "avx2", "avx512", "neon" */
  cna__gemm_fn gemm;
  /* The packed GEMM's micro-kernel (fn NULL on the scalar path, where
   * layers run their reference kernels) and block sizes for this CPU's
   * caches. */
  cna_gemm_ukernel gemm_ukernel;
  cna_gemm_blocking gemm_blocking;
  /* The micro-kernel of Winograd's products (36 for F(4x4, 3x3), 64 for
   * F(6x6, 3x3)): its B panels are the input transforms' (nr a multiple
   * of 16; fn NULL: no Winograd). */
  cna_gemm_ukernel winograd_ukernel;
  /* F(4x4, 3x3)'s transforms (never NULL once chosen: the portable ones
   * where no SIMD version exists). */
  cna_winograd_input_fn winograd_input;
  cna_winograd_output_fn winograd_output;
  /* F(6x6, 3x3)'s (NULL: layers use F(4x4, 3x3) only). */
  cna_winograd_input_fn winograd63_input;
  cna_winograd_output_fn winograd63_output;
  /* The direct grouped convolution's micro-kernel (NULL: grouped layers
   * run on the GEMM path). */
  cna_conv2d_group_kernel conv2d_group;
  /* Its channel-vectorized kernel for small images (NULL: none). */
  cna_conv2d_group_pixels_kernel conv2d_group_pixels;
  size_t l2_bytes; /* this core's L2 (tiles of Winograd's tasks fit it) */
  /* Optional fast kernels (NULL: layers use the reference). */
  void (*max_pool2d)(const cna_pool2d_params *p, const float *restrict input,
                     float *restrict output, float *restrict row);
  /* Average pooling over whole 2x2 windows at stride 2 (where
   * cna_f32_avg_pool2d_2x2s2 says so). */
  void (*avg_pool2d_2x2s2)(const cna_pool2d_params *p, const float *restrict input,
                           float *restrict output, float *restrict scratch);
  /* Global average pooling (and adaptive pooling to 1x1) with the
   * reference's bits. */
  void (*global_avg_pool)(size_t channels, size_t plane_size, const float *restrict input,
                          float *restrict output);
  void (*fully_connected_rows)(size_t in_features, size_t rows, size_t batch,
                               const float *restrict input, size_t ld_input,
                               const float *restrict weights, const float *restrict bias,
                               float *restrict output, size_t ld_output);
} cna__kernels;

/* Filled on first use, the same for the whole process. Any thread. */
const cna__kernels *cna__kernels_get(void);

/* Every packed micro-kernel this CPU can run, whatever CNNARCH_ISA says
 * (for tests that check each against the scalar reference): fills up to
 * `capacity` entries, returns how many there are. */
size_t cna__gemm_ukernels_available(cna_gemm_ukernel *out, size_t capacity);

#endif /* CNA_DISPATCH_H */

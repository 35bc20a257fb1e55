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

/* Max over each window; padding never wins; NaN propagates. */
void cna_f32_max_pool2d__scalar(const cna_pool2d_params *p,
                                const float *restrict input,
                                float *restrict output);

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

void cna_f32_relu__scalar(size_t n, const float *restrict input,
                          float *restrict output);
void cna_f32_tanh__scalar(size_t n, const float *restrict input,
                          float *restrict output);

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

#endif /* CNA_KERNELS_H */

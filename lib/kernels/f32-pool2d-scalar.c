/* Reference pooling kernels: max, average (PyTorch's divisor rules),
 * adaptive average and global average. */
#include <math.h>

#include "kernels/kernels.h"

/* The window of output index o along one axis, clipped to [0, in). */
static void cna__window(size_t o, size_t stride, size_t pad, size_t kernel,
                        size_t in, size_t *begin, size_t *end) {
  ptrdiff_t b = (ptrdiff_t)(o * stride) - (ptrdiff_t)pad;
  ptrdiff_t e = b + (ptrdiff_t)kernel;
  if (b < 0) b = 0;
  if (e > (ptrdiff_t)in) e = (ptrdiff_t)in;
  *begin = (size_t)b;
  *end = e > b ? (size_t)e : (size_t)b;
}

size_t cna_f32_max_pool2d_row_floats(const cna_pool2d_params *p) {
  const size_t in = p->pad_left + p->in_width;
  const size_t windows = p->stride_w * ((p->out_width + 7) / 8 * 8) + p->kernel_w;
  return ((in > windows ? in : windows) + 16 + 15) / 16 * 16;
}

int cna_f32_max_pool2d_flat(const cna_pool2d_params *p) {
  return p->stride_h == 1 && p->stride_w == 1 && p->out_height == p->in_height &&
         p->out_width == p->in_width && p->in_height * p->in_width <= 4096 &&
         p->pad_left <= 16;
}

size_t cna_f32_max_pool2d_scratch(const cna_pool2d_params *p) {
  if (p->kernel_w > CNA_F32_MAX_POOL2D_SIMD_WIDTH || p->stride_w > CNA_F32_MAX_POOL2D_SIMD_WIDTH)
    return 0;
  const size_t rows = 2 * cna_f32_max_pool2d_row_floats(p);
  if (!cna_f32_max_pool2d_flat(p)) return rows;
  /* -inf, the plane, -inf, then its column indices (ints) */
  const size_t flat = 16 + 2 * p->in_height * p->in_width + p->kernel_w + 16 + 8;
  return flat > rows ? flat : rows;
}

void cna_f32_max_pool2d__scalar(const cna_pool2d_params *p,
                                const float *restrict input,
                                float *restrict output) {
  for (size_t c = 0; c < p->channels; c++) {
    const float *plane = input + c * p->in_height * p->in_width;
    for (size_t oh = 0; oh < p->out_height; oh++) {
      size_t h0, h1;
      cna__window(oh, p->stride_h, p->pad_top, p->kernel_h, p->in_height, &h0, &h1);
      for (size_t ow = 0; ow < p->out_width; ow++) {
        size_t w0, w1;
        cna__window(ow, p->stride_w, p->pad_left, p->kernel_w, p->in_width, &w0, &w1);
        float m = -INFINITY;
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) {
            float v = plane[ih * p->in_width + iw];
            if (v > m || isnan(v)) m = v;
            if (isnan(m)) goto done;
          }
      done:
        *output++ = m;
      }
    }
  }
}

int cna_f32_avg_pool2d_2x2s2(const cna_pool2d_params *p) {
  return p->kernel_h == 2 && p->kernel_w == 2 && p->stride_h == 2 && p->stride_w == 2 &&
         p->pad_top == 0 && p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0 &&
         2 * p->out_height <= p->in_height && 2 * p->out_width <= p->in_width;
}

void cna_f32_avg_pool2d__scalar(const cna_pool2d_params *p,
                                const float *restrict input,
                                float *restrict output) {
  for (size_t c = 0; c < p->channels; c++) {
    const float *plane = input + c * p->in_height * p->in_width;
    for (size_t oh = 0; oh < p->out_height; oh++) {
      size_t h0, h1, ph0, ph1;
      cna__window(oh, p->stride_h, p->pad_top, p->kernel_h, p->in_height, &h0, &h1);
      /* The window clipped to the padded input instead (ceil mode can run
       * past the padding). */
      cna__window(oh, p->stride_h, 0, p->kernel_h,
                  p->pad_top + p->in_height + p->pad_bottom, &ph0, &ph1);
      for (size_t ow = 0; ow < p->out_width; ow++) {
        size_t w0, w1, pw0, pw1;
        cna__window(ow, p->stride_w, p->pad_left, p->kernel_w, p->in_width, &w0, &w1);
        cna__window(ow, p->stride_w, 0, p->kernel_w,
                    p->pad_left + p->in_width + p->pad_right, &pw0, &pw1);
        float sum = 0.0f;
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) sum += plane[ih * p->in_width + iw];
        size_t count = p->count_include_pad ? (ph1 - ph0) * (pw1 - pw0)
                                            : (h1 - h0) * (w1 - w0);
        *output++ = count > 0 ? sum / (float)count : 0.0f;
      }
    }
  }
}

void cna_f32_adaptive_avg_pool2d__scalar(size_t channels, size_t in_height,
                                         size_t in_width, size_t out_height,
                                         size_t out_width,
                                         const float *restrict input,
                                         float *restrict output) {
  for (size_t c = 0; c < channels; c++) {
    const float *plane = input + c * in_height * in_width;
    for (size_t oh = 0; oh < out_height; oh++) {
      size_t h0 = oh * in_height / out_height;
      size_t h1 = ((oh + 1) * in_height + out_height - 1) / out_height;
      for (size_t ow = 0; ow < out_width; ow++) {
        size_t w0 = ow * in_width / out_width;
        size_t w1 = ((ow + 1) * in_width + out_width - 1) / out_width;
        float sum = 0.0f;
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) sum += plane[ih * in_width + iw];
        *output++ = sum / (float)((h1 - h0) * (w1 - w0));
      }
    }
  }
}

void cna_f32_global_avg_pool__scalar(size_t channels, size_t plane_size,
                                     const float *restrict input,
                                     float *restrict output) {
  for (size_t c = 0; c < channels; c++) {
    const float *plane = input + c * plane_size;
    float sum = 0.0f;
    for (size_t i = 0; i < plane_size; i++) sum += plane[i];
    output[c] = sum / (float)plane_size;
  }
}

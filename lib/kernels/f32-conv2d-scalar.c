/* Reference direct convolution: one output row at a time, accumulated over
 * input channels and kernel taps, so the row stays in L1 and the inner loop
 * is a plain multiply-add over contiguous outputs. */
#include <string.h>

#include "kernels/kernels.h"

void cna_f32_conv2d__scalar(const cna_conv2d_params *p,
                            const float *restrict input,
                            const float *restrict weights,
                            const float *restrict bias,
                            float *restrict output) {
  const size_t in_per_group = p->in_channels / p->groups;
  const size_t out_per_group = p->out_channels / p->groups;
  const ptrdiff_t in_h = (ptrdiff_t)p->in_height, in_w = (ptrdiff_t)p->in_width;
  const ptrdiff_t sw = (ptrdiff_t)p->stride_w;
  const size_t out_w = p->out_width;

  for (size_t oc = 0; oc < p->out_channels; oc++) {
    const size_t group = oc / out_per_group;
    const float *filter = weights + oc * in_per_group * p->kernel_h * p->kernel_w;
    for (size_t oh = 0; oh < p->out_height; oh++) {
      float *out_row = output + (oc * p->out_height + oh) * out_w;
      const float b = bias != NULL ? bias[oc] : 0.0f;
      for (size_t ow = 0; ow < out_w; ow++) out_row[ow] = b;

      for (size_t icg = 0; icg < in_per_group; icg++) {
        const float *in_plane = input + (group * in_per_group + icg) * p->in_height * p->in_width;
        const float *taps = filter + icg * p->kernel_h * p->kernel_w;
        for (size_t kh = 0; kh < p->kernel_h; kh++) {
          const ptrdiff_t ih = (ptrdiff_t)(oh * p->stride_h + kh * p->dilation_h) -
                               (ptrdiff_t)p->pad_top;
          if (ih < 0 || ih >= in_h) continue;
          const float *in_row = in_plane + ih * in_w;
          for (size_t kw = 0; kw < p->kernel_w; kw++) {
            const float w = taps[kh * p->kernel_w + kw];
            /* Input column of output column ow is ow * sw + offset; keep
             * the outputs whose column lies inside the image. */
            const ptrdiff_t offset = (ptrdiff_t)(kw * p->dilation_w) - (ptrdiff_t)p->pad_left;
            size_t begin = offset >= 0 ? 0 : (size_t)((-offset + sw - 1) / sw);
            size_t end = offset >= in_w ? 0 : (size_t)((in_w - 1 - offset) / sw) + 1;
            if (end > out_w) end = out_w;
            if (end <= begin) continue;
            const float *src = in_row + ((ptrdiff_t)begin * sw + offset);
            float *dst = out_row + begin;
            const size_t n = end - begin;
            if (sw == 1) {
              /* Unit stride: both rows contiguous, which compilers vectorize. */
              for (size_t i = 0; i < n; i++) dst[i] += w * src[i];
            } else {
              for (size_t i = 0; i < n; i++) dst[i] += w * src[(ptrdiff_t)i * sw];
            }
          }
        }
      }
    }
  }
}

void cna_f32_im2col__scalar(const cna_conv2d_params *p, const float *restrict input,
                            float *restrict columns) {
  /* Row (c, kh, kw) of the matrix holds, for every output position, the
   * input pixel that tap sees: the same index arithmetic as the direct
   * kernel above, written out once. */
  const size_t channels = p->in_channels / p->groups, n = p->out_height * p->out_width;
  const ptrdiff_t in_h = (ptrdiff_t)p->in_height, in_w = (ptrdiff_t)p->in_width;
  for (size_t c = 0; c < channels; c++)
    for (size_t kh = 0; kh < p->kernel_h; kh++)
      for (size_t kw = 0; kw < p->kernel_w; kw++) {
        float *row = columns + ((c * p->kernel_h + kh) * p->kernel_w + kw) * n;
        const float *plane = input + c * p->in_height * p->in_width;
        for (size_t oh = 0; oh < p->out_height; oh++) {
          const ptrdiff_t ih =
              (ptrdiff_t)(oh * p->stride_h + kh * p->dilation_h) - (ptrdiff_t)p->pad_top;
          float *dst = row + oh * p->out_width;
          for (size_t ow = 0; ow < p->out_width; ow++) {
            const ptrdiff_t iw =
                (ptrdiff_t)(ow * p->stride_w + kw * p->dilation_w) - (ptrdiff_t)p->pad_left;
            dst[ow] = ih >= 0 && ih < in_h && iw >= 0 && iw < in_w ? plane[ih * in_w + iw] : 0.0f;
          }
        }
      }
}

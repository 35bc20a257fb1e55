/* Reference normalization kernels: batch norm (inference) and AlexNet's
 * local response normalization. */
#include <math.h>

#include "kernels/kernels.h"

void cna_f32_batch_norm__scalar(size_t channels, size_t plane_size, float eps,
                                const float *restrict weight,
                                const float *restrict bias,
                                const float *restrict mean,
                                const float *restrict var,
                                const float *restrict input,
                                float *restrict output) {
  for (size_t c = 0; c < channels; c++) {
    const float scale = weight[c] / sqrtf(var[c] + eps);
    const float shift = bias[c] - mean[c] * scale;
    const float *in = input + c * plane_size;
    float *out = output + c * plane_size;
    for (size_t i = 0; i < plane_size; i++) out[i] = in[i] * scale + shift;
  }
}

void cna_f32_lrn__scalar(size_t channels, size_t plane_size, size_t size,
                         float alpha, float beta, float k,
                         const float *restrict input, float *restrict output) {
  /* PyTorch's window: size/2 channels before c, (size-1)/2 after. */
  const size_t before = size / 2, after = (size - 1) / 2;
  for (size_t c = 0; c < channels; c++) {
    const size_t first = c >= before ? c - before : 0;
    const size_t last = c + after < channels ? c + after : channels - 1;
    for (size_t i = 0; i < plane_size; i++) {
      float sum = 0.0f;
      for (size_t j = first; j <= last; j++) {
        const float a = input[j * plane_size + i];
        sum += a * a;
      }
      const float x = input[c * plane_size + i];
      output[c * plane_size + i] = x / powf(k + alpha / (float)size * sum, beta);
    }
  }
}

/* Reference element-wise kernels: activations, softmax, add, and the fully
 * connected product. */
#include <math.h>

#include "kernels/kernels.h"

void cna_f32_relu__scalar(size_t n, const float *input, float *output) {
  /* Written so that NaN passes through, as in PyTorch. */
  for (size_t i = 0; i < n; i++) output[i] = input[i] < 0.0f ? 0.0f : input[i];
}

void cna_f32_tanh__scalar(size_t n, const float *input, float *output) {
  for (size_t i = 0; i < n; i++) output[i] = tanhf(input[i]);
}

void cna_f32_softmax__scalar(size_t channels, size_t plane_size,
                             const float *restrict input,
                             float *restrict output) {
  for (size_t i = 0; i < plane_size; i++) {
    float max = input[i];
    for (size_t c = 1; c < channels; c++)
      if (input[c * plane_size + i] > max) max = input[c * plane_size + i];
    float sum = 0.0f;
    for (size_t c = 0; c < channels; c++) {
      const float e = expf(input[c * plane_size + i] - max);
      output[c * plane_size + i] = e;
      sum += e;
    }
    for (size_t c = 0; c < channels; c++) output[c * plane_size + i] /= sum;
  }
}

void cna_f32_fully_connected__scalar(size_t in_features, size_t out_features,
                                     const float *restrict input,
                                     const float *restrict weights,
                                     const float *restrict bias,
                                     float *restrict output) {
  for (size_t o = 0; o < out_features; o++) {
    const float *row = weights + o * in_features;
    float sum = 0.0f;
    for (size_t i = 0; i < in_features; i++) sum += row[i] * input[i];
    output[o] = sum + (bias != NULL ? bias[o] : 0.0f);
  }
}

void cna_f32_add__scalar(size_t n, const float *a, const float *b, float *output) {
  for (size_t i = 0; i < n; i++) output[i] = a[i] + b[i];
}

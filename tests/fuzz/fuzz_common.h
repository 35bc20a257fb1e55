/* Shared by the libFuzzer targets: what every call may answer, and the
 * bounded work done with a net that loaded or built. A broken promise is an
 * abort(), which libFuzzer reports as a crash with the input saved. */
#ifndef CNA_FUZZ_COMMON_H
#define CNA_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnarch.h"

/* Work caps: a net may be valid and still far too large to run a million
 * times a minute. Only nets under these limits are run and saved. */
#define FUZZ_MAX_WORK 1000000u       /* fuzz_work_bound of one forward */
#define FUZZ_MAX_ACTIVATIONS 250000u  /* floats of all outputs of one image */
#define FUZZ_MAX_PARAMS 250000u       /* floats of all tensors */

static inline void fuzz_die(const char *what, cna_status s) {
  fprintf(stderr, "fuzz: %s: %s (%s)\n", what, cna_status_string(s), cna_last_error_message());
  abort();
}

/* A refusal: a documented status other than INTERNAL, with a message. */
static inline void fuzz_expect_refusal(const char *what, cna_status s) {
  if (s == CNA_OK) return;
  if (s == CNA_ERROR_INTERNAL || (int)s < 0 || s > CNA_ERROR_UNSUPPORTED ||
      cna_last_error_message()[0] == '\0')
    fuzz_die(what, s);
}

/* Every accessor on every layer and tensor; all must succeed. */
static inline void fuzz_inspect(const cna_net *net) {
  size_t layers = 0, tensors = 0, index, shape[3], count, ndim, dims[4];
  uint64_t value;
  const char *name;
  cna_layer_type type;
  if (cna_net_layer_count(net, &layers) != CNA_OK || layers == 0)
    fuzz_die("layer count", CNA_ERROR_INTERNAL);
  for (size_t i = 0; i < layers; i++) {
    if (cna_net_layer_name(net, i, &name) != CNA_OK || cna_net_layer_type(net, i, &type) != CNA_OK ||
        cna_net_layer_output_shape(net, i, shape) != CNA_OK ||
        cna_net_layer_input_count(net, i, &count) != CNA_OK)
      fuzz_die("layer accessors", CNA_ERROR_INTERNAL);
    if (cna_net_find_layer(net, name, &index) != CNA_OK || index != i)
      fuzz_die("find_layer", CNA_ERROR_INTERNAL);
    for (size_t k = 0; k < count; k++)
      if (cna_net_layer_input(net, i, k, &index) != CNA_OK || index >= i)
        fuzz_die("layer input", CNA_ERROR_INTERNAL);
    for (int stat = CNA_STAT_PARAMS; stat <= CNA_STAT_OPS; stat++)
      if (cna_net_layer_stat(net, i, (cna_stat)stat, &value) != CNA_OK)
        fuzz_die("layer stat", CNA_ERROR_INTERNAL);
    uint64_t macs, ops;
    cna_net_layer_stat(net, i, CNA_STAT_MACS, &macs);
    cna_net_layer_stat(net, i, CNA_STAT_OPS, &ops);
    if (ops < macs || (i > 0 && ops == 0)) fuzz_die("OPS below MACS, or 0", CNA_ERROR_INTERNAL);
  }
  for (int stat = CNA_STAT_PARAMS; stat <= CNA_STAT_OPS; stat++)
    if (cna_net_total_stat(net, (cna_stat)stat, &value) != CNA_OK)
      fuzz_die("total stat", CNA_ERROR_INTERNAL);
  if (cna_net_tensor_count(net, &tensors) != CNA_OK) fuzz_die("tensor count", CNA_ERROR_INTERNAL);
  for (size_t i = 0; i < tensors; i++)
    if (cna_net_tensor_name(net, i, &name) != CNA_OK ||
        cna_net_tensor_shape(net, i, &ndim, dims) != CNA_OK || ndim < 1 || ndim > 4 ||
        cna_net_find_tensor(net, name, &index) != CNA_OK || index != i)
      fuzz_die("tensor accessors", CNA_ERROR_INTERNAL);
}

static inline uint64_t fuzz_sat_add(uint64_t a, uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}
static inline uint64_t fuzz_sat_mul(uint64_t a, uint64_t b) {
  return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* An upper bound of the arithmetic one forward pass does, from what the
 * public API tells: the MAC figure covers convolutions and fully connected
 * layers only, while pooling windows and LRN's channel window cost work too
 * (an LRN of size 4096 over 4096 channels: 16 million operations per
 * pixel, and 0 MACs). Windows are clipped to the input, so a pooling
 * output costs at most its input plane and an LRN output its channels. */
static inline uint64_t fuzz_work_bound(const cna_net *net) {
  size_t layers = 0;
  uint64_t work = 0;
  cna_net_layer_count(net, &layers);
  for (size_t i = 0; i < layers; i++) {
    cna_layer_type type;
    size_t out[3], in[3] = {1, 1, 1}, producer, inputs = 0;
    uint64_t macs = 0;
    cna_net_layer_type(net, i, &type);
    cna_net_layer_output_shape(net, i, out);
    cna_net_layer_input_count(net, i, &inputs);
    cna_net_layer_stat(net, i, CNA_STAT_MACS, &macs);
    if (inputs > 0 && cna_net_layer_input(net, i, 0, &producer) == CNA_OK)
      cna_net_layer_output_shape(net, producer, in);
    const uint64_t elems = fuzz_sat_mul(fuzz_sat_mul(out[0], out[1]), out[2]);
    uint64_t cost = fuzz_sat_add(macs, fuzz_sat_mul(elems, 4));
    switch (type) {
      case CNA_LAYER_MAX_POOL2D:
      case CNA_LAYER_AVG_POOL2D:
      case CNA_LAYER_ADAPTIVE_AVG_POOL2D:
        cost = fuzz_sat_add(cost, fuzz_sat_mul(elems, fuzz_sat_mul(in[1], in[2])));
        break;
      case CNA_LAYER_LRN: cost = fuzz_sat_add(cost, fuzz_sat_mul(elems, out[0])); break;
      case CNA_LAYER_GLOBAL_AVG_POOL:
        cost = fuzz_sat_add(cost, fuzz_sat_mul(in[0], fuzz_sat_mul(in[1], in[2])));
        break;
      default: break;
    }
    work = fuzz_sat_add(work, cost);
  }
  return work;
}

/* Whether a forward pass of net fits the caps. */
static inline int fuzz_small_enough(const cna_net *net) {
  uint64_t params, buffers;
  if (cna_net_total_stat(net, CNA_STAT_PARAMS, &params) != CNA_OK ||
      cna_net_total_stat(net, CNA_STAT_BUFFERS, &buffers) != CNA_OK)
    fuzz_die("figures", CNA_ERROR_INTERNAL);
  /* The activation total skips in-place layers, which still get buffers
   * of their own in the executor: bound the sum over every layer. */
  size_t layers;
  cna_net_layer_count(net, &layers);
  uint64_t every = 0;
  for (size_t i = 0; i < layers; i++) {
    uint64_t a;
    cna_net_layer_stat(net, i, CNA_STAT_ACTIVATIONS, &a);
    every = fuzz_sat_add(every, a);
  }
  return fuzz_work_bound(net) <= FUZZ_MAX_WORK && every <= FUZZ_MAX_ACTIVATIONS &&
         fuzz_sat_add(params, buffers) <= FUZZ_MAX_PARAMS;
}

/* Runs net on a fixed input; *out receives the malloc'ed output (or NULL
 * when the net is over the caps). Forward on a net that is within the caps
 * must succeed. */
static inline float *fuzz_forward(cna_net *net, size_t *out_size) {
  *out_size = 0;
  if (!fuzz_small_enough(net)) return NULL;
  size_t shape[3], out;
  cna_net_input_shape(net, shape);
  cna_net_output_size(net, &out);
  const size_t in = shape[0] * shape[1] * shape[2];
  float *x = malloc(in * sizeof *x), *y = malloc(out * sizeof *y);
  if (x == NULL || y == NULL) abort();
  for (size_t i = 0; i < in; i++) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  cna_status s = cna_net_forward(net, x, 1, y);
  free(x);
  if (s != CNA_OK) fuzz_die("forward on a small net", s);
  *out_size = out;
  return y;
}

/* Saves net to memory at level, loads it back and checks the copy: the same
 * layers and tensors, and the same output bits when want is given. */
static inline void fuzz_round_trip(const cna_net *net, int level, const float *want, size_t out) {
  void *blob = NULL;
  size_t size = 0;
  cna_status s = cna_net_save_to_memory(net, level, &blob, &size);
  if (s != CNA_OK) fuzz_die("save to memory", s);
  cna_net *copy = NULL;
  s = cna_net_load_from_memory(blob, size, NULL, &copy);
  cna_free(blob);
  if (s != CNA_OK) fuzz_die("loading what was saved", s);
  size_t a, b;
  cna_net_layer_count(net, &a);
  cna_net_layer_count(copy, &b);
  if (a != b) fuzz_die("round trip layer count", CNA_ERROR_INTERNAL);
  cna_net_tensor_count(net, &a);
  cna_net_tensor_count(copy, &b);
  if (a != b) fuzz_die("round trip tensor count", CNA_ERROR_INTERNAL);
  if (want != NULL) {
    size_t n;
    float *y = fuzz_forward(copy, &n);
    if (y == NULL || n != out || memcmp(y, want, n * sizeof *y) != 0)
      fuzz_die("round trip output", CNA_ERROR_INTERNAL);
    free(y);
  }
  cna_net_destroy(copy);
}

#endif

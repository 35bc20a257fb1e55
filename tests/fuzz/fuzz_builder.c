/* libFuzzer target: the builder API driven by the input bytes.
 *
 * The bytes are a program: each step picks a builder call (any layer type,
 * set_output, the queries, build) and its arguments: layer names (NULL, an
 * existing layer, an unknown one, empty, 4096 and 4097 bytes, raw input
 * bytes), integers (mostly small, sometimes 0, negative, INT_MAX, INT_MIN,
 * powers of two around the size limits) and floats (NaN, +-Inf, denormals,
 * 0, -0, FLT_MAX...). Every call must either succeed and add exactly one
 * layer whose shape is within the documented limit, or refuse with a
 * builder status (never INTERNAL) and a message, leaving the builder as it
 * was. Builds that fit the caps of fuzz_common.h are inspected, run, saved
 * and loaded back. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

typedef struct program {
  const uint8_t *p;
  size_t n;
} program;

static unsigned take(program *g) {
  if (g->n == 0) return 0;
  g->n--;
  return *g->p++;
}

static int take_int(program *g) {
  static const int interesting[] = {
      -1,        -2,          0,       1,       2,        3,          4,       5,
      7,         8,           16,      31,      64,       255,        256,     1000,
      4096,      16383,       16384,   16385,   46341,    65535,      65536,   1 << 20,
      1 << 24,   1 << 30,     INT_MAX, INT_MAX - 1, INT_MIN, INT_MIN + 1, -65536, 1 << 15,
      (1 << 16) + 1, 2147483 , 100000, 1 << 21, 1 << 11, 3 << 10, 10,      11};
  const unsigned sel = take(g);
  if (sel < 216) return (int)(sel % 12); /* mostly small and valid */
  return interesting[(sel - 216) % (sizeof interesting / sizeof interesting[0])];
}

static float take_float(program *g) {
  static const float interesting[] = {0.0f,     -0.0f,   1e-5f,   1e-3f,    0.25f,     0.5f,
                                      0.75f,    1.0f,    2.0f,    -1.0f,    NAN,       INFINITY,
                                      -INFINITY, FLT_MIN, 1e-40f, FLT_MAX,  0.99999994f, 1e30f,
                                      -1e-5f,   100.0f};
  return interesting[take(g) % (sizeof interesting / sizeof interesting[0])];
}

static char long_name[4098];
static char raw_name[17];

/* A layer name (for a new layer) or a reference to one (input == 1). */
static const char *take_name(program *g, const cna_builder *b, int reference) {
  size_t count = 0;
  cna_builder_layer_count(b, &count);
  const unsigned sel = take(g) % 10;
  if (sel == 0 || (reference && sel < 4)) {
    if (sel == 0 || count == 0) return NULL;
    const char *name = NULL;
    cna_builder_layer_name(b, take(g) % count, &name);
    return name;
  }
  switch (sel) {
    case 4: return "";
    case 5:
    case 6: {
      const size_t length = sel == 5 ? 4096 : 4097;
      memset(long_name, 'n', length);
      long_name[length] = '\0';
      long_name[0] = (char)('a' + take(g) % 26);
      return long_name;
    }
    case 7: {
      const size_t length = take(g) % 16;
      for (size_t i = 0; i < length; i++) raw_name[i] = (char)take(g);
      raw_name[length] = '\0';
      return raw_name;
    }
    default: {
      static char pooled[8][4];
      const unsigned k = take(g) % 8;
      pooled[k][0] = (char)('a' + k), pooled[k][1] = (char)('0' + take(g) % 4), pooled[k][2] = 0;
      return pooled[k];
    }
  }
}


static double shape_elems(const cna_builder *b, const char *input) {
  size_t s[3];
  if (cna_builder_output_shape(b, input, s) != CNA_OK) return 0;
  return (double)s[0] * (double)s[1] * (double)s[2];
}

static double channels(const cna_builder *b, const char *input) {
  size_t s[3];
  return cna_builder_output_shape(b, input, s) == CNA_OK ? (double)s[0] : 0;
}

static void build_and_run(const cna_builder *b, double params) {
  if (params > FUZZ_MAX_PARAMS) return; /* valid, maybe, but gigabytes */
  cna_net *net = NULL;
  cna_status s = cna_builder_build(b, NULL, &net);
  fuzz_expect_refusal("build", s);
  if (s != CNA_OK) {
    /* A graph is only refused without an input layer. */
    size_t count = 0;
    cna_builder_layer_count(b, &count);
    if (count != 0 || s != CNA_ERROR_INVALID_GRAPH || net != NULL) fuzz_die("build refused", s);
    return;
  }
  fuzz_inspect(net);
  size_t out = 0;
  float *y = fuzz_forward(net, &out);
  /* Deflating is the slow part: only for small nets. */
  if (y != NULL) fuzz_round_trip(net, params < 16384 ? (int)(out % 2) : 0, y, out);
  free(y);
  cna_net_destroy(net);
}

/* One layer-adding call, with the invariants. */
static void add_layer(program *g, cna_builder *b, double *params) {
  size_t before = 0, after = 0;
  cna_builder_layer_count(b, &before);
  const char *last_before = NULL;
  if (before > 0) cna_builder_layer_name(b, before - 1, &last_before);
  const unsigned op = take(g) % 18;
  const char *name = take_name(g, b, 0);
  const char *input = take_name(g, b, 1);
  double added = 0;
  cna_status s;
  switch (op) {
    case 0: {
      int c = take_int(g), h = take_int(g), w = take_int(g);
      s = cna_builder_input(b, name, c, h, w);
      break;
    }
    case 1: {
      int out = take_int(g), k = take_int(g), stride = take_int(g), pad = take_int(g);
      int bias = (int)take(g) % 2;
      added = (double)out * channels(b, input) * k * k + (bias ? out : 0);
      s = cna_builder_conv2d(b, name, input, out, k, stride, pad, bias);
      break;
    }
    case 2: {
      int out = take_int(g), kh = take_int(g), kw = take_int(g), sh = take_int(g),
          sw = take_int(g), ph = take_int(g), pw = take_int(g), dh = take_int(g),
          dw = take_int(g), groups = take_int(g), bias = (int)take(g) % 2;
      added = (double)out * (groups > 0 ? channels(b, input) / groups : 0) * kh * kw +
              (bias ? out : 0);
      s = cna_builder_conv2d_ex(b, name, input, out, kh, kw, sh, sw, ph, pw, dh, dw, groups, bias);
      break;
    }
    case 3: {
      int k = take_int(g), stride = take_int(g), pad = take_int(g), ceil_mode = take_int(g);
      s = cna_builder_max_pool2d(b, name, input, k, stride, pad, ceil_mode);
      break;
    }
    case 4: {
      int k = take_int(g), stride = take_int(g), pad = take_int(g), ceil_mode = take_int(g),
          include = take_int(g);
      s = cna_builder_avg_pool2d(b, name, input, k, stride, pad, ceil_mode, include);
      break;
    }
    case 5: {
      int oh = take_int(g), ow = take_int(g);
      s = cna_builder_adaptive_avg_pool2d(b, name, input, oh, ow);
      break;
    }
    case 6: s = cna_builder_global_avg_pool(b, name, input); break;
    case 7: {
      int size = take_int(g);
      float alpha = take_float(g), beta = take_float(g), k = take_float(g);
      s = cna_builder_lrn(b, name, input, size, alpha, beta, k);
      break;
    }
    case 8:
      added = 4 * channels(b, input);
      s = cna_builder_batch_norm(b, name, input, take_float(g));
      break;
    case 9: s = cna_builder_relu(b, name, input); break;
    case 10: s = cna_builder_tanh(b, name, input); break;
    case 11: s = cna_builder_dropout(b, name, input, take_float(g)); break;
    case 12: {
      int out = take_int(g), bias = (int)take(g) % 2;
      added = (double)out * shape_elems(b, input) + (bias ? out : 0);
      s = cna_builder_fully_connected(b, name, input, out, bias);
      break;
    }
    case 13: s = cna_builder_flatten(b, name, input); break;
    case 14: s = cna_builder_softmax(b, name, input); break;
    case 15: {
      /* Names are copied into a local array: take_name may reuse buffers. */
      char names[6][32];
      const char *inputs[6];
      const size_t count = take(g) % 7;
      for (size_t i = 0; i < count; i++) {
        const char *n = take_name(g, b, 1);
        if (n == NULL) {
          inputs[i] = NULL;
          continue;
        }
        snprintf(names[i], sizeof names[i], "%s", n);
        inputs[i] = names[i];
      }
      s = cna_builder_concat(b, name, count ? inputs : NULL, count);
      break;
    }
    case 16: {
      char other[32];
      const char *second = take_name(g, b, 1);
      if (second != NULL) snprintf(other, sizeof other, "%s", second);
      s = cna_builder_add(b, name, input, second != NULL ? other : NULL);
      break;
    }
    default: {
      int before_c = take_int(g), after_c = take_int(g);
      s = cna_builder_channel_pad(b, name, input, before_c, after_c);
      break;
    }
  }
  fuzz_expect_refusal("a builder call", s);
  if (s == CNA_ERROR_IO || s == CNA_ERROR_CORRUPT || s == CNA_ERROR_UNSUPPORTED)
    fuzz_die("a builder call answered a file status", s);
  cna_builder_layer_count(b, &after);
  if (s != CNA_OK) {
    /* Refused: the builder is as it was. */
    const char *last_after = NULL;
    if (after > 0) cna_builder_layer_name(b, after - 1, &last_after);
    if (after != before || last_after != last_before)
      fuzz_die("a refused call changed the builder", s);
    return;
  }
  if (after != before + 1) fuzz_die("a successful call did not add one layer", s);
  size_t shape[3];
  if (cna_builder_output_shape(b, NULL, shape) != CNA_OK || shape[0] == 0 || shape[1] == 0 ||
      shape[2] == 0 || (double)shape[0] * shape[1] * shape[2] > 2147483648.0)
    fuzz_die("a new layer's shape is empty or over 2^31 elements", s);
  *params += added > 0 ? added : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  program g = {data, size};
  cna_builder *b = NULL;
  if (cna_builder_create(&b) != CNA_OK) return 0;
  double params = 0;
  /* Most programs start with a small valid input layer. */
  if (take(&g) % 4 != 0 &&
      cna_builder_input(b, "x", 1 + (int)take(&g) % 4, 1 + (int)take(&g) % 24,
                        1 + (int)take(&g) % 24) != CNA_OK)
    fuzz_die("a small input layer", CNA_ERROR_INTERNAL);
  for (int steps = 0; g.n > 0 && steps < 64; steps++) {
    const unsigned what = take(&g) % 16;
    if (what < 12) {
      add_layer(&g, b, &params);
    } else if (what == 12) {
      const char *name = take_name(&g, b, 1);
      cna_status s = cna_builder_set_output(b, name);
      fuzz_expect_refusal("set_output", s);
      if (name != NULL && s != CNA_OK && s != CNA_ERROR_NOT_FOUND) fuzz_die("set_output", s);
    } else if (what == 13) {
      size_t shape[3], count = 0;
      cna_builder_layer_count(b, &count);
      const char *name = take_name(&g, b, 1);
      cna_status s = cna_builder_output_shape(b, name, shape);
      fuzz_expect_refusal("output_shape", s);
      if (count > 0 && name == NULL && s != CNA_OK) fuzz_die("output_shape of the last", s);
    } else if (what == 14) {
      size_t count = 0;
      const char *name;
      cna_builder_layer_count(b, &count);
      const size_t index = take(&g) % (count + 2);
      cna_status s = cna_builder_layer_name(b, index, &name);
      if ((s == CNA_OK) != (index < count)) fuzz_die("layer_name", s);
    } else {
      build_and_run(b, params);
    }
  }
  build_and_run(b, params);
  cna_builder_destroy(b);
  return 0;
}

/* Non-finite values through every layer type, on the dispatched kernels and
 * on the scalar reference path (a child process with CNNARCH_ISA=scalar),
 * against the policy of docs/security.md:
 *  - NaN in gives NaN out exactly where the value reaches: an output is NaN
 *    if and only if it depends on the NaN input (relu and max pooling
 *    propagate NaN, as PyTorch does);
 *  - +-Inf follow IEEE arithmetic of the layer's definition (relu(-Inf) = 0,
 *    tanh(+-Inf) = +-1, max pooling ignores -Inf, Inf - Inf = NaN in
 *    softmax and LRN);
 *  - outputs that do not depend on the poisoned input keep their bits, in
 *    the same image and in the other images of the batch;
 *  - forward returns CNA_OK: values are data, never errors.
 * Which outputs depend on the poisoned input is measured, not assumed: with
 * positive weights and an input of ones, raising the poisoned input to 2
 * changes exactly the outputs that depend on it. */
#define _POSIX_C_SOURCE 200809L /* fork, setenv */
#include <fenv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/every_layer.h"
#include "tests.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* MXCSR's control bits: rounding, flush-to-zero, denormals-are-zero and the
 * exception masks (bits 0-5 are sticky flags, which arithmetic may set). */
static unsigned fp_controls(void) { return _mm_getcsr() & ~0x3Fu; }
#else
static unsigned fp_controls(void) { return 0; }
#endif

/* What a dependent output must be when the poisoned input is +-Inf. */
typedef enum expect {
  POS_INF,
  NEG_INF,
  NOT_A_NUMBER,
  ZERO,
  ONE,
  MINUS_ONE,
  BASELINE,      /* the value it has without the poisoned input... */
  FINITE_CHANGED /* ...or a finite value other than that */
} expect;

typedef struct layer_case {
  const char *name;
  cna_status (*add)(cna_builder *b);
  /* Expectations for +Inf and -Inf: at the poisoned input's own index (for
   * layers whose output has the input's shape) and at the other dependent
   * outputs. */
  expect own_pos, other_pos, own_neg, other_neg;
  int same_shape;
} layer_case;

static cna_status add_conv(cna_builder *b) {
  return cna_builder_conv2d(b, "layer", NULL, 5, 3, 1, 1, 1);
}
static cna_status add_conv_ex(cna_builder *b) {
  /* Grouped, strided, dilated, asymmetric. */
  return cna_builder_conv2d_ex(b, "layer", NULL, 6, 3, 2, 2, 1, 2, 1, 2, 1, 2, 1);
}
static cna_status add_conv_1x1(cna_builder *b) {
  return cna_builder_conv2d(b, "layer", NULL, 3, 1, 1, 0, 0);
}
static cna_status add_max_pool(cna_builder *b) {
  return cna_builder_max_pool2d(b, "layer", NULL, 3, 2, 1, 1);
}
static cna_status add_avg_pool(cna_builder *b) {
  return cna_builder_avg_pool2d(b, "layer", NULL, 3, 2, 1, 1, 0);
}
static cna_status add_adaptive(cna_builder *b) {
  return cna_builder_adaptive_avg_pool2d(b, "layer", NULL, 4, 5);
}
static cna_status add_global(cna_builder *b) { return cna_builder_global_avg_pool(b, "layer", NULL); }
static cna_status add_lrn(cna_builder *b) {
  return cna_builder_lrn(b, "layer", NULL, 3, 1e-2f, 0.75f, 1.0f);
}
static cna_status add_batch_norm(cna_builder *b) {
  return cna_builder_batch_norm(b, "layer", NULL, 1e-5f);
}
static cna_status add_relu(cna_builder *b) { return cna_builder_relu(b, "layer", NULL); }
static cna_status add_tanh(cna_builder *b) { return cna_builder_tanh(b, "layer", NULL); }
static cna_status add_dropout(cna_builder *b) { return cna_builder_dropout(b, "layer", NULL, 0.3f); }
static cna_status add_fc(cna_builder *b) {
  return cna_builder_fully_connected(b, "layer", NULL, 7, 1);
}
static cna_status add_flatten(cna_builder *b) { return cna_builder_flatten(b, "layer", NULL); }
static cna_status add_softmax(cna_builder *b) { return cna_builder_softmax(b, "layer", NULL); }
static cna_status add_concat(cna_builder *b) {
  cna_status s = cna_builder_batch_norm(b, "bn", "x", 1e-5f);
  const char *const inputs[] = {"x", "bn", "x"};
  return s != CNA_OK ? s : cna_builder_concat(b, "layer", inputs, 3);
}
static cna_status add_add(cna_builder *b) {
  cna_status s = cna_builder_batch_norm(b, "bn", "x", 1e-5f);
  return s != CNA_OK ? s : cna_builder_add(b, "layer", "x", "bn");
}
static cna_status add_channel_pad(cna_builder *b) {
  return cna_builder_channel_pad(b, "layer", NULL, 1, 2);
}

static const layer_case cases[] = {
    {"conv2d", add_conv, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"conv2d (groups, stride, dilation)", add_conv_ex, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"conv2d 1x1", add_conv_1x1, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"max_pool2d", add_max_pool, POS_INF, POS_INF, BASELINE, BASELINE, 0},
    {"avg_pool2d", add_avg_pool, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"adaptive_avg_pool2d", add_adaptive, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"global_avg_pool", add_global, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    /* x / (k + a * sum x^2)^b: Inf / Inf at the poisoned element, finite /
     * Inf = 0 beside it. */
    {"lrn", add_lrn, NOT_A_NUMBER, ZERO, NOT_A_NUMBER, ZERO, 1},
    {"batch_norm", add_batch_norm, POS_INF, POS_INF, NEG_INF, NEG_INF, 1},
    {"relu", add_relu, POS_INF, POS_INF, ZERO, ZERO, 1},
    {"tanh", add_tanh, ONE, ONE, MINUS_ONE, MINUS_ONE, 1},
    {"dropout", add_dropout, POS_INF, POS_INF, NEG_INF, NEG_INF, 1},
    {"fully_connected", add_fc, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"flatten", add_flatten, POS_INF, POS_INF, NEG_INF, NEG_INF, 1},
    /* exp(x - max) with max = +Inf is exp(Inf - Inf): the whole position is
     * NaN (PyTorch gives the same); -Inf is a probability of 0. */
    {"softmax", add_softmax, NOT_A_NUMBER, NOT_A_NUMBER, ZERO, FINITE_CHANGED, 1},
    {"concat", add_concat, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
    {"add", add_add, POS_INF, POS_INF, NEG_INF, NEG_INF, 1},
    {"channel_pad", add_channel_pad, POS_INF, POS_INF, NEG_INF, NEG_INF, 0},
};

/* Input 4 x 6 x 7; the poisoned element is channel 1, row 2, column 3. */
enum { C = 4, H = 6, W = 7, IN = C * H * W, POISON = (1 * H + 2) * W + 3 };

/* Failures are collected rather than asserted, so a forked child can report
 * them through a pipe. */
typedef struct report {
  int failures;
  char first[512];
} report;

static void note(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(report *r, const char *fmt, ...) {
  if (r->failures++ > 0) return;
  va_list args;
  va_start(args, fmt);
  vsnprintf(r->first, sizeof r->first, fmt, args);
  va_end(args);
}

static int matches(expect e, float v, float baseline) {
  switch (e) {
    case POS_INF: return isinf(v) && v > 0;
    case NEG_INF: return isinf(v) && v < 0;
    case NOT_A_NUMBER: return isnan(v);
    case ZERO: return v == 0.0f;
    case ONE: return v == 1.0f;
    case MINUS_ONE: return v == -1.0f;
    case BASELINE: return memcmp(&v, &baseline, sizeof v) == 0;
    case FINITE_CHANGED: return isfinite(v) && v != baseline;
  }
  return 0;
}

/* Positive weights (0.1), so that raising an input raises everything that
 * depends on it; biases and batch norm stay as initialized (0, identity). */
static cna_status positive_weights(cna_net *net) {
  size_t count;
  cna_status s = cna_net_tensor_count(net, &count);
  for (size_t i = 0; i < count && s == CNA_OK; i++) {
    size_t ndim, dims[4];
    s = cna_net_tensor_shape(net, i, &ndim, dims);
    if (s != CNA_OK || ndim < 2) continue;
    const size_t n = dims[0] * dims[1] * dims[2] * dims[3];
    float *values = malloc(n * sizeof *values);
    if (values == NULL) return CNA_ERROR_OUT_OF_MEMORY;
    for (size_t k = 0; k < n; k++) values[k] = 0.1f;
    s = cna_net_set_tensor(net, i, values, n);
    free(values);
  }
  return s;
}

/* Runs a batch of two: image 0 is x, image 1 the clean input of ones,
 * which must come out as clean_out bit for bit. */
static int run2(report *r, const char *what, cna_net *net, const float *x, float *y,
                size_t out, const float *clean_out) {
  float in[2 * IN];
  memcpy(in, x, sizeof(float) * IN);
  for (size_t i = 0; i < IN; i++) in[IN + i] = 1.0f;
  cna_status s = cna_net_forward(net, in, 2, y);
  if (s != CNA_OK) {
    note(r, "%s: forward returned %s (%s)", what, cna_status_string(s), cna_last_error_message());
    return 0;
  }
  if (clean_out != NULL && memcmp(y + out, clean_out, out * sizeof *y) != 0) {
    note(r, "%s: the clean second image of the batch changed", what);
    return 0;
  }
  return 1;
}

static void check_case(report *r, const char *isa, const layer_case *lc) {
  cna_builder *b = NULL;
  cna_net *net = NULL;
  if (cna_builder_create(&b) != CNA_OK || cna_builder_input(b, "x", C, H, W) != CNA_OK ||
      lc->add(b) != CNA_OK || cna_builder_build(b, NULL, &net) != CNA_OK ||
      positive_weights(net) != CNA_OK) {
    note(r, "%s: cannot build the net: %s", lc->name, cna_last_error_message());
    cna_builder_destroy(b);
    cna_net_destroy(net);
    return;
  }
  cna_builder_destroy(b);
  size_t out;
  cna_net_output_size(net, &out);
  float x[IN], *base = malloc(2 * out * sizeof *base), *raised = malloc(2 * out * sizeof *raised),
               *y = malloc(2 * out * sizeof *y);
  char what[128];
  for (size_t i = 0; i < IN; i++) x[i] = 1.0f;
  snprintf(what, sizeof what, "%s on %s", lc->name, isa);
  if (!run2(r, what, net, x, base, out, NULL)) goto done;
  if (memcmp(base, base + out, out * sizeof *base) != 0) {
    note(r, "%s: two equal images gave different outputs", what);
    goto done;
  }
  x[POISON] = 2.0f;
  if (!run2(r, what, net, x, raised, out, base)) goto done;
  size_t dependent = 0;
  for (size_t o = 0; o < out; o++) dependent += raised[o] != base[o];
  if (dependent == 0) {
    note(r, "%s: no output depends on the poisoned input", what);
    goto done;
  }

  static const float poisons[] = {NAN, INFINITY, -INFINITY};
  for (int k = 0; k < 3; k++) {
    x[POISON] = poisons[k];
    snprintf(what, sizeof what, "%s on %s, input %g", lc->name, isa, (double)poisons[k]);
    if (!run2(r, what, net, x, y, out, base)) goto done;
    for (size_t o = 0; o < out; o++) {
      const int depends = raised[o] != base[o];
      if (!depends) {
        if (memcmp(&y[o], &base[o], sizeof y[o]) != 0) {
          note(r, "%s: output %zu does not depend on the poisoned input but changed from %g "
                  "to %g", what, o, (double)base[o], (double)y[o]);
          goto done;
        }
        continue;
      }
      expect e = NOT_A_NUMBER;
      if (k > 0) {
        const int own = lc->same_shape && o == POISON;
        e = k == 1 ? (own ? lc->own_pos : lc->other_pos) : (own ? lc->own_neg : lc->other_neg);
      }
      if (!matches(e, y[o], base[o])) {
        note(r, "%s: dependent output %zu is %g (clean %g), against the policy", what, o,
             (double)y[o], (double)base[o]);
        goto done;
      }
    }
  }
done:
  free(base), free(raised), free(y);
  cna_net_destroy(net);
}

/* The every-layer net: each output depends on every input pixel (a fully
 * connected layer and a softmax end it), so one NaN pixel makes all NaN;
 * +-Inf give probabilities or NaN, never anything outside [0, 1]. */
static void check_every_layer(report *r, const char *isa) {
  cna_net *net;
  if (cna_test_every_layer_net(5, &net) != CNA_OK) {
    note(r, "every-layer net: %s", cna_last_error_message());
    return;
  }
  enum { N = CNA_TEST_EVERY_C * CNA_TEST_EVERY_H * CNA_TEST_EVERY_W };
  float x[N], y[10];
  static const float poisons[] = {NAN, INFINITY, -INFINITY};
  for (int k = 0; k < 3; k++) {
    for (size_t i = 0; i < N; i++) x[i] = (float)(i % 13) / 13.0f - 0.5f;
    x[N / 2 + 5] = poisons[k];
    cna_status s = cna_net_forward(net, x, 1, y);
    if (s != CNA_OK) {
      note(r, "every-layer net on %s, input %g: %s", isa, (double)poisons[k],
           cna_status_string(s));
      break;
    }
    for (int o = 0; o < 10; o++) {
      const int ok = k == 0 ? isnan(y[o]) : isnan(y[o]) || (y[o] >= 0.0f && y[o] <= 1.0f);
      if (!ok) {
        note(r, "every-layer net on %s, input %g: output %d is %g", isa, (double)poisons[k], o,
             (double)y[o]);
        break;
      }
    }
  }
  cna_net_destroy(net);
}

static void check_all(report *r, const char *isa) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(r, isa, &cases[i]);
  check_every_layer(r, isa);
}

/* The checks in a child forced onto the scalar path. Returns 0 and fills r,
 * or -1 if the child could not be forced (the parent already chose its
 * kernels: CK_FORK=no). */
static int check_scalar_in_child(report *r) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    setenv("CNNARCH_ISA", "scalar", 1);
    report child = {0};
    int forced = strcmp(cna_isa(), "scalar") == 0;
    if (forced) check_all(&child, "scalar");
    if (write(fds[1], &forced, sizeof forced) != sizeof forced ||
        write(fds[1], &child, sizeof child) != sizeof child)
      _exit(1);
    _exit(0);
  }
  close(fds[1]);
  int forced = 0;
  ssize_t got = read(fds[0], &forced, sizeof forced);
  ssize_t got_report = read(fds[0], r, sizeof *r);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == sizeof forced &&
                    got_report == sizeof *r,
                "the scalar child failed");
  return forced ? 0 : -1;
}

START_TEST(non_finite_inputs_follow_the_policy) {
  /* The child first: the dispatch table is chosen once per process. */
  report scalar = {0};
  const int scalar_ran = check_scalar_in_child(&scalar) == 0;
  report dispatched = {0};
  check_all(&dispatched, cna_isa());
  ck_assert_msg(dispatched.failures == 0, "%d failures on %s; first: %s", dispatched.failures,
                cna_isa(), dispatched.first);
  if (scalar_ran)
    ck_assert_msg(scalar.failures == 0, "%d failures on scalar; first: %s", scalar.failures,
                  scalar.first);
}
END_TEST

START_TEST(every_layer_type_is_covered) {
  /* The table above must name every layer type but the input, so a new
   * layer type cannot skip the policy. */
  int seen[CNA_LAYER_CHANNEL_PAD + 1] = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cna_builder *b;
    ck_assert_ok(cna_builder_create(&b));
    ck_assert_ok(cna_builder_input(b, "x", C, H, W));
    ck_assert_ok(cases[i].add(b));
    cna_net *net;
    ck_assert_ok(cna_builder_build(b, NULL, &net));
    size_t index;
    cna_layer_type type;
    ck_assert_ok(cna_net_find_layer(net, "layer", &index));
    ck_assert_ok(cna_net_layer_type(net, index, &type));
    seen[type] = 1;
    cna_net_destroy(net);
    cna_builder_destroy(b);
  }
  for (int t = CNA_LAYER_CONV2D; t <= CNA_LAYER_CHANNEL_PAD; t++)
    ck_assert_msg(seen[t], "layer type %s has no non-finite case",
                  cna_layer_type_name((cna_layer_type)t));
}
END_TEST

START_TEST(forward_leaves_the_floating_point_environment) {
  /* The caller's rounding mode and flush-to-zero / denormals-are-zero bits
   * are the caller's: a forward pass, on denormal inputs too, changes none. */
  cna_net *net;
  ck_assert_ok(cna_test_every_layer_net(2, &net));
  enum { N = CNA_TEST_EVERY_C * CNA_TEST_EVERY_H * CNA_TEST_EVERY_W };
  float x[N], y[10];
  for (size_t i = 0; i < N; i++) x[i] = (i % 3 ? 1e-40f : -3e-39f) * (float)(i % 7 + 1);
  const int rounding = fegetround();
  const unsigned controls = fp_controls();
  ck_assert_ok(cna_net_forward(net, x, 1, y));
  ck_assert_int_eq(fegetround(), rounding);
  ck_assert_uint_eq(fp_controls(), controls);
  /* And under a caller's own mode, the library keeps it too. */
  ck_assert_int_eq(fesetround(FE_TOWARDZERO), 0);
  ck_assert_ok(cna_net_forward(net, x, 1, y));
  ck_assert_int_eq(fegetround(), FE_TOWARDZERO);
  fesetround(rounding);
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_numerics_suite(void) {
  Suite *s = suite_create("numerics");
  TCase *tc = tcase_create("non-finite");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, every_layer_type_is_covered);
  tcase_add_test(tc, non_finite_inputs_follow_the_policy);
  tcase_add_test(tc, forward_leaves_the_floating_point_environment);
  suite_add_tcase(s, tc);
  return s;
}

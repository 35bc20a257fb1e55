/* Whole-net forward passes: deterministic initialization, batch
 * independence, concurrent calls on one net, and finite outputs for the
 * small zoo nets. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

static cna_net *create_seeded(const char *arch, uint64_t seed) {
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_seed(opts, seed));
  ck_assert_ok(cna_net_create_arch(arch, opts, &net));
  cna_options_destroy(opts);
  return net;
}

static size_t output_size(const cna_net *net) {
  size_t n;
  ck_assert_ok(cna_net_output_size(net, &n));
  return n;
}

/* A repeatable pseudo-random image batch in [-1, 1]. */
static float *make_input(size_t n, unsigned seed) {
  float *x = malloc(n * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
  }
  return x;
}

static float *run(cna_net *net, const float *x, size_t batch) {
  float *y = malloc(batch * output_size(net) * sizeof *y);
  ck_assert_ok(cna_net_forward(net, x, batch, y));
  return y;
}

START_TEST(same_seed_same_bits) {
  cna_net *a = create_seeded("resnet20", 7), *b = create_seeded("resnet20", 7);
  cna_net *c = create_seeded("resnet20", 8);
  float *x = make_input(cna_test_input_size(a), 1);
  float *ya = run(a, x, 1), *yb = run(b, x, 1), *yc = run(c, x, 1);
  const size_t n = output_size(a);
  ck_assert_int_eq(memcmp(ya, yb, n * sizeof *ya), 0);
  ck_assert_int_ne(memcmp(ya, yc, n * sizeof *ya), 0);
  /* Running twice gives the same bits too. */
  float *again = run(a, x, 1);
  ck_assert_int_eq(memcmp(ya, again, n * sizeof *ya), 0);
  free(x), free(ya), free(yb), free(yc), free(again);
  cna_net_destroy(a), cna_net_destroy(b), cna_net_destroy(c);
}
END_TEST

START_TEST(he_initialization) {
  /* resnet20's layer1.0.conv1: fan_in 16 * 3 * 3 = 144, so values are
   * uniform in +-sqrt(6 / 144) with variance 2 / 144. */
  cna_net *net = create_seeded("resnet20", 0);
  size_t index;
  ck_assert_ok(cna_net_find_tensor(net, "layer1.0.conv1.weight", &index));
  float w[16 * 16 * 9];
  ck_assert_ok(cna_net_get_tensor(net, index, w, 16 * 16 * 9));
  const double bound = sqrt(6.0 / 144.0);
  double sum = 0, sum_sq = 0;
  for (size_t i = 0; i < 16 * 16 * 9; i++) {
    ck_assert(fabs(w[i]) <= bound);
    sum += w[i];
    sum_sq += (double)w[i] * w[i];
  }
  const double mean = sum / 2304, var = sum_sq / 2304 - mean * mean;
  ck_assert_msg(fabs(mean) < 0.01, "mean %g", mean);
  ck_assert_msg(fabs(var / (2.0 / 144.0) - 1.0) < 0.1, "variance %g, expected %g", var,
                2.0 / 144.0);
  /* Biases start at zero, batch norm at the identity. */
  float v[16];
  ck_assert_ok(cna_net_find_tensor(net, "bn1.running_var", &index));
  ck_assert_ok(cna_net_get_tensor(net, index, v, 16));
  for (int i = 0; i < 16; i++) ck_assert(v[i] == 1.0f);
  ck_assert_ok(cna_net_find_tensor(net, "fc.bias", &index));
  ck_assert_ok(cna_net_get_tensor(net, index, v, 10));
  for (int i = 0; i < 10; i++) ck_assert(v[i] == 0.0f);
  cna_net_destroy(net);
}
END_TEST

START_TEST(initialization_is_the_same_everywhere) {
  /* Golden values: splitmix64 seeded from the seed and the tensor's name,
   * 53-bit uniforms, He bounds in double. Any platform, any compiler, any
   * build must draw exactly these floats for seed 42. */
  cna_net *net = create_seeded("resnet20", 42);
  size_t index;
  float conv[432], fc[640];
  ck_assert_ok(cna_net_find_tensor(net, "conv1.weight", &index));
  ck_assert_ok(cna_net_get_tensor(net, index, conv, 432));
  ck_assert(conv[0] == 0x1.26ea24p-2f);
  ck_assert(conv[1] == -0x1.6b5424p-7f);
  ck_assert(conv[2] == 0x1.ddd18ap-3f);
  ck_assert(conv[3] == 0x1.60582p-2f);
  ck_assert(conv[431] == -0x1.173cfap-2f);
  ck_assert_ok(cna_net_find_tensor(net, "fc.weight", &index));
  ck_assert_ok(cna_net_get_tensor(net, index, fc, 640));
  ck_assert(fc[0] == 0x1.ec08d4p-6f);
  ck_assert(fc[639] == 0x1.f7e15ep-8f);
  cna_net_destroy(net);
}
END_TEST

START_TEST(batch_is_independent) {
  cna_net *net = create_seeded("resnet20", 3);
  const size_t in = cna_test_input_size(net), out = output_size(net);
  float *x = make_input(3 * in, 2);
  float *batched = run(net, x, 3);
  for (size_t i = 0; i < 3; i++) {
    float *single = run(net, x + i * in, 1);
    ck_assert_int_eq(memcmp(single, batched + i * out, out * sizeof *single), 0);
    free(single);
  }
  free(x), free(batched);
  cna_net_destroy(net);
}
END_TEST

typedef struct worker {
  cna_net *net;
  const float *inputs;
  const float *expected;
  size_t in, out, images, rounds;
  int mismatches;
  cna_status status;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  float *y = malloc(w->out * sizeof *y);
  for (size_t r = 0; r < w->rounds; r++)
    for (size_t i = 0; i < w->images; i++) {
      /* Each thread walks the images in its own order. */
      size_t k = (i + r + (size_t)(uintptr_t)w % 7) % w->images;
      w->status = cna_net_forward(w->net, w->inputs + k * w->in, 1, y);
      if (w->status != CNA_OK) goto done;
      if (memcmp(y, w->expected + k * w->out, w->out * sizeof *y) != 0) w->mismatches++;
    }
done:
  free(y);
  return NULL;
}

/* Runs callers threads over images of input on net, each forward's output
 * compared with expected. */
static void run_callers(cna_net *net, const float *x, const float *expected, size_t in,
                        size_t out, size_t images, int callers) {
  pthread_t threads[8];
  worker workers[8];
  ck_assert_int_le(callers, 8);
  for (int t = 0; t < callers; t++) {
    workers[t] = (worker){net, x, expected, in, out, images, 3, 0, CNA_OK};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
  }
  for (int t = 0; t < callers; t++) {
    pthread_join(threads[t], NULL);
    ck_assert_ok(workers[t].status);
    ck_assert_int_eq(workers[t].mismatches, 0);
  }
}

/* The outputs of a single-threaded resnet20 (seed 5) for images of x. */
static float *single_thread_outputs(const float *x, size_t in, size_t out, size_t images) {
  cna_net *net = create_seeded("resnet20", 5);
  float *expected = malloc(images * out * sizeof *expected);
  for (size_t i = 0; i < images; i++) {
    float *y = run(net, x + i * in, 1);
    memcpy(expected + i * out, y, out * sizeof *y);
    free(y);
  }
  cna_net_destroy(net);
  return expected;
}

START_TEST(eight_threads_one_net) {
  cna_net *net = create_seeded("resnet20", 5);
  const size_t in = cna_test_input_size(net), out = output_size(net), images = 4;
  float *x = make_input(images * in, 9);
  float *expected = single_thread_outputs(x, in, out, images);
  run_callers(net, x, expected, in, out, images, 8);
  free(x), free(expected);
  cna_net_destroy(net);
}
END_TEST

/* Callers sharing a net whose own pool has workers: one call at a time
 * gets the pool, the others run alone on their threads; every output is
 * the bits of a single-threaded net. */
START_TEST(callers_share_a_threaded_net) {
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_seed(opts, 5));
  ck_assert_ok(cna_options_set_num_threads(opts, 2));
  ck_assert_ok(cna_net_create_arch("resnet20", opts, &net));
  cna_options_destroy(opts);
  const size_t in = cna_test_input_size(net), out = output_size(net), images = 4;
  float *x = make_input(images * in, 9);
  float *expected = single_thread_outputs(x, in, out, images);
  run_callers(net, x, expected, in, out, images, 4);
  free(x), free(expected);
  cna_net_destroy(net);
}
END_TEST

START_TEST(small_zoo_nets_run) {
  static const char *const archs[] = {"lenet5",          "resnet20", "nin",
                                      "preact_resnet18", "squeezenet1_1", "inception_bottleneck"};
  for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
    cna_net *net = create_seeded(archs[a], 0);
    float *x = make_input(cna_test_input_size(net), 4);
    float *y = run(net, x, 1);
    int nonzero = 0;
    for (size_t i = 0; i < output_size(net); i++) {
      ck_assert_msg(isfinite(y[i]), "%s output %zu is %g", archs[a], i, (double)y[i]);
      nonzero += y[i] != 0.0f;
    }
    ck_assert_msg(nonzero > 0, "%s: all outputs are zero", archs[a]);
    free(x), free(y);
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(side_branches_are_not_needed) {
  /* The output does not depend on the aux heads: the same seed gives the
   * same logits with and without them. */
  cna_options *opts;
  cna_net *plain, *aux;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_classes(opts, 10));
  ck_assert_ok(cna_options_set_input_size(opts, 64, 64));
  ck_assert_ok(cna_net_create_arch("googlenet", opts, &plain));
  ck_assert_ok(cna_options_set_aux_logits(opts, 1));
  ck_assert_ok(cna_net_create_arch("googlenet", opts, &aux));
  cna_options_destroy(opts);
  float *x = make_input(cna_test_input_size(plain), 11);
  float *a = run(plain, x, 1), *b = run(aux, x, 1);
  ck_assert_int_eq(memcmp(a, b, 10 * sizeof *a), 0);
  free(x), free(a), free(b);
  cna_net_destroy(plain), cna_net_destroy(aux);
}
END_TEST

Suite *cna_test_forward_suite(void) {
  Suite *s = suite_create("forward");
  TCase *tc = tcase_create("forward");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, same_seed_same_bits);
  tcase_add_test(tc, he_initialization);
  tcase_add_test(tc, initialization_is_the_same_everywhere);
  tcase_add_test(tc, batch_is_independent);
  tcase_add_test(tc, eight_threads_one_net);
  tcase_add_test(tc, callers_share_a_threaded_net);
  tcase_add_test(tc, small_zoo_nets_run);
  tcase_add_test(tc, side_branches_are_not_needed);
  suite_add_tcase(s, tc);
  return s;
}

/* Concurrency: 8 threads running forward on one net, thousands of calls,
 * every result bit-identical to the single-threaded run; the read-only
 * accessors and saves beside those forward calls; nets created, built,
 * loaded, saved and destroyed from many threads at once; concurrent saves
 * to one path; feature extraction beside forward calls, its plans made
 * and cached while other threads run. Built for ThreadSanitizer too: `make check SANITIZE=thread`
 * runs this suite (docs/security.md). */
#define _POSIX_C_SOURCE 200809L /* pthread_barrier, mkdtemp */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/every_layer.h"
#include "tests.h"

enum { THREADS = 8, IMAGES = 16 };

/* A repeatable pseudo-random batch in [-1, 1]. */
static float *make_input(size_t n, unsigned seed) {
  float *x = malloc(n * sizeof *x);
  ck_assert_ptr_nonnull(x);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
  }
  return x;
}

static size_t output_size(const cna_net *net) {
  size_t n;
  ck_assert_ok(cna_net_output_size(net, &n));
  return n;
}

/* ------------------------------------------------ forward on one net */

typedef struct forward_worker {
  int id;
  cna_net *net;
  const float *inputs, *expected; /* IMAGES images and their outputs */
  size_t in, out, calls;
  pthread_barrier_t *start;
  size_t done, mismatches;
  cna_status status;
} forward_worker;

static void *forward_work(void *arg) {
  forward_worker *w = arg;
  float *y = malloc(3 * w->out * sizeof *y);
  if (y == NULL) {
    w->status = CNA_ERROR_OUT_OF_MEMORY;
    return NULL;
  }
  pthread_barrier_wait(w->start);
  for (size_t call = 0; call < w->calls; call++) {
    /* Each thread walks the images in its own order; every fourth call runs
     * a batch of three consecutive images. */
    const size_t k = (call * (size_t)(2 * w->id + 1) + (size_t)w->id) % IMAGES;
    const size_t batch = call % 4 == 3 && k + 3 <= IMAGES ? 3 : 1;
    w->status = cna_net_forward(w->net, w->inputs + k * w->in, batch, y);
    if (w->status != CNA_OK) break;
    if (memcmp(y, w->expected + k * w->out, batch * w->out * sizeof *y) != 0) w->mismatches++;
    w->done++;
  }
  free(y);
  return NULL;
}

/* Runs THREADS threads of calls forward calls each on net and checks every
 * output against the single-threaded one, bit for bit. */
static void forward_from_threads(cna_net *net, size_t calls) {
  const size_t in = cna_test_input_size(net), out = output_size(net);
  float *x = make_input(IMAGES * in, 17);
  float *expected = malloc(IMAGES * out * sizeof *expected);
  ck_assert_ptr_nonnull(expected);
  for (size_t i = 0; i < IMAGES; i++)
    ck_assert_ok(cna_net_forward(net, x + i * in, 1, expected + i * out));
  /* The images differ, and so do their outputs: a thread reading another's
   * scratch would show. */
  ck_assert_int_ne(memcmp(expected, expected + out, out * sizeof *expected), 0);

  pthread_barrier_t start;
  ck_assert_int_eq(pthread_barrier_init(&start, NULL, THREADS), 0);
  pthread_t threads[THREADS];
  forward_worker workers[THREADS];
  for (int t = 0; t < THREADS; t++) {
    workers[t] = (forward_worker){.id = t, .net = net, .inputs = x, .expected = expected,
                                  .in = in, .out = out, .calls = calls, .start = &start};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, forward_work, &workers[t]), 0);
  }
  for (int t = 0; t < THREADS; t++) ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
  pthread_barrier_destroy(&start);
  for (int t = 0; t < THREADS; t++) {
    ck_assert_msg(workers[t].status == CNA_OK, "thread %d: %s", t,
                  cna_status_string(workers[t].status));
    ck_assert_uint_eq(workers[t].done, calls);
    ck_assert_msg(workers[t].mismatches == 0, "thread %d: %zu of %zu outputs differ", t,
                  workers[t].mismatches, calls);
  }
  free(x), free(expected);
}

START_TEST(eight_threads_thousands_of_calls) {
  /* Every layer type (convolutions through the dispatched kernels): 8 x 300
   * = 2400 calls. */
  cna_net *net;
  ck_assert_ok(cna_test_every_layer_net(3, &net));
  forward_from_threads(net, 300);
  cna_net_destroy(net);
}
END_TEST

START_TEST(eight_threads_on_a_loaded_net) {
  /* A net whose weights live in a mapped file, and one from a buffer. */
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &net));
  char dir[] = "/tmp/cna_concurrency_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/lenet5.cna", dir);
  ck_assert_ok(cna_net_save(net, path, 0));
  cna_net_destroy(net);
  ck_assert_ok(cna_net_load(path, NULL, &net));
  forward_from_threads(net, 40);
  cna_net_destroy(net);
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ----------------------------- readers beside forward calls on one net */

typedef struct reader_worker {
  cna_net *net;
  pthread_barrier_t *start;
  int rounds;
  int failures;
} reader_worker;

static void *read_work(void *arg) {
  reader_worker *w = arg;
  pthread_barrier_wait(w->start);
  for (int r = 0; r < w->rounds; r++) {
    size_t layers = 0, tensors = 0, index, shape[3], ndim, dims[4];
    uint64_t value;
    const char *name;
    cna_layer_type type;
    w->failures += cna_net_layer_count(w->net, &layers) != CNA_OK;
    for (size_t i = 0; i < layers; i++) {
      w->failures += cna_net_layer_name(w->net, i, &name) != CNA_OK;
      w->failures += cna_net_layer_type(w->net, i, &type) != CNA_OK;
      w->failures += cna_net_layer_output_shape(w->net, i, shape) != CNA_OK;
      w->failures += cna_net_layer_stat(w->net, i, CNA_STAT_MACS, &value) != CNA_OK;
      w->failures += cna_net_find_layer(w->net, name, &index) != CNA_OK || index != i;
    }
    w->failures += cna_net_total_stat(w->net, CNA_STAT_PARAMS, &value) != CNA_OK;
    w->failures += cna_net_tensor_count(w->net, &tensors) != CNA_OK;
    for (size_t i = 0; i < tensors; i++) {
      w->failures += cna_net_tensor_shape(w->net, i, &ndim, dims) != CNA_OK;
      size_t count = dims[0] * dims[1] * dims[2] * dims[3];
      float *data = malloc(count * sizeof *data);
      w->failures += data == NULL || cna_net_get_tensor(w->net, i, data, count) != CNA_OK;
      free(data);
    }
    /* An unknown name fails with this thread's own message. */
    w->failures += cna_net_find_layer(w->net, "no_such_layer", &index) != CNA_ERROR_NOT_FOUND;
    w->failures += strstr(cna_last_error_message(), "no_such_layer") == NULL;
    void *blob = NULL;
    size_t size = 0;
    w->failures += cna_net_save_to_memory(w->net, r % 2, &blob, &size) != CNA_OK;
    cna_free(blob);
  }
  return NULL;
}

START_TEST(accessors_and_saves_beside_forward_calls) {
  cna_net *net;
  ck_assert_ok(cna_test_every_layer_net(4, &net));
  const size_t in = cna_test_input_size(net), out = output_size(net);
  float *x = make_input(IMAGES * in, 23);
  float *expected = malloc(IMAGES * out * sizeof *expected);
  for (size_t i = 0; i < IMAGES; i++)
    ck_assert_ok(cna_net_forward(net, x + i * in, 1, expected + i * out));
  enum { FORWARD = 4, READERS = 4 };
  pthread_barrier_t start;
  ck_assert_int_eq(pthread_barrier_init(&start, NULL, FORWARD + READERS), 0);
  pthread_t threads[FORWARD + READERS];
  forward_worker forwards[FORWARD];
  reader_worker readers[READERS];
  for (int t = 0; t < FORWARD; t++) {
    forwards[t] = (forward_worker){.id = t, .net = net, .inputs = x, .expected = expected,
                                   .in = in, .out = out, .calls = 100, .start = &start};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, forward_work, &forwards[t]), 0);
  }
  for (int t = 0; t < READERS; t++) {
    readers[t] = (reader_worker){.net = net, .start = &start, .rounds = 10};
    ck_assert_int_eq(pthread_create(&threads[FORWARD + t], NULL, read_work, &readers[t]), 0);
  }
  for (int t = 0; t < FORWARD + READERS; t++) ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
  pthread_barrier_destroy(&start);
  for (int t = 0; t < FORWARD; t++) {
    ck_assert_ok(forwards[t].status);
    ck_assert_uint_eq(forwards[t].mismatches, 0);
  }
  for (int t = 0; t < READERS; t++)
    ck_assert_msg(readers[t].failures == 0, "reader %d: %d failed calls", t, readers[t].failures);
  free(x), free(expected);
  cna_net_destroy(net);
}
END_TEST

/* ------------------------------------ nets created and destroyed at once */

typedef struct life_worker {
  int id, rounds;
  pthread_barrier_t *start;
  const void *blob; /* a saved every-layer net (seed 9), shared read-only */
  size_t blob_size;
  const char *path; /* the same, as a file */
  const float *input, *expected_lenet, *expected_every;
  size_t lenet_out, every_out;
  int failures;
  char message[256];
} life_worker;

static void life_fail(life_worker *w, const char *what, cna_status s) {
  if (w->failures++ == 0)
    snprintf(w->message, sizeof w->message, "%s: %s (%s)", what, cna_status_string(s),
             cna_last_error_message());
}

/* Runs net on the shared input and compares with expected. */
static void life_check(life_worker *w, cna_net *net, const float *expected, size_t n,
                       const char *what) {
  float y[10];
  cna_status s = cna_net_forward(net, w->input, 1, y);
  if (s != CNA_OK)
    life_fail(w, what, s);
  else if (memcmp(y, expected, n * sizeof *y) != 0)
    life_fail(w, what, CNA_ERROR_INTERNAL);
}

static void *life_work(void *arg) {
  life_worker *w = arg;
  pthread_barrier_wait(w->start);
  for (int r = 0; r < w->rounds; r++) {
    cna_net *net = NULL, *again = NULL;
    cna_status s;
    /* From the zoo. */
    if ((s = cna_net_create_arch("lenet5", NULL, &net)) != CNA_OK) {
      life_fail(w, "create lenet5", s);
      continue;
    }
    if (r == 0) life_check(w, net, w->expected_lenet, w->lenet_out, "lenet5 forward");
    cna_net_destroy(net);
    /* Through the builder. */
    if ((s = cna_test_every_layer_net(9, &net)) != CNA_OK) {
      life_fail(w, "build", s);
      continue;
    }
    life_check(w, net, w->expected_every, w->every_out, "built net forward");
    /* Saved to memory, loaded back. */
    void *blob = NULL;
    size_t size = 0;
    if ((s = cna_net_save_to_memory(net, (w->id + r) % 2 ? 6 : 0, &blob, &size)) != CNA_OK)
      life_fail(w, "save to memory", s);
    else if ((s = cna_net_load_from_memory(blob, size, NULL, &again)) != CNA_OK)
      life_fail(w, "load own blob", s);
    else
      life_check(w, again, w->expected_every, w->every_out, "own blob forward");
    cna_free(blob);
    cna_net_destroy(again);
    cna_net_destroy(net);
    /* The shared buffer and the shared file, read by everyone at once. */
    if ((s = cna_net_load_from_memory(w->blob, w->blob_size, NULL, &net)) != CNA_OK) {
      life_fail(w, "load shared blob", s);
    } else {
      life_check(w, net, w->expected_every, w->every_out, "shared blob forward");
      cna_net_destroy(net);
    }
    if ((s = cna_net_load(w->path, NULL, &net)) != CNA_OK) {
      life_fail(w, "load shared file", s);
    } else {
      life_check(w, net, w->expected_every, w->every_out, "shared file forward");
      cna_net_destroy(net);
    }
  }
  return NULL;
}

START_TEST(create_and_destroy_from_many_threads) {
  enum { LIFE_THREADS = 12 };
  cna_net *lenet, *every;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &lenet));
  ck_assert_ok(cna_test_every_layer_net(9, &every));
  const size_t lenet_out = output_size(lenet), every_out = output_size(every);
  ck_assert_uint_le(lenet_out, 10);
  ck_assert_uint_le(every_out, 10);
  ck_assert_uint_ge(cna_test_input_size(lenet), cna_test_input_size(every));
  /* One input serves both (the every-layer net reads its first 432 floats). */
  float *x = make_input(cna_test_input_size(lenet), 31);
  float expected_lenet[10], expected_every[10];
  ck_assert_ok(cna_net_forward(lenet, x, 1, expected_lenet));
  ck_assert_ok(cna_net_forward(every, x, 1, expected_every));
  void *blob;
  size_t size;
  ck_assert_ok(cna_net_save_to_memory(every, 0, &blob, &size));
  char dir[] = "/tmp/cna_concurrency_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/every.cna", dir);
  ck_assert_ok(cna_net_save(every, path, 3));
  cna_net_destroy(lenet);
  cna_net_destroy(every);

  pthread_barrier_t start;
  ck_assert_int_eq(pthread_barrier_init(&start, NULL, LIFE_THREADS), 0);
  pthread_t threads[LIFE_THREADS];
  life_worker workers[LIFE_THREADS];
  for (int t = 0; t < LIFE_THREADS; t++) {
    workers[t] = (life_worker){.id = t, .rounds = 6, .start = &start, .blob = blob,
                               .blob_size = size, .path = path, .input = x,
                               .expected_lenet = expected_lenet,
                               .expected_every = expected_every, .lenet_out = lenet_out,
                               .every_out = every_out};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, life_work, &workers[t]), 0);
  }
  for (int t = 0; t < LIFE_THREADS; t++) ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
  pthread_barrier_destroy(&start);
  for (int t = 0; t < LIFE_THREADS; t++)
    ck_assert_msg(workers[t].failures == 0, "thread %d: %d failures, first: %s", t,
                  workers[t].failures, workers[t].message);
  cna_free(blob);
  free(x);
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---------------------------------------------- concurrent saves to one path */

typedef struct save_worker {
  cna_net *net;
  const char *path;
  pthread_barrier_t *start;
  int rounds;
  cna_status status;
} save_worker;

static void *save_work(void *arg) {
  save_worker *w = arg;
  pthread_barrier_wait(w->start);
  for (int r = 0; r < w->rounds && w->status == CNA_OK; r++)
    w->status = cna_net_save(w->net, w->path, r % 2);
  return NULL;
}

START_TEST(concurrent_saves_to_one_path) {
  /* Each thread saves its own net (seed t) to the same path: the file ends
   * up as one complete net, and no temporary file is left. */
  enum { SAVERS = 6 };
  char dir[] = "/tmp/cna_concurrency_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/shared.cna", dir);
  cna_net *nets[SAVERS];
  float outputs[SAVERS][10];
  float *x = make_input(CNA_TEST_EVERY_C * CNA_TEST_EVERY_H * CNA_TEST_EVERY_W, 41);
  for (int t = 0; t < SAVERS; t++) {
    ck_assert_ok(cna_test_every_layer_net((uint64_t)t, &nets[t]));
    ck_assert_ok(cna_net_forward(nets[t], x, 1, outputs[t]));
  }
  pthread_barrier_t start;
  ck_assert_int_eq(pthread_barrier_init(&start, NULL, SAVERS), 0);
  pthread_t threads[SAVERS];
  save_worker workers[SAVERS];
  for (int t = 0; t < SAVERS; t++) {
    workers[t] = (save_worker){nets[t], path, &start, 5, CNA_OK};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, save_work, &workers[t]), 0);
  }
  for (int t = 0; t < SAVERS; t++) ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
  pthread_barrier_destroy(&start);
  for (int t = 0; t < SAVERS; t++) ck_assert_ok(workers[t].status);

  cna_net *loaded;
  ck_assert_ok(cna_net_load(path, NULL, &loaded));
  float y[10];
  ck_assert_ok(cna_net_forward(loaded, x, 1, y));
  int matches = 0;
  for (int t = 0; t < SAVERS; t++) matches += memcmp(y, outputs[t], sizeof y) == 0;
  ck_assert_int_eq(matches, 1);
  cna_net_destroy(loaded);

  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int entries = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    ck_assert_msg(strcmp(e->d_name, "shared.cna") == 0, "left behind: %s", e->d_name);
    entries++;
  }
  closedir(d);
  ck_assert_int_eq(entries, 1);
  for (int t = 0; t < SAVERS; t++) cna_net_destroy(nets[t]);
  free(x);
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ------------------------------------- features beside forward calls */

/* Sets of layers of the every-layer net; each thread asks for them in its
 * own order, so new plans are built and cached while other threads use the
 * cached ones and the forward plan. */
static const char *const feature_sets[][3] = {
    {"conv1", "relu1", "sum"}, {"bn1", "cat", "fc"}, {"shortcut", "tanh", "gap"},
    {"lrn1", "prob", "x"},     {"branch_a", "pad", "drop"}};
enum { FEATURE_SETS = sizeof feature_sets / sizeof feature_sets[0] };

typedef struct feature_worker {
  int id;
  cna_net *net;
  const float *input, *expected_output; /* one image and its output */
  float *const *expected;               /* per set, the three features */
  const size_t *sizes;                  /* per set, the three sizes */
  pthread_barrier_t *start;
  size_t mismatches;
  cna_status status;
} feature_worker;

static void *feature_work(void *arg) {
  feature_worker *w = arg;
  float got[3][4096], y[64];
  float *outputs[3] = {got[0], got[1], got[2]};
  pthread_barrier_wait(w->start);
  for (size_t call = 0; call < 60 && w->status == CNA_OK; call++) {
    const size_t set = (call * (size_t)(w->id + 1) + (size_t)w->id) % FEATURE_SETS;
    if (call % 3 == 2) {
      w->status = cna_net_forward(w->net, w->input, 1, y);
      w->mismatches += memcmp(y, w->expected_output, 10 * sizeof *y) != 0;
      continue;
    }
    w->status = cna_net_forward_features(w->net, w->input, 1, feature_sets[set], 3, outputs);
    for (size_t k = 0; w->status == CNA_OK && k < 3; k++)
      w->mismatches += memcmp(got[k], w->expected[set * 3 + k],
                              w->sizes[set * 3 + k] * sizeof(float)) != 0;
  }
  return NULL;
}

START_TEST(features_beside_forward_calls) {
  /* Single-threaded references first, from a separate net (so the shared
   * net starts with no cached plans), then THREADS threads mixing feature
   * and forward calls on one net: every result bit for bit the same. */
  cna_net *net, *reference;
  ck_assert_ok(cna_test_every_layer_net(5, &net));
  ck_assert_ok(cna_test_every_layer_net(5, &reference));
  float *x = make_input(cna_test_input_size(net), 3), y[64];
  ck_assert_uint_eq(output_size(net), 10);
  ck_assert_ok(cna_net_forward(reference, x, 1, y));
  float *expected[FEATURE_SETS * 3];
  size_t sizes[FEATURE_SETS * 3];
  for (size_t set = 0; set < FEATURE_SETS; set++) {
    for (size_t k = 0; k < 3; k++) {
      size_t index, shape[3];
      ck_assert_ok(cna_net_find_layer(reference, feature_sets[set][k], &index));
      ck_assert_ok(cna_net_layer_output_shape(reference, index, shape));
      sizes[set * 3 + k] = shape[0] * shape[1] * shape[2];
      ck_assert_uint_le(sizes[set * 3 + k], 4096);
      expected[set * 3 + k] = malloc(sizes[set * 3 + k] * sizeof(float));
    }
    ck_assert_ok(cna_net_forward_features(reference, x, 1, feature_sets[set], 3,
                                          &expected[set * 3]));
  }
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  pthread_t threads[THREADS];
  feature_worker workers[THREADS];
  for (int t = 0; t < THREADS; t++) {
    workers[t] = (feature_worker){t, net, x, y, expected, sizes, &start, 0, CNA_OK};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, feature_work, &workers[t]), 0);
  }
  for (int t = 0; t < THREADS; t++) {
    pthread_join(threads[t], NULL);
    ck_assert_msg(workers[t].status == CNA_OK, "thread %d: %s", t,
                  cna_status_string(workers[t].status));
    ck_assert_uint_eq(workers[t].mismatches, 0);
  }
  pthread_barrier_destroy(&start);
  for (size_t i = 0; i < FEATURE_SETS * 3; i++) free(expected[i]);
  free(x);
  cna_net_destroy(net), cna_net_destroy(reference);
}
END_TEST

/* ------------------------------------------- the pool's idle workers */

static double process_cpu_seconds(void) {
  struct timespec t;
  ck_assert_int_eq(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t), 0);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
  const struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
  nanosleep(&t, NULL);
}

START_TEST(idle_workers_sleep_after_a_pass) {
  /* Workers poll between the layers of a pass, then sleep: a program that
   * holds a 4-thread net and does nothing burns no CPU. Polling workers
   * would spend 3 x 300 ms here; sleeping ones next to nothing. */
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_threads(opts, 4));
  ck_assert_ok(cna_net_create_arch("resnet20", opts, &net));
  cna_options_destroy(opts);
  size_t shape[3];
  ck_assert_ok(cna_net_input_shape(net, shape));
  const size_t batch = 4, in = shape[0] * shape[1] * shape[2] * batch;
  float *x = make_input(in, 7), *y = malloc(output_size(net) * batch * sizeof *y);
  ck_assert_ptr_nonnull(y);
  for (int pass = 0; pass < 3; pass++) ck_assert_ok(cna_net_forward(net, x, batch, y));
  sleep_ms(50); /* past the polling after the pass */
  const double before = process_cpu_seconds();
  sleep_ms(300);
  const double spent = process_cpu_seconds() - before;
  ck_assert_msg(spent < 0.05, "idle for 300 ms, the process used %.0f ms of CPU", spent * 1e3);
  free(x), free(y);
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_concurrency_suite(void) {
  Suite *s = suite_create("concurrency");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, eight_threads_thousands_of_calls);
  tcase_add_test(tc, eight_threads_on_a_loaded_net);
  tcase_add_test(tc, accessors_and_saves_beside_forward_calls);
  tcase_add_test(tc, create_and_destroy_from_many_threads);
  tcase_add_test(tc, concurrent_saves_to_one_path);
  tcase_add_test(tc, features_beside_forward_calls);
  tcase_add_test(tc, idle_workers_sleep_after_a_pass);
  suite_add_tcase(s, tc);
  return s;
}

/* Allocation-failure injection (ncnn's *_oom tests are the model): every
 * scenario below runs once to count its allocations, then once per
 * allocation with exactly that one failing, then once per allocation with
 * it and all later ones failing. Each run must
 *  - return CNA_OK or CNA_ERROR_OUT_OF_MEMORY with an "out of memory"
 *    message (a clean status: nothing else, no crash);
 *  - leak nothing: every block allocated through the wrappers is freed once
 *    everything is destroyed (and LeakSanitizer agrees in the ASan build);
 *  - leave what it worked on usable: the failed call is retried without
 *    injection and must then give the reference result (a builder keeps
 *    its layers, a net its weights, a saved file its old bytes).
 * The allocation sites are the library's own malloc, calloc, realloc and
 * aligned_alloc calls, intercepted with -Wl,--wrap (wrap.c); mmap is
 * wrapped too, to force the loader's read() fallback. zlib's internal
 * allocations are not reached (they happen inside libz). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnarch.h"
#include "fault/wrap.h"
#include "support/every_layer.h"

static int problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...) {
  if (problems++ < 20) {
    va_list args;
    va_start(args, fmt);
    fputs("alloc-failure: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
  }
}

/* Reference results, computed before any injection. */
static float input[2 * 1024];
static float every_ref[2 * 10], lenet_ref[10], resnet_ref[3];
static void *every_blob[2]; /* the every-layer net (seed 7) saved at levels 0 and 6 */
static size_t every_blob_size[2];
static void *old_blob; /* what a saved-over file holds before (seed 8) */
static size_t old_blob_size;
static char dir[64], every_path[2][96], target_path[96];
static cna_net *every_net; /* for the forward scenario */
static cna_net *loaded_net;

/* A failed call's status: OK, or OUT_OF_MEMORY saying so. */
static int clean(const char *what, cna_status s) {
  if (s == CNA_OK) return 1;
  if (s != CNA_ERROR_OUT_OF_MEMORY || strstr(cna_last_error_message(), "out of memory") == NULL)
    problem("%s returned %s (%s) under allocation failure, expected out of memory", what,
            cna_status_string(s), cna_last_error_message());
  return 0;
}

/* Forward on batch images of input, compared with want; a failure is
 * retried without injection, which must succeed: the net stays usable. */
static cna_status forward_check(const char *what, cna_net *net, size_t batch, const float *want,
                                size_t out) {
  float y[2 * 10];
  cna_status s = cna_net_forward(net, input, batch, y);
  if (!clean(what, s)) {
    fault_disarm();
    if (cna_net_forward(net, input, batch, y) != CNA_OK)
      problem("%s: the net is unusable after a failed forward: %s", what,
              cna_last_error_message());
  }
  if (memcmp(y, want, batch * out * sizeof *y) != 0 && (s == CNA_OK || fault_injected()))
    problem("%s: wrong output", what);
  return s;
}

/* ------------------------------------------------------------ scenarios */

static cna_status zoo_net(const char *arch, int size, int classes, const float *want, size_t out) {
  cna_options *opts = NULL;
  cna_net *net = NULL;
  cna_status s = cna_options_create(&opts);
  if (s == CNA_OK && size > 0) s = cna_options_set_input_size(opts, size, size);
  if (s == CNA_OK && classes > 0) s = cna_options_set_num_classes(opts, classes);
  if (s == CNA_OK) s = cna_net_create_arch(arch, opts, &net);
  cna_options_destroy(opts);
  if (!clean(arch, s)) return s;
  s = forward_check(arch, net, 1, want, out);
  cna_net_destroy(net);
  return s;
}

static cna_status scenario_lenet(void) { return zoo_net("lenet5", 0, 0, lenet_ref, 10); }

static cna_status scenario_resnet(void) {
  /* resnet20 reduced to 8x8 images and 3 classes: batch norm, option-A
   * shortcuts (max pool, channel pad), adds. */
  return zoo_net("resnet20", 8, 3, resnet_ref, 3);
}

/* The every-layer net added call by call. A call refused for memory must
 * leave the builder as it was: the layer count unchanged, and the same call
 * succeeding once memory is back. */
static cna_status scenario_builder(void) {
  cna_builder *b = NULL;
  cna_status s = cna_builder_create(&b), first = CNA_OK;
  if (!clean("cna_builder_create", s)) return s;
  for (int step = 0; step < CNA_TEST_EVERY_STEPS; step++) {
    s = cna_test_every_layer_step(b, step);
    if (clean("a builder call", s)) continue;
    if (first == CNA_OK) first = s;
    fault_disarm();
    size_t count = 0;
    if (cna_builder_layer_count(b, &count) != CNA_OK || count != (size_t)step)
      problem("builder step %d: a refused call left %zu layers, expected %d", step, count, step);
    if (cna_test_every_layer_step(b, step) != CNA_OK)
      problem("builder step %d: the call fails again once memory is back: %s", step,
              cna_last_error_message());
  }
  cna_net *net = NULL;
  cna_options *opts = NULL;
  s = cna_options_create(&opts);
  if (s == CNA_OK) s = cna_options_set_seed(opts, 7);
  if (s == CNA_OK) s = cna_builder_build(b, opts, &net);
  if (!clean("cna_builder_build", s)) {
    if (first == CNA_OK) first = s;
    fault_disarm();
    /* The builder is unchanged and builds now. */
    if (opts == NULL && cna_options_create(&opts) != CNA_OK) problem("options");
    if (cna_options_set_seed(opts, 7) != CNA_OK || cna_builder_build(b, opts, &net) != CNA_OK)
      problem("builder: unusable after a failed build: %s", cna_last_error_message());
  }
  cna_options_destroy(opts);
  cna_builder_destroy(b);
  if (net != NULL) {
    s = forward_check("built net", net, 2, every_ref, 10);
    if (first == CNA_OK) first = s;
  }
  cna_net_destroy(net);
  return first;
}

static cna_status save_memory(int level) {
  void *data = NULL;
  size_t size = 0;
  cna_status s = cna_net_save_to_memory(every_net, level, &data, &size);
  if (clean("cna_net_save_to_memory", s) &&
      (size != every_blob_size[level != 0] || memcmp(data, every_blob[level != 0], size) != 0))
    problem("save to memory (level %d): different bytes", level);
  cna_free(data);
  return s;
}
static cna_status scenario_save_memory_raw(void) { return save_memory(0); }
static cna_status scenario_save_memory_deflated(void) { return save_memory(6); }

static cna_status load_memory(int compressed) {
  cna_net *net = NULL;
  cna_status s = cna_net_load_from_memory(every_blob[compressed], every_blob_size[compressed],
                                          NULL, &net);
  if (!clean("cna_net_load_from_memory", s)) return s;
  s = forward_check("loaded net", net, 2, every_ref, 10);
  cna_net_destroy(net);
  return s;
}
static cna_status scenario_load_memory_raw(void) { return load_memory(0); }
static cna_status scenario_load_memory_deflated(void) { return load_memory(1); }

static int file_equals(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return 0;
  unsigned char *buffer = malloc(size + 1);
  size_t got = buffer != NULL ? fread(buffer, 1, size + 1, f) : 0;
  fclose(f);
  int same = got == size && memcmp(buffer, data, size) == 0;
  free(buffer);
  return same;
}

static cna_status save_file(int level) {
  /* target_path holds old_blob before each run; a failed save must leave
   * it, a successful one put the new bytes there. */
  cna_status s = cna_net_save(every_net, target_path, level);
  clean("cna_net_save", s);
  return s;
}
static cna_status scenario_save_file_raw(void) { return save_file(0); }
static cna_status scenario_save_file_deflated(void) { return save_file(6); }

static cna_status load_file(int compressed) {
  cna_net *net = NULL;
  cna_status s = cna_net_load(every_path[compressed], NULL, &net);
  if (!clean("cna_net_load", s)) return s;
  s = forward_check("loaded net", net, 2, every_ref, 10);
  cna_net_destroy(net);
  return s;
}
static cna_status scenario_load_file_mapped(void) { return load_file(0); }
static cna_status scenario_load_file_deflated(void) { return load_file(1); }
static cna_status scenario_load_file_read(void) {
  /* mmap refused: the loader reads the file into memory instead. */
  fault_arm(FAULT_MMAP, 1, FAULT_FAIL_FROM);
  return load_file(0);
}

static cna_status scenario_forward(void) {
  return forward_check("forward", every_net, 2, every_ref, 10);
}
static cna_status scenario_forward_mapped(void) {
  return forward_check("forward on a mapped net", loaded_net, 2, every_ref, 10);
}

typedef struct scenario {
  const char *name;
  cna_status (*run)(void);
  int file_save; /* the target file is reset before, and checked after */
} scenario;

static const scenario scenarios[] = {
    {"cna_net_create_arch lenet5 + forward", scenario_lenet, 0},
    {"cna_net_create_arch resnet20 (8x8, 3 classes) + forward", scenario_resnet, 0},
    {"builder (every layer type) + build + forward", scenario_builder, 0},
    {"cna_net_save_to_memory level 0", scenario_save_memory_raw, 0},
    {"cna_net_save_to_memory level 6", scenario_save_memory_deflated, 0},
    {"cna_net_load_from_memory raw + forward", scenario_load_memory_raw, 0},
    {"cna_net_load_from_memory deflated + forward", scenario_load_memory_deflated, 0},
    {"cna_net_save level 0", scenario_save_file_raw, 1},
    {"cna_net_save level 6", scenario_save_file_deflated, 1},
    {"cna_net_load mapped + forward", scenario_load_file_mapped, 0},
    {"cna_net_load deflated + forward", scenario_load_file_deflated, 0},
    {"cna_net_load without mmap (read) + forward", scenario_load_file_read, 0},
    {"cna_net_forward batch 2", scenario_forward, 0},
    {"cna_net_forward batch 2 on a mapped net", scenario_forward_mapped, 0},
};

/* ----------------------------------------------------------------- main */

static int write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return 0;
  int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

static void setup(void) {
  for (size_t i = 0; i < sizeof input / sizeof input[0]; i++)
    input[i] = (float)((i * 7919) % 113) / 113.0f - 0.5f;
  cna_net *net;
  if (cna_net_create_arch("lenet5", NULL, &net) != CNA_OK ||
      cna_net_forward(net, input, 1, lenet_ref) != CNA_OK)
    problem("setup: lenet5");
  cna_net_destroy(net);
  cna_options *opts;
  if (cna_options_create(&opts) != CNA_OK || cna_options_set_input_size(opts, 8, 8) != CNA_OK ||
      cna_options_set_num_classes(opts, 3) != CNA_OK ||
      cna_net_create_arch("resnet20", opts, &net) != CNA_OK ||
      cna_net_forward(net, input, 1, resnet_ref) != CNA_OK)
    problem("setup: resnet20");
  cna_options_destroy(opts);
  cna_net_destroy(net);
  if (cna_test_every_layer_net(7, &every_net) != CNA_OK ||
      cna_net_forward(every_net, input, 2, every_ref) != CNA_OK ||
      cna_net_save_to_memory(every_net, 0, &every_blob[0], &every_blob_size[0]) != CNA_OK ||
      cna_net_save_to_memory(every_net, 6, &every_blob[1], &every_blob_size[1]) != CNA_OK)
    problem("setup: every-layer net: %s", cna_last_error_message());
  if (cna_test_every_layer_net(8, &net) != CNA_OK ||
      cna_net_save_to_memory(net, 0, &old_blob, &old_blob_size) != CNA_OK)
    problem("setup: second every-layer net");
  cna_net_destroy(net);
  snprintf(dir, sizeof dir, "/tmp/cna_alloc_fail_XXXXXX");
  if (mkdtemp(dir) == NULL) problem("setup: mkdtemp");
  for (int i = 0; i < 2; i++) {
    snprintf(every_path[i], sizeof every_path[i], "%s/every%d.cna", dir, i);
    if (!write_file(every_path[i], every_blob[i], every_blob_size[i])) problem("setup: write");
  }
  snprintf(target_path, sizeof target_path, "%s/target.cna", dir);
  /* A net keeps a call's context (arena and scratch) for its later calls:
   * after one warm-up call, forward on these two allocates nothing, which
   * the two forward scenarios check; the scenarios that create or load a
   * net and then run it cover a context's first allocation. */
  float warm[2 * 10];
  if (cna_net_load(every_path[0], NULL, &loaded_net) != CNA_OK ||
      cna_net_forward(loaded_net, input, 2, warm) != CNA_OK)
    problem("setup: load");
}

static void teardown(void) {
  cna_net_destroy(every_net);
  cna_net_destroy(loaded_net);
  cna_free(old_blob);
  for (int i = 0; i < 2; i++) {
    cna_free(every_blob[i]);
    unlink(every_path[i]);
  }
  unlink(target_path);
  if (rmdir(dir) != 0) problem("teardown: %s is not empty (a temporary file was left)", dir);
}

/* One run with allocation n failing (0: none). Returns the status. */
static cna_status run_once(const scenario *sc, unsigned long n, fault_action action,
                           unsigned long *allocations) {
  if (sc->file_save && !write_file(target_path, old_blob, old_blob_size))
    problem("cannot reset %s", target_path);
  const long live = fault_live_blocks();
  fault_reset();
  if (n > 0) fault_arm(FAULT_ALLOC, n, action);
  cna_status s = sc->run();
  const unsigned long injected = fault_injected();
  if (allocations != NULL) *allocations = fault_calls(FAULT_ALLOC);
  fault_reset();
  if (fault_live_blocks() != live)
    problem("%s, allocation %lu failing: %ld blocks leaked", sc->name, n,
            fault_live_blocks() - live);
  if (n > 0 && injected == 0 && action == FAULT_FAIL_ONCE)
    problem("%s: allocation %lu was never reached (the scenario is not deterministic)",
            sc->name, n);
  if (sc->file_save) {
    const int level6 = strstr(sc->name, "level 6") != NULL;
    const void *want = s == CNA_OK ? every_blob[level6] : old_blob;
    const size_t want_size = s == CNA_OK ? every_blob_size[level6] : old_blob_size;
    if (!file_equals(target_path, want, want_size))
      problem("%s, allocation %lu failing: %s holds the wrong bytes after %s", sc->name, n,
              target_path, s == CNA_OK ? "success" : "failure");
  }
  return s;
}

int main(int argc, char **argv) {
  const int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  setup();
  unsigned long points = 0, runs = 0, failed_cleanly = 0;
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0] && problems == 0; i++) {
    const scenario *sc = &scenarios[i];
    unsigned long count = 0;
    if (run_once(sc, 0, FAULT_FAIL_ONCE, &count) != CNA_OK)
      problem("%s fails without injection: %s", sc->name, cna_last_error_message());
    for (unsigned long n = 1; n <= count; n++)
      for (int a = 0; a < 2; a++) {
        cna_status s = run_once(sc, n, a ? FAULT_FAIL_FROM : FAULT_FAIL_ONCE, NULL);
        runs++;
        failed_cleanly += s != CNA_OK;
      }
    points += count;
    if (verbose) printf("alloc-failure: %-55s %4lu allocation points\n", sc->name, count);
  }
  teardown();
  if (problems > 0) {
    fprintf(stderr, "alloc-failure: %d problems\n", problems);
    return 1;
  }
  printf("alloc-failure: %lu allocation points in %zu scenarios, %lu runs (%lu returned out of "
         "memory, the rest recovered), no leaks, everything usable afterwards\n",
         points, sizeof scenarios / sizeof scenarios[0], runs, failed_cleanly);
  return 0;
}

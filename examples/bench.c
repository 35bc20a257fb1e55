/* bench: one architecture's forward latency, for people and for scripts.
 *
 *   build/examples/bench resnet50 --threads 2 --batch 8 [--runs 20] [--seconds 5]
 *
 * Prints one line: the figures, ending in median_ms=<number>. Runs after
 * one warm-up call until --runs calls or --seconds have passed (at least
 * 3 calls). GFLOP/s counts 2 floating-point operations per
 * multiply-accumulate. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cnnarch.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int usage(void) {
  fprintf(stderr, "usage: bench ARCH|MODEL.cna [--threads N] [--batch B] [--runs R] "
                  "[--seconds S]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  int threads = 1, runs = 30;
  long batch = 1;
  double seconds = 10;
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) return usage();
    if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--batch") == 0) batch = atol(argv[++i]);
    else if (strcmp(argv[i], "--runs") == 0) runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0) seconds = atof(argv[++i]);
    else return usage();
  }
  if (batch < 1 || runs < 1 || runs > 10000) return usage();
  cna_options *opts = NULL;
  cna_net *net = NULL;
  cna_status s = cna_options_create(&opts);
  if (s == CNA_OK) s = cna_options_set_num_threads(opts, threads);
  if (s == CNA_OK) {
    const size_t len = strlen(argv[1]);
    s = len > 4 && strcmp(argv[1] + len - 4, ".cna") == 0
            ? cna_net_load(argv[1], opts, &net)
            : cna_net_create_arch(argv[1], opts, &net);
  }
  cna_options_destroy(opts);
  if (s != CNA_OK) {
    fprintf(stderr, "bench: %s\n", cna_last_error_message());
    return 1;
  }
  size_t shape[3], out_size, workspace = 0;
  uint64_t macs = 0;
  cna_net_input_shape(net, shape);
  cna_net_output_size(net, &out_size);
  cna_net_total_stat(net, CNA_STAT_MACS, &macs);
  cna_net_workspace_size(net, (size_t)batch, &workspace);
  const size_t in_size = shape[0] * shape[1] * shape[2] * (size_t)batch;
  float *input = malloc(in_size * sizeof *input);
  float *output = malloc(out_size * (size_t)batch * sizeof *output);
  double *times = malloc((size_t)runs * sizeof *times);
  if (input == NULL || output == NULL || times == NULL) {
    fprintf(stderr, "bench: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < in_size; i++) input[i] = (float)(i % 255) / 255.0f - 0.5f;
  int n = 0;
  s = cna_net_forward(net, input, (size_t)batch, output); /* warm-up */
  const double start = now();
  while (s == CNA_OK && n < runs && (n < 3 || now() - start < seconds)) {
    const double t0 = now();
    s = cna_net_forward(net, input, (size_t)batch, output);
    times[n++] = (now() - t0) * 1000.0;
  }
  if (s != CNA_OK) {
    fprintf(stderr, "bench: %s\n", cna_last_error_message());
    return 1;
  }
  qsort(times, (size_t)n, sizeof times[0], compare_double);
  const double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  printf("arch=%s isa=%s threads=%d batch=%ld runs=%d min_ms=%.2f gflops=%.1f "
         "workspace_mb=%.1f median_ms=%.3f\n",
         argv[1], cna_isa(), threads, batch, n, times[0],
         2.0 * (double)macs * (double)batch / (median * 1e6), (double)workspace / 1e6, median);
  free(input), free(output), free(times);
  cna_net_destroy(net);
  return 0;
}

/* demo: the lecture notes' comparison of CNN architectures, computed by
 * libcnnarch and measured on this machine.
 *
 *   build/examples/demo              every architecture the notes discuss
 *   build/examples/demo vgg16 nin    just these
 *
 * For each: weight layers on the longest path, parameters, activation
 * memory per image (the notes' count), multiply-accumulates per image, and
 * the batch-1 forward latency (median of several runs; one run for nets
 * that take over a second, after no warm-up).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cnnarch.h>

static const char *const notes_archs[] = {
    "lenet5",    "alexnet_2012",    "alexnet",         "zfnet",           "vgg16",
    "vgg19",     "googlenet",       "resnet18",        "resnet34",        "resnet50",
    "resnet101", "resnet152",       "resnet56",        "resnet1202",      "nin",
    "wrn_28_10", "wide_resnet50_2", "resnext50_32x4d", "preact_resnet18", "squeezenet1_1",
    "densenet121",
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median latency in milliseconds: runs until 2 s are spent (at most 9 runs,
 * at least 1), after one warm-up run for nets faster than 0.5 s. */
static double latency_ms(cna_net *net, const float *input, float *output, int *runs) {
  double times[9];
  int n = 0;
  double start = now();
  if (cna_net_forward(net, input, 1, output) != CNA_OK) return -1;
  double first = now() - start;
  if (first >= 0.5) times[n++] = first;
  double spent = first;
  while (n < 9 && spent < 2.0) {
    start = now();
    if (cna_net_forward(net, input, 1, output) != CNA_OK) return -1;
    times[n] = now() - start;
    spent += times[n++];
  }
  qsort(times, (size_t)n, sizeof times[0], compare_double);
  *runs = n;
  return (n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2) * 1000.0;
}

static uint64_t total(const cna_net *net, cna_stat stat) {
  uint64_t v = 0;
  cna_net_total_stat(net, stat, &v);
  return v;
}

int main(int argc, char **argv) {
  const char *const *archs = notes_archs;
  size_t count = sizeof notes_archs / sizeof notes_archs[0];
  if (argc > 1) {
    archs = (const char *const *)argv + 1;
    count = (size_t)argc - 1;
  }
  printf("libcnnarch %s: the notes' architectures, computed and measured on this machine\n"
         "(batch 1, %s kernels, 1 thread; memory = activations per image, forward only;\n"
         " CNNARCH_ISA=scalar measures the reference path)\n\n",
         cna_version_string(), cna_isa());
  printf("%-16s %-11s %6s %12s %11s %10s %12s %5s\n", "architecture", "input", "depth",
         "params (M)", "memory (MB)", "GMACs", "latency (ms)", "runs");
  int failures = 0;
  for (size_t i = 0; i < count; i++) {
    cna_net *net;
    if (cna_net_create_arch(archs[i], NULL, &net) != CNA_OK) {
      fprintf(stderr, "demo: %s: %s\n", archs[i], cna_last_error_message());
      failures++;
      continue;
    }
    size_t in[3], out;
    cna_net_input_shape(net, in);
    cna_net_output_size(net, &out);
    float *input = malloc(in[0] * in[1] * in[2] * sizeof *input);
    float *output = malloc(out * sizeof *output);
    for (size_t k = 0; k < in[0] * in[1] * in[2]; k++) input[k] = (float)(k % 255) / 255.0f;
    int runs = 0;
    double ms = input && output ? latency_ms(net, input, output, &runs) : -1;
    char shape[32];
    snprintf(shape, sizeof shape, "%zux%zux%zu", in[0], in[1], in[2]);
    printf("%-16s %-11s %6" PRIu64 " %12.2f %11.2f %10.3f %12.1f %5d\n", archs[i], shape,
           total(net, CNA_STAT_DEPTH), (double)total(net, CNA_STAT_PARAMS) / 1e6,
           (double)total(net, CNA_STAT_ACTIVATION_BYTES) / 1e6,
           (double)total(net, CNA_STAT_MACS) / 1e9, ms, runs);
    fflush(stdout);
    if (ms < 0) failures++;
    free(input), free(output);
    cna_net_destroy(net);
  }
  printf("\ndepth: layers with weights on the longest path; build/examples/summary ARCH "
         "shows any of them layer by layer.\n");
  return failures ? 1 : 0;
}

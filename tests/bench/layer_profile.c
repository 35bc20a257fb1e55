/* layer_profile: where a forward pass spends its time, step by step, at 1
 * and at N threads, to show which layers scale and which run serially.
 *
 *   build/tests/layer_profile ARCH [--threads N] [--batch B] [--runs R] [--top K]
 *
 * Times every step of the plan (a layer with what the plan fused into it)
 * through the executor's internal profiling hook, R runs after a warm-up,
 * and prints the median per step: the K slowest steps at 1 thread, then the
 * totals per layer type. "speedup" is the 1-thread median over the
 * N-thread one; the sum of step medians is close to, not equal to, the
 * median of whole passes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cnnarch.h>

#include "graph/graph.h"
#include "graph/plan.h"

enum { MAX_RUNS = 200 };

static double *samples; /* [run][step] */
static size_t num_steps, current_run;

static void record(const cna__plan *plan, size_t step, double seconds) {
  (void)plan;
  if (step < num_steps) samples[current_run * num_steps + step] = seconds;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median milliseconds per step of net->plan over runs passes. Returns NULL
 * on failure (message printed). */
static double *profile(const char *arch, int threads, size_t batch, size_t runs,
                       cna_net **keep, double *pass_ms) {
  cna_options *opts;
  cna_net *net = NULL;
  cna_status s = cna_options_create(&opts);
  if (s == CNA_OK) s = cna_options_set_num_threads(opts, threads);
  if (s == CNA_OK) s = cna_net_create_arch(arch, opts, &net);
  cna_options_destroy(opts);
  if (s != CNA_OK) {
    fprintf(stderr, "layer_profile: %s\n", cna_last_error_message());
    return NULL;
  }
  size_t shape[3], out_size;
  cna_net_input_shape(net, shape);
  cna_net_output_size(net, &out_size);
  const size_t in_size = shape[0] * shape[1] * shape[2] * batch;
  float *input = malloc(in_size * sizeof *input);
  float *output = malloc(out_size * batch * sizeof *output);
  num_steps = net->plan->num_steps;
  samples = calloc(runs * num_steps, sizeof *samples);
  double *medians = malloc(num_steps * sizeof *medians);
  double *column = malloc(runs * sizeof *column);
  if (input == NULL || output == NULL || samples == NULL || medians == NULL ||
      column == NULL) {
    fprintf(stderr, "layer_profile: out of memory\n");
    return NULL;
  }
  for (size_t i = 0; i < in_size; i++) input[i] = (float)(i % 255) / 255.0f - 0.5f;
  s = cna_net_forward(net, input, batch, output); /* warm-up, not profiled */
  double *passes = malloc(runs * sizeof *passes);
  if (passes == NULL) {
    fprintf(stderr, "layer_profile: out of memory\n");
    return NULL;
  }
  cna__step_profile = record;
  for (current_run = 0; s == CNA_OK && current_run < runs; current_run++) {
    const double t0 = now();
    s = cna_net_forward(net, input, batch, output);
    passes[current_run] = now() - t0;
  }
  cna__step_profile = NULL;
  *pass_ms = median(passes, runs) * 1e3;
  free(passes);
  if (s != CNA_OK) {
    fprintf(stderr, "layer_profile: %s\n", cna_last_error_message());
    return NULL;
  }
  for (size_t st = 0; st < num_steps; st++) {
    for (size_t r = 0; r < runs; r++) column[r] = samples[r * num_steps + st];
    medians[st] = median(column, runs) * 1e3;
  }
  free(input), free(output), free(samples), free(column);
  *keep = net;
  return medians;
}

int main(int argc, char **argv) {
  int threads = 2;
  long batch = 1, runs = 30, top = 25;
  if (argc < 2) goto usage;
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) goto usage;
    if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--batch") == 0) batch = atol(argv[++i]);
    else if (strcmp(argv[i], "--runs") == 0) runs = atol(argv[++i]);
    else if (strcmp(argv[i], "--top") == 0) top = atol(argv[++i]);
    else goto usage;
  }
  if (threads < 1 || batch < 1 || runs < 1 || runs > MAX_RUNS || top < 0) goto usage;

  cna_net *net1, *netn;
  double pass1, passn;
  double *t1 = profile(argv[1], 1, (size_t)batch, (size_t)runs, &net1, &pass1);
  if (t1 == NULL) return 1;
  double *tn = profile(argv[1], threads, (size_t)batch, (size_t)runs, &netn, &passn);
  if (tn == NULL) return 1;
  const cna__plan *plan = net1->plan;
  const cna__graph *g = &net1->graph;
  if (netn->plan->num_steps != plan->num_steps) {
    fprintf(stderr, "layer_profile: the plans differ between thread counts\n");
    return 1;
  }

  double sum1 = 0, sumn = 0;
  size_t *order = malloc(plan->num_steps * sizeof *order);
  for (size_t st = 0; st < plan->num_steps; st++) {
    sum1 += t1[st], sumn += tn[st];
    order[st] = st;
  }
  /* Slowest first (selection sort: a few hundred steps). */
  for (size_t a = 0; a < plan->num_steps; a++)
    for (size_t b = a + 1; b < plan->num_steps; b++)
      if (t1[order[b]] > t1[order[a]]) {
        const size_t tmp = order[a];
        order[a] = order[b], order[b] = tmp;
      }
  printf("%s, batch %ld, %zu steps: passes %.2f ms at 1 thread, %.2f ms at %d (speedup %.2fx); "
         "sums of step medians %.2f and %.2f ms\n\n",
         argv[1], batch, plan->num_steps, pass1, passn, threads, pass1 / passn, sum1, sumn);
  printf("%-28s %-18s %-14s %8s %8s %7s %7s %6s\n", "step (layer)", "type", "output",
         "1thr_ms", "Nthr_ms", "speedup", "GFLOP/s", "share");
  for (long k = 0; k < top && (size_t)k < plan->num_steps; k++) {
    const size_t st = order[k];
    const cna__layer *l = &g->layers[plan->steps[st].layer];
    const cna__shape *o = &g->layers[plan->steps[st].out].out;
    char shape[32];
    snprintf(shape, sizeof shape, "%zux%zux%zu", o->c, o->h, o->w);
    const double gflops =
        2.0 * (double)net1->stats[plan->steps[st].layer].macs * (double)batch / (t1[st] * 1e6);
    printf("%-28.28s %-18.18s %-14s %8.3f %8.3f %6.2fx %7.1f %5.1f%%\n", l->name,
           cna_layer_type_name(l->type), shape, t1[st], tn[st], t1[st] / tn[st], gflops,
           100.0 * t1[st] / sum1);
  }

  printf("\n%-18s %6s %9s %9s %7s %6s\n", "type", "steps", "1thr_ms", "Nthr_ms", "speedup",
         "share");
  for (int type = 0; type < 64; type++) {
    const char *name = cna_layer_type_name((cna_layer_type)type);
    if (strcmp(name, "unknown") == 0) continue;
    double a = 0, b = 0;
    size_t n = 0;
    for (size_t st = 0; st < plan->num_steps; st++)
      if ((int)g->layers[plan->steps[st].layer].type == type)
        a += t1[st], b += tn[st], n++;
    if (n > 0)
      printf("%-18s %6zu %9.3f %9.3f %6.2fx %5.1f%%\n", name, n, a, b, a / b, 100.0 * a / sum1);
  }
  free(order), free(t1), free(tn);
  cna_net_destroy(net1);
  cna_net_destroy(netn);
  return 0;
usage:
  fprintf(stderr, "usage: layer_profile ARCH [--threads N] [--batch B] [--runs R] [--top K]\n");
  return 2;
}

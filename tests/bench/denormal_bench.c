/* denormal_bench: whether denormal numbers slow a forward pass, and whether
 * forward leaves the caller's floating-point mode alone.
 *
 *   build/tests/denormal_bench [RUNS [ARCH...]]   (default: 9 resnet18 resnet20 lenet5)
 *
 * For each zoo net (its seeded He initialization, one thread), the median
 * of RUNS forward passes on three inputs:
 *   normal            an image of values in [-1, 1]
 *   denormal input    the same image times 2^-130 (about 7e-40: every
 *                     nonzero value a denormal); He initialization keeps
 *                     activation magnitudes from layer to layer, and ResNet
 *                     convolutions have no bias, so without flush-to-zero
 *                     every product of the whole net would be denormal
 *   denormal weights  the normal image, with the first convolution's
 *                     weights times 2^-130 (cna_net_set_tensor): its outputs,
 *                     and so the activations after it, are denormal
 * and prints each denormal case's slowdown over the normal one, and whether
 * it is within 10% (issue 6's bound). Scaling by 1e-20 instead (every
 * weight) would not do: products of 1e-20 by 1e-20 underflow to 0 after
 * two layers, and zeros cost nothing.
 *
 * The library runs forward with denormals flushed to zero and read as zero
 * (FTZ and DAZ) and gives the caller its own mode back (docs/security.md).
 * So the bench also checks, and exits non-zero if not: the caller's MXCSR
 * control bits (rounding, FTZ, DAZ, exception masks) are the same after
 * every forward call, for a caller running with FTZ/DAZ off and for one
 * with them on and rounding upwards; and the denormal input gives exactly
 * the output of an all-zero input (DAZ: read as zero).
 *
 * For scale, it first times this CPU's own penalty: a dot product whose
 * products are denormal, with FTZ/DAZ off, against the same with normal
 * values. Medians, never a pass/fail on time: the machine is shared.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cnnarch.h>

#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))
#include <immintrin.h>
#define HAVE_MXCSR 1
/* Control bits: exception masks (7-12), rounding (13-14), FTZ (15), DAZ (6);
 * bits 0-5 are sticky exception flags that arithmetic may set. */
static unsigned fp_controls(void) { return _mm_getcsr() & ~0x3Fu; }
static void set_fp(unsigned csr) { _mm_setcsr(csr); }
#define MXCSR_DEFAULT 0x1F80u
#define MXCSR_FTZ_DAZ_UP (0x1F80u | 0x8000u | 0x0040u | 0x4000u) /* FTZ, DAZ, round up */
#else
#define HAVE_MXCSR 0
static unsigned fp_controls(void) { return 0; }
static void set_fp(unsigned csr) { (void)csr; }
#define MXCSR_DEFAULT 0u
#define MXCSR_FTZ_DAZ_UP 0u
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, by_value);
  return t[n / 2];
}

static void die(const char *what) {
  fprintf(stderr, "denormal_bench: %s: %s\n", what, cna_last_error_message());
  exit(1);
}

static int mode_changes; /* forward calls after which the caller's mode differed */

/* One forward call with the caller's mode set to csr; checks it after. */
static double timed_forward(cna_net *net, const float *x, float *y, unsigned csr) {
  set_fp(csr);
  const unsigned before = fp_controls();
  const double start = now();
  if (cna_net_forward(net, x, 1, y) != CNA_OK) die("forward");
  const double elapsed = now() - start;
  const unsigned after = fp_controls();
  set_fp(MXCSR_DEFAULT);
  if (after != before) {
    fprintf(stderr, "denormal_bench: forward changed the caller's MXCSR from %#x to %#x\n",
            before, after);
    mode_changes++;
  }
  return elapsed;
}

/* The median milliseconds of runs forward calls of each case, after one
 * warm-up call each. The cases take turns call by call, so that all see
 * the same load on the shared machine; the caller's mode alternates
 * between FTZ/DAZ off and on. */
enum { CASES = 3 };
static void median_ms(cna_net *const net[CASES], const float *const x[CASES], float *y, int runs,
                      double ms[CASES]) {
  double *t = malloc((size_t)runs * CASES * sizeof *t);
  if (t == NULL) exit(1);
  for (int c = 0; c < CASES; c++) timed_forward(net[c], x[c], y, MXCSR_DEFAULT);
  for (int r = 0; r < runs; r++)
    for (int c = 0; c < CASES; c++)
      t[c * runs + r] =
          1000.0 * timed_forward(net[c], x[c], y, r % 2 ? MXCSR_FTZ_DAZ_UP : MXCSR_DEFAULT);
  for (int c = 0; c < CASES; c++) ms[c] = median(t + c * runs, runs);
  free(t);
}

/* The CPU's own penalty, for scale: sum of a[i] * b[i] where the products
 * are normal, against denormal, with FTZ and DAZ off. */
static volatile float sink;
static double dot_ms(const float *a, const float *b, size_t n) {
  double t[7];
  for (int r = 0; r < 7; r++) {
    const double start = now();
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc += a[i] * b[i];
    sink = acc;
    t[r] = 1000.0 * (now() - start);
  }
  return median(t, 7);
}

static double cpu_penalty(void) {
  enum { N = 1 << 20 };
  float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *tiny = malloc(N * sizeof *tiny);
  if (a == NULL || b == NULL || tiny == NULL) exit(1);
  for (size_t i = 0; i < N; i++) {
    a[i] = 1.0f + (float)(i % 7) * 0.125f;
    b[i] = 0.5f + (float)(i % 5) * 0.25f;
    tiny[i] = a[i] * 0x1p-130f; /* denormal; its products with b are too */
  }
  set_fp(MXCSR_DEFAULT);
  const double normal = dot_ms(a, b, N), denormal = dot_ms(tiny, b, N);
  free(a), free(b), free(tiny);
  return denormal / normal;
}

/* The first tensor named "*.weight" whose layer is a convolution. */
static size_t first_conv_weight(const cna_net *net) {
  size_t layers = 0, tensors = 0;
  cna_net_layer_count(net, &layers);
  cna_net_tensor_count(net, &tensors);
  for (size_t l = 0; l < layers; l++) {
    cna_layer_type type;
    const char *name;
    cna_net_layer_type(net, l, &type);
    if (type != CNA_LAYER_CONV2D) continue;
    cna_net_layer_name(net, l, &name);
    char want[4200];
    snprintf(want, sizeof want, "%s.weight", name);
    size_t index;
    if (cna_net_find_tensor(net, want, &index) == CNA_OK) return index;
  }
  fprintf(stderr, "denormal_bench: the net has no convolution\n");
  exit(1);
}

static int within(double ratio) { return ratio <= 1.10; }

int main(int argc, char **argv) {
  static const char *const defaults[] = {"resnet18", "resnet20", "lenet5"};
  const int runs = argc > 1 ? atoi(argv[1]) : 9;
  const char *const *archs = argc > 2 ? (const char *const *)argv + 2 : defaults;
  const int count = argc > 2 ? argc - 2 : 3;
  if (runs < 1) {
    fprintf(stderr, "usage: denormal_bench [RUNS [ARCH...]]\n");
    return 2;
  }
  printf("this CPU without FTZ/DAZ: a dot product of denormal products takes %.1fx the "
         "time of a normal one\n",
         cpu_penalty());
  printf("forward passes, 1 thread, median of %d (ISA %s):\n", runs, cna_isa());
  printf("%-10s %12s %14s %7s %16s %7s %s\n", "arch", "normal (ms)", "denormal in", "ratio",
         "denormal weights", "ratio", "within 10%");
  int all_within = 1, daz_ok = 1;
  for (int a = 0; a < count; a++) {
    /* Two copies of the net: the second gets the denormal weights. */
    cna_options *opts;
    cna_net *net, *tiny_net;
    if (cna_options_create(&opts) != CNA_OK || cna_options_set_num_threads(opts, 1) != CNA_OK)
      die("options");
    if (cna_net_create_arch(archs[a], opts, &net) != CNA_OK ||
        cna_net_create_arch(archs[a], opts, &tiny_net) != CNA_OK)
      die(archs[a]);
    cna_options_destroy(opts);
    size_t shape[3], out;
    cna_net_input_shape(net, shape);
    cna_net_output_size(net, &out);
    const size_t in = shape[0] * shape[1] * shape[2];
    float *x = malloc(in * sizeof *x), *tiny = malloc(in * sizeof *tiny),
          *zero = calloc(in, sizeof *zero), *y = malloc(out * sizeof *y),
          *y_tiny = malloc(out * sizeof *y), *y_zero = malloc(out * sizeof *y);
    if (x == NULL || tiny == NULL || zero == NULL || y == NULL || y_tiny == NULL ||
        y_zero == NULL)
      return 1;
    for (size_t i = 0; i < in; i++) {
      x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
      tiny[i] = x[i] * 0x1p-130f;
    }

    const size_t w = first_conv_weight(tiny_net);
    size_t dims[4], ndim, n = 1;
    cna_net_tensor_shape(tiny_net, w, &ndim, dims);
    for (size_t d = 0; d < ndim; d++) n *= dims[d];
    float *weights = malloc(n * sizeof *weights);
    if (weights == NULL || cna_net_get_tensor(tiny_net, w, weights, n) != CNA_OK)
      die("get_tensor");
    for (size_t i = 0; i < n; i++) weights[i] *= 0x1p-130f;
    if (cna_net_set_tensor(tiny_net, w, weights, n) != CNA_OK) die("set_tensor");
    free(weights);

    cna_net *const nets[CASES] = {net, net, tiny_net};
    const float *const inputs[CASES] = {x, tiny, x};
    double ms[CASES];
    median_ms(nets, inputs, y, runs, ms);

    timed_forward(net, tiny, y_tiny, MXCSR_DEFAULT);
    timed_forward(net, zero, y_zero, MXCSR_DEFAULT);
    if (memcmp(y_tiny, y_zero, out * sizeof *y) != 0) {
      fprintf(stderr, "denormal_bench: %s: the denormal input did not give the zero input's "
                      "output (denormals must read as zero)\n", archs[a]);
      daz_ok = 0;
    }

    const double r_in = ms[1] / ms[0], r_w = ms[2] / ms[0];
    const int ok = within(r_in) && within(r_w);
    all_within &= ok;
    printf("%-10s %12.3f %14.3f %7.3f %16.3f %7.3f %s\n", archs[a], ms[0], ms[1], r_in, ms[2],
           r_w, ok ? "yes" : "NO");
    fflush(stdout);
    free(x), free(tiny), free(zero), free(y), free(y_tiny), free(y_zero);
    cna_net_destroy(net);
    cna_net_destroy(tiny_net);
  }
  printf("denormals: %s; the caller's MXCSR control bits %s after every forward call%s\n",
         all_within ? "every slowdown within 10%" : "a slowdown over 10% (see NO above)",
         mode_changes == 0 ? "unchanged" : "CHANGED",
         HAVE_MXCSR ? " (FTZ/DAZ off, and FTZ/DAZ on with rounding up)" : " (not x86: not checked)");
  if (mode_changes != 0 || !daz_ok) return 1;
  return 0;
}

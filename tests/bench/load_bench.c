/* load_bench: how long a .cna model takes to load, and how big it is.
 *
 *   build/tests/load_bench [ARCH...]     (default: resnet50 vgg16)
 *
 * For each architecture: saves it uncompressed and deflated (level 6) into a
 * temporary directory, then loads each file 15 times (after one warm-up
 * load, so the file is in the page cache: the figure is the library's cost,
 * not the disk's) and prints the median, with and without the weights'
 * checksum (cna_options_set_verify_weights). Medians, because the machine
 * is shared.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cnnarch.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_load_ms(const char *path, int verify) {
  enum { RUNS = 15 };
  double t[RUNS];
  cna_options *opts;
  cna_options_create(&opts);
  cna_options_set_verify_weights(opts, verify);
  for (int r = -1; r < RUNS; r++) {
    cna_net *net;
    double start = now();
    if (cna_net_load(path, opts, &net) != CNA_OK) {
      fprintf(stderr, "load_bench: %s\n", cna_last_error_message());
      exit(1);
    }
    double elapsed = now() - start;
    cna_net_destroy(net);
    if (r >= 0) t[r] = elapsed * 1000.0;
  }
  cna_options_destroy(opts);
  qsort(t, RUNS, sizeof t[0], by_value);
  return t[RUNS / 2];
}

int main(int argc, char **argv) {
  static const char *const defaults[] = {"resnet50", "vgg16"};
  const char *const *archs = argc > 1 ? (const char *const *)argv + 1 : defaults;
  const int count = argc > 1 ? argc - 1 : 2;
  char dir[] = "/tmp/cnnarch-bench-XXXXXX";
  if (mkdtemp(dir) == NULL) return 1;
  printf("%-10s %-12s %14s %14s %16s\n", "arch", "file", "bytes", "load (ms)",
         "load, unverified");
  for (int a = 0; a < count; a++) {
    cna_net *net;
    if (cna_net_create_arch(archs[a], NULL, &net) != CNA_OK) {
      fprintf(stderr, "load_bench: %s\n", cna_last_error_message());
      return 1;
    }
    for (int level = 0; level <= 6; level += 6) {
      char path[128];
      snprintf(path, sizeof path, "%s/%s-%d.cna", dir, archs[a], level);
      if (cna_net_save(net, path, level) != CNA_OK) {
        fprintf(stderr, "load_bench: %s\n", cna_last_error_message());
        return 1;
      }
      struct stat info;
      stat(path, &info);
      printf("%-10s %-12s %14lld %14.2f %16.2f\n", archs[a],
             level ? "deflated(6)" : "uncompressed", (long long)info.st_size,
             median_load_ms(path, 1), median_load_ms(path, 0));
      fflush(stdout);
      unlink(path);
    }
    cna_net_destroy(net);
  }
  rmdir(dir);
  return 0;
}

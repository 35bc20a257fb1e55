/* Kernel dispatch: the CPU's features are detected once, and a table of
 * kernel pointers is filled once from them (or from CNNARCH_ISA, which
 * forces a path for tests and bug reports). No feature test runs in a hot
 * loop: layers read the table. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cnnarch.h"
#include "kernels/dispatch.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* AVX2 and FMA in the CPU, and YMM state saved by the OS (XGETBV). */
static int cpu_has_avx2_fma(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  if (!fma || !osxsave || !avx) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6) != 6) return 0; /* XMM and YMM state enabled */
  if (__get_cpuid_max(0, NULL) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  return (b >> 5) & 1; /* AVX2 */
}
#else
static int cpu_has_avx2_fma(void) { return 0; }
#endif

static cna__kernels table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void choose(void) {
  table = (cna__kernels){.isa = "scalar", .gemm = cna_f32_gemm__scalar, .conv_by_gemm = 0};
  const char *forced = getenv("CNNARCH_ISA");
  const int want_scalar = forced != NULL && strcmp(forced, "scalar") == 0;
#if defined(__x86_64__) || defined(__i386__)
  if (!want_scalar && cpu_has_avx2_fma())
    table = (cna__kernels){.isa = "avx2", .gemm = cna_f32_gemm__avx2, .conv_by_gemm = 1};
#endif
  /* A forced path this CPU cannot run (or does not know) falls back to the
   * best one it can: cna_isa() tells which ran. */
}

const cna__kernels *cna__kernels_get(void) {
  pthread_once(&once, choose);
  return &table;
}

const char *cna_isa(void) { return cna__kernels_get()->isa; }

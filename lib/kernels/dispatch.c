/* Kernel dispatch: the CPU's features are detected once, and a table of
 * kernel pointers is filled once from them (or from CNNARCH_ISA, which
 * forces a path for tests and bug reports). No feature test runs in a hot
 * loop: layers read the table. */
#define _GNU_SOURCE /* sysconf(_SC_LEVEL1_DCACHE_SIZE) */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#endif

/* The data cache sizes (sysconf reads them from CPUID on glibc), with
 * common values where the system does not say. */
static size_t cache_size(int level) {
  long bytes = -1;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
  bytes = sysconf(level == 1 ? _SC_LEVEL1_DCACHE_SIZE : _SC_LEVEL2_CACHE_SIZE);
#endif
  if (bytes <= 0) return level == 1 ? 32768 : 524288;
  return (size_t)bytes;
}

/* Goto's rules: a kc x nr panel of B fills half of L1 (the other half for
 * A's panel and C), an mc x kc block of A half of L2, and a kc x nc block
 * of B the other half. */
static cna_gemm_blocking blocking_for(size_t mr, size_t nr) {
  const size_t l1 = cache_size(1), l2 = cache_size(2);
  size_t kc = l1 / 2 / (nr * sizeof(float)) / 8 * 8;
  if (kc < 64) kc = 64;
  if (kc > 512) kc = 512;
  size_t mc = l2 / 2 / (kc * sizeof(float)) / mr * mr;
  if (mc < mr) mc = mr;
  size_t nc = l2 / 2 / (kc * sizeof(float)) / nr * nr;
  if (nc < 4 * nr) nc = 4 * nr;
  return (cna_gemm_blocking){kc, mc, nc};
}

static cna__kernels table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The SIMD paths this build knows, best first. NEON (Advanced SIMD) is part
 * of the AArch64 base architecture: no run-time test is needed. */
typedef struct simd_path {
  const char *isa;
  int (*available)(void);
  cna__gemm_fn gemm;       /* the unpacked GEMM (tests, benchmarks) */
  cna_gemm_ukernel ukernel;
} simd_path;

#if defined(__aarch64__)
static int cpu_has_neon(void) { return 1; }
#endif

static const simd_path paths[] = {
#if defined(__x86_64__) || defined(__i386__)
    {"avx2", cpu_has_avx2_fma, cna_f32_gemm__avx2, {6, 16, cna_f32_gemm_ukernel_6x16__avx2}},
#endif
#if defined(__aarch64__)
    /* No unpacked NEON GEMM: layers use the packed one, and the scalar
     * reference serves the rest. */
    {"neon", cpu_has_neon, cna_f32_gemm__scalar, {8, 12, cna_f32_gemm_ukernel_8x12__neon}},
#endif
    {NULL, NULL, NULL, {0, 0, NULL}},
};

static void use(const simd_path *p) {
  table = (cna__kernels){.isa = p->isa,
                         .gemm = p->gemm,
                         .gemm_ukernel = p->ukernel,
                         .gemm_blocking = blocking_for(p->ukernel.mr, p->ukernel.nr)};
}

/* CNNARCH_ISA=scalar forces the reference path; CNNARCH_ISA=avx2 or neon
 * asks for that path. A path this build or this CPU cannot run (or a name
 * it does not know) falls back to the best one it can: cna_isa() tells
 * which ran. */
static void choose(void) {
  table = (cna__kernels){.isa = "scalar", .gemm = cna_f32_gemm__scalar};
  const char *forced = getenv("CNNARCH_ISA");
  if (forced != NULL && strcmp(forced, "scalar") == 0) return;
  for (const simd_path *p = paths; forced != NULL && p->isa != NULL; p++)
    if (strcmp(forced, p->isa) == 0 && p->available()) {
      use(p);
      return;
    }
  for (const simd_path *p = paths; p->isa != NULL; p++)
    if (p->available()) {
      use(p);
      return;
    }
}

const cna__kernels *cna__kernels_get(void) {
  pthread_once(&once, choose);
  return &table;
}

const char *cna_isa(void) { return cna__kernels_get()->isa; }

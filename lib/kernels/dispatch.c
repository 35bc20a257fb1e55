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

/* AVX-512F in the CPU, and opmask and ZMM state saved by the OS. */
static int cpu_has_avx512f(void) {
  unsigned a, b, c, d;
  if (!cpu_has_avx2_fma()) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xE6) != 0xE6) return 0; /* XMM, YMM, opmask, ZMM 0-15 high, ZMM 16-31 */
  __cpuid_count(7, 0, a, b, c, d);
  return (b >> 16) & 1; /* AVX512F */
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

/* Tuned by measurement (tests/bench/gemm_bench, tests/bench/layer_profile):
 * kc steps of k make a kc x nr panel of B two thirds of L1, and a kc x nc
 * block of B (read again by every row panel of A) a quarter of L2: the
 * convolution's input and output stream through L2 beside it (half of L2
 * measured 5-15% slower on ResNet-50's 64-channel 56x56 layers). */
static cna_gemm_blocking blocking_for(size_t nr) {
  const size_t l1 = cache_size(1), l2 = cache_size(2);
  size_t kc = l1 * 2 / 3 / (nr * sizeof(float)) / 8 * 8;
  if (kc < 64) kc = 64;
  if (kc > 512) kc = 512;
  size_t nc = l2 / 4 / (kc * sizeof(float)) / nr * nr;
  if (nc < 4 * nr) nc = 4 * nr;
  return (cna_gemm_blocking){kc, nc};
}

#if defined(__x86_64__) || defined(__i386__)
/* The AVX2 GEMM micro-kernel with its right-edge kernel (tiles of 1 to 4
 * columns, 4 row panels per call). */
static const cna_gemm_ukernel avx2_6x16 = {.mr = 6,
                                           .nr = 16,
                                           .fn = cna_f32_gemm_ukernel_6x16__avx2,
                                           .edge = cna_f32_gemm_edge_6x16__avx2,
                                           .edge_cols = 4,
                                           .edge_panels = 4};
#endif

static cna__kernels table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* CNNARCH_ISA caps the path: "scalar" < "avx2" < "avx512" on x86, "scalar"
 * < "neon" on AArch64. Unset, unknown or another architecture's name: no
 * cap. */
static int isa_cap(void) {
  const char *forced = getenv("CNNARCH_ISA");
  if (forced == NULL) return 3;
  if (strcmp(forced, "scalar") == 0) return 0;
#if defined(__x86_64__) || defined(__i386__)
  if (strcmp(forced, "avx2") == 0) return 1;
#elif defined(__aarch64__)
  if (strcmp(forced, "neon") == 0) return 1;
#endif
  return 3;
}

static void choose(void) {
  table = (cna__kernels){.isa = "scalar", .gemm = cna_f32_gemm__scalar};
  const int cap = isa_cap();
  (void)cap;
#if defined(__x86_64__) || defined(__i386__)
  if (cap >= 1 && cpu_has_avx2_fma())
    table = (cna__kernels){.isa = "avx2",
                           .gemm = cna_f32_gemm__avx2,
                           .gemm_ukernel = avx2_6x16,
                           .gemm_blocking = blocking_for(16),
                           .winograd_ukernel = {.mr = 6, .nr = 16,
                                                .fn = cna_f32_gemm_ukernel_6x16__avx2},
                           .winograd_input = cna_f32_winograd43_input__avx2,
                           .winograd_output = cna_f32_winograd43_output__avx2,
                           .winograd63_input = cna_f32_winograd63_input__avx2,
                           .winograd63_output = cna_f32_winograd63_output__avx2,
                           .conv2d_group = cna_f32_conv2d_group_kernel__avx2,
                           .conv2d_group_pixels = cna_f32_conv2d_group_16x6__avx2,
                           .max_pool2d = cna_f32_max_pool2d__avx2,
                           .avg_pool2d_2x2s2 = cna_f32_avg_pool2d_2x2s2__avx2,
                           .global_avg_pool = cna_f32_global_avg_pool__avx2,
                           .fully_connected_rows = cna_f32_fully_connected_rows__avx2};
#if defined(__x86_64__)
  /* AVX-512 CPUs: the 12x32 GEMM micro-kernel, for convolutions and for
   * Winograd's products alike (on 16-lane panels a kernel needs a load per
   * FMA and runs at half the FMA rate: VGG-16's 28x28 layers ran 1.6x
   * slower than with AVX2); the AVX2 kernels for the rest (pooling and
   * fully connected layers are memory-bound). */
  if (cap >= 2 && cpu_has_avx512f()) {
    table.isa = "avx512";
    table.gemm_ukernel =
        (cna_gemm_ukernel){.mr = 12, .nr = 32, .fn = cna_f32_gemm_ukernel_12x32__avx512};
    table.gemm_blocking = blocking_for(32);
    table.winograd_ukernel = table.gemm_ukernel;
    table.winograd_input = cna_f32_winograd43_input__avx512;
    table.winograd_output = cna_f32_winograd43_output__avx512;
    /* F(6x6, 3x3) keeps the AVX2 transforms (two 16-tile groups fill a
     * 32-lane panel), chosen by the same rule (conv2d.c): 0.91x the time
     * of F(4x4, 3x3) on VGG-16 at batch 1 and 8, 0.98x on ResNet-18 and
     * GoogLeNet, level on ResNet-50 and DenseNet-121 (Xeon, 1 thread). */
    table.conv2d_group = cna_f32_conv2d_group_kernel__avx512;
  }
#endif
#elif defined(__aarch64__)
  /* NEON (Advanced SIMD) is part of the AArch64 base architecture: no
   * run-time test. There is no unpacked NEON GEMM: layers use the packed
   * one, and the scalar reference serves the rest. Winograd's 16-lane
   * panels get a 4x16 kernel; its transforms are the portable ones. */
  if (cap >= 1)
    table = (cna__kernels){.isa = "neon",
                           .gemm = cna_f32_gemm__scalar,
                           .gemm_ukernel = {.mr = 8, .nr = 12,
                                            .fn = cna_f32_gemm_ukernel_8x12__neon},
                           .gemm_blocking = blocking_for(12),
                           .winograd_ukernel = {.mr = 4, .nr = 16,
                                                .fn = cna_f32_gemm_ukernel_4x16__neon}};
#endif
  /* A forced path this CPU cannot run (or does not know) falls back to the
   * best one it can: cna_isa() tells which ran. */
  if (table.winograd_input == NULL) table.winograd_input = cna_f32_winograd43_input;
  if (table.winograd_output == NULL) table.winograd_output = cna_f32_winograd43_output;
  table.l2_bytes = cache_size(2);
}

size_t cna__gemm_ukernels_available(cna_gemm_ukernel *out, size_t capacity) {
  cna_gemm_ukernel all[4];
  size_t count = 0;
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx2_fma()) {
    /* With its edge function, and without (narrow tiles through the
     * tile kernel, as Winograd's products run). */
    all[count++] = avx2_6x16;
    all[count] = avx2_6x16;
    all[count++].edge = NULL;
  }
#if defined(__x86_64__)
  if (cpu_has_avx512f())
    all[count++] =
        (cna_gemm_ukernel){.mr = 12, .nr = 32, .fn = cna_f32_gemm_ukernel_12x32__avx512};
#endif
#elif defined(__aarch64__)
  all[count++] = (cna_gemm_ukernel){.mr = 8, .nr = 12, .fn = cna_f32_gemm_ukernel_8x12__neon};
  all[count++] = (cna_gemm_ukernel){.mr = 4, .nr = 16, .fn = cna_f32_gemm_ukernel_4x16__neon};
#endif
  for (size_t i = 0; i < count && i < capacity; i++) out[i] = all[i];
  return count;
}

const cna__kernels *cna__kernels_get(void) {
  pthread_once(&once, choose);
  return &table;
}

const char *cna_isa(void) { return cna__kernels_get()->isa; }

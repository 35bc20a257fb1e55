/* dispatch.h - the table of kernels chosen for this CPU (dispatch.c). */
#ifndef CNA_DISPATCH_H
#define CNA_DISPATCH_H

#include "kernels/kernels.h"

typedef void (*cna__gemm_fn)(size_t m, size_t n, size_t k, const float *restrict a,
                             size_t lda, const float *restrict b, size_t ldb,
                             const float *restrict bias, float *restrict c, size_t ldc);

typedef struct cna__kernels {
  const char *isa;   /* "scalar", "avx2", "neon" */
  cna__gemm_fn gemm;
  /* The packed GEMM's micro-kernel (fn NULL on the scalar path, where
   * layers run their reference kernels) and block sizes for this CPU's
   * caches. */
  cna_gemm_ukernel gemm_ukernel;
  cna_gemm_blocking gemm_blocking;
} cna__kernels;

/* Filled on first use, the same for the whole process. Any thread. */
const cna__kernels *cna__kernels_get(void);

#endif /* CNA_DISPATCH_H */

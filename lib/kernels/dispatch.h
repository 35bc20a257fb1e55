/* dispatch.h - the table of kernels chosen for this CPU (dispatch.c). */
#ifndef CNA_DISPATCH_H
#define CNA_DISPATCH_H

#include "kernels/kernels.h"

typedef void (*cna__gemm_fn)(size_t m, size_t n, size_t k, const float *restrict a,
                             size_t lda, const float *restrict b, size_t ldb,
                             const float *restrict bias, float *restrict c, size_t ldc);

typedef struct cna__kernels {
  const char *isa;   /* "scalar", "avx2" */
  cna__gemm_fn gemm;
  int conv_by_gemm;  /* convolutions through GEMM (else the direct reference) */
} cna__kernels;

/* Filled on first use, the same for the whole process. Any thread. */
const cna__kernels *cna__kernels_get(void);

#endif /* CNA_DISPATCH_H */

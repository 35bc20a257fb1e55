/* The blocking loops of the packed GEMM (Goto's algorithm, as in BLIS):
 * for each block of nc columns and kc steps of k, B is packed once into
 * the workspace (it stays in L2); then for each block of mc rows of the
 * pre-packed A (kept in L2), every nr-column panel of B (in L1) meets every
 * mr-row panel of A in the micro-kernel. Portable: only the micro-kernel
 * is ISA-specific. */
#include "kernels/kernels.h"

size_t cna_f32_gemm_workspace_size(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl) {
  return bl->kc * ((bl->nc + uk->nr - 1) / uk->nr * uk->nr);
}

void cna_f32_gemm_blocked(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl,
                          size_t m0, size_t m1, size_t n0, size_t n1, size_t k,
                          const float *packed_a, const cna_gemm_b_source *b,
                          const cna_gemm_epilogue *ep, float *c, size_t ldc,
                          float *workspace) {
  const size_t mr = uk->mr, nr = uk->nr;
  const int b_is_matrix = cna_f32_gemm_b_is_matrix(b);
  for (size_t jc = n0; jc < n1; jc += bl->nc) {
    const size_t nc = n1 - jc < bl->nc ? n1 - jc : bl->nc;
    for (size_t pc = 0; pc < k; pc += bl->kc) {
      const size_t kc = k - pc < bl->kc ? k - pc : bl->kc;
      const int first = pc == 0, last = pc + kc == k;
      /* A block of rows takes mc x kc floats of L2; a short k (1x1
       * convolutions of 64 channels) leaves room for more rows, and one
       * block of rows is one pass over B. */
      const size_t mc_max = kc < bl->kc ? bl->mc * bl->kc / kc / mr * mr : bl->mc;
      /* One block of rows and B a plain matrix (a cheap copy): each panel
       * of B is packed just before its only use, and read back from L1.
       * Otherwise the whole block is packed once (gathering a convolution's
       * input costs more per call) and meets every block of rows. */
      const int one_block = m1 - m0 <= mc_max && b_is_matrix;
      if (!one_block) cna_f32_gemm_pack_b(b, pc, kc, jc, nc, nr, workspace);
      for (size_t ic = m0; ic < m1; ic += mc_max) {
        const size_t mc = m1 - ic < mc_max ? m1 - ic : mc_max;
        for (size_t jr = 0; jr < nc; jr += nr) {
          if (one_block)
            cna_f32_gemm_pack_b(b, pc, kc, jc + jr, nc - jr < nr ? nc - jr : nr, nr, workspace);
          cna_gemm_tile t = {
              .kc = kc,
              .b = one_block ? workspace : workspace + jr * kc,
              .cols = nc - jr < nr ? nc - jr : nr,
              .accumulate = !first,
              .relu = last && ep->relu,
              .ld_residual = ep->ld_residual,
              .ldc = ldc,
          };
          for (size_t ir = 0; ir < mc; ir += mr) {
            const size_t i = ic + ir;
            t.a = packed_a + i * k + pc * mr;
            t.c = c + i * ldc + jc + jr;
            t.rows = mc - ir < mr ? mc - ir : mr;
            t.bias = first && ep->bias != NULL ? ep->bias + i : NULL;
            t.residual = last && ep->residual != NULL
                             ? ep->residual + i * ep->ld_residual + jc + jr
                             : NULL;
            uk->fn(&t);
          }
        }
      }
    }
  }
}

/* The blocking loops of the packed GEMM. For each block of columns, and
 * each block of kc steps of k, B is packed once into the workspace (a
 * quarter of L2); then each mr-row panel of the pre-packed A (held in L1) sweeps
 * the block's nr-column panels of B (from L2) through the micro-kernel.
 *
 * Rows outside, columns inside, the other way round from Goto's order
 * (BLIS): a micro-kernel call writes mr rows of C, and the next call the
 * same rows' next columns, so C (and a residual) are read and written in
 * mr long runs the hardware prefetcher follows. Down the columns of one
 * panel, each call touched mr new rows, short runs from memory: ResNet's
 * 56x56 pointwise layers, whose 3 MB outputs miss L2, ran 1.5x slower in
 * the net than on warm buffers (tests/bench/layer_profile).
 *
 * A is packed block by block of kc (cna_f32_gemm_pack_a), so the row
 * panels of one block lie one after the other: weights too big for L2
 * (ResNet-50's layer4, 4 to 9 MB a layer) come from memory as one stream
 * the prefetchers follow, where panels of whole rows of k made a jump of
 * mr * k floats before every panel (layer4's 1x1 layers 0.85x the time,
 * resnet50 0.94x). Portable: only the micro-kernel is ISA-specific. */
#include "kernels/kernels.h"

/* Columns of B one packed block holds at kc steps of k: the machine's
 * block of bl->kc x bl->nc floats, whatever kc is (a short k, 1x1
 * convolutions of 64 channels, packs wider blocks), in whole panels. */
static size_t block_columns(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl, size_t kc) {
  const size_t nc = bl->kc * bl->nc / kc / uk->nr * uk->nr;
  return nc < uk->nr ? uk->nr : nc;
}

size_t cna_f32_gemm_workspace_size(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl,
                                   size_t k, size_t n) {
  const size_t kc = cna_f32_gemm_kc(bl, k);
  const size_t nc = block_columns(uk, bl, kc > 0 ? kc : 1);
  const size_t panels = (n + uk->nr - 1) / uk->nr;
  return kc * (panels * uk->nr < nc ? panels * uk->nr : nc);
}

void cna_f32_gemm_blocked(const cna_gemm_ukernel *uk, const cna_gemm_blocking *bl, size_t m,
                          size_t m0, size_t m1, size_t n0, size_t n1, size_t k,
                          const float *packed_a, const cna_gemm_b_source *b,
                          const cna_gemm_epilogue *ep, float *c, size_t ldc,
                          float *workspace) {
  const size_t mr = uk->mr, nr = uk->nr;
  if (k == 0) return;
  const size_t kc_full = cna_f32_gemm_kc(bl, k);
  const size_t nc = block_columns(uk, bl, kc_full);
  for (size_t jc = n0; jc < n1; jc += nc) {
    const size_t cols = n1 - jc < nc ? n1 - jc : nc;
    for (size_t pc = 0; pc < k; pc += kc_full) {
      const size_t kc = k - pc < kc_full ? k - pc : kc_full;
      const int first = pc == 0, last = pc + kc == k;
      cna_f32_gemm_pack_b(b, pc, kc, jc, cols, nr, workspace);
      /* A narrow last tile goes to the kernel's edge function, a few row
       * panels at a time, right after their tiles (their A still in L1). */
      const size_t tail = cols % nr;
      const int edge = uk->edge != NULL && tail != 0 && tail <= uk->edge_cols;
      const size_t tiled = edge ? cols - tail : cols;
      size_t edge_from = m0;
      for (size_t i = m0; i < m1; i += mr) {
        cna_gemm_tile t = {
            .kc = kc,
            .a = cna_f32_gemm_packed_a_panel(packed_a, m, k, mr, kc_full, i, pc),
            .ldc = ldc,
            .rows = m1 - i < mr ? m1 - i : mr,
            .bias = first && ep->bias != NULL ? ep->bias + i : NULL,
            .accumulate = !first,
            .ld_residual = ep->ld_residual,
            .relu = last && ep->relu,
        };
        for (size_t jr = 0; jr < tiled; jr += nr) {
          t.b = workspace + jr * kc;
          t.c = c + i * ldc + jc + jr;
          t.cols = tiled - jr < nr ? tiled - jr : nr;
          t.residual = last && ep->residual != NULL
                           ? ep->residual + i * ep->ld_residual + jc + jr
                           : NULL;
          uk->fn(&t);
        }
        const size_t panels = (i + mr - edge_from) / mr;
        if (!edge || (panels < uk->edge_panels && i + mr < m1)) continue;
        const cna_gemm_edge e = {
            .kc = kc,
            .a = cna_f32_gemm_packed_a_panel(packed_a, m, k, mr, kc_full, edge_from, pc),
            .a_stride = mr * kc,
            .panels = panels,
            .rows = (i + mr < m1 ? i + mr : m1) - edge_from,
            .b = workspace + tiled * kc,
            .ldb = nr,
            .cols = tail,
            .c = c + edge_from * ldc + jc + tiled,
            .ldc = ldc,
            .bias = first && ep->bias != NULL ? ep->bias + edge_from : NULL,
            .accumulate = !first,
            .residual = last && ep->residual != NULL
                            ? ep->residual + edge_from * ep->ld_residual + jc + tiled
                            : NULL,
            .ld_residual = ep->ld_residual,
            .relu = last && ep->relu,
        };
        uk->edge(&e);
        edge_from = i + mr;
      }
    }
  }
}

/*
 * classify.h - what cna_net_classify and the ensembles share (api/classify.c):
 * outputs to probabilities, the argument checks, top-k.
 */
#ifndef CNA_API_CLASSIFY_H
#define CNA_API_CLASSIFY_H

#include <stddef.h>

#include "cnnarch.h"

/* x[0..n) replaced by its softmax, computed in double. */
void cna__softmax(float *x, size_t n);

/* Whether the net's outputs are already probabilities (it ends in a softmax
 * over a C x 1 x 1 vector), used as they are instead of a second softmax. */
int cna__net_gives_probabilities(const cna_net *net);

/* k in 1..outputs, and labels (may be NULL) one per output; fn names the
 * public function in messages. */
cna_status cna__classify_check(const char *fn, size_t outputs, const cna_labels *labels,
                               size_t k);

/* The k most probable classes of each of batch rows of outputs
 * probabilities, written as cna_net_classify documents. */
cna_status cna__classify_rank(const float *probs, size_t batch, size_t outputs,
                              const cna_labels *labels, size_t k, size_t *indices,
                              float *probabilities, const char **names);

#endif /* CNA_API_CLASSIFY_H */

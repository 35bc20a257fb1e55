/* Batch norms that change something, for tests of code that folds or fuses
 * them: a new net starts every batch norm at the identity, where a fold
 * that dropped the mean or the shift would still pass. */
#ifndef CNA_TEST_BATCH_NORMS_H
#define CNA_TEST_BATCH_NORMS_H

#include "cnnarch.h"

/* Sets the statistics and affine parameters of net's batch norms far from
 * the identity, the same for every net (by tensor index): every
 * running_mean and running_var, and the one-dimensional weight and bias
 * of layers whose names start with prefix. Variances stay in [0.1, 0.9].
 * Fails the calling Check test on any error. */
void cna_test_set_batch_norms(cna_net *net, const char *prefix);

#endif

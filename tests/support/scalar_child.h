/* Whole nets on the scalar reference path, in a child process: the kernel
 * table is chosen once per process (CNNARCH_ISA=scalar caps it), so a test
 * that wants both paths runs the scalar one in a child, forked before the
 * test process itself uses the library. */
#ifndef CNA_TEST_SCALAR_CHILD_H
#define CNA_TEST_SCALAR_CHILD_H

#include <stddef.h>

/* The input every whole-net comparison uses: size floats in [-1, 1),
 * malloc'ed. */
float *cna_test_net_input(size_t size);

/* Creates zoo architecture arch (default options) in a child process with
 * CNNARCH_ISA=scalar, runs it on one image of cna_test_net_input, and
 * returns its output (names NULL), or the features of the count layers
 * names (cna_net_forward_features) one after the other: *size floats,
 * malloc'ed. NULL if anything failed. */
float *cna_test_scalar_run(const char *arch, const char *const *names, size_t count,
                           size_t *size);

#endif

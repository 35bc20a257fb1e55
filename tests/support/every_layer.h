/* A small network with every layer type, built through the public builder:
 * shared by the concurrency and numerics suites, the fault-injection
 * programs and the fuzz seed generator. */
#ifndef CNA_TEST_EVERY_LAYER_H
#define CNA_TEST_EVERY_LAYER_H

#include "cnnarch.h"

/* Input shape of the net. */
enum { CNA_TEST_EVERY_C = 3, CNA_TEST_EVERY_H = 12, CNA_TEST_EVERY_W = 12 };

/* The layers, one builder call (and one layer) per step, 0 to
 * CNA_TEST_EVERY_STEPS - 1, in order. */
enum { CNA_TEST_EVERY_STEPS = 20 };
cna_status cna_test_every_layer_step(cna_builder *b, int step);

/* Adds the layers to an empty builder: all 17 layer types, two branches
 * joined by concat, a residual add, and a softmax output of 10 classes.
 * Returns the first failing call's status (the builder then holds the
 * layers added so far and is still the caller's to destroy). */
cna_status cna_test_every_layer(cna_builder *b);

/* cna_builder_create + cna_test_every_layer + cna_builder_build with seed;
 * nothing is left allocated on failure. */
cna_status cna_test_every_layer_net(uint64_t seed, cna_net **out);

#endif

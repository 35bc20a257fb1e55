/* The options object behind the opaque cna_options handle. */
#ifndef CNA_OPTIONS_H
#define CNA_OPTIONS_H

#include "cnnarch.h"

struct cna_options {
  int num_threads;
  int num_classes;          /* 0: the architecture's default */
  int input_height, input_width; /* 0: the architecture's default */
  uint64_t seed;
  int aux_logits;
  int verify_weights; /* check the weights' CRC-32 on load */
};

/* The defaults, for a NULL options pointer. */
void cna__options_defaults(cna_options *opts);

#endif /* CNA_OPTIONS_H */

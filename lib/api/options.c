/* cna_options: an opaque settings object with validating setters. */
#include <stdlib.h>

#include "api/options.h"
#include "common/common.h"

void cna__options_defaults(cna_options *opts) {
  *opts = (cna_options){.num_threads = 1, .verify_weights = 1};
}

cna_status cna_options_create(cna_options **out) {
  if (out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_options_create: out is NULL");
  cna_options *opts = malloc(sizeof *opts);
  if (opts == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "cna_options_create: out of memory");
  cna__options_defaults(opts);
  *out = opts;
  return CNA_OK;
}

void cna_options_destroy(cna_options *opts) { free(opts); }

#define CNA__CHECK_OPTS(fn)                                                         \
  if (opts == NULL)                                                                \
  return cna__error(CNA_ERROR_INVALID_ARGUMENT, fn ": opts is NULL")

cna_status cna_options_set_num_threads(cna_options *opts, int num_threads) {
  CNA__CHECK_OPTS("cna_options_set_num_threads");
  if (num_threads < 1 || num_threads > CNA_MAX_THREADS)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_options_set_num_threads: expected 1 to %d threads, found %d",
                      CNA_MAX_THREADS, num_threads);
  opts->num_threads = num_threads;
  return CNA_OK;
}

cna_status cna_options_set_num_classes(cna_options *opts, int num_classes) {
  CNA__CHECK_OPTS("cna_options_set_num_classes");
  if (num_classes < 0 || num_classes > CNA_MAX_CLASSES)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_options_set_num_classes: expected 1 to %d classes (or 0 for "
                      "the architecture's default), found %d",
                      CNA_MAX_CLASSES, num_classes);
  opts->num_classes = num_classes;
  return CNA_OK;
}

cna_status cna_options_set_input_size(cna_options *opts, int height, int width) {
  CNA__CHECK_OPTS("cna_options_set_input_size");
  const int both_default = height == 0 && width == 0;
  if (!both_default && (height < 1 || height > CNA_MAX_INPUT_SIZE || width < 1 ||
                        width > CNA_MAX_INPUT_SIZE))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_options_set_input_size: expected height and width from 1 to "
                      "%d (or both 0 for the architecture's default), found %dx%d",
                      CNA_MAX_INPUT_SIZE, height, width);
  opts->input_height = height;
  opts->input_width = width;
  return CNA_OK;
}

cna_status cna_options_set_seed(cna_options *opts, uint64_t seed) {
  CNA__CHECK_OPTS("cna_options_set_seed");
  opts->seed = seed;
  return CNA_OK;
}

cna_status cna_options_set_aux_logits(cna_options *opts, int enable) {
  CNA__CHECK_OPTS("cna_options_set_aux_logits");
  opts->aux_logits = enable != 0;
  return CNA_OK;
}

cna_status cna_options_set_verify_weights(cna_options *opts, int verify) {
  CNA__CHECK_OPTS("cna_options_set_verify_weights");
  opts->verify_weights = verify != 0;
  return CNA_OK;
}

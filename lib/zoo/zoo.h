/*
 * zoo.h - the architecture zoo. Every architecture is a function that adds
 * layers to a builder (after its input layer) through the public builder
 * API, exactly as a user would; none has a private way into the executor.
 */
#ifndef CNA_ZOO_H
#define CNA_ZOO_H

#include "cnnarch.h"

typedef struct cna__zoo_config {
  int num_classes;
  int height, width;
  int aux_logits;
  int variant; /* the entry's own parameter: depth, configuration index, ... */
} cna__zoo_config;

typedef cna_status (*cna__zoo_build_fn)(cna_builder *b, const cna__zoo_config *config);

typedef struct cna__zoo_entry {
  const char *name;
  const char *description;
  cna__zoo_build_fn build;
  int variant;
  int classes; /* default number of classes */
  int channels, height, width; /* default input */
} cna__zoo_entry;

size_t cna__zoo_count(void);
const cna__zoo_entry *cna__zoo_at(size_t index);
const cna__zoo_entry *cna__zoo_find(const char *name);

/* Propagates a failed builder call. */
#define CNA__TRY(expr)                   \
  do {                                   \
    cna_status cna__s_ = (expr);         \
    if (cna__s_ != CNA_OK) return cna__s_; \
  } while (0)

/* snprintf into a name buffer; names in the zoo are short. */
#define CNA__NAME_MAX 96
const char *cna__zoo_name(char buf[CNA__NAME_MAX], const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The families, one file each. */
cna_status cna__zoo_lenet5(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_alexnet(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_alexnet_2012(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_zfnet(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_vgg(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_googlenet(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_inception_module(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_resnet(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_resnet_cifar(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_preact_resnet(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_wrn_cifar(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_nin(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_squeezenet(cna_builder *b, const cna__zoo_config *c);
cna_status cna__zoo_densenet(cna_builder *b, const cna__zoo_config *c);

#endif /* CNA_ZOO_H */

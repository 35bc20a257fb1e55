/* SqueezeNet 1.0 and 1.1 (Iandola et al. 2016) in torchvision's layout:
 * Fire modules (a 1x1 "squeeze" convolution feeding parallel 1x1 and 3x3
 * "expand" convolutions, concatenated), pooling that rounds up, and a 1x1
 * convolution with global pooling as the classifier. */
#include "zoo/zoo.h"

static cna_status fire(cna_builder *b, int index, int squeeze, int expand1x1,
                       int expand3x3) {
  char p[CNA__NAME_MAX], name[CNA__NAME_MAX], squeezed[CNA__NAME_MAX];
  char e1[CNA__NAME_MAX], e3[CNA__NAME_MAX];
  cna__zoo_name(p, "features.%d", index);
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.squeeze", p), NULL, squeeze, 1, 1,
                              0, 1));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(squeezed, "%s.squeeze_activation", p), NULL));
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.expand1x1", p), squeezed,
                              expand1x1, 1, 1, 0, 1));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(e1, "%s.expand1x1_activation", p), NULL));
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.expand3x3", p), squeezed,
                              expand3x3, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(e3, "%s.expand3x3_activation", p), NULL));
  const char *branches[2] = {e1, e3};
  return cna_builder_concat(b, p, branches, 2);
}

static cna_status pool(cna_builder *b, int index) {
  char name[CNA__NAME_MAX];
  return cna_builder_max_pool2d(b, cna__zoo_name(name, "features.%d", index), NULL, 3, 2, 0,
                                1);
}

cna_status cna__zoo_squeezenet(cna_builder *b, const cna__zoo_config *c) {
  if (c->variant == 10) {
    CNA__TRY(cna_builder_conv2d(b, "features.0", NULL, 96, 7, 2, 0, 1));
    CNA__TRY(cna_builder_relu(b, "features.1", NULL));
    CNA__TRY(pool(b, 2));
    CNA__TRY(fire(b, 3, 16, 64, 64));
    CNA__TRY(fire(b, 4, 16, 64, 64));
    CNA__TRY(fire(b, 5, 32, 128, 128));
    CNA__TRY(pool(b, 6));
    CNA__TRY(fire(b, 7, 32, 128, 128));
    CNA__TRY(fire(b, 8, 48, 192, 192));
    CNA__TRY(fire(b, 9, 48, 192, 192));
    CNA__TRY(fire(b, 10, 64, 256, 256));
    CNA__TRY(pool(b, 11));
    CNA__TRY(fire(b, 12, 64, 256, 256));
  } else {
    CNA__TRY(cna_builder_conv2d(b, "features.0", NULL, 64, 3, 2, 0, 1));
    CNA__TRY(cna_builder_relu(b, "features.1", NULL));
    CNA__TRY(pool(b, 2));
    CNA__TRY(fire(b, 3, 16, 64, 64));
    CNA__TRY(fire(b, 4, 16, 64, 64));
    CNA__TRY(pool(b, 5));
    CNA__TRY(fire(b, 6, 32, 128, 128));
    CNA__TRY(fire(b, 7, 32, 128, 128));
    CNA__TRY(pool(b, 8));
    CNA__TRY(fire(b, 9, 48, 192, 192));
    CNA__TRY(fire(b, 10, 48, 192, 192));
    CNA__TRY(fire(b, 11, 64, 256, 256));
    CNA__TRY(fire(b, 12, 64, 256, 256));
  }
  CNA__TRY(cna_builder_dropout(b, "classifier.0", NULL, 0.5f));
  CNA__TRY(cna_builder_conv2d(b, "classifier.1", NULL, c->num_classes, 1, 1, 0, 1));
  CNA__TRY(cna_builder_relu(b, "classifier.2", NULL));
  CNA__TRY(cna_builder_adaptive_avg_pool2d(b, "classifier.3", NULL, 1, 1));
  return cna_builder_flatten(b, "flatten", NULL);
}

/* VGG-11/13/16/19 (configurations A, B, D, E of Simonyan and Zisserman),
 * with and without batch normalization, in torchvision's layout: features.N
 * numbered as torchvision's nn.Sequential, adaptive 7x7 pooling, and the
 * classifier 25088-4096-4096-classes. */
#include "zoo/zoo.h"

#define M 0 /* a 2x2 max pool at stride 2 */

static const int cfg_a[] = {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
static const int cfg_b[] = {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
static const int cfg_d[] = {64, 64, M, 128, 128, M, 256, 256, 256, M,
                            512, 512, 512, M, 512, 512, 512, M};
static const int cfg_e[] = {64, 64, M, 128, 128, M, 256, 256, 256, 256, M,
                            512, 512, 512, 512, M, 512, 512, 512, 512, M};

cna_status cna__zoo_vgg(cna_builder *b, const cna__zoo_config *c) {
  const int depth = c->variant / 10, batch_norm = c->variant % 10;
  const int *cfg;
  size_t n;
  switch (depth) {
    case 11: cfg = cfg_a; n = sizeof cfg_a / sizeof *cfg_a; break;
    case 13: cfg = cfg_b; n = sizeof cfg_b / sizeof *cfg_b; break;
    case 16: cfg = cfg_d; n = sizeof cfg_d / sizeof *cfg_d; break;
    default: cfg = cfg_e; n = sizeof cfg_e / sizeof *cfg_e; break;
  }
  char name[CNA__NAME_MAX];
  int index = 0;
  for (size_t i = 0; i < n; i++) {
    if (cfg[i] == M) {
      CNA__TRY(cna_builder_max_pool2d(b, cna__zoo_name(name, "features.%d", index++), NULL,
                                      2, 2, 0, 0));
      continue;
    }
    CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "features.%d", index++), NULL,
                                cfg[i], 3, 1, 1, 1));
    if (batch_norm)
      CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(name, "features.%d", index++), NULL,
                                      1e-5f));
    CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "features.%d", index++), NULL));
  }
  CNA__TRY(cna_builder_adaptive_avg_pool2d(b, "avgpool", NULL, 7, 7));
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  CNA__TRY(cna_builder_fully_connected(b, "classifier.0", NULL, 4096, 1));
  CNA__TRY(cna_builder_relu(b, "classifier.1", NULL));
  CNA__TRY(cna_builder_dropout(b, "classifier.2", NULL, 0.5f));
  CNA__TRY(cna_builder_fully_connected(b, "classifier.3", NULL, 4096, 1));
  CNA__TRY(cna_builder_relu(b, "classifier.4", NULL));
  CNA__TRY(cna_builder_dropout(b, "classifier.5", NULL, 0.5f));
  return cna_builder_fully_connected(b, "classifier.6", NULL, c->num_classes, 1);
}

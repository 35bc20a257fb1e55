/* LeNet-5 (LeCun et al. 1998) on 1x32x32, as the notes review it:
 * [CONV-POOL-CONV-POOL-FC-FC], 5x5 convolutions at stride 1, 2x2 pooling at
 * stride 2, tanh. The C3 partial connection table of the paper is a full
 * connection here, as in every modern re-implementation; layer names follow
 * the PyTorch module used by the peer benchmarks (features.*, classifier.*). */
#include "zoo/zoo.h"

cna_status cna__zoo_lenet5(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(cna_builder_conv2d(b, "features.0", NULL, 6, 5, 1, 0, 1));
  CNA__TRY(cna_builder_tanh(b, "features.1", NULL));
  CNA__TRY(cna_builder_avg_pool2d(b, "features.2", NULL, 2, 2, 0, 0, 1));
  CNA__TRY(cna_builder_conv2d(b, "features.3", NULL, 16, 5, 1, 0, 1));
  CNA__TRY(cna_builder_tanh(b, "features.4", NULL));
  CNA__TRY(cna_builder_avg_pool2d(b, "features.5", NULL, 2, 2, 0, 0, 1));
  CNA__TRY(cna_builder_flatten(b, "classifier.0", NULL));
  CNA__TRY(cna_builder_fully_connected(b, "classifier.1", NULL, 120, 1));
  CNA__TRY(cna_builder_tanh(b, "classifier.2", NULL));
  CNA__TRY(cna_builder_fully_connected(b, "classifier.3", NULL, 84, 1));
  CNA__TRY(cna_builder_tanh(b, "classifier.4", NULL));
  return cna_builder_fully_connected(b, "classifier.5", NULL, c->num_classes, 1);
}

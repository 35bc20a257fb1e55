/* AlexNet and its close relative ZFNet.
 *
 * alexnet: torchvision's single-GPU variant (64-192-384-256-256 filters,
 *   adaptive 6x6 pooling, no LRN), layer for layer.
 * alexnet_2012: the lecture notes' version of the 2012 paper: 227x227 input,
 *   96-256-384-384-256 filters, CONV-POOL-NORM for the first two stages.
 *   LRN uses the paper's constants (n=5, k=2, alpha=1e-4, beta=0.75); our
 *   LRN divides alpha by n as PyTorch does, so it is given 5e-4.
 * alexnet_2012_grouped: the same with the paper's two-GPU split: CONV2,
 *   CONV4 and CONV5 only see the feature maps on their own GPU (groups=2).
 * zfnet: Zeiler and Fergus 2013 (Figure 3 of the paper): CONV1 7x7 stride 2,
 *   CONV2 5x5 stride 2, Caffe-style pooling that rounds up, so the volumes
 *   are the paper's 110, 55, 26, 13, 13, 13, 6.
 */
#include "zoo/zoo.h"

cna_status cna__zoo_alexnet(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(cna_builder_conv2d(b, "features.0", NULL, 64, 11, 4, 2, 1));
  CNA__TRY(cna_builder_relu(b, "features.1", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "features.2", NULL, 3, 2, 0, 0));
  CNA__TRY(cna_builder_conv2d(b, "features.3", NULL, 192, 5, 1, 2, 1));
  CNA__TRY(cna_builder_relu(b, "features.4", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "features.5", NULL, 3, 2, 0, 0));
  CNA__TRY(cna_builder_conv2d(b, "features.6", NULL, 384, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "features.7", NULL));
  CNA__TRY(cna_builder_conv2d(b, "features.8", NULL, 256, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "features.9", NULL));
  CNA__TRY(cna_builder_conv2d(b, "features.10", NULL, 256, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "features.11", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "features.12", NULL, 3, 2, 0, 0));
  CNA__TRY(cna_builder_adaptive_avg_pool2d(b, "avgpool", NULL, 6, 6));
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  CNA__TRY(cna_builder_dropout(b, "classifier.0", NULL, 0.5f));
  CNA__TRY(cna_builder_fully_connected(b, "classifier.1", NULL, 4096, 1));
  CNA__TRY(cna_builder_relu(b, "classifier.2", NULL));
  CNA__TRY(cna_builder_dropout(b, "classifier.3", NULL, 0.5f));
  CNA__TRY(cna_builder_fully_connected(b, "classifier.4", NULL, 4096, 1));
  CNA__TRY(cna_builder_relu(b, "classifier.5", NULL));
  return cna_builder_fully_connected(b, "classifier.6", NULL, c->num_classes, 1);
}

/* FC6 - FC7 - FC8 of the 2012 paper and of ZFNet. */
static cna_status classifier_2012(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  CNA__TRY(cna_builder_fully_connected(b, "fc6", NULL, 4096, 1));
  CNA__TRY(cna_builder_relu(b, "relu6", NULL));
  CNA__TRY(cna_builder_dropout(b, "drop6", NULL, 0.5f));
  CNA__TRY(cna_builder_fully_connected(b, "fc7", NULL, 4096, 1));
  CNA__TRY(cna_builder_relu(b, "relu7", NULL));
  CNA__TRY(cna_builder_dropout(b, "drop7", NULL, 0.5f));
  return cna_builder_fully_connected(b, "fc8", NULL, c->num_classes, 1);
}

#define LRN_2012(b, name) cna_builder_lrn(b, name, NULL, 5, 5e-4f, 0.75f, 2.0f)

cna_status cna__zoo_alexnet_2012(cna_builder *b, const cna__zoo_config *c) {
  const int split = c->variant == 1 ? 2 : 1; /* the two GPUs of the paper */
  CNA__TRY(cna_builder_conv2d(b, "conv1", NULL, 96, 11, 4, 0, 1));
  CNA__TRY(cna_builder_relu(b, "relu1", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "pool1", NULL, 3, 2, 0, 0));
  CNA__TRY(LRN_2012(b, "norm1"));
  CNA__TRY(cna_builder_conv2d_ex(b, "conv2", NULL, 256, 5, 5, 1, 1, 2, 2, 1, 1, split, 1));
  CNA__TRY(cna_builder_relu(b, "relu2", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "pool2", NULL, 3, 2, 0, 0));
  CNA__TRY(LRN_2012(b, "norm2"));
  CNA__TRY(cna_builder_conv2d(b, "conv3", NULL, 384, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "relu3", NULL));
  CNA__TRY(cna_builder_conv2d_ex(b, "conv4", NULL, 384, 3, 3, 1, 1, 1, 1, 1, 1, split, 1));
  CNA__TRY(cna_builder_relu(b, "relu4", NULL));
  CNA__TRY(cna_builder_conv2d_ex(b, "conv5", NULL, 256, 3, 3, 1, 1, 1, 1, 1, 1, split, 1));
  CNA__TRY(cna_builder_relu(b, "relu5", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "pool5", NULL, 3, 2, 0, 0));
  return classifier_2012(b, c);
}

cna_status cna__zoo_zfnet(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(cna_builder_conv2d(b, "conv1", NULL, 96, 7, 2, 1, 1));
  CNA__TRY(cna_builder_relu(b, "relu1", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "pool1", NULL, 3, 2, 0, 1));
  CNA__TRY(LRN_2012(b, "norm1"));
  CNA__TRY(cna_builder_conv2d(b, "conv2", NULL, 256, 5, 2, 0, 1));
  CNA__TRY(cna_builder_relu(b, "relu2", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "pool2", NULL, 3, 2, 0, 1));
  CNA__TRY(LRN_2012(b, "norm2"));
  CNA__TRY(cna_builder_conv2d(b, "conv3", NULL, 384, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "relu3", NULL));
  CNA__TRY(cna_builder_conv2d(b, "conv4", NULL, 384, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "relu4", NULL));
  CNA__TRY(cna_builder_conv2d(b, "conv5", NULL, 256, 3, 1, 1, 1));
  CNA__TRY(cna_builder_relu(b, "relu5", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "pool5", NULL, 3, 2, 0, 1));
  return classifier_2012(b, c);
}

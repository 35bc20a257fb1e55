/* Network in Network (Lin et al. 2013), its CIFAR-10 model: three mlpconv
 * blocks (a spatial convolution followed by two 1x1 convolutions, the
 * "micro network"), the last one producing one map per class, and global
 * average pooling instead of fully connected layers. Layer names and pooling
 * (rounding up, as Caffe does) follow the authors' Caffe model. */
#include "zoo/zoo.h"

static cna_status conv_relu(cna_builder *b, const char *name, int out, int kernel, int pad) {
  char relu[CNA__NAME_MAX];
  CNA__TRY(cna_builder_conv2d(b, name, NULL, out, kernel, 1, pad, 1));
  return cna_builder_relu(b, cna__zoo_name(relu, "relu_%s", name), NULL);
}

cna_status cna__zoo_nin(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(conv_relu(b, "conv1", 192, 5, 2));
  CNA__TRY(conv_relu(b, "cccp1", 160, 1, 0));
  CNA__TRY(conv_relu(b, "cccp2", 96, 1, 0));
  CNA__TRY(cna_builder_max_pool2d(b, "pool1", NULL, 3, 2, 0, 1));
  CNA__TRY(cna_builder_dropout(b, "drop1", NULL, 0.5f));
  CNA__TRY(conv_relu(b, "conv2", 192, 5, 2));
  CNA__TRY(conv_relu(b, "cccp3", 192, 1, 0));
  CNA__TRY(conv_relu(b, "cccp4", 192, 1, 0));
  CNA__TRY(cna_builder_avg_pool2d(b, "pool2", NULL, 3, 2, 0, 1, 1));
  CNA__TRY(cna_builder_dropout(b, "drop2", NULL, 0.5f));
  CNA__TRY(conv_relu(b, "conv3", 192, 3, 1));
  CNA__TRY(conv_relu(b, "cccp5", 192, 1, 0));
  CNA__TRY(conv_relu(b, "cccp6", c->num_classes, 1, 0));
  CNA__TRY(cna_builder_global_avg_pool(b, "pool3", NULL));
  return cna_builder_flatten(b, "flatten", NULL);
}

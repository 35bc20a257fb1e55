/* DenseNet-121/169/201 (Huang et al. 2017) in torchvision's layout: growth
 * rate 32, bottleneck width 4 x 32, transitions halving the channels. Each
 * dense layer reads the concatenation of its block's input and every earlier
 * layer's new features; the block's output concatenates them all. */
#include "zoo/zoo.h"

enum { GROWTH = 32, BN_SIZE = 4, MAX_BLOCK_LAYERS = 64 };

static cna_status bn_relu_conv(cna_builder *b, const char *prefix, const char *input,
                               const char *norm, const char *relu, const char *conv, int out,
                               int kernel) {
  char name[CNA__NAME_MAX];
  CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(name, "%s.%s", prefix, norm), input, 1e-5f));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.%s", prefix, relu), NULL));
  return cna_builder_conv2d(b, cna__zoo_name(name, "%s.%s", prefix, conv), NULL, out, kernel,
                            1, kernel / 2, 0);
}

static cna_status dense_block(cna_builder *b, int block, int num_layers, const char *input,
                              char output[CNA__NAME_MAX]) {
  char features[MAX_BLOCK_LAYERS + 1][CNA__NAME_MAX];
  const char *parts[MAX_BLOCK_LAYERS + 1];
  char prefix[CNA__NAME_MAX], layer_input[CNA__NAME_MAX];
  if (num_layers > MAX_BLOCK_LAYERS) return CNA_ERROR_INTERNAL;
  cna__zoo_name(features[0], "%s", input);
  parts[0] = features[0];
  for (int j = 1; j <= num_layers; j++) {
    cna__zoo_name(prefix, "features.denseblock%d.denselayer%d", block, j);
    if (j == 1) {
      cna__zoo_name(layer_input, "%s", input);
    } else {
      CNA__TRY(cna_builder_concat(b, cna__zoo_name(layer_input, "%s.cat", prefix), parts,
                                  (size_t)j));
    }
    CNA__TRY(bn_relu_conv(b, prefix, layer_input, "norm1", "relu1", "conv1", BN_SIZE * GROWTH,
                          1));
    CNA__TRY(bn_relu_conv(b, prefix, NULL, "norm2", "relu2", "conv2", GROWTH, 3));
    cna__zoo_name(features[j], "%s.conv2", prefix);
    parts[j] = features[j];
  }
  return cna_builder_concat(b, cna__zoo_name(output, "features.denseblock%d", block), parts,
                            (size_t)num_layers + 1);
}

cna_status cna__zoo_densenet(cna_builder *b, const cna__zoo_config *c) {
  int blocks[4] = {6, 12, 24, 16};
  if (c->variant == 169) blocks[2] = 32, blocks[3] = 32;
  if (c->variant == 201) blocks[2] = 48, blocks[3] = 32;
  CNA__TRY(cna_builder_conv2d(b, "features.conv0", NULL, 64, 7, 2, 3, 0));
  CNA__TRY(cna_builder_batch_norm(b, "features.norm0", NULL, 1e-5f));
  CNA__TRY(cna_builder_relu(b, "features.relu0", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "features.pool0", NULL, 3, 2, 1, 0));
  char input[CNA__NAME_MAX] = "features.pool0", prefix[CNA__NAME_MAX];
  int channels = 64;
  for (int i = 0; i < 4; i++) {
    CNA__TRY(dense_block(b, i + 1, blocks[i], input, input));
    channels += blocks[i] * GROWTH;
    if (i == 3) break;
    cna__zoo_name(prefix, "features.transition%d", i + 1);
    channels /= 2;
    CNA__TRY(bn_relu_conv(b, prefix, input, "norm", "relu", "conv", channels, 1));
    CNA__TRY(cna_builder_avg_pool2d(b, cna__zoo_name(input, "%s.pool", prefix), NULL, 2, 2, 0,
                                    0, 1));
  }
  CNA__TRY(cna_builder_batch_norm(b, "features.norm5", NULL, 1e-5f));
  CNA__TRY(cna_builder_relu(b, "relu", NULL));
  CNA__TRY(cna_builder_adaptive_avg_pool2d(b, "avgpool", NULL, 1, 1));
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  return cna_builder_fully_connected(b, "classifier", NULL, c->num_classes, 1);
}

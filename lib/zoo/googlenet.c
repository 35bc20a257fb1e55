/* GoogLeNet (Szegedy et al. 2014) in torchvision's layout, and the two
 * single Inception modules the lecture notes work through.
 *
 * torchvision's BasicConv2d is conv (no bias) + batch norm (eps 0.001) +
 * ReLU; its Inception "5x5" branch uses a 3x3 kernel (a known quirk kept for
 * its pretrained weights), and so does ours. The auxiliary classifiers
 * (aux1 after inception4a, aux2 after inception4d) are added on request:
 * they are side branches that the forward pass never computes. */
#include "zoo/zoo.h"

/* conv + bn + relu named <prefix>.conv, <prefix>.bn, <prefix>.relu. */
static cna_status basic_conv(cna_builder *b, const char *prefix, const char *input,
                             int out, int kernel, int stride, int pad) {
  char name[CNA__NAME_MAX];
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.conv", prefix), input, out, kernel,
                              stride, pad, 0));
  CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(name, "%s.bn", prefix), NULL, 1e-3f));
  return cna_builder_relu(b, cna__zoo_name(name, "%s.relu", prefix), NULL);
}

static cna_status inception(cna_builder *b, const char *prefix, const char *input,
                            int ch1x1, int ch3x3red, int ch3x3, int ch5x5red, int ch5x5,
                            int pool_proj) {
  char name[CNA__NAME_MAX], in[CNA__NAME_MAX];
  char ends[4][CNA__NAME_MAX];
  cna__zoo_name(in, "%s", input);
  CNA__TRY(basic_conv(b, cna__zoo_name(name, "%s.branch1", prefix), in, ch1x1, 1, 1, 0));
  cna__zoo_name(ends[0], "%s.relu", name);
  CNA__TRY(basic_conv(b, cna__zoo_name(name, "%s.branch2.0", prefix), in, ch3x3red, 1, 1, 0));
  CNA__TRY(basic_conv(b, cna__zoo_name(name, "%s.branch2.1", prefix), NULL, ch3x3, 3, 1, 1));
  cna__zoo_name(ends[1], "%s.relu", name);
  CNA__TRY(basic_conv(b, cna__zoo_name(name, "%s.branch3.0", prefix), in, ch5x5red, 1, 1, 0));
  CNA__TRY(basic_conv(b, cna__zoo_name(name, "%s.branch3.1", prefix), NULL, ch5x5, 3, 1, 1));
  cna__zoo_name(ends[2], "%s.relu", name);
  CNA__TRY(cna_builder_max_pool2d(b, cna__zoo_name(name, "%s.branch4.0", prefix), in, 3, 1,
                                  1, 1));
  CNA__TRY(basic_conv(b, cna__zoo_name(name, "%s.branch4.1", prefix), NULL, pool_proj, 1, 1,
                      0));
  cna__zoo_name(ends[3], "%s.relu", name);
  const char *branches[4] = {ends[0], ends[1], ends[2], ends[3]};
  return cna_builder_concat(b, prefix, branches, 4);
}

static cna_status aux_classifier(cna_builder *b, const char *prefix, const char *input,
                                 int num_classes) {
  char name[CNA__NAME_MAX], conv[CNA__NAME_MAX];
  CNA__TRY(cna_builder_adaptive_avg_pool2d(b, cna__zoo_name(name, "%s.pool", prefix), input,
                                           4, 4));
  CNA__TRY(basic_conv(b, cna__zoo_name(conv, "%s.conv", prefix), NULL, 128, 1, 1, 0));
  CNA__TRY(cna_builder_flatten(b, cna__zoo_name(name, "%s.flatten", prefix), NULL));
  CNA__TRY(cna_builder_fully_connected(b, cna__zoo_name(name, "%s.fc1", prefix), NULL, 1024,
                                       1));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.relu", prefix), NULL));
  CNA__TRY(cna_builder_dropout(b, cna__zoo_name(name, "%s.dropout", prefix), NULL, 0.7f));
  return cna_builder_fully_connected(b, cna__zoo_name(name, "%s.fc2", prefix), NULL,
                                     num_classes, 1);
}

cna_status cna__zoo_googlenet(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(basic_conv(b, "conv1", NULL, 64, 7, 2, 3));
  CNA__TRY(cna_builder_max_pool2d(b, "maxpool1", NULL, 3, 2, 0, 1));
  CNA__TRY(basic_conv(b, "conv2", NULL, 64, 1, 1, 0));
  CNA__TRY(basic_conv(b, "conv3", NULL, 192, 3, 1, 1));
  CNA__TRY(cna_builder_max_pool2d(b, "maxpool2", NULL, 3, 2, 0, 1));
  CNA__TRY(inception(b, "inception3a", "maxpool2", 64, 96, 128, 16, 32, 32));
  CNA__TRY(inception(b, "inception3b", "inception3a", 128, 128, 192, 32, 96, 64));
  CNA__TRY(cna_builder_max_pool2d(b, "maxpool3", "inception3b", 3, 2, 0, 1));
  CNA__TRY(inception(b, "inception4a", "maxpool3", 192, 96, 208, 16, 48, 64));
  if (c->aux_logits) CNA__TRY(aux_classifier(b, "aux1", "inception4a", c->num_classes));
  CNA__TRY(inception(b, "inception4b", "inception4a", 160, 112, 224, 24, 64, 64));
  CNA__TRY(inception(b, "inception4c", "inception4b", 128, 128, 256, 24, 64, 64));
  CNA__TRY(inception(b, "inception4d", "inception4c", 112, 144, 288, 32, 64, 64));
  if (c->aux_logits) CNA__TRY(aux_classifier(b, "aux2", "inception4d", c->num_classes));
  CNA__TRY(inception(b, "inception4e", "inception4d", 256, 160, 320, 32, 128, 128));
  CNA__TRY(cna_builder_max_pool2d(b, "maxpool4", "inception4e", 2, 2, 0, 1));
  CNA__TRY(inception(b, "inception5a", "maxpool4", 256, 160, 320, 32, 128, 128));
  CNA__TRY(inception(b, "inception5b", "inception5a", 384, 192, 384, 48, 128, 128));
  CNA__TRY(cna_builder_global_avg_pool(b, "avgpool", "inception5b"));
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  CNA__TRY(cna_builder_dropout(b, "dropout", NULL, 0.2f));
  return cna_builder_fully_connected(b, "fc", NULL, c->num_classes, 1);
}

/* conv + relu, the notes' modules having no batch norm. */
static cna_status conv_relu(cna_builder *b, const char *name, const char *input, int out,
                            int kernel, int pad, char relu_name[CNA__NAME_MAX]) {
  CNA__TRY(cna_builder_conv2d(b, name, input, out, kernel, 1, pad, 1));
  return cna_builder_relu(b, cna__zoo_name(relu_name, "%s.relu", name), NULL);
}

/* variant 0: the naive module (1x1, 3x3, 5x5 convolutions and a 3x3 max pool
 * side by side); variant 1: with 1x1 bottlenecks before the 3x3 and 5x5 and
 * after the pool. Both on the notes' 28x28x256 input. */
cna_status cna__zoo_inception_module(cna_builder *b, const cna__zoo_config *c) {
  char ends[4][CNA__NAME_MAX], tmp[CNA__NAME_MAX];
  const int bottleneck = c->variant == 1;
  CNA__TRY(conv_relu(b, "branch1x1", "input", 128, 1, 0, ends[0]));
  if (bottleneck) {
    CNA__TRY(conv_relu(b, "branch3x3_reduce", "input", 64, 1, 0, tmp));
    CNA__TRY(conv_relu(b, "branch3x3", NULL, 192, 3, 1, ends[1]));
    CNA__TRY(conv_relu(b, "branch5x5_reduce", "input", 64, 1, 0, tmp));
    CNA__TRY(conv_relu(b, "branch5x5", NULL, 96, 5, 2, ends[2]));
    CNA__TRY(cna_builder_max_pool2d(b, "branch_pool", "input", 3, 1, 1, 0));
    CNA__TRY(conv_relu(b, "branch_pool_proj", NULL, 64, 1, 0, ends[3]));
  } else {
    CNA__TRY(conv_relu(b, "branch3x3", "input", 192, 3, 1, ends[1]));
    CNA__TRY(conv_relu(b, "branch5x5", "input", 96, 5, 2, ends[2]));
    CNA__TRY(cna_builder_max_pool2d(b, "branch_pool", "input", 3, 1, 1, 0));
    cna__zoo_name(ends[3], "branch_pool");
  }
  const char *branches[4] = {ends[0], ends[1], ends[2], ends[3]};
  return cna_builder_concat(b, "concat", branches, 4);
}

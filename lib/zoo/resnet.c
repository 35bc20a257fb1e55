/* ResNet (He et al. 2015) on ImageNet in torchvision's layout, which also
 * gives Wide ResNet-50/101-2 (wider bottlenecks) and ResNeXt (grouped 3x3
 * convolutions). torchvision's v1.5 puts the stride in the 3x3 convolution
 * of the bottleneck; shortcuts are projections (1x1 conv + batch norm) where
 * the shape changes, identities elsewhere. */
#include "zoo/zoo.h"

typedef struct resnet_shape {
  int bottleneck;
  int blocks[4];
} resnet_shape;

static cna_status resnet_depth(int depth, resnet_shape *s) {
  switch (depth) {
    case 18: *s = (resnet_shape){0, {2, 2, 2, 2}}; return CNA_OK;
    case 34: *s = (resnet_shape){0, {3, 4, 6, 3}}; return CNA_OK;
    case 50: *s = (resnet_shape){1, {3, 4, 6, 3}}; return CNA_OK;
    case 101: *s = (resnet_shape){1, {3, 4, 23, 3}}; return CNA_OK;
    case 152: *s = (resnet_shape){1, {3, 8, 36, 3}}; return CNA_OK;
  }
  return CNA_ERROR_INTERNAL;
}

/* conv (no bias) then batch norm, named <prefix>.conv<i> and <prefix>.bn<i>. */
static cna_status conv_bn(cna_builder *b, const char *prefix, int i, const char *input,
                          int out, int kernel, int stride, int groups) {
  char name[CNA__NAME_MAX];
  CNA__TRY(cna_builder_conv2d_ex(b, cna__zoo_name(name, "%s.conv%d", prefix, i), input, out,
                                 kernel, kernel, stride, stride, kernel / 2, kernel / 2, 1, 1,
                                 groups, 0));
  return cna_builder_batch_norm(b, cna__zoo_name(name, "%s.bn%d", prefix, i), NULL, 1e-5f);
}

/* One residual block reading `input`; *in_channels is updated to its output
 * channels and `output` receives the name of its last layer. */
static cna_status block(cna_builder *b, const char *prefix, const char *input,
                        int *in_channels, int planes, int stride, const resnet_shape *s,
                        int groups, int base_width, char output[CNA__NAME_MAX]) {
  char name[CNA__NAME_MAX], shortcut[CNA__NAME_MAX];
  const int expansion = s->bottleneck ? 4 : 1;
  const int out_channels = planes * expansion;
  int last;
  if (s->bottleneck) {
    const int width = planes * base_width / 64 * groups;
    CNA__TRY(conv_bn(b, prefix, 1, input, width, 1, 1, 1));
    CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.relu1", prefix), NULL));
    CNA__TRY(conv_bn(b, prefix, 2, NULL, width, 3, stride, groups));
    CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.relu2", prefix), NULL));
    CNA__TRY(conv_bn(b, prefix, 3, NULL, out_channels, 1, 1, 1));
    last = 3;
  } else {
    CNA__TRY(conv_bn(b, prefix, 1, input, planes, 3, stride, 1));
    CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.relu1", prefix), NULL));
    CNA__TRY(conv_bn(b, prefix, 2, NULL, planes, 3, 1, 1));
    last = 2;
  }
  char residual[CNA__NAME_MAX];
  cna__zoo_name(residual, "%s.bn%d", prefix, last);
  if (stride != 1 || *in_channels != out_channels) {
    CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.downsample.0", prefix), input,
                                out_channels, 1, stride, 0, 0));
    CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(shortcut, "%s.downsample.1", prefix),
                                    NULL, 1e-5f));
  } else {
    cna__zoo_name(shortcut, "%s", input);
  }
  CNA__TRY(cna_builder_add(b, cna__zoo_name(name, "%s.add", prefix), residual, shortcut));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(output, "%s.relu%d", prefix, last), NULL));
  *in_channels = out_channels;
  return CNA_OK;
}

cna_status cna__zoo_resnet(cna_builder *b, const cna__zoo_config *c) {
  const int depth = c->variant / 1000000;
  const int groups = c->variant / 1000 % 1000;
  const int base_width = c->variant % 1000;
  resnet_shape s;
  CNA__TRY(resnet_depth(depth, &s));
  CNA__TRY(cna_builder_conv2d(b, "conv1", NULL, 64, 7, 2, 3, 0));
  CNA__TRY(cna_builder_batch_norm(b, "bn1", NULL, 1e-5f));
  CNA__TRY(cna_builder_relu(b, "relu", NULL));
  CNA__TRY(cna_builder_max_pool2d(b, "maxpool", NULL, 3, 2, 1, 0));
  char input[CNA__NAME_MAX] = "maxpool", prefix[CNA__NAME_MAX];
  int channels = 64;
  for (int stage = 0; stage < 4; stage++)
    for (int i = 0; i < s.blocks[stage]; i++) {
      const int stride = stage > 0 && i == 0 ? 2 : 1;
      cna__zoo_name(prefix, "layer%d.%d", stage + 1, i);
      CNA__TRY(block(b, prefix, input, &channels, 64 << stage, stride, &s, groups, base_width,
                     input));
    }
  CNA__TRY(cna_builder_global_avg_pool(b, "avgpool", NULL));
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  return cna_builder_fully_connected(b, "fc", NULL, c->num_classes, 1);
}

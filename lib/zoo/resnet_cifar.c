/* The CIFAR-10 residual networks (32x32 inputs, three or four stages).
 *
 * resnet20/32/44/56/110/1202: the ResNet paper's Section 4.2 nets, 6n+2
 *   layers with n basic blocks of 16, 32 and 64 filters per stage, and
 *   option-A shortcuts: where the shape changes, the identity is subsampled
 *   (a 1x1 max pool at stride 2) and zero channels are added on both sides.
 * preact_resnet18: He et al. 2016 (Identity Mappings), BN-ReLU-conv
 *   ordering, four stages of two blocks (64..512 filters) and the final
 *   BN-ReLU after the last addition.
 * wrn_28_10: Zagoruyko and Komodakis 2016, the same pre-activation blocks,
 *   depth 6n+4 with widths 16k, 32k, 64k.
 * Pre-activation projection shortcuts (1x1 conv) read the pre-activated
 * input, as in both papers' code.
 */
#include "zoo/zoo.h"

static cna_status cifar_head(cna_builder *b, const cna__zoo_config *c) {
  CNA__TRY(cna_builder_global_avg_pool(b, "avgpool", NULL));
  CNA__TRY(cna_builder_flatten(b, "flatten", NULL));
  return cna_builder_fully_connected(b, "fc", NULL, c->num_classes, 1);
}

/* Post-activation basic block with an option-A shortcut. */
static cna_status basic_block_a(cna_builder *b, const char *prefix, const char *input,
                                int in_planes, int planes, int stride,
                                char output[CNA__NAME_MAX]) {
  char name[CNA__NAME_MAX], residual[CNA__NAME_MAX], shortcut[CNA__NAME_MAX];
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.conv1", prefix), input, planes, 3,
                              stride, 1, 0));
  CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(name, "%s.bn1", prefix), NULL, 1e-5f));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.relu1", prefix), NULL));
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.conv2", prefix), NULL, planes, 3, 1,
                              1, 0));
  CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(residual, "%s.bn2", prefix), NULL, 1e-5f));
  if (stride != 1 || in_planes != planes) {
    const int extra = planes - in_planes;
    CNA__TRY(cna_builder_max_pool2d(b, cna__zoo_name(name, "%s.shortcut.subsample", prefix),
                                    input, 1, stride, 0, 0));
    CNA__TRY(cna_builder_channel_pad(b, cna__zoo_name(shortcut, "%s.shortcut.pad", prefix),
                                     NULL, extra / 2, extra - extra / 2));
  } else {
    cna__zoo_name(shortcut, "%s", input);
  }
  CNA__TRY(cna_builder_add(b, cna__zoo_name(name, "%s.add", prefix), residual, shortcut));
  return cna_builder_relu(b, cna__zoo_name(output, "%s.relu2", prefix), NULL);
}

cna_status cna__zoo_resnet_cifar(cna_builder *b, const cna__zoo_config *c) {
  const int n = (c->variant - 2) / 6;
  CNA__TRY(cna_builder_conv2d(b, "conv1", NULL, 16, 3, 1, 1, 0));
  CNA__TRY(cna_builder_batch_norm(b, "bn1", NULL, 1e-5f));
  CNA__TRY(cna_builder_relu(b, "relu", NULL));
  char input[CNA__NAME_MAX] = "relu", prefix[CNA__NAME_MAX];
  int in_planes = 16;
  for (int stage = 0; stage < 3; stage++)
    for (int i = 0; i < n; i++) {
      const int planes = 16 << stage, stride = stage > 0 && i == 0 ? 2 : 1;
      cna__zoo_name(prefix, "layer%d.%d", stage + 1, i);
      CNA__TRY(basic_block_a(b, prefix, input, in_planes, planes, stride, input));
      in_planes = planes;
    }
  return cifar_head(b, c);
}

/* Pre-activation basic block: BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus the
 * identity, or a 1x1 projection of the pre-activated input. */
static cna_status preact_block(cna_builder *b, const char *prefix, const char *input,
                               int in_planes, int planes, int stride,
                               char output[CNA__NAME_MAX]) {
  char name[CNA__NAME_MAX], act[CNA__NAME_MAX], residual[CNA__NAME_MAX];
  char shortcut[CNA__NAME_MAX];
  CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(name, "%s.bn1", prefix), input, 1e-5f));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(act, "%s.relu1", prefix), NULL));
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(name, "%s.conv1", prefix), act, planes, 3,
                              stride, 1, 0));
  CNA__TRY(cna_builder_batch_norm(b, cna__zoo_name(name, "%s.bn2", prefix), NULL, 1e-5f));
  CNA__TRY(cna_builder_relu(b, cna__zoo_name(name, "%s.relu2", prefix), NULL));
  CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(residual, "%s.conv2", prefix), NULL, planes,
                              3, 1, 1, 0));
  if (stride != 1 || in_planes != planes)
    CNA__TRY(cna_builder_conv2d(b, cna__zoo_name(shortcut, "%s.shortcut", prefix), act,
                                planes, 1, stride, 0, 0));
  else
    cna__zoo_name(shortcut, "%s", input);
  return cna_builder_add(b, cna__zoo_name(output, "%s.add", prefix), residual, shortcut);
}

/* The pre-activation stages shared by preact_resnet18 and wrn_28_10. */
/* Blocks are named <stage><s>.<i> (preact_resnet18: layer1.0) or, with
 * wrn naming, <stage><s>.layer.<i> (block1.layer.0). */
static cna_status preact_stages(cna_builder *b, const char *stage, const char *sep,
                                int stages, int blocks, const int *widths, int in_planes) {
  char input[CNA__NAME_MAX] = "conv1", prefix[CNA__NAME_MAX];
  for (int s = 0; s < stages; s++)
    for (int i = 0; i < blocks; i++) {
      const int stride = s > 0 && i == 0 ? 2 : 1;
      cna__zoo_name(prefix, "%s%d%s%d", stage, s + 1, sep, i);
      CNA__TRY(preact_block(b, prefix, input, in_planes, widths[s], stride, input));
      in_planes = widths[s];
    }
  CNA__TRY(cna_builder_batch_norm(b, "bn", NULL, 1e-5f));
  return cna_builder_relu(b, "relu", NULL);
}

cna_status cna__zoo_preact_resnet(cna_builder *b, const cna__zoo_config *c) {
  static const int widths[4] = {64, 128, 256, 512};
  CNA__TRY(cna_builder_conv2d(b, "conv1", NULL, 64, 3, 1, 1, 0));
  CNA__TRY(preact_stages(b, "layer", ".", 4, 2, widths, 64));
  return cifar_head(b, c);
}

cna_status cna__zoo_wrn_cifar(cna_builder *b, const cna__zoo_config *c) {
  const int depth = c->variant / 100, k = c->variant % 100;
  const int widths[3] = {16 * k, 32 * k, 64 * k};
  CNA__TRY(cna_builder_conv2d(b, "conv1", NULL, 16, 3, 1, 1, 0));
  CNA__TRY(preact_stages(b, "block", ".layer.", 3, (depth - 4) / 6, widths, 16));
  return cifar_head(b, c);
}

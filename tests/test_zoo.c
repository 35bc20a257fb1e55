/* The zoo against its references: every params/MACs entry of
 * torchvision_table.json, every per-row figure of the lecture notes, the
 * parameter counts the papers report, depths and receptive fields. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

static cna_net *create(const char *arch) {
  cna_net *net = NULL;
  ck_assert_ok(cna_net_create_arch(arch, NULL, &net));
  return net;
}

static uint64_t layer_stat(const cna_net *net, const char *layer, cna_stat stat) {
  size_t index;
  uint64_t value;
  ck_assert_ok(cna_net_find_layer(net, layer, &index));
  ck_assert_ok(cna_net_layer_stat(net, index, stat, &value));
  return value;
}

static uint64_t total_stat(const cna_net *net, cna_stat stat) {
  uint64_t value;
  ck_assert_ok(cna_net_total_stat(net, stat, &value));
  return value;
}

static void expect_shape(const cna_net *net, const char *layer, size_t c, size_t h, size_t w) {
  size_t index, shape[3];
  ck_assert_ok(cna_net_find_layer(net, layer, &index));
  ck_assert_ok(cna_net_layer_output_shape(net, index, shape));
  ck_assert_msg(shape[0] == c && shape[1] == h && shape[2] == w,
                "%s: expected %zux%zux%zu, found %zux%zux%zu", layer, c, h, w, shape[0],
                shape[1], shape[2]);
}

/* ---------------------------------------------- torchvision_table.json */

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
  text[size] = '\0';
  fclose(f);
  return text;
}

/* The integer after "key": inside [begin, end). */
static uint64_t json_number(const char *begin, const char *end, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *p = strstr(begin, pattern);
  ck_assert_msg(p != NULL && p < end, "no %s", key);
  return strtoull(p + strlen(pattern), NULL, 10);
}

START_TEST(torchvision_table) {
  char *json = read_file(CNA_TEST_DATA "/torchvision_table.json");
  const char *p = strstr(json, "\"models\"");
  ck_assert_ptr_nonnull(p);
  p = strchr(p, '{') + 1;
  int models = 0;
  for (;;) {
    const char *key = strchr(p, '"'), *close = strchr(p, '}');
    if (key == NULL || (close != NULL && close < key)) break;
    const char *key_end = strchr(key + 1, '"');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(key_end - key - 1), key + 1);
    /* The model's object, nested braces included. */
    const char *begin = strchr(key_end, '{'), *end = begin + 1;
    for (int depth = 1; depth > 0; end++) depth += *end == '{' ? 1 : *end == '}' ? -1 : 0;

    cna_net *net = create(name);
    uint64_t params = json_number(begin, end, "params"), macs = json_number(begin, end, "macs");
    ck_assert_msg(total_stat(net, CNA_STAT_PARAMS) == params,
                  "%s: %" PRIu64 " parameters, torchvision has %" PRIu64, name,
                  total_stat(net, CNA_STAT_PARAMS), params);
    ck_assert_msg(total_stat(net, CNA_STAT_MACS) == macs,
                  "%s: %" PRIu64 " MACs, torchvision has %" PRIu64, name,
                  total_stat(net, CNA_STAT_MACS), macs);
    /* Buffers: running mean and variance; torchvision also counts one
     * num_batches_tracked per batch norm, which we do not keep. */
    uint64_t buffers = json_number(begin, end, "buffer_elems");
    size_t layers, batch_norms = 0;
    ck_assert_ok(cna_net_layer_count(net, &layers));
    for (size_t i = 0; i < layers; i++) {
      cna_layer_type type;
      ck_assert_ok(cna_net_layer_type(net, i, &type));
      batch_norms += type == CNA_LAYER_BATCH_NORM;
    }
    ck_assert_uint_eq(total_stat(net, CNA_STAT_BUFFERS) + batch_norms, buffers);
    /* OPS: MACs plus at least one per output element of every layer, and
     * (for these nets) less than twice the MACs: the convolutions dominate. */
    const uint64_t ops = total_stat(net, CNA_STAT_OPS);
    ck_assert_msg(ops > macs && ops < 2 * macs, "%s: %" PRIu64 " OPS for %" PRIu64 " MACs", name,
                  ops, macs);
    cna_net_destroy(net);
    models++;
    p = end;
  }
  ck_assert_int_eq(models, 15);
  free(json);
}
END_TEST

/* --------------------------------------------------------- the notes */

START_TEST(notes_alexnet_rows) {
  cna_net *net = create("alexnet_2012");
  expect_shape(net, "input", 3, 227, 227);
  /* (227 - 11) / 4 + 1 = 55 */
  expect_shape(net, "conv1", 96, (227 - 11) / 4 + 1, (227 - 11) / 4 + 1);
  ck_assert_uint_eq(layer_stat(net, "conv1", CNA_STAT_PARAMS), 11 * 11 * 3 * 96 + 96);
  /* (55 - 3) / 2 + 1 = 27, no parameters */
  expect_shape(net, "pool1", 96, (55 - 3) / 2 + 1, (55 - 3) / 2 + 1);
  ck_assert_uint_eq(layer_stat(net, "pool1", CNA_STAT_PARAMS), 0);
  expect_shape(net, "norm1", 96, 27, 27);
  expect_shape(net, "conv2", 256, 27, 27);
  expect_shape(net, "pool2", 256, 13, 13);
  expect_shape(net, "norm2", 256, 13, 13);
  expect_shape(net, "conv3", 384, 13, 13);
  expect_shape(net, "conv4", 384, 13, 13);
  expect_shape(net, "conv5", 256, 13, 13);
  expect_shape(net, "pool5", 256, 6, 6);
  expect_shape(net, "fc6", 4096, 1, 1);
  expect_shape(net, "fc7", 4096, 1, 1);
  expect_shape(net, "fc8", 1000, 1, 1);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_DEPTH), 8);
  cna_net_destroy(net);

  /* The two-GPU split halves the connections of CONV2, CONV4 and CONV5. */
  net = create("alexnet_2012_grouped");
  ck_assert_uint_eq(layer_stat(net, "conv2", CNA_STAT_PARAMS), 5 * 5 * 48 * 256 + 256);
  ck_assert_uint_eq(layer_stat(net, "conv3", CNA_STAT_PARAMS), 3 * 3 * 256 * 384 + 384);
  ck_assert_uint_eq(layer_stat(net, "conv4", CNA_STAT_PARAMS), 3 * 3 * 192 * 384 + 384);
  ck_assert_uint_eq(layer_stat(net, "conv5", CNA_STAT_PARAMS), 3 * 3 * 192 * 256 + 256);
  expect_shape(net, "pool5", 256, 6, 6);
  cna_net_destroy(net);
}
END_TEST

START_TEST(notes_vgg16_rows) {
  /* The notes' table (weights without biases) against torchvision's vgg16,
   * whose features.N are conv, relu, ..., pool. */
  static const struct {
    const char *layer;
    size_t c, hw;
    uint64_t weights; /* 0 for pools */
  } rows[] = {
      {"features.0", 64, 224, 3 * 3 * 3 * 64},      {"features.2", 64, 224, 3 * 3 * 64 * 64},
      {"features.4", 64, 112, 0},                   {"features.5", 128, 112, 3 * 3 * 64 * 128},
      {"features.7", 128, 112, 3 * 3 * 128 * 128}, {"features.9", 128, 56, 0},
      {"features.10", 256, 56, 3 * 3 * 128 * 256},  {"features.12", 256, 56, 3 * 3 * 256 * 256},
      {"features.14", 256, 56, 3 * 3 * 256 * 256},  {"features.16", 256, 28, 0},
      {"features.17", 512, 28, 3 * 3 * 256 * 512},  {"features.19", 512, 28, 3 * 3 * 512 * 512},
      {"features.21", 512, 28, 3 * 3 * 512 * 512},  {"features.23", 512, 14, 0},
      {"features.24", 512, 14, 3 * 3 * 512 * 512},  {"features.26", 512, 14, 3 * 3 * 512 * 512},
      {"features.28", 512, 14, 3 * 3 * 512 * 512},  {"features.30", 512, 7, 0},
      {"classifier.0", 4096, 1, 7 * 7 * 512 * 4096}, {"classifier.3", 4096, 1, 4096 * 4096},
      {"classifier.6", 1000, 1, 4096 * 1000},
  };
  cna_net *net = create("vgg16");
  ck_assert_uint_eq(layer_stat(net, "input", CNA_STAT_ACTIVATIONS), 224 * 224 * 3);
  uint64_t notes_memory = 224 * 224 * 3;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    expect_shape(net, rows[i].layer, rows[i].c, rows[i].hw, rows[i].hw);
    const uint64_t memory = rows[i].c * rows[i].hw * rows[i].hw;
    ck_assert_uint_eq(layer_stat(net, rows[i].layer, CNA_STAT_ACTIVATIONS), memory);
    ck_assert_uint_eq(layer_stat(net, rows[i].layer, CNA_STAT_ACTIVATION_BYTES), 4 * memory);
    /* params = the notes' weights + one bias per output */
    const uint64_t bias = rows[i].weights ? rows[i].c : 0;
    ck_assert_uint_eq(layer_stat(net, rows[i].layer, CNA_STAT_PARAMS), rows[i].weights + bias);
    notes_memory += memory;
  }
  /* The sum of the notes' rows (15.2M, not the 24M the notes print), plus
   * the 7x7x512 adaptive pooling torchvision adds before the classifier. */
  ck_assert_uint_eq(notes_memory, 15237608);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_ACTIVATIONS), notes_memory + 7 * 7 * 512);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_PARAMS), 138357544);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_DEPTH), 16);
  /* Two stacked 3x3 convolutions see 5x5, three (with a pool between) more. */
  ck_assert_uint_eq(layer_stat(net, "features.0", CNA_STAT_RF_HEIGHT), 3);
  ck_assert_uint_eq(layer_stat(net, "features.2", CNA_STAT_RF_HEIGHT), 5);
  ck_assert_uint_eq(layer_stat(net, "features.4", CNA_STAT_RF_HEIGHT), 6);
  ck_assert_uint_eq(layer_stat(net, "features.4", CNA_STAT_RF_JUMP_HEIGHT), 2);
  ck_assert_uint_eq(layer_stat(net, "features.5", CNA_STAT_RF_HEIGHT), 10);
  cna_net_destroy(net);
}
END_TEST

START_TEST(three_3x3_convs_see_7x7) {
  cna_builder *b;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "input", 8, 32, 32));
  for (int i = 0; i < 3; i++) ck_assert_ok(cna_builder_conv2d(b, NULL, NULL, 8, 3, 1, 1, 0));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  uint64_t rf;
  ck_assert_ok(cna_net_total_stat(net, CNA_STAT_RF_HEIGHT, &rf));
  ck_assert_uint_eq(rf, 7);
  /* ... with 3 * 9 C^2 weights against 49 C^2 for one 7x7 layer. */
  ck_assert_uint_eq(total_stat(net, CNA_STAT_PARAMS), 3 * 9 * 8 * 8);
  cna_net_destroy(net);
  cna_builder_destroy(b);
}
END_TEST

static cna_net *build_or_fail(cna_builder *b) {
  cna_net *net;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  return net;
}

START_TEST(receptive_field_rules) {
  cna_builder *b;
  cna_net *net;
  /* Adaptive pooling that upsamples sees no more than the image: 2 -> 7
   * has bins of 1 pixel and one, [0, 2), of both. */
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 2, 2));
  ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, "up", NULL, 7, 7));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, 3, 1));
  net = build_or_fail(b);
  ck_assert_uint_eq(layer_stat(net, "up", CNA_STAT_RF_HEIGHT), 2);
  ck_assert_uint_eq(layer_stat(net, "fc", CNA_STAT_RF_HEIGHT), 2);
  cna_net_destroy(net);

  /* Uneven bins (10 -> 4: widths 3, 3, 3, 3 starting at 0, 2, 5, 7), then
   * a 1x1 adaptive pool, which is a global pool. */
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 10, 10));
  ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, "bins", NULL, 4, 4));
  ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, "one", NULL, 1, 1));
  ck_assert_ok(cna_builder_global_avg_pool(b, "global", "bins"));
  net = build_or_fail(b);
  ck_assert_uint_eq(layer_stat(net, "bins", CNA_STAT_RF_HEIGHT), 3);
  ck_assert_uint_eq(layer_stat(net, "one", CNA_STAT_RF_HEIGHT), 10);
  ck_assert_uint_eq(layer_stat(net, "one", CNA_STAT_RF_JUMP_HEIGHT),
                    layer_stat(net, "global", CNA_STAT_RF_JUMP_HEIGHT));
  cna_net_destroy(net);

  /* After flatten, channels are positions: softmax sees the whole 9 rows. */
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 9, 9));
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 1, 3, 1, 0, 0));
  ck_assert_ok(cna_builder_flatten(b, "flat", NULL));
  ck_assert_ok(cna_builder_softmax(b, "softmax", NULL));
  net = build_or_fail(b);
  ck_assert_uint_eq(layer_stat(net, "conv", CNA_STAT_RF_HEIGHT), 3);
  ck_assert_uint_eq(layer_stat(net, "softmax", CNA_STAT_RF_HEIGHT), 9);
  cna_net_destroy(net);

  /* Strides near INT_MAX: the jump saturates instead of wrapping. */
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 4, 4));
  for (int i = 0; i < 4; i++)
    ck_assert_ok(cna_builder_conv2d(b, NULL, NULL, 1, 1, 2147483647, 0, 0));
  net = build_or_fail(b);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_RF_JUMP_HEIGHT), UINT64_MAX);
  cna_net_destroy(net);

  /* VGG-16 on 32x32 images: pool5 is 1x1, the classifier sees 212 pixels
   * around it (not more because of the 7x7 adaptive pool). */
  cna_options *opts;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_input_size(opts, 32, 32));
  ck_assert_ok(cna_net_create_arch("vgg16", opts, &net));
  cna_options_destroy(opts);
  ck_assert_uint_eq(layer_stat(net, "features.30", CNA_STAT_RF_HEIGHT), 212);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_RF_HEIGHT), 212);
  cna_net_destroy(net);
}
END_TEST

START_TEST(notes_inception_naive) {
  cna_net *net = create("inception_naive");
  expect_shape(net, "branch1x1", 128, 28, 28);
  expect_shape(net, "branch3x3", 192, 28, 28);
  expect_shape(net, "branch5x5", 96, 28, 28);
  expect_shape(net, "branch_pool", 256, 28, 28);
  expect_shape(net, "concat", 128 + 192 + 96 + 256, 28, 28);
  const uint64_t ops1 = 28 * 28 * 128 * 1 * 1 * 256, ops3 = 28 * 28 * 192 * 3 * 3 * 256,
                 ops5 = 28 * 28 * 96 * 5 * 5 * 256;
  ck_assert_uint_eq(layer_stat(net, "branch1x1", CNA_STAT_MACS), ops1);
  ck_assert_uint_eq(layer_stat(net, "branch3x3", CNA_STAT_MACS), ops3);
  ck_assert_uint_eq(layer_stat(net, "branch5x5", CNA_STAT_MACS), ops5);
  ck_assert_uint_eq(total_stat(net, CNA_STAT_MACS), ops1 + ops3 + ops5); /* "854M" */
  ck_assert_uint_eq(total_stat(net, CNA_STAT_MACS) / 1000000, 854);
  /* The concatenation sees through its widest branch. */
  ck_assert_uint_eq(layer_stat(net, "concat", CNA_STAT_RF_HEIGHT), 5);
  cna_net_destroy(net);
}
END_TEST

START_TEST(notes_inception_bottleneck) {
  cna_net *net = create("inception_bottleneck");
  static const struct {
    const char *layer;
    uint64_t macs;
  } rows[] = {
      {"branch3x3_reduce", 28 * 28 * 64 * 1 * 1 * 256}, {"branch5x5_reduce", 28 * 28 * 64 * 1 * 1 * 256},
      {"branch1x1", 28 * 28 * 128 * 1 * 1 * 256},       {"branch3x3", 28 * 28 * 192 * 3 * 3 * 64},
      {"branch5x5", 28 * 28 * 96 * 5 * 5 * 64},         {"branch_pool_proj", 28 * 28 * 64 * 1 * 1 * 256},
  };
  uint64_t sum = 0;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    ck_assert_uint_eq(layer_stat(net, rows[i].layer, CNA_STAT_MACS), rows[i].macs);
    sum += rows[i].macs;
  }
  /* The notes print 358M; their own rows add up to 271M. */
  ck_assert_uint_eq(total_stat(net, CNA_STAT_MACS), sum);
  ck_assert_uint_eq(sum, 271351808);
  expect_shape(net, "concat", 128 + 192 + 96 + 64, 28, 28);
  cna_net_destroy(net);
}
END_TEST

/* ---------------------------------------------- papers and depths */

static void expect_params_rounded(const char *arch, uint64_t unit, uint64_t expected) {
  cna_net *net = create(arch);
  uint64_t params = total_stat(net, CNA_STAT_PARAMS);
  ck_assert_msg((params + unit / 2) / unit == expected,
                "%s: %" PRIu64 " parameters, the paper reports %" PRIu64 " x %" PRIu64, arch,
                params, expected, unit);
  cna_net_destroy(net);
}

START_TEST(cifar_resnets_as_the_paper_reports) {
  /* ResNet paper, Table 6: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M, 19.4M. */
  expect_params_rounded("resnet20", 10000, 27);
  expect_params_rounded("resnet32", 10000, 46);
  expect_params_rounded("resnet44", 10000, 66);
  expect_params_rounded("resnet56", 10000, 85);
  expect_params_rounded("resnet110", 100000, 17);
  expect_params_rounded("resnet1202", 100000, 194);
  /* Wide ResNet paper, Table 1: WRN-28-10 has 36.5M. */
  expect_params_rounded("wrn_28_10", 100000, 365);
}
END_TEST

START_TEST(depths) {
  static const struct {
    const char *arch;
    uint64_t depth;
  } cases[] = {{"lenet5", 5},     {"alexnet", 8},      {"zfnet", 8},        {"vgg19", 19},
               {"googlenet", 22}, {"resnet18", 18},    {"resnet152", 152},  {"resnet56", 56},
               {"resnet1202", 1202}, {"densenet121", 121}, {"nin", 9},      {"preact_resnet18", 18}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cna_net *net = create(cases[i].arch);
    ck_assert_msg(total_stat(net, CNA_STAT_DEPTH) == cases[i].depth, "%s: depth %" PRIu64,
                  cases[i].arch, total_stat(net, CNA_STAT_DEPTH));
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(zfnet_volumes) {
  cna_net *net = create("zfnet");
  expect_shape(net, "conv1", 96, 110, 110);
  expect_shape(net, "pool1", 96, 55, 55);
  expect_shape(net, "conv2", 256, 26, 26);
  expect_shape(net, "pool2", 256, 13, 13);
  expect_shape(net, "conv5", 256, 13, 13);
  expect_shape(net, "pool5", 256, 6, 6);
  cna_net_destroy(net);
}
END_TEST

START_TEST(torchvision_tensor_names) {
  /* Spot checks of state_dict keys and shapes (the full comparison with
   * torchvision is in tests/torch/). */
  static const struct {
    const char *arch, *tensor;
    size_t ndim, dims[4];
  } cases[] = {
      {"resnet18", "layer1.0.conv1.weight", 4, {64, 64, 3, 3}},
      {"resnet50", "layer2.0.downsample.0.weight", 4, {512, 256, 1, 1}},
      {"resnet50", "layer4.2.bn3.running_var", 1, {2048}},
      {"resnext50_32x4d", "layer1.0.conv2.weight", 4, {128, 4, 3, 3}},
      {"googlenet", "inception4e.branch3.1.conv.weight", 4, {128, 32, 3, 3}},
      {"densenet121", "features.denseblock2.denselayer3.conv1.weight", 4, {128, 192, 1, 1}},
      {"densenet121", "features.transition3.conv.weight", 4, {512, 1024, 1, 1}},
      {"squeezenet1_1", "features.12.expand3x3.weight", 4, {256, 64, 3, 3}},
      {"vgg11_bn", "features.1.running_mean", 1, {64}},
      {"alexnet", "classifier.1.weight", 2, {4096, 9216}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cna_net *net = create(cases[i].arch);
    size_t index, ndim, dims[4];
    ck_assert_ok(cna_net_find_tensor(net, cases[i].tensor, &index));
    ck_assert_ok(cna_net_tensor_shape(net, index, &ndim, dims));
    ck_assert_uint_eq(ndim, cases[i].ndim);
    for (size_t d = 0; d < ndim; d++)
      ck_assert_msg(dims[d] == cases[i].dims[d], "%s %s dim %zu: %zu", cases[i].arch,
                    cases[i].tensor, d, dims[d]);
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(every_arch_builds_with_options) {
  cna_options *opts;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_classes(opts, 7));
  for (size_t i = 0; i < cna_arch_count(); i++) {
    const char *arch = cna_arch_name(i);
    cna_net *net;
    ck_assert_ok(cna_net_create_arch(arch, opts, &net));
    size_t out, shape[3];
    ck_assert_ok(cna_net_output_size(net, &out));
    ck_assert_ok(cna_net_input_shape(net, shape));
    if (strncmp(arch, "inception_", 10) == 0)
      ck_assert_uint_gt(out, 7); /* a module, no classifier */
    else
      ck_assert_msg(out == 7, "%s: %zu outputs", arch, out);
    ck_assert_uint_eq(total_stat(net, CNA_STAT_ACTIVATION_BYTES),
                      4 * total_stat(net, CNA_STAT_ACTIVATIONS));
    cna_net_destroy(net);
  }
  cna_options_destroy(opts);
}
END_TEST

START_TEST(googlenet_aux_classifiers) {
  cna_options *opts;
  cna_net *plain, *aux;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_aux_logits(opts, 1));
  ck_assert_ok(cna_net_create_arch("googlenet", opts, &aux));
  plain = create("googlenet");
  /* Each aux head: 1x1 conv 512|528 -> 128 + BN, fc 2048 -> 1024, fc -> 1000;
   * 13,004,888 in all, as torchvision's googlenet(aux_logits=True). */
  const uint64_t head = 2 * 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000;
  ck_assert_uint_eq(total_stat(aux, CNA_STAT_PARAMS),
                    total_stat(plain, CNA_STAT_PARAMS) + 2 * head + 128 * (512 + 528));
  ck_assert_uint_eq(total_stat(aux, CNA_STAT_PARAMS), 13004888);
  size_t out;
  ck_assert_ok(cna_net_output_size(aux, &out));
  ck_assert_uint_eq(out, 1000);
  expect_shape(aux, "aux1.pool", 512, 4, 4);
  expect_shape(aux, "aux2.fc2", 1000, 1, 1);
  cna_net_destroy(plain);
  cna_net_destroy(aux);
  cna_options_destroy(opts);
}
END_TEST

Suite *cna_test_zoo_suite(void) {
  Suite *s = suite_create("zoo");
  TCase *tv = tcase_create("torchvision");
  tcase_set_timeout(tv, 600);
  tcase_add_test(tv, torchvision_table);
  tcase_add_test(tv, torchvision_tensor_names);
  tcase_add_test(tv, googlenet_aux_classifiers);
  suite_add_tcase(s, tv);
  TCase *notes = tcase_create("notes");
  tcase_set_timeout(notes, 600);
  tcase_add_test(notes, notes_alexnet_rows);
  tcase_add_test(notes, notes_vgg16_rows);
  tcase_add_test(notes, three_3x3_convs_see_7x7);
  tcase_add_test(notes, receptive_field_rules);
  tcase_add_test(notes, notes_inception_naive);
  tcase_add_test(notes, notes_inception_bottleneck);
  tcase_add_test(notes, zfnet_volumes);
  suite_add_tcase(s, notes);
  TCase *papers = tcase_create("papers");
  tcase_set_timeout(papers, 600);
  tcase_add_test(papers, cifar_resnets_as_the_paper_reports);
  tcase_add_test(papers, depths);
  tcase_add_test(papers, every_arch_builds_with_options);
  suite_add_tcase(s, papers);
  return s;
}

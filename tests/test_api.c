/* API misuse and error reporting: every public function given NULL
 * pointers, out-of-range values and impossible graphs must refuse with the
 * documented status, leave its object usable, and say in
 * cna_last_error_message() what failed (layer name, expected and found). */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

/* ------------------------------------------------------------- helpers */

/* A fresh builder with an input layer "data" of c x h x w. */
static cna_builder *builder_with_input(int c, int h, int w) {
  cna_builder *b = NULL;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ptr_nonnull(b);
  ck_assert_ok(cna_builder_input(b, "data", c, h, w));
  return b;
}

static size_t layer_count_of(const cna_builder *b) {
  size_t count = 0;
  ck_assert_ok(cna_builder_layer_count(b, &count));
  return count;
}

/* The builder still accepts a valid layer and still builds a working net. */
static void expect_builder_usable(cna_builder *b) {
  const size_t before = layer_count_of(b);
  ck_assert_ok(cna_builder_relu(b, NULL, NULL));
  ck_assert_uint_eq(layer_count_of(b), before + 1);
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  ck_assert_ptr_nonnull(net);
  size_t count = 0;
  ck_assert_ok(cna_net_layer_count(net, &count));
  ck_assert_uint_eq(count, before + 1);
  cna_net_destroy(net);
}

/* A refused builder call: the expected status, the message naming what
 * failed (text may be NULL), and the builder left exactly as it was. */
#define ck_assert_refused(b, call, expected, text)               \
  do {                                                           \
    const size_t ck_before_ = layer_count_of(b);                 \
    ck_assert_status(call, expected);                            \
    const char *ck_text_ = (text);                               \
    if (ck_text_ != NULL) ck_assert_message_has(ck_text_);       \
    ck_assert_uint_eq(layer_count_of(b), ck_before_);            \
  } while (0)

/* Asserts the message contains every one of the NULL-terminated texts. */
static void expect_message_has_all(const char *first, ...) {
  va_list args;
  va_start(args, first);
  for (const char *t = first; t != NULL; t = va_arg(args, const char *))
    ck_assert_message_has(t);
  va_end(args);
}

/* data 3x8x8 -> conv1 (4, 3x3, pad 1, bias) -> bn1 -> relu1 -> flat -> fc7
 * (5 outputs, bias). Tensors: conv1.weight, conv1.bias, bn1.weight, bn1.bias,
 * bn1.running_mean, bn1.running_var, fc7.weight, fc7.bias. */
static cna_net *small_net(const cna_options *opts) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_ok(cna_builder_conv2d(b, "conv1", NULL, 4, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_batch_norm(b, "bn1", NULL, 1e-5f));
  ck_assert_ok(cna_builder_relu(b, "relu1", NULL));
  ck_assert_ok(cna_builder_flatten(b, "flat", NULL));
  ck_assert_ok(cna_builder_fully_connected(b, "fc7", NULL, 5, 1));
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, opts, &net));
  ck_assert_ptr_nonnull(net);
  cna_builder_destroy(b);
  return net;
}

enum { SMALL_NET_LAYERS = 6, SMALL_NET_TENSORS = 8, SMALL_NET_FC7_WEIGHTS = 5 * 4 * 8 * 8 };

static cna_net *zoo_net(const char *arch, const cna_options *opts) {
  cna_net *net = NULL;
  ck_assert_ok(cna_net_create_arch(arch, opts, &net));
  ck_assert_ptr_nonnull(net);
  return net;
}

static size_t output_size_of(const cna_net *net) {
  size_t size = 0;
  ck_assert_ok(cna_net_output_size(net, &size));
  return size;
}

/* Provokes a NOT_FOUND whose message carries the marker. */
static void provoke_error(const char *marker) {
  cna_net *net = NULL;
  ck_assert_status(cna_net_create_arch(marker, NULL, &net), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has(marker);
}

/* -------------------------------------------------------------- version */

START_TEST(version_number_matches_header) {
  ck_assert_uint_eq(cna_version_number(), CNA_VERSION_NUMBER);
  ck_assert_uint_eq(cna_version_number() / 10000, CNA_VERSION_MAJOR);
  ck_assert_uint_eq(cna_version_number() / 100 % 100, CNA_VERSION_MINOR);
  ck_assert_uint_eq(cna_version_number() % 100, CNA_VERSION_PATCH);
}
END_TEST

START_TEST(version_string_matches_header) {
  const char *v = cna_version_string();
  ck_assert_ptr_nonnull(v);
  ck_assert_str_eq(v, CNA_VERSION_STRING);
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", CNA_VERSION_MAJOR, CNA_VERSION_MINOR,
           CNA_VERSION_PATCH);
  ck_assert_str_eq(v, expected);
  /* A static string: the same pointer every time. */
  ck_assert_ptr_eq(cna_version_string(), v);
}
END_TEST

START_TEST(version_number_composition) {
  ck_assert_int_eq(CNA_VERSION_NUMBER,
                   CNA_VERSION_MAJOR * 10000 + CNA_VERSION_MINOR * 100 + CNA_VERSION_PATCH);
  /* The encoding is only unambiguous with minor and patch below 100. */
  ck_assert_int_ge(CNA_VERSION_MINOR, 0);
  ck_assert_int_lt(CNA_VERSION_MINOR, 100);
  ck_assert_int_ge(CNA_VERSION_PATCH, 0);
  ck_assert_int_lt(CNA_VERSION_PATCH, 100);
  ck_assert_int_eq(CNA_VERSION_NUMBER, 200); /* 0.2.0 */
}
END_TEST

/* ----------------------------------------------------------------- enums */

START_TEST(enum_values_are_pinned) {
  ck_assert_int_eq(CNA_OK, 0);
  ck_assert_int_eq(CNA_ERROR_INVALID_ARGUMENT, 1);
  ck_assert_int_eq(CNA_ERROR_OUT_OF_MEMORY, 2);
  ck_assert_int_eq(CNA_ERROR_NOT_FOUND, 3);
  ck_assert_int_eq(CNA_ERROR_INVALID_SHAPE, 4);
  ck_assert_int_eq(CNA_ERROR_INVALID_GRAPH, 5);
  ck_assert_int_eq(CNA_ERROR_TOO_LARGE, 6);
  ck_assert_int_eq(CNA_ERROR_INTERNAL, 7);
  ck_assert_int_eq(CNA_ERROR_IO, 8);
  ck_assert_int_eq(CNA_ERROR_CORRUPT, 9);
  ck_assert_int_eq(CNA_ERROR_UNSUPPORTED, 10);

  ck_assert_int_eq(CNA_LAYER_INPUT, 0);
  ck_assert_int_eq(CNA_LAYER_CONV2D, 1);
  ck_assert_int_eq(CNA_LAYER_MAX_POOL2D, 2);
  ck_assert_int_eq(CNA_LAYER_AVG_POOL2D, 3);
  ck_assert_int_eq(CNA_LAYER_GLOBAL_AVG_POOL, 4);
  ck_assert_int_eq(CNA_LAYER_ADAPTIVE_AVG_POOL2D, 5);
  ck_assert_int_eq(CNA_LAYER_LRN, 6);
  ck_assert_int_eq(CNA_LAYER_BATCH_NORM, 7);
  ck_assert_int_eq(CNA_LAYER_RELU, 8);
  ck_assert_int_eq(CNA_LAYER_TANH, 9);
  ck_assert_int_eq(CNA_LAYER_DROPOUT, 10);
  ck_assert_int_eq(CNA_LAYER_FULLY_CONNECTED, 11);
  ck_assert_int_eq(CNA_LAYER_FLATTEN, 12);
  ck_assert_int_eq(CNA_LAYER_SOFTMAX, 13);
  ck_assert_int_eq(CNA_LAYER_CONCAT, 14);
  ck_assert_int_eq(CNA_LAYER_ADD, 15);
  ck_assert_int_eq(CNA_LAYER_CHANNEL_PAD, 16);

  ck_assert_int_eq(CNA_STAT_PARAMS, 0);
  ck_assert_int_eq(CNA_STAT_ACTIVATIONS, 1);
  ck_assert_int_eq(CNA_STAT_ACTIVATION_BYTES, 2);
  ck_assert_int_eq(CNA_STAT_MACS, 3);
  ck_assert_int_eq(CNA_STAT_RF_HEIGHT, 4);
  ck_assert_int_eq(CNA_STAT_RF_WIDTH, 5);
  ck_assert_int_eq(CNA_STAT_RF_JUMP_HEIGHT, 6);
  ck_assert_int_eq(CNA_STAT_RF_JUMP_WIDTH, 7);
  ck_assert_int_eq(CNA_STAT_DEPTH, 8);
  ck_assert_int_eq(CNA_STAT_BUFFERS, 9);
  ck_assert_int_eq(CNA_STAT_OPS, 10);
}
END_TEST

START_TEST(status_strings_distinct) {
  const cna_status all[] = {CNA_OK,
                            CNA_ERROR_INVALID_ARGUMENT,
                            CNA_ERROR_OUT_OF_MEMORY,
                            CNA_ERROR_NOT_FOUND,
                            CNA_ERROR_INVALID_SHAPE,
                            CNA_ERROR_INVALID_GRAPH,
                            CNA_ERROR_TOO_LARGE,
                            CNA_ERROR_INTERNAL,         CNA_ERROR_IO,
                            CNA_ERROR_CORRUPT,          CNA_ERROR_UNSUPPORTED};
  const size_t n = sizeof all / sizeof all[0];
  for (size_t i = 0; i < n; i++) {
    const char *s = cna_status_string(all[i]);
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(s[0] != '\0', "status %d has an empty string", (int)all[i]);
    ck_assert_str_ne(s, "unknown status");
    for (size_t j = 0; j < i; j++)
      ck_assert_msg(strcmp(s, cna_status_string(all[j])) != 0,
                    "statuses %d and %d share the string \"%s\"", (int)all[i], (int)all[j],
                    s);
  }
  ck_assert_str_eq(cna_status_string(CNA_ERROR_INVALID_ARGUMENT), "invalid argument");
  ck_assert_str_eq(cna_status_string((cna_status)11), "unknown status");
  ck_assert_str_eq(cna_status_string((cna_status)99), "unknown status");
  ck_assert_str_eq(cna_status_string((cna_status)-1), "unknown status");
}
END_TEST

START_TEST(layer_type_names_distinct) {
  for (int t = 0; t <= 16; t++) {
    const char *name = cna_layer_type_name((cna_layer_type)t);
    ck_assert_ptr_nonnull(name);
    ck_assert_msg(name[0] != '\0', "layer type %d has an empty name", t);
    ck_assert_msg(strcmp(name, "unknown") != 0, "layer type %d is called unknown", t);
    for (int u = 0; u < t; u++)
      ck_assert_msg(strcmp(name, cna_layer_type_name((cna_layer_type)u)) != 0,
                    "layer types %d and %d share the name \"%s\"", t, u, name);
  }
  ck_assert_str_eq(cna_layer_type_name(CNA_LAYER_INPUT), "input");
  ck_assert_str_eq(cna_layer_type_name(CNA_LAYER_CONV2D), "conv2d");
  ck_assert_str_eq(cna_layer_type_name(CNA_LAYER_MAX_POOL2D), "max_pool2d");
  ck_assert_str_eq(cna_layer_type_name(CNA_LAYER_CHANNEL_PAD), "channel_pad");
  ck_assert_str_eq(cna_layer_type_name((cna_layer_type)17), "unknown");
  ck_assert_str_eq(cna_layer_type_name((cna_layer_type)1000), "unknown");
  ck_assert_str_eq(cna_layer_type_name((cna_layer_type)-1), "unknown");
}
END_TEST

/* --------------------------------------------------------------- options */

START_TEST(options_create_destroy) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ptr_nonnull(opts);
  cna_options_destroy(opts);
  cna_options_destroy(NULL);
  ck_assert_status(cna_options_create(NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_options_create");
}
END_TEST

START_TEST(options_null_opts) {
  ck_assert_status(cna_options_set_num_threads(NULL, 2), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_options_set_num_threads");
  ck_assert_status(cna_options_set_num_classes(NULL, 2), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_options_set_num_classes");
  ck_assert_status(cna_options_set_input_size(NULL, 32, 32), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_options_set_input_size");
  ck_assert_status(cna_options_set_seed(NULL, 42), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_options_set_seed");
  ck_assert_status(cna_options_set_aux_logits(NULL, 1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_options_set_aux_logits");
}
END_TEST

START_TEST(options_out_of_range) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));

  ck_assert_status(cna_options_set_num_threads(opts, 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("found 0");
  ck_assert_status(cna_options_set_num_threads(opts, -1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_num_threads(opts, CNA_MAX_THREADS + 1),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("257");

  ck_assert_status(cna_options_set_num_classes(opts, -1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("found -1");
  ck_assert_status(cna_options_set_num_classes(opts, CNA_MAX_CLASSES + 1),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("1000001");

  ck_assert_status(cna_options_set_input_size(opts, 0, 5), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("0x5");
  ck_assert_status(cna_options_set_input_size(opts, 5, 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_input_size(opts, -1, 5), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("-1x5");
  ck_assert_status(cna_options_set_input_size(opts, 5, -1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_input_size(opts, CNA_MAX_INPUT_SIZE + 1, 5),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("16385");
  ck_assert_status(cna_options_set_input_size(opts, 5, CNA_MAX_INPUT_SIZE + 1),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_input_size(opts, -1, -1), CNA_ERROR_INVALID_ARGUMENT);

  /* Still usable: every valid value, bounds included, is accepted. */
  ck_assert_ok(cna_options_set_num_threads(opts, 1));
  ck_assert_ok(cna_options_set_num_threads(opts, CNA_MAX_THREADS));
  ck_assert_ok(cna_options_set_num_classes(opts, 0));
  ck_assert_ok(cna_options_set_num_classes(opts, 1));
  ck_assert_ok(cna_options_set_num_classes(opts, CNA_MAX_CLASSES));
  ck_assert_ok(cna_options_set_input_size(opts, 0, 0));
  ck_assert_ok(cna_options_set_input_size(opts, 1, 1));
  ck_assert_ok(cna_options_set_input_size(opts, CNA_MAX_INPUT_SIZE, CNA_MAX_INPUT_SIZE));
  ck_assert_ok(cna_options_set_seed(opts, 0));
  ck_assert_ok(cna_options_set_seed(opts, UINT64_MAX));
  ck_assert_ok(cna_options_set_aux_logits(opts, 0));
  ck_assert_ok(cna_options_set_aux_logits(opts, 5));
  cna_options_destroy(opts);
}
END_TEST

START_TEST(options_refused_value_leaves_opts_unchanged) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_threads(opts, 3));
  ck_assert_ok(cna_options_set_num_classes(opts, 7));
  ck_assert_ok(cna_options_set_input_size(opts, 36, 40));
  ck_assert_status(cna_options_set_num_threads(opts, 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_num_classes(opts, -1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_input_size(opts, 0, 5), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_options_set_input_size(opts, 20, CNA_MAX_INPUT_SIZE + 1),
                   CNA_ERROR_INVALID_ARGUMENT);

  cna_net *net = zoo_net("lenet5", opts);
  int threads = 0;
  ck_assert_ok(cna_net_num_threads(net, &threads));
  ck_assert_int_eq(threads, 3);
  ck_assert_uint_eq(output_size_of(net), 7);
  size_t shape[3];
  ck_assert_ok(cna_net_input_shape(net, shape));
  ck_assert_uint_eq(shape[0], 1);
  ck_assert_uint_eq(shape[1], 36);
  ck_assert_uint_eq(shape[2], 40);
  cna_net_destroy(net);
  cna_options_destroy(opts);
}
END_TEST

START_TEST(options_num_threads_reported) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_threads(opts, 3));
  cna_net *net = zoo_net("lenet5", opts);
  int threads = 0;
  ck_assert_ok(cna_net_num_threads(net, &threads));
  ck_assert_int_eq(threads, 3);
  cna_net_destroy(net);

  /* cna_builder_build takes the thread count too. */
  net = small_net(opts);
  threads = 0;
  ck_assert_ok(cna_net_num_threads(net, &threads));
  ck_assert_int_eq(threads, 3);
  cna_net_destroy(net);
  cna_options_destroy(opts);

  /* Defaults: one thread. */
  net = zoo_net("lenet5", NULL);
  ck_assert_ok(cna_net_num_threads(net, &threads));
  ck_assert_int_eq(threads, 1);
  cna_net_destroy(net);
}
END_TEST

START_TEST(options_num_classes_resnet18) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_classes(opts, 7));
  cna_net *net = zoo_net("resnet18", opts);
  cna_options_destroy(opts);
  ck_assert_uint_eq(output_size_of(net), 7);
  size_t fc;
  ck_assert_ok(cna_net_find_tensor(net, "fc.weight", &fc));
  size_t ndim = 0, dims[4];
  ck_assert_ok(cna_net_tensor_shape(net, fc, &ndim, dims));
  ck_assert_uint_eq(ndim, 2);
  ck_assert_uint_eq(dims[0], 7);
  ck_assert_uint_eq(dims[1], 512);
  cna_net_destroy(net);
}
END_TEST

START_TEST(options_input_size_resnet18) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_input_size(opts, 64, 48));
  cna_net *net = zoo_net("resnet18", opts);
  cna_options_destroy(opts);
  size_t shape[3] = {0, 0, 0};
  ck_assert_ok(cna_net_input_shape(net, shape));
  ck_assert_uint_eq(shape[0], 3);
  ck_assert_uint_eq(shape[1], 64);
  ck_assert_uint_eq(shape[2], 48);
  ck_assert_uint_eq(output_size_of(net), 1000);
  cna_net_destroy(net);
}
END_TEST

START_TEST(options_input_too_small_for_alexnet) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_input_size(opts, 8, 8));
  cna_net *net = NULL;
  ck_assert_status(cna_net_create_arch("alexnet", opts, &net), CNA_ERROR_INVALID_SHAPE);
  ck_assert_message_has("features.");
  ck_assert_message_has("larger");
  ck_assert_message_has("alexnet");
  cna_options_destroy(opts);
}
END_TEST

START_TEST(options_input_too_large_for_lenet5) {
  /* 16384x16384 is a valid option, but LeNet-5's first fully connected
   * weight would hold 120 x 16 x 4093 x 4093 floats: refused while the graph
   * is built, before anything is allocated. */
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_input_size(opts, CNA_MAX_INPUT_SIZE, CNA_MAX_INPUT_SIZE));
  cna_net *net = NULL;
  ck_assert_status(cna_net_create_arch("lenet5", opts, &net), CNA_ERROR_TOO_LARGE);
  expect_message_has_all("classifier.1", "weight", "lenet5", NULL);
  ck_assert_ptr_null(net);
  cna_options_destroy(opts);
}
END_TEST

START_TEST(options_destroyed_after_create) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_classes(opts, 5));
  ck_assert_ok(cna_options_set_num_threads(opts, 2));
  ck_assert_ok(cna_options_set_seed(opts, 1234));
  cna_net *net = zoo_net("lenet5", opts);
  cna_options_destroy(opts);

  ck_assert_uint_eq(output_size_of(net), 5);
  int threads = 0;
  ck_assert_ok(cna_net_num_threads(net, &threads));
  ck_assert_int_eq(threads, 2);
  float input[32 * 32], output[2 * 5];
  for (size_t i = 0; i < 32 * 32; i++) input[i] = (float)(i % 17) / 17.0f - 0.5f;
  for (size_t i = 0; i < 10; i++) output[i] = NAN;
  ck_assert_ok(cna_net_forward(net, input, 1, output));
  for (size_t i = 0; i < 5; i++) ck_assert_msg(isfinite(output[i]), "output %zu", i);
  ck_assert_msg(isnan(output[5]), "forward wrote past the output of batch 1");
  cna_net_destroy(net);
}
END_TEST

/* ------------------------------------------------------------------ arch */

START_TEST(arch_null_arguments) {
  cna_net *net = NULL;
  ck_assert_status(cna_net_create_arch(NULL, NULL, &net), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_net_create_arch");
  ck_assert_ptr_null(net);
  ck_assert_status(cna_net_create_arch("lenet5", NULL, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_net_create_arch");
}
END_TEST

START_TEST(arch_unknown_names) {
  cna_net *net = NULL;
  ck_assert_status(cna_net_create_arch("resnet51", NULL, &net), CNA_ERROR_NOT_FOUND);
  expect_message_has_all("resnet51", "'resnet50'", NULL);
  ck_assert_ptr_null(net);
  ck_assert_status(cna_net_create_arch("vgg", NULL, &net), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("'vgg'");
  ck_assert_status(cna_net_create_arch("", NULL, &net), CNA_ERROR_NOT_FOUND);
  ck_assert_status(cna_net_create_arch("ResNet50", NULL, &net), CNA_ERROR_NOT_FOUND);
  ck_assert_status(cna_net_create_arch("lenet5 ", NULL, &net), CNA_ERROR_NOT_FOUND);
  ck_assert_ptr_null(net);
}
END_TEST

START_TEST(arch_long_unknown_name) {
  /* Longer than the message buffer: truncated, never overflowed. */
  char name[3000];
  memset(name, 'x', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  cna_net *net = NULL;
  ck_assert_status(cna_net_create_arch(name, NULL, &net), CNA_ERROR_NOT_FOUND);
  const char *m = cna_last_error_message();
  ck_assert_ptr_nonnull(m);
  ck_assert_uint_gt(strlen(m), 0);
  ck_assert_uint_lt(strlen(m), sizeof name);
  ck_assert_ptr_null(net);
}
END_TEST

START_TEST(arch_table) {
  const size_t n = cna_arch_count();
  ck_assert_uint_gt(n, 0);
  for (size_t i = 0; i < n; i++) {
    const char *name = cna_arch_name(i);
    ck_assert_msg(name != NULL, "cna_arch_name(%zu) is NULL", i);
    ck_assert_msg(name[0] != '\0', "cna_arch_name(%zu) is empty", i);
    const char *desc = cna_arch_description(name);
    ck_assert_msg(desc != NULL && desc[0] != '\0', "%s has no description", name);
    for (size_t j = 0; j < i; j++)
      ck_assert_msg(strcmp(name, cna_arch_name(j)) != 0, "%s is listed twice", name);
  }
  ck_assert_ptr_null(cna_arch_name(n));
  ck_assert_ptr_null(cna_arch_name(n + 1));
  ck_assert_ptr_null(cna_arch_name(SIZE_MAX));
  ck_assert_ptr_null(cna_arch_description("nope"));
  ck_assert_ptr_null(cna_arch_description(""));
  ck_assert_ptr_null(cna_arch_description(NULL));
  ck_assert_ptr_nonnull(cna_arch_description("resnet50"));
}
END_TEST

START_TEST(arch_small_nets_create) {
  static const char *const names[] = {"lenet5", "resnet20", "nin", "squeezenet1_1",
                                      "inception_naive"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    ck_assert_ptr_nonnull(cna_arch_description(names[i]));
    cna_net *net = zoo_net(names[i], NULL);
    size_t layers = 0;
    ck_assert_ok(cna_net_layer_count(net, &layers));
    ck_assert_uint_gt(layers, 1);
    const char *first = NULL;
    ck_assert_ok(cna_net_layer_name(net, 0, &first));
    ck_assert_str_eq(first, "input");
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(arch_inception_ignores_num_classes) {
  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  cna_net *net = zoo_net("inception_naive", opts);
  const size_t size = output_size_of(net);
  cna_net_destroy(net);
  ck_assert_ok(cna_options_set_num_classes(opts, 3));
  net = zoo_net("inception_naive", opts);
  ck_assert_uint_eq(output_size_of(net), size);
  cna_net_destroy(net);
  cna_options_destroy(opts);
}
END_TEST

/* --------------------------------------------------------------- builder */

START_TEST(builder_null_builder) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  const char *const names[] = {"data"};
  size_t count = 0, shape[3];
  cna_net *net = NULL;
  ck_assert_status(cna_builder_create(NULL), bad);
  ck_assert_status(cna_builder_input(NULL, "in", 3, 8, 8), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_conv2d(NULL, "c", NULL, 4, 3, 1, 1, 1), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_conv2d_ex(NULL, "c", NULL, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
                   bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_max_pool2d(NULL, "p", NULL, 2, 2, 0, 0), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_avg_pool2d(NULL, "p", NULL, 2, 2, 0, 0, 1), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_adaptive_avg_pool2d(NULL, "p", NULL, 1, 1), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_global_avg_pool(NULL, "p", NULL), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_lrn(NULL, "n", NULL, 5, 1e-4f, 0.75f, 2.0f), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_batch_norm(NULL, "bn", NULL, 1e-5f), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_relu(NULL, "r", NULL), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_tanh(NULL, "t", NULL), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_dropout(NULL, "d", NULL, 0.5f), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_fully_connected(NULL, "fc", NULL, 10, 1), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_flatten(NULL, "f", NULL), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_softmax(NULL, "s", NULL), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_concat(NULL, "cat", names, 1), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_add(NULL, "sum", "data", "data"), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_channel_pad(NULL, "cp", NULL, 1, 1), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_set_output(NULL, "data"), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_layer_count(NULL, &count), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_output_shape(NULL, NULL, shape), bad);
  ck_assert_message_has("builder");
  ck_assert_status(cna_builder_build(NULL, NULL, &net), bad);
  ck_assert_message_has("builder");
  ck_assert_ptr_null(net);
  cna_builder_destroy(NULL);

  /* NULL out pointers on a valid builder. */
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_status(cna_builder_layer_count(b, NULL), bad);
  ck_assert_status(cna_builder_output_shape(b, NULL, NULL), bad);
  ck_assert_status(cna_builder_output_shape(b, "data", NULL), bad);
  ck_assert_status(cna_builder_build(b, NULL, NULL), bad);
  ck_assert_message_has("out");
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_layer_before_input) {
  cna_builder *b = NULL;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_uint_eq(layer_count_of(b), 0);
  ck_assert_refused(b, cna_builder_relu(b, "early", NULL), CNA_ERROR_INVALID_GRAPH, "input");
  ck_assert_message_has("early");
  ck_assert_refused(b, cna_builder_conv2d(b, "c", NULL, 4, 3, 1, 1, 1),
                    CNA_ERROR_INVALID_GRAPH, "input");
  ck_assert_refused(b, cna_builder_fully_connected(b, NULL, NULL, 4, 1),
                    CNA_ERROR_INVALID_GRAPH, "input");
  ck_assert_refused(b, cna_builder_add(b, "sum", NULL, "x"), CNA_ERROR_INVALID_GRAPH,
                    "input");
  /* Now the input, and the builder works. */
  ck_assert_ok(cna_builder_input(b, "data", 3, 8, 8));
  ck_assert_uint_eq(layer_count_of(b), 1);
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_second_input) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_refused(b, cna_builder_input(b, "data2", 3, 8, 8), CNA_ERROR_INVALID_GRAPH,
                    "data2");
  ck_assert_ok(cna_builder_relu(b, "r", NULL));
  ck_assert_refused(b, cna_builder_input(b, "data3", 1, 4, 4), CNA_ERROR_INVALID_GRAPH,
                    "data3");
  ck_assert_refused(b, cna_builder_input(b, NULL, 1, 4, 4), CNA_ERROR_INVALID_GRAPH, NULL);
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_duplicate_and_empty_names) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_ok(cna_builder_relu(b, "r1", NULL));
  ck_assert_refused(b, cna_builder_relu(b, "r1", NULL), CNA_ERROR_INVALID_GRAPH, "'r1'");
  ck_assert_refused(b, cna_builder_conv2d(b, "data", NULL, 4, 3, 1, 1, 1),
                    CNA_ERROR_INVALID_GRAPH, "'data'");
  ck_assert_refused(b, cna_builder_relu(b, "", NULL), CNA_ERROR_INVALID_ARGUMENT, "empty");
  ck_assert_refused(b, cna_builder_batch_norm(b, "", NULL, 1e-5f),
                    CNA_ERROR_INVALID_ARGUMENT, "empty");
  /* Names are case-sensitive: "R1" is another name. */
  ck_assert_ok(cna_builder_relu(b, "R1", NULL));
  expect_builder_usable(b);
  cna_builder_destroy(b);

  cna_builder *e = NULL;
  ck_assert_ok(cna_builder_create(&e));
  ck_assert_refused(e, cna_builder_input(e, "", 3, 8, 8), CNA_ERROR_INVALID_ARGUMENT,
                    "empty");
  ck_assert_ok(cna_builder_input(e, "data", 3, 8, 8));
  expect_builder_usable(e);
  cna_builder_destroy(e);
}
END_TEST

START_TEST(builder_long_duplicate_name) {
  /* A name longer than the message buffer: refused cleanly. */
  char name[2500];
  memset(name, 'n', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_ok(cna_builder_relu(b, name, NULL));
  ck_assert_refused(b, cna_builder_relu(b, name, NULL), CNA_ERROR_INVALID_GRAPH, "nnnn");
  ck_assert_uint_lt(strlen(cna_last_error_message()), sizeof name);
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, name, shape));
  ck_assert_uint_eq(shape[0], 3);
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_unknown_input) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_ok(cna_builder_conv2d(b, "conv1", NULL, 4, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_relu(b, "relu1", NULL));
  ck_assert_refused(b, cna_builder_relu(b, "relu2", "conv_1"), CNA_ERROR_NOT_FOUND,
                    "'conv1'");
  expect_message_has_all("relu2", "conv_1", NULL);
  ck_assert_refused(b, cna_builder_max_pool2d(b, "pool", "Conv1", 2, 2, 0, 0),
                    CNA_ERROR_NOT_FOUND, "'conv1'");
  ck_assert_refused(b, cna_builder_relu(b, "relu3", "completely_unrelated_name"),
                    CNA_ERROR_NOT_FOUND, "completely_unrelated_name");
  ck_assert_msg(strstr(cna_last_error_message(), "did you mean") == NULL,
                "an unrelated name got suggestions: %s", cna_last_error_message());
  /* The named input resolves. */
  ck_assert_ok(cna_builder_relu(b, "relu2", "conv1"));
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_conv_kernel_too_large) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_refused(b, cna_builder_conv2d(b, "big", NULL, 4, 9, 1, 0, 1),
                    CNA_ERROR_INVALID_SHAPE, "'big'");
  ck_assert_message_has("larger");
  ck_assert_message_has("8x8");
  /* Non-square: too tall only. */
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "tall", NULL, 4, 9, 3, 1, 1, 0, 0, 1, 1, 1, 1),
                    CNA_ERROR_INVALID_SHAPE, "'tall'");
  ck_assert_message_has("larger");
  /* Dilated 3x3 with dilation 4 spans 9 > 8. */
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "dil", NULL, 4, 3, 3, 1, 1, 0, 0, 4, 4, 1, 1),
                    CNA_ERROR_INVALID_SHAPE, "'dil'");
  /* With padding 1 the 9x9 kernel fits the padded 10x10: 2x2. */
  ck_assert_ok(cna_builder_conv2d(b, "fits", NULL, 4, 9, 1, 1, 1));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, "fits", shape));
  ck_assert_uint_eq(shape[0], 4);
  ck_assert_uint_eq(shape[1], 2);
  ck_assert_uint_eq(shape[2], 2);
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_conv_bad_attributes) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_refused(b, cna_builder_conv2d(b, "s0", NULL, 4, 3, 0, 1, 1), bad, "'s0'");
  ck_assert_message_has("stride");
  ck_assert_refused(b, cna_builder_conv2d(b, "k0", NULL, 4, 0, 1, 1, 1), bad, "'k0'");
  ck_assert_message_has("kernel");
  ck_assert_refused(b, cna_builder_conv2d(b, "kneg", NULL, 4, -3, 1, 1, 1), bad, "'kneg'");
  ck_assert_refused(b, cna_builder_conv2d(b, "sneg", NULL, 4, 3, -1, 1, 1), bad, "'sneg'");
  ck_assert_refused(b, cna_builder_conv2d(b, "pneg", NULL, 4, 3, 1, -1, 1), bad, "'pneg'");
  ck_assert_message_has("padding");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "pw", NULL, 4, 3, 3, 1, 1, 0, -2, 1, 1, 1, 1),
                    bad, "'pw'");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "d0", NULL, 4, 3, 3, 1, 1, 1, 1, 0, 1, 1, 1),
                    bad, "'d0'");
  ck_assert_message_has("dilation");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "dw0", NULL, 4, 3, 3, 1, 1, 1, 1, 1, 0, 1, 1),
                    bad, "'dw0'");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "sw0", NULL, 4, 3, 3, 1, 0, 1, 1, 1, 1, 1, 1),
                    bad, "'sw0'");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "kw0", NULL, 4, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                    bad, "'kw0'");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "g0", NULL, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1),
                    bad, "'g0'");
  ck_assert_message_has("groups");
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "gneg", NULL, 4, 3, 3, 1, 1, 1, 1, 1, 1, -1, 1),
                    bad, "'gneg'");
  ck_assert_refused(b, cna_builder_conv2d(b, "oc0", NULL, 0, 3, 1, 1, 1), bad, "'oc0'");
  ck_assert_message_has("out_channels");
  ck_assert_refused(b, cna_builder_conv2d(b, "ocneg", NULL, -4, 3, 1, 1, 1), bad, "'ocneg'");
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_conv_groups_shape) {
  cna_builder *b = builder_with_input(3, 8, 8);
  /* 3 input channels are not divisible by 2 groups. */
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "g2", NULL, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1),
                    CNA_ERROR_INVALID_SHAPE, "'g2'");
  ck_assert_message_has("groups");
  ck_assert_ok(cna_builder_conv2d(b, "c4", NULL, 4, 1, 1, 0, 0));
  /* 4 input channels divide by 2 groups, 3 output channels do not. */
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "g2o", NULL, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1),
                    CNA_ERROR_INVALID_SHAPE, "'g2o'");
  /* More groups than channels. */
  ck_assert_refused(b, cna_builder_conv2d_ex(b, "g8", NULL, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 1),
                    CNA_ERROR_INVALID_SHAPE, "'g8'");
  ck_assert_ok(cna_builder_conv2d_ex(b, "g2ok", NULL, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1));
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_pool_bad_attributes) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_refused(b, cna_builder_max_pool2d(b, "mp", NULL, 3, 1, 2, 0), bad, "'mp'");
  ck_assert_message_has("half the kernel");
  ck_assert_refused(b, cna_builder_avg_pool2d(b, "ap", NULL, 2, 2, 2, 0, 1), bad, "'ap'");
  ck_assert_refused(b, cna_builder_max_pool2d(b, "mpneg", NULL, 3, 1, -1, 0), bad, "'mpneg'");
  ck_assert_refused(b, cna_builder_max_pool2d(b, "mk0", NULL, 0, 1, 0, 0), bad, "'mk0'");
  ck_assert_refused(b, cna_builder_avg_pool2d(b, "as0", NULL, 2, 0, 0, 0, 1), bad, "'as0'");
  ck_assert_refused(b, cna_builder_max_pool2d(b, "mbig", NULL, 9, 1, 0, 0),
                    CNA_ERROR_INVALID_SHAPE, "'mbig'");
  ck_assert_message_has("larger");
  ck_assert_refused(b, cna_builder_adaptive_avg_pool2d(b, "ad01", NULL, 0, 1), bad, "'ad01'");
  ck_assert_refused(b, cna_builder_adaptive_avg_pool2d(b, "ad10", NULL, 1, 0), bad, "'ad10'");
  ck_assert_refused(b, cna_builder_adaptive_avg_pool2d(b, "adneg", NULL, -1, 1), bad,
                    "'adneg'");
  /* Padding exactly half the kernel is fine. */
  ck_assert_ok(cna_builder_max_pool2d(b, "mpok", NULL, 3, 1, 1, 0));
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_add_and_concat_shapes) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_ok(cna_builder_conv2d(b, "c", "data", 4, 3, 1, 1, 1));
  ck_assert_refused(b, cna_builder_add(b, "sum", "data", "c"), CNA_ERROR_INVALID_SHAPE,
                    "'sum'");
  expect_message_has_all("3x8x8", "4x8x8", NULL);
  ck_assert_refused(b, cna_builder_add(b, "sum", NULL, NULL), CNA_ERROR_INVALID_ARGUMENT,
                    "'sum'");
  ck_assert_refused(b, cna_builder_add(b, "sum", NULL, "nope"), CNA_ERROR_NOT_FOUND, "nope");
  ck_assert_refused(b, cna_builder_add(b, "sum", "nope", "c"), CNA_ERROR_NOT_FOUND, "nope");

  ck_assert_ok(cna_builder_max_pool2d(b, "p", "data", 2, 2, 0, 0));
  const char *const mixed[] = {"data", "p"};
  ck_assert_refused(b, cna_builder_concat(b, "cat", mixed, 2), CNA_ERROR_INVALID_SHAPE,
                    "'cat'");
  expect_message_has_all("4x4", "8x8", NULL);
  ck_assert_refused(b, cna_builder_concat(b, "cat", NULL, 2), CNA_ERROR_INVALID_ARGUMENT,
                    "'cat'");
  ck_assert_refused(b, cna_builder_concat(b, "cat", mixed, 0), CNA_ERROR_INVALID_ARGUMENT,
                    "'cat'");
  const char *const with_null[] = {"data", NULL, "c"};
  ck_assert_refused(b, cna_builder_concat(b, "cat", with_null, 3),
                    CNA_ERROR_INVALID_ARGUMENT, "'cat'");
  const char *const with_unknown[] = {"data", "cc"};
  ck_assert_refused(b, cna_builder_concat(b, "cat", with_unknown, 2), CNA_ERROR_NOT_FOUND,
                    "'cc'");

  const char *const same[] = {"data", "c", "data"};
  ck_assert_ok(cna_builder_concat(b, "cat", same, 3));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, "cat", shape));
  ck_assert_uint_eq(shape[0], 10);
  ck_assert_uint_eq(shape[1], 8);
  ck_assert_uint_eq(shape[2], 8);
  ck_assert_ok(cna_builder_add(b, "sum", "data", "data"));
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_normalization_attributes) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_refused(b, cna_builder_lrn(b, "n_size", NULL, 0, 1e-4f, 0.75f, 2.0f), bad,
                    "'n_size'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_beta", NULL, 5, 1e-4f, -0.75f, 2.0f), bad,
                    "'n_beta'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_k", NULL, 5, 1e-4f, 0.75f, 0.0f), bad, "'n_k'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_kneg", NULL, 5, 1e-4f, 0.75f, -1.0f), bad,
                    "'n_kneg'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_nan", NULL, 5, NAN, 0.75f, 2.0f), bad,
                    "'n_nan'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_alpha", NULL, 5, -1e-4f, 0.75f, 2.0f), bad,
                    "'n_alpha'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_inf", NULL, 5, 1e-4f, INFINITY, 2.0f), bad,
                    "'n_inf'");
  ck_assert_refused(b, cna_builder_lrn(b, "n_kinf", NULL, 5, 1e-4f, 0.75f, INFINITY), bad,
                    "'n_kinf'");
  ck_assert_ok(cna_builder_lrn(b, "lrn", NULL, 5, 1e-4f, 0.75f, 2.0f));

  ck_assert_refused(b, cna_builder_batch_norm(b, "bn0", NULL, 0.0f), bad, "'bn0'");
  ck_assert_message_has("eps");
  ck_assert_refused(b, cna_builder_batch_norm(b, "bnnan", NULL, NAN), bad, "'bnnan'");
  ck_assert_refused(b, cna_builder_batch_norm(b, "bnneg", NULL, -1e-5f), bad, "'bnneg'");
  ck_assert_refused(b, cna_builder_batch_norm(b, "bninf", NULL, INFINITY), bad, "'bninf'");
  ck_assert_ok(cna_builder_batch_norm(b, "bn", NULL, 1e-5f));

  ck_assert_refused(b, cna_builder_dropout(b, "d1", NULL, 1.0f), bad, "'d1'");
  ck_assert_refused(b, cna_builder_dropout(b, "dneg", NULL, -0.1f), bad, "'dneg'");
  ck_assert_refused(b, cna_builder_dropout(b, "dnan", NULL, NAN), bad, "'dnan'");
  ck_assert_ok(cna_builder_dropout(b, "d0", NULL, 0.0f));
  ck_assert_ok(cna_builder_dropout(b, "d5", NULL, 0.5f));
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_other_attributes) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_refused(b, cna_builder_fully_connected(b, "fc0", NULL, 0, 1), bad, "'fc0'");
  ck_assert_message_has("out_features");
  ck_assert_refused(b, cna_builder_fully_connected(b, "fcneg", NULL, -5, 1), bad, "'fcneg'");
  ck_assert_refused(b, cna_builder_channel_pad(b, "cp", NULL, -1, 0), bad, "'cp'");
  ck_assert_refused(b, cna_builder_channel_pad(b, "cp", NULL, 0, -1), bad, "'cp'");
  ck_assert_ok(cna_builder_channel_pad(b, "cp", NULL, 0, 0));
  expect_builder_usable(b);
  cna_builder_destroy(b);

  /* Input dimensions below 1. */
  const int dims[][3] = {{0, 8, 8}, {3, 0, 8}, {3, 8, 0}, {-1, 8, 8}, {3, -8, 8}};
  for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
    cna_builder *e = NULL;
    ck_assert_ok(cna_builder_create(&e));
    ck_assert_refused(e, cna_builder_input(e, "in", dims[i][0], dims[i][1], dims[i][2]), bad,
                      "'in'");
    ck_assert_ok(cna_builder_input(e, "in", 3, 8, 8));
    expect_builder_usable(e);
    cna_builder_destroy(e);
  }
}
END_TEST

START_TEST(builder_too_large) {
  /* 1 x 65536 x 65536 is 2^32 elements per image. */
  cna_builder *b = NULL;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_refused(b, cna_builder_input(b, "huge", 1, 65536, 65536), CNA_ERROR_TOO_LARGE,
                    "'huge'");
  ck_assert_refused(b, cna_builder_input(b, "huger", INT32_MAX, INT32_MAX, INT32_MAX),
                    CNA_ERROR_TOO_LARGE, "'huger'");
  ck_assert_ok(cna_builder_input(b, "data", 3, 8, 8));
  /* Layers whose output or weights would exceed the limit. */
  ck_assert_refused(b, cna_builder_conv2d(b, "wide", NULL, 4, 1, 1, 100000, 0),
                    CNA_ERROR_TOO_LARGE, "'wide'");
  ck_assert_refused(b, cna_builder_channel_pad(b, "deep", NULL, INT32_MAX, INT32_MAX),
                    CNA_ERROR_TOO_LARGE, "'deep'");
  ck_assert_refused(b, cna_builder_adaptive_avg_pool2d(b, "up", NULL, 65536, 65536),
                    CNA_ERROR_TOO_LARGE, "'up'");
  ck_assert_refused(b, cna_builder_conv2d(b, "many", NULL, INT32_MAX, 1, 1, 0, 1),
                    CNA_ERROR_TOO_LARGE, "'many'");
  expect_builder_usable(b);
  cna_builder_destroy(b);

  /* 2^28 input features x 16 outputs is a 2^32-element weight. */
  b = builder_with_input(1, 16384, 16384);
  ck_assert_refused(b, cna_builder_fully_connected(b, "fc", NULL, 16, 1), CNA_ERROR_TOO_LARGE,
                    "'fc'");
  ck_assert_message_has("weight");
  ck_assert_ok(cna_builder_global_avg_pool(b, "gap", NULL));
  expect_builder_usable(b);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_build_errors) {
  cna_builder *b = NULL;
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_create(&b));
  /* Nothing to query yet: refused, and the message says what is missing. */
  size_t shape[3];
  ck_assert_status(cna_builder_output_shape(b, NULL, shape), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("cna_builder_output_shape: the builder has no layers yet");
  ck_assert_status(cna_builder_set_output(b, "data"), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("cna_builder_set_output: no layer named 'data'");
  ck_assert_status(cna_builder_build(b, NULL, &net), CNA_ERROR_INVALID_GRAPH);
  ck_assert_message_has("input");
  ck_assert_ptr_null(net);
  ck_assert_status(cna_builder_build(b, NULL, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_builder_build(NULL, NULL, &net), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_null(net);

  /* An input-only net is fine and builds twice into independent nets. */
  ck_assert_ok(cna_builder_input(b, "data", 2, 3, 4));
  cna_net *first = NULL, *second = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &first));
  ck_assert_ok(cna_builder_build(b, NULL, &second));
  ck_assert_ptr_nonnull(first);
  ck_assert_ptr_nonnull(second);
  ck_assert_ptr_ne(first, second);
  cna_builder_destroy(b);
  ck_assert_uint_eq(output_size_of(first), 24);
  float in[24], out[24];
  for (size_t i = 0; i < 24; i++) in[i] = (float)i - 11.5f;
  ck_assert_ok(cna_net_forward(second, in, 1, out));
  ck_assert_mem_eq(in, out, sizeof in);
  cna_net_destroy(first);
  cna_net_destroy(second);
}
END_TEST

START_TEST(builder_output_shape_queries) {
  cna_builder *b = builder_with_input(3, 8, 8);
  size_t shape[3] = {0, 0, 0};
  ck_assert_ok(cna_builder_output_shape(b, NULL, shape));
  ck_assert_uint_eq(shape[0], 3);
  ck_assert_uint_eq(shape[1], 8);
  ck_assert_uint_eq(shape[2], 8);
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 5, 3, 2, 1, 0));
  ck_assert_ok(cna_builder_flatten(b, "flat", NULL));
  ck_assert_ok(cna_builder_output_shape(b, NULL, shape));
  ck_assert_uint_eq(shape[0], 5 * 4 * 4);
  ck_assert_uint_eq(shape[1], 1);
  ck_assert_uint_eq(shape[2], 1);
  ck_assert_ok(cna_builder_output_shape(b, "conv", shape));
  ck_assert_uint_eq(shape[0], 5);
  ck_assert_uint_eq(shape[1], 4);
  ck_assert_uint_eq(shape[2], 4);
  shape[0] = 77;
  ck_assert_status(cna_builder_output_shape(b, "convv", shape), CNA_ERROR_NOT_FOUND);
  expect_message_has_all("convv", "'conv'", NULL);
  ck_assert_uint_eq(shape[0], 77);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_set_output) {
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 5, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_global_avg_pool(b, "gap", NULL));
  ck_assert_status(cna_builder_set_output(b, "gapp"), CNA_ERROR_NOT_FOUND);
  expect_message_has_all("gapp", "'gap'", NULL);
  ck_assert_status(cna_builder_set_output(b, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_builder_set_output(b, ""), CNA_ERROR_NOT_FOUND);
  ck_assert_uint_eq(layer_count_of(b), 3);

  /* Refused calls kept the default (the last layer). */
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  ck_assert_uint_eq(output_size_of(net), 5);
  cna_net_destroy(net);

  ck_assert_ok(cna_builder_set_output(b, "conv"));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  ck_assert_uint_eq(output_size_of(net), 5 * 8 * 8);
  size_t layers = 0;
  ck_assert_ok(cna_net_layer_count(net, &layers));
  ck_assert_uint_eq(layers, 3);
  cna_net_destroy(net);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_generated_names) {
  cna_builder *b = NULL;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, NULL, 3, 8, 8));
  ck_assert_ok(cna_builder_relu(b, NULL, NULL));
  ck_assert_ok(cna_builder_conv2d(b, NULL, NULL, 4, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_max_pool2d(b, NULL, NULL, 2, 2, 0, 0));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, "relu_1", shape));
  ck_assert_uint_eq(shape[0], 3);
  /* Generated names can be used as inputs. */
  ck_assert_ok(cna_builder_add(b, "sum", "relu_1", "input_0"));

  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  static const char *const expected[] = {"input_0", "relu_1", "conv2d_2", "max_pool2d_3",
                                         "sum"};
  size_t count = 0;
  ck_assert_ok(cna_net_layer_count(net, &count));
  ck_assert_uint_eq(count, 5);
  for (size_t i = 0; i < count; i++) {
    const char *name = NULL;
    ck_assert_ok(cna_net_layer_name(net, i, &name));
    ck_assert_str_eq(name, expected[i]);
  }
  size_t index = 0;
  ck_assert_ok(cna_net_find_tensor(net, "conv2d_2.weight", &index));
  ck_assert_ok(cna_net_find_layer(net, "max_pool2d_3", &index));
  ck_assert_uint_eq(index, 3);
  cna_net_destroy(net);
}
END_TEST

START_TEST(builder_generated_names_skip_taken_ones) {
  /* A user layer already called "relu_2": the unnamed relu added as layer 2
   * takes the next free name instead of being refused. */
  cna_builder *b = builder_with_input(1, 4, 4);
  ck_assert_ok(cna_builder_relu(b, "relu_2", NULL));
  ck_assert_ok(cna_builder_relu(b, NULL, NULL));
  ck_assert_ok(cna_builder_relu(b, "relu_4", NULL));
  ck_assert_ok(cna_builder_relu(b, NULL, NULL));
  size_t shape[3];
  ck_assert_ok(cna_builder_output_shape(b, "relu_3", shape));
  ck_assert_ok(cna_builder_output_shape(b, "relu_5", shape));
  size_t count;
  ck_assert_ok(cna_builder_layer_count(b, &count));
  ck_assert_uint_eq(count, 5);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(builder_independent_of_nets) {
  cna_builder *b = builder_with_input(1, 4, 4);
  ck_assert_ok(cna_builder_relu(b, "r", NULL));
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  /* Changing the builder afterwards does not change the net. */
  ck_assert_ok(cna_builder_global_avg_pool(b, "gap", NULL));
  cna_builder_destroy(b);
  ck_assert_uint_eq(output_size_of(net), 16);
  float in[16], out[16];
  for (size_t i = 0; i < 16; i++) in[i] = (float)i - 8.0f;
  ck_assert_ok(cna_net_forward(net, in, 1, out));
  for (size_t i = 0; i < 16; i++) ck_assert_float_eq(out[i], in[i] > 0 ? in[i] : 0.0f);
  cna_net_destroy(net);
}
END_TEST

/* ------------------------------------------------------------------- net */

START_TEST(net_null_arguments) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_net *net = small_net(NULL);
  size_t shape[3], value_size = 0, dims[4], ndim = 0;
  int threads = 0;
  const char *name = NULL;
  cna_layer_type type;
  uint64_t value = 0;
  float data[4] = {0};

  ck_assert_status(cna_net_input_shape(NULL, shape), bad);
  ck_assert_message_has("cna_net_input_shape");
  ck_assert_status(cna_net_input_shape(net, NULL), bad);
  ck_assert_status(cna_net_output_size(NULL, &value_size), bad);
  ck_assert_message_has("cna_net_output_size");
  ck_assert_status(cna_net_output_size(net, NULL), bad);
  ck_assert_status(cna_net_num_threads(NULL, &threads), bad);
  ck_assert_message_has("cna_net_num_threads");
  ck_assert_status(cna_net_num_threads(net, NULL), bad);
  ck_assert_status(cna_net_layer_count(NULL, &value_size), bad);
  ck_assert_message_has("cna_net_layer_count");
  ck_assert_status(cna_net_layer_count(net, NULL), bad);
  ck_assert_status(cna_net_layer_name(NULL, 0, &name), bad);
  ck_assert_message_has("cna_net_layer_name");
  ck_assert_status(cna_net_layer_name(net, 0, NULL), bad);
  ck_assert_status(cna_net_layer_type(NULL, 0, &type), bad);
  ck_assert_message_has("cna_net_layer_type");
  ck_assert_status(cna_net_layer_type(net, 0, NULL), bad);
  ck_assert_status(cna_net_layer_output_shape(NULL, 0, shape), bad);
  ck_assert_message_has("cna_net_layer_output_shape");
  ck_assert_status(cna_net_layer_output_shape(net, 0, NULL), bad);
  ck_assert_status(cna_net_layer_input_count(NULL, 0, &value_size), bad);
  ck_assert_message_has("cna_net_layer_input_count");
  ck_assert_status(cna_net_layer_input_count(net, 0, NULL), bad);
  ck_assert_status(cna_net_layer_input(NULL, 1, 0, &value_size), bad);
  ck_assert_message_has("cna_net_layer_input");
  ck_assert_status(cna_net_layer_input(net, 1, 0, NULL), bad);
  ck_assert_status(cna_net_find_layer(NULL, "fc7", &value_size), bad);
  ck_assert_message_has("cna_net_find_layer");
  ck_assert_status(cna_net_find_layer(net, NULL, &value_size), bad);
  ck_assert_status(cna_net_find_layer(net, "fc7", NULL), bad);
  ck_assert_status(cna_net_layer_stat(NULL, 0, CNA_STAT_PARAMS, &value), bad);
  ck_assert_message_has("cna_net_layer_stat");
  ck_assert_status(cna_net_layer_stat(net, 0, CNA_STAT_PARAMS, NULL), bad);
  ck_assert_status(cna_net_total_stat(NULL, CNA_STAT_PARAMS, &value), bad);
  ck_assert_message_has("cna_net_total_stat");
  ck_assert_status(cna_net_total_stat(net, CNA_STAT_PARAMS, NULL), bad);
  ck_assert_status(cna_net_tensor_count(NULL, &value_size), bad);
  ck_assert_message_has("cna_net_tensor_count");
  ck_assert_status(cna_net_tensor_count(net, NULL), bad);
  ck_assert_status(cna_net_tensor_name(NULL, 0, &name), bad);
  ck_assert_message_has("cna_net_tensor_name");
  ck_assert_status(cna_net_tensor_name(net, 0, NULL), bad);
  ck_assert_status(cna_net_tensor_shape(NULL, 0, &ndim, dims), bad);
  ck_assert_message_has("cna_net_tensor_shape");
  ck_assert_status(cna_net_tensor_shape(net, 0, NULL, dims), bad);
  ck_assert_status(cna_net_tensor_shape(net, 0, &ndim, NULL), bad);
  ck_assert_status(cna_net_find_tensor(NULL, "fc7.bias", &value_size), bad);
  ck_assert_message_has("cna_net_find_tensor");
  ck_assert_status(cna_net_find_tensor(net, NULL, &value_size), bad);
  ck_assert_status(cna_net_find_tensor(net, "fc7.bias", NULL), bad);
  ck_assert_status(cna_net_get_tensor(NULL, 1, data, 4), bad);
  ck_assert_message_has("cna_net_get_tensor");
  ck_assert_status(cna_net_get_tensor(net, 1, NULL, 4), bad);
  ck_assert_status(cna_net_set_tensor(NULL, 1, data, 4), bad);
  ck_assert_message_has("cna_net_set_tensor");
  ck_assert_status(cna_net_set_tensor(net, 1, NULL, 4), bad);

  /* The net is intact and its accessors work. */
  ck_assert_ok(cna_net_layer_count(net, &value_size));
  ck_assert_uint_eq(value_size, SMALL_NET_LAYERS);
  ck_assert_ok(cna_net_tensor_count(net, &value_size));
  ck_assert_uint_eq(value_size, SMALL_NET_TENSORS);
  cna_net_destroy(net);
  cna_net_destroy(NULL);
}
END_TEST

START_TEST(net_layer_index_out_of_range) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_net *net = small_net(NULL);
  size_t n = 0;
  ck_assert_ok(cna_net_layer_count(net, &n));
  ck_assert_uint_eq(n, SMALL_NET_LAYERS);
  const size_t indices[] = {n, n + 1, SIZE_MAX};
  for (size_t i = 0; i < 3; i++) {
    const size_t index = indices[i];
    const char *name = "untouched";
    cna_layer_type type = CNA_LAYER_SOFTMAX;
    size_t shape[3] = {9, 9, 9}, count = 99, producer = 99;
    uint64_t value = 99;
    ck_assert_status(cna_net_layer_name(net, index, &name), bad);
    ck_assert_message_has("out of range");
    ck_assert_str_eq(name, "untouched");
    ck_assert_status(cna_net_layer_type(net, index, &type), bad);
    ck_assert_message_has("out of range");
    ck_assert_int_eq(type, CNA_LAYER_SOFTMAX);
    ck_assert_status(cna_net_layer_output_shape(net, index, shape), bad);
    ck_assert_message_has("out of range");
    ck_assert_uint_eq(shape[0], 9);
    ck_assert_status(cna_net_layer_input_count(net, index, &count), bad);
    ck_assert_message_has("out of range");
    ck_assert_uint_eq(count, 99);
    ck_assert_status(cna_net_layer_input(net, index, 0, &producer), bad);
    ck_assert_message_has("out of range");
    ck_assert_uint_eq(producer, 99);
    ck_assert_status(cna_net_layer_stat(net, index, CNA_STAT_PARAMS, &value), bad);
    ck_assert_message_has("out of range");
    ck_assert_uint_eq(value, 99);
  }
  /* The last valid index works. */
  const char *name = NULL;
  ck_assert_ok(cna_net_layer_name(net, n - 1, &name));
  ck_assert_str_eq(name, "fc7");
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_layer_input_out_of_range) {
  cna_net *net = small_net(NULL);
  size_t conv1 = 0, producer = 99, count = 99;
  ck_assert_ok(cna_net_find_layer(net, "conv1", &conv1));
  ck_assert_uint_eq(conv1, 1);
  ck_assert_ok(cna_net_layer_input_count(net, conv1, &count));
  ck_assert_uint_eq(count, 1);
  ck_assert_ok(cna_net_layer_input(net, conv1, 0, &producer));
  ck_assert_uint_eq(producer, 0);
  producer = 99;
  ck_assert_status(cna_net_layer_input(net, conv1, 1, &producer), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("'conv1'");
  ck_assert_uint_eq(producer, 99);
  ck_assert_status(cna_net_layer_input(net, conv1, SIZE_MAX, &producer),
                   CNA_ERROR_INVALID_ARGUMENT);
  /* The input layer has no inputs at all. */
  ck_assert_ok(cna_net_layer_input_count(net, 0, &count));
  ck_assert_uint_eq(count, 0);
  ck_assert_status(cna_net_layer_input(net, 0, 0, &producer), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("'data'");
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_unknown_stat) {
  cna_net *net = small_net(NULL);
  uint64_t value = 12345;
  ck_assert_status(cna_net_layer_stat(net, 1, (cna_stat)99, &value),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("99");
  ck_assert_status(cna_net_layer_stat(net, 1, (cna_stat)11, &value),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_layer_stat(net, 1, (cna_stat)-1, &value),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_total_stat(net, (cna_stat)99, &value), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("99");
  ck_assert_status(cna_net_total_stat(net, (cna_stat)11, &value), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_uint_eq(value, 12345);
  /* Every pinned stat is accepted by both. */
  for (int s = CNA_STAT_PARAMS; s <= CNA_STAT_OPS; s++) {
    ck_assert_ok(cna_net_layer_stat(net, 1, (cna_stat)s, &value));
    ck_assert_ok(cna_net_total_stat(net, (cna_stat)s, &value));
  }
  /* conv1: 4*3*3*3 weights + 4 biases. */
  ck_assert_ok(cna_net_layer_stat(net, 1, CNA_STAT_PARAMS, &value));
  ck_assert_uint_eq(value, 4 * 3 * 3 * 3 + 4);
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_ops_figure) {
  /* CNA_STAT_OPS, layer by layer (cnnarch.h gives the rule), on a 3x8x10
   * input: MACS plus the reads of window reductions, else one per output. */
  cna_builder *b;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 3, 8, 10));
  ck_assert_ok(cna_builder_conv2d(b, "conv", "x", 4, 3, 1, 1, 1));   /* 4x8x10 */
  ck_assert_ok(cna_builder_relu(b, "relu", "conv"));
  ck_assert_ok(cna_builder_max_pool2d(b, "max", "relu", 3, 2, 1, 0)); /* 4x4x5 */
  ck_assert_ok(cna_builder_avg_pool2d(b, "avg", "relu", 9, 1, 4, 0, 1)); /* window > 8 rows */
  ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, "adaptive", "relu", 3, 4));
  ck_assert_ok(cna_builder_lrn(b, "lrn", "relu", 5, 1e-4f, 0.75f, 2.0f));
  ck_assert_ok(cna_builder_global_avg_pool(b, "global", "lrn"));
  ck_assert_ok(cna_builder_softmax(b, "softmax", "global"));
  ck_assert_ok(cna_builder_flatten(b, "flat", "max"));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", "flat", 6, 1));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  static const struct {
    const char *layer;
    uint64_t ops;
  } want[] = {
      {"x", 0},
      {"conv", 4 * 8 * 10 * (3 * 3 * 3) + 4 * 8 * 10}, /* MACs + one per output */
      {"relu", 4 * 8 * 10},
      /* Windows clipped to the input, plus the separable row passes over
       * the padded width: C x out_h x (in_w + pads) x (kh + kw). */
      {"max", 4 * 4 * 5 * (3 * 3) + 4 * 4 * (10 + 2) * (3 + 3)},
      {"avg", 4 * 8 * 10 * (8 * 9) + 4 * 8 * (10 + 8) * (8 + 9)}, /* 9x9 clipped to 8 rows */
      {"adaptive", 4 * (8 + 3 - 1) * (10 + 4 - 1)}, /* C x (in + out - 1)^2 */
      {"lrn", 4 * 8 * 10 * 4},                      /* size 5 clipped to 4 channels */
      {"global", 4 * 8 * 10},
      {"softmax", 4 * 3},
      {"flat", 4 * 4 * 5},
      {"fc", 80 * 6 + 6},
  };
  uint64_t total = 0, value;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    size_t index;
    ck_assert_ok(cna_net_find_layer(net, want[i].layer, &index));
    ck_assert_ok(cna_net_layer_stat(net, index, CNA_STAT_OPS, &value));
    ck_assert_msg(value == want[i].ops, "%s: OPS %llu, expected %llu", want[i].layer,
                  (unsigned long long)value, (unsigned long long)want[i].ops);
    total += value;
  }
  ck_assert_ok(cna_net_total_stat(net, CNA_STAT_OPS, &value));
  ck_assert_uint_eq(value, total); /* the sum over every layer */
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_find_layer_and_tensor) {
  cna_net *net = small_net(NULL);
  size_t index = 77;
  ck_assert_ok(cna_net_find_layer(net, "fc7", &index));
  ck_assert_uint_eq(index, 5);
  index = 77;
  ck_assert_status(cna_net_find_layer(net, "fc7x", &index), CNA_ERROR_NOT_FOUND);
  expect_message_has_all("fc7x", "'fc7'", NULL);
  ck_assert_uint_eq(index, 77);
  ck_assert_status(cna_net_find_layer(net, "FC7", &index), CNA_ERROR_NOT_FOUND);
  ck_assert_status(cna_net_find_layer(net, "", &index), CNA_ERROR_NOT_FOUND);
  ck_assert_status(cna_net_find_layer(net, "fc7.weight", &index), CNA_ERROR_NOT_FOUND);

  ck_assert_ok(cna_net_find_tensor(net, "fc7.weight", &index));
  const char *name = NULL;
  ck_assert_ok(cna_net_tensor_name(net, index, &name));
  ck_assert_str_eq(name, "fc7.weight");
  index = 77;
  ck_assert_status(cna_net_find_tensor(net, "fc7.weights", &index), CNA_ERROR_NOT_FOUND);
  expect_message_has_all("fc7.weights", "'fc7.weight'", NULL);
  ck_assert_uint_eq(index, 77);
  ck_assert_status(cna_net_find_tensor(net, "fc7", &index), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("fc7");
  ck_assert_status(cna_net_find_tensor(net, "relu1.weight", &index), CNA_ERROR_NOT_FOUND);
  ck_assert_ok(cna_net_find_tensor(net, "bn1.running_var", &index));
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_tensor_index_out_of_range) {
  const cna_status bad = CNA_ERROR_INVALID_ARGUMENT;
  cna_net *net = small_net(NULL);
  size_t n = 0;
  ck_assert_ok(cna_net_tensor_count(net, &n));
  ck_assert_uint_eq(n, SMALL_NET_TENSORS);
  const char *name = "untouched";
  size_t ndim = 9, dims[4] = {9, 9, 9, 9};
  float data[4] = {0};
  ck_assert_status(cna_net_tensor_name(net, n, &name), bad);
  ck_assert_message_has("out of range");
  ck_assert_str_eq(name, "untouched");
  ck_assert_status(cna_net_tensor_shape(net, n, &ndim, dims), bad);
  ck_assert_message_has("out of range");
  ck_assert_uint_eq(ndim, 9);
  ck_assert_status(cna_net_get_tensor(net, n, data, 4), bad);
  ck_assert_message_has("out of range");
  ck_assert_status(cna_net_set_tensor(net, n, data, 4), bad);
  ck_assert_message_has("out of range");
  ck_assert_status(cna_net_tensor_name(net, SIZE_MAX, &name), bad);
  ck_assert_message_has("out of range");

  /* A net without tensors refuses index 0. */
  cna_builder *b = builder_with_input(1, 2, 2);
  cna_net *empty = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &empty));
  cna_builder_destroy(b);
  ck_assert_ok(cna_net_tensor_count(empty, &n));
  ck_assert_uint_eq(n, 0);
  ck_assert_status(cna_net_tensor_name(empty, 0, &name), bad);
  ck_assert_message_has("out of range");
  ck_assert_status(cna_net_get_tensor(empty, 0, data, 1), bad);
  cna_net_destroy(empty);
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_tensor_count_mismatch) {
  cna_net *net = small_net(NULL);
  size_t w = 0;
  ck_assert_ok(cna_net_find_tensor(net, "fc7.weight", &w));
  enum { N = SMALL_NET_FC7_WEIGHTS };
  float *before = malloc((N + 1) * sizeof *before);
  float *data = malloc((N + 1) * sizeof *data);
  float *after = malloc(N * sizeof *after);
  ck_assert_ptr_nonnull(before);
  ck_assert_ptr_nonnull(data);
  ck_assert_ptr_nonnull(after);
  ck_assert_ok(cna_net_get_tensor(net, w, before, N));

  ck_assert_status(cna_net_get_tensor(net, w, data, N - 1), CNA_ERROR_INVALID_ARGUMENT);
  expect_message_has_all("fc7.weight", "1280", "1279", NULL);
  ck_assert_status(cna_net_get_tensor(net, w, data, N + 1), CNA_ERROR_INVALID_ARGUMENT);
  expect_message_has_all("1280", "1281", NULL);
  ck_assert_status(cna_net_get_tensor(net, w, data, 0), CNA_ERROR_INVALID_ARGUMENT);

  for (size_t i = 0; i <= N; i++) data[i] = 42.0f;
  ck_assert_status(cna_net_set_tensor(net, w, data, N - 1), CNA_ERROR_INVALID_ARGUMENT);
  expect_message_has_all("fc7.weight", "1280", "1279", NULL);
  ck_assert_status(cna_net_set_tensor(net, w, data, N + 1), CNA_ERROR_INVALID_ARGUMENT);
  expect_message_has_all("1280", "1281", NULL);
  ck_assert_status(cna_net_set_tensor(net, w, data, SIZE_MAX), CNA_ERROR_INVALID_ARGUMENT);
  /* Refused sets changed nothing. */
  ck_assert_ok(cna_net_get_tensor(net, w, after, N));
  ck_assert_mem_eq(before, after, N * sizeof *after);
  free(before);
  free(data);
  free(after);
  cna_net_destroy(net);
}
END_TEST

START_TEST(net_tensor_round_trip) {
  cna_net *net = small_net(NULL);
  size_t n = 0;
  ck_assert_ok(cna_net_tensor_count(net, &n));
  for (size_t t = 0; t < n; t++) {
    size_t ndim = 0, dims[4];
    ck_assert_ok(cna_net_tensor_shape(net, t, &ndim, dims));
    ck_assert_uint_ge(ndim, 1);
    ck_assert_uint_le(ndim, 4);
    size_t count = 1;
    for (size_t d = 0; d < ndim; d++) count *= dims[d];
    float *in = malloc(count * sizeof *in), *out = malloc(count * sizeof *out);
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < count; i++) in[i] = (float)((double)i * 0.37 - 100.0) / 3.0f;
    in[0] = -0.0f;
    if (count > 1) in[1] = 1e-40f; /* subnormal */
    if (count > 2) in[2] = -3.4e38f;
    ck_assert_ok(cna_net_set_tensor(net, t, in, count));
    memset(out, 0xAB, count * sizeof *out);
    ck_assert_ok(cna_net_get_tensor(net, t, out, count));
    ck_assert_mem_eq(in, out, count * sizeof *out);
    /* The net copied the values: changing the source changes nothing. */
    in[count - 1] = 12345.0f;
    ck_assert_ok(cna_net_get_tensor(net, t, out, count));
    ck_assert_float_ne(out[count - 1], 12345.0f);
    free(in);
    free(out);
  }
  cna_net_destroy(net);
}
END_TEST

/* --------------------------------------------------------------- forward */

START_TEST(forward_null_arguments) {
  cna_net *net = small_net(NULL);
  float input[3 * 8 * 8] = {0}, output[5];
  ck_assert_status(cna_net_forward(NULL, input, 1, output), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_net_forward");
  ck_assert_status(cna_net_forward(net, NULL, 1, output), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward(net, input, 1, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward(net, NULL, 0, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_ok(cna_net_forward(net, input, 1, output));
  cna_net_destroy(net);
}
END_TEST

START_TEST(forward_batch_zero) {
  cna_net *net = small_net(NULL);
  float input[3 * 8 * 8], output[5];
  for (size_t i = 0; i < 3 * 8 * 8; i++) input[i] = 1.0f;
  for (size_t i = 0; i < 5; i++) output[i] = -7.25f;
  ck_assert_ok(cna_net_forward(net, input, 0, output));
  for (size_t i = 0; i < 5; i++) ck_assert_float_eq(output[i], -7.25f);
  cna_net_destroy(net);
}
END_TEST

START_TEST(forward_huge_batch) {
  cna_net *net = small_net(NULL);
  /* Small buffers: the library must refuse before touching them. */
  float input[3 * 8 * 8] = {0}, output[5] = {0};
  ck_assert_status(cna_net_forward(net, input, SIZE_MAX / 2, output), CNA_ERROR_TOO_LARGE);
  ck_assert_message_has("batch");
  ck_assert_status(cna_net_forward(net, input, SIZE_MAX, output), CNA_ERROR_TOO_LARGE);
  ck_assert_status(cna_net_forward(net, input, SIZE_MAX / 192 + 1, output),
                   CNA_ERROR_TOO_LARGE);
  /* Still runs. */
  ck_assert_ok(cna_net_forward(net, input, 1, output));
  for (size_t i = 0; i < 5; i++) ck_assert(isfinite(output[i]));
  cna_net_destroy(net);

  /* A one-element net: SIZE_MAX / 2 floats still overflow as bytes. */
  cna_builder *b = builder_with_input(1, 1, 1);
  ck_assert_ok(cna_builder_relu(b, "r", NULL));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  ck_assert_status(cna_net_forward(net, input, SIZE_MAX / 2, output), CNA_ERROR_TOO_LARGE);
  cna_net_destroy(net);
}
END_TEST

/* ---------------------------------------------------------------- errors */

typedef struct thread_result {
  char initial[64];     /* the message before the thread failed anything */
  char message[1024];   /* after its own failure */
  cna_status status;
} thread_result;

static void *fail_in_thread(void *arg) {
  thread_result *r = arg;
  snprintf(r->initial, sizeof r->initial, "%s", cna_last_error_message());
  cna_net *net = NULL;
  r->status = cna_net_create_arch("thread_only_arch_qqq", NULL, &net);
  snprintf(r->message, sizeof r->message, "%s", cna_last_error_message());
  return NULL;
}

START_TEST(errors_thread_local) {
  provoke_error("main_thread_arch_zzz");
  char before[1024];
  snprintf(before, sizeof before, "%s", cna_last_error_message());

  thread_result r;
  memset(&r, 0, sizeof r);
  pthread_t thread;
  ck_assert_int_eq(pthread_create(&thread, NULL, fail_in_thread, &r), 0);
  ck_assert_int_eq(pthread_join(thread, NULL), 0);

  ck_assert_int_eq(r.status, CNA_ERROR_NOT_FOUND);
  ck_assert_str_eq(r.initial, "");
  ck_assert_ptr_nonnull(strstr(r.message, "thread_only_arch_qqq"));
  ck_assert_ptr_null(strstr(r.message, "main_thread_arch_zzz"));
  /* The main thread's message is its own, unchanged. */
  ck_assert_str_eq(cna_last_error_message(), before);
  ck_assert_message_has("main_thread_arch_zzz");
  ck_assert_ptr_null(strstr(cna_last_error_message(), "thread_only_arch_qqq"));
}
END_TEST

typedef struct worker {
  int id;
  int mismatches;
} worker;

static void *fail_repeatedly(void *arg) {
  worker *w = arg;
  char marker[64];
  snprintf(marker, sizeof marker, "worker_%d_layer", w->id);
  cna_builder *b = NULL;
  if (cna_builder_create(&b) != CNA_OK) {
    w->mismatches = -1;
    return NULL;
  }
  for (int i = 0; i < 500; i++) {
    size_t shape[3];
    if (cna_builder_output_shape(b, marker, shape) == CNA_OK) w->mismatches++;
    if (strstr(cna_last_error_message(), marker) == NULL) w->mismatches++;
  }
  cna_builder_destroy(b);
  return NULL;
}

START_TEST(errors_concurrent_threads) {
  enum { THREADS = 4 };
  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (int t = 0; t < THREADS; t++) {
    workers[t] = (worker){.id = t, .mismatches = 0};
    ck_assert_int_eq(pthread_create(&threads[t], NULL, fail_repeatedly, &workers[t]), 0);
  }
  for (int t = 0; t < THREADS; t++) ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
  for (int t = 0; t < THREADS; t++)
    ck_assert_msg(workers[t].mismatches == 0, "thread %d saw %d foreign messages", t,
                  workers[t].mismatches);
}
END_TEST

START_TEST(errors_success_keeps_message) {
  ck_assert_ptr_nonnull(cna_last_error_message());
  provoke_error("kept_arch_name_yyy");
  char before[1024];
  snprintf(before, sizeof before, "%s", cna_last_error_message());

  cna_options *opts = NULL;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_num_threads(opts, 2));
  cna_builder *b = NULL;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "data", 1, 4, 4));
  ck_assert_ok(cna_builder_relu(b, NULL, NULL));
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, opts, &net));
  float in[16] = {0}, out[16];
  ck_assert_ok(cna_net_forward(net, in, 1, out));
  size_t index;
  ck_assert_ok(cna_net_find_layer(net, "data", &index));
  (void)cna_version_string();
  (void)cna_arch_description("lenet5");
  cna_net_destroy(net);
  cna_builder_destroy(b);
  cna_options_destroy(opts);

  ck_assert_str_eq(cna_last_error_message(), before);
  ck_assert_message_has("kept_arch_name_yyy");

  /* The next failure replaces it. */
  provoke_error("replacing_arch_www");
  ck_assert_ptr_null(strstr(cna_last_error_message(), "kept_arch_name_yyy"));
}
END_TEST

START_TEST(errors_messages_name_status_context) {
  /* Each failure's message is specific: a different call, a different text. */
  cna_builder *b = builder_with_input(3, 8, 8);
  ck_assert_status(cna_builder_conv2d(b, "first_conv", NULL, 4, 0, 1, 0, 1),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("conv2d 'first_conv'");
  ck_assert_status(cna_builder_max_pool2d(b, "first_pool", NULL, 0, 1, 0, 0),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("max_pool2d 'first_pool'");
  ck_assert_ptr_null(strstr(cna_last_error_message(), "first_conv"));
  ck_assert_status(cna_builder_avg_pool2d(b, "first_avg", NULL, 0, 1, 0, 0, 0),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("avg_pool2d 'first_avg'");
  cna_builder_destroy(b);
}
END_TEST

/* ----------------------------------------------------------------- suite */

START_TEST(forward_refuses_overlapping_buffers) {
  cna_builder *b = builder_with_input(1, 4, 4);
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 1, 3, 1, 1, 0));
  cna_net *net = NULL;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  float buffer[32] = {0};
  ck_assert_status(cna_net_forward(net, buffer, 1, buffer), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("overlaps");
  ck_assert_status(cna_net_forward(net, buffer, 1, buffer + 8), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward(net, buffer + 8, 1, buffer), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_ok(cna_net_forward(net, buffer, 1, buffer + 16)); /* adjacent is fine */
  cna_net_destroy(net);
}
END_TEST

START_TEST(named_input_on_empty_builder) {
  cna_builder *b = NULL;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_status(cna_builder_relu(b, "r", "x"), CNA_ERROR_INVALID_GRAPH);
  ck_assert_message_has("add an input layer first");
  const char *inputs[1] = {"x"};
  ck_assert_status(cna_builder_concat(b, "c", inputs, 1), CNA_ERROR_INVALID_GRAPH);
  cna_builder_destroy(b);
}
END_TEST

START_TEST(message_as_argument) {
  /* Passing the thread's own message back in as a name is fine. */
  cna_builder *b = builder_with_input(1, 4, 4);
  ck_assert_status(cna_builder_relu(b, NULL, "nope"), CNA_ERROR_NOT_FOUND);
  char before[256];
  snprintf(before, sizeof before, "%s", cna_last_error_message());
  ck_assert_status(cna_builder_relu(b, NULL, cna_last_error_message()), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has(before);
  cna_builder_destroy(b);
}
END_TEST

Suite *cna_test_api_suite(void) {
  Suite *s = suite_create("api");

  TCase *version = tcase_create("version");
  tcase_add_test(version, version_number_matches_header);
  tcase_add_test(version, version_string_matches_header);
  tcase_add_test(version, version_number_composition);
  suite_add_tcase(s, version);

  TCase *enums = tcase_create("enums");
  tcase_add_test(enums, enum_values_are_pinned);
  tcase_add_test(enums, status_strings_distinct);
  tcase_add_test(enums, layer_type_names_distinct);
  suite_add_tcase(s, enums);

  TCase *options = tcase_create("options");
  tcase_set_timeout(options, 120);
  tcase_add_test(options, options_create_destroy);
  tcase_add_test(options, options_null_opts);
  tcase_add_test(options, options_out_of_range);
  tcase_add_test(options, options_refused_value_leaves_opts_unchanged);
  tcase_add_test(options, options_num_threads_reported);
  tcase_add_test(options, options_num_classes_resnet18);
  tcase_add_test(options, options_input_size_resnet18);
  tcase_add_test(options, options_input_too_small_for_alexnet);
  tcase_add_test(options, options_input_too_large_for_lenet5);
  tcase_add_test(options, options_destroyed_after_create);
  suite_add_tcase(s, options);

  TCase *arch = tcase_create("arch");
  tcase_set_timeout(arch, 120);
  tcase_add_test(arch, arch_null_arguments);
  tcase_add_test(arch, arch_unknown_names);
  tcase_add_test(arch, arch_long_unknown_name);
  tcase_add_test(arch, arch_table);
  tcase_add_test(arch, arch_small_nets_create);
  tcase_add_test(arch, arch_inception_ignores_num_classes);
  suite_add_tcase(s, arch);

  TCase *builder = tcase_create("builder");
  tcase_add_test(builder, builder_null_builder);
  tcase_add_test(builder, builder_layer_before_input);
  tcase_add_test(builder, builder_second_input);
  tcase_add_test(builder, builder_duplicate_and_empty_names);
  tcase_add_test(builder, builder_long_duplicate_name);
  tcase_add_test(builder, builder_unknown_input);
  tcase_add_test(builder, builder_conv_kernel_too_large);
  tcase_add_test(builder, builder_conv_bad_attributes);
  tcase_add_test(builder, builder_conv_groups_shape);
  tcase_add_test(builder, builder_pool_bad_attributes);
  tcase_add_test(builder, builder_add_and_concat_shapes);
  tcase_add_test(builder, builder_normalization_attributes);
  tcase_add_test(builder, builder_other_attributes);
  tcase_add_test(builder, builder_too_large);
  tcase_add_test(builder, builder_build_errors);
  tcase_add_test(builder, builder_output_shape_queries);
  tcase_add_test(builder, builder_set_output);
  tcase_add_test(builder, builder_generated_names);
  tcase_add_test(builder, named_input_on_empty_builder);
  tcase_add_test(builder, builder_generated_names_skip_taken_ones);
  tcase_add_test(builder, builder_independent_of_nets);
  suite_add_tcase(s, builder);

  TCase *net = tcase_create("net");
  tcase_add_test(net, net_null_arguments);
  tcase_add_test(net, net_layer_index_out_of_range);
  tcase_add_test(net, net_layer_input_out_of_range);
  tcase_add_test(net, net_unknown_stat);
  tcase_add_test(net, net_ops_figure);
  tcase_add_test(net, net_find_layer_and_tensor);
  tcase_add_test(net, net_tensor_index_out_of_range);
  tcase_add_test(net, net_tensor_count_mismatch);
  tcase_add_test(net, net_tensor_round_trip);
  suite_add_tcase(s, net);

  TCase *forward = tcase_create("forward");
  tcase_add_test(forward, forward_null_arguments);
  tcase_add_test(forward, forward_refuses_overlapping_buffers);
  tcase_add_test(forward, forward_batch_zero);
  tcase_add_test(forward, forward_huge_batch);
  suite_add_tcase(s, forward);

  TCase *errors = tcase_create("errors");
  tcase_add_test(errors, errors_thread_local);
  tcase_add_test(errors, message_as_argument);
  tcase_add_test(errors, errors_concurrent_threads);
  tcase_add_test(errors, errors_success_keeps_message);
  tcase_add_test(errors, errors_messages_name_status_context);
  suite_add_tcase(s, errors);

  return s;
}

/* Work bounded by the input: a model file with hundreds of thousands of
 * layers or tensors builds, saves and loads in time linear in its size
 * (layer and tensor names go through a keyed hash index), and no layer
 * attribute sets the cost of summarizing a net. Before, each
 * layer name was compared with every earlier one and each tensor record
 * with every tensor: a 10 MB file of 20000 batch norm layers took 21 s to
 * load, and a 100 MB one would have taken hours. The tcase timeout is the
 * guard: the quadratic code needed minutes for these nets; now they take
 * well under a second (a few under ASan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "tests.h"

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Recomputes every section CRC, the table CRC and the header CRC
 * (docs/format.md). */
static void fix_checksums(unsigned char *d, size_t size) {
  const uint32_t count = (uint32_t)le64(d + 24) & 0xffffffffu;
  for (uint32_t i = 0; i < count; i++) {
    unsigned char *e = d + 64 + (size_t)i * 40;
    const uint64_t offset = le64(e + 8), stored = le64(e + 16);
    ck_assert(offset <= size && stored <= size - offset);
    put32(e + 32, (uint32_t)crc32(0, d + offset, (uInt)stored));
  }
  put32(d + 28, (uint32_t)crc32(0, d + 64, count * 40));
  put32(d + 60, (uint32_t)crc32(0, d, 60));
}

/* An input and count layers of one kind, built, saved, loaded. */
static void many_layers(int count, int batch_norm) {
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 1, 1));
  char name[32];
  for (int i = 0; i < count; i++) {
    snprintf(name, sizeof name, "layer_%d", i);
    if (batch_norm)
      ck_assert_ok(cna_builder_batch_norm(b, name, NULL, 1e-5f));
    else
      ck_assert_ok(cna_builder_relu(b, name, NULL));
  }
  /* A duplicate among them all is still found. */
  ck_assert_status(cna_builder_relu(b, "layer_0", NULL), CNA_ERROR_INVALID_GRAPH);
  cna_net *net, *loaded;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  void *data;
  size_t size;
  ck_assert_ok(cna_net_save_to_memory(net, 0, &data, &size));
  ck_assert_ok(cna_net_load_from_memory(data, size, NULL, &loaded));
  size_t layers, tensors, index;
  ck_assert_ok(cna_net_layer_count(loaded, &layers));
  ck_assert_uint_eq(layers, (size_t)count + 1);
  ck_assert_ok(cna_net_tensor_count(loaded, &tensors));
  ck_assert_uint_eq(tensors, batch_norm ? 4 * (size_t)count : 0);
  snprintf(name, sizeof name, "layer_%d", count / 2);
  ck_assert_ok(cna_net_find_layer(loaded, name, &index));
  ck_assert_uint_eq(index, (size_t)count / 2 + 1);
  float x = 0.5f, y = 0.0f;
  ck_assert_ok(cna_net_forward(loaded, &x, 1, &y));
  ck_assert(y == 0.5f || batch_norm); /* relus pass 0.5; batch norms scale it */
  cna_free(data);
  cna_net_destroy(loaded);
  cna_net_destroy(net);
}

START_TEST(a_hundred_thousand_layers_load_in_linear_time) { many_layers(100000, 0); }
END_TEST

START_TEST(forty_thousand_batch_norms_load_in_linear_time) {
  /* 160000 tensor records, each matched to its tensor. */
  many_layers(40000, 1);
}
END_TEST

START_TEST(a_duplicate_name_in_a_big_file_is_refused) {
  /* The file's layer 30000 repeats layer 11's name: the loader refuses it
   * as the builder does, naming the layer. */
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 1, 1));
  char name[32];
  for (int i = 0; i < 30000; i++) {
    snprintf(name, sizeof name, "r%05d", i);
    ck_assert_ok(cna_builder_relu(b, name, NULL));
  }
  cna_net *net;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  void *data;
  size_t size;
  ck_assert_ok(cna_net_save_to_memory(net, 0, &data, &size));
  cna_net_destroy(net);
  /* Rename the last layer "r29999" to "r00010" (same length) and recompute
   * the checksums, as a writer of a hostile file would. */
  unsigned char *bytes = data;
  unsigned char *hit = NULL;
  for (size_t i = 0; i + 6 <= size; i++)
    if (memcmp(bytes + i, "r29999", 6) == 0) hit = bytes + i;
  ck_assert_ptr_nonnull(hit);
  memcpy(hit, "r00010", 6);
  fix_checksums(bytes, size);
  cna_net *loaded = NULL;
  ck_assert_status(cna_net_load_from_memory(data, size, NULL, &loaded), CNA_ERROR_INVALID_GRAPH);
  ck_assert_message_has("layer 30000: relu 'r00010': layer 11 already has this name");
  ck_assert_ptr_null(loaded);
  cna_free(data);
}
END_TEST

START_TEST(huge_adaptive_pooling_summarizes_in_constant_time) {
  /* The receptive field of adaptive pooling looked at every output bin: one
   * layer of 2^30 bins took 5 s to summarize (11 s for the 537-byte model
   * file fuzz_load found, now in tests/fuzz/regressions/load), twenty took
   * minutes. Now O(1) per layer, with the same figures as the loop gave. */
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 1, 3, 1));
  static const int sizes[4] = {1 << 30, 3, 7, 2};
  for (int i = 0; i < 20; i++) {
    const int bins = i < 4 ? sizes[i] : i % 2 ? 3 : 1 << 30;
    ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, NULL, NULL, bins, 1));
  }
  cna_net *net;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  static const uint64_t rf[4] = {2, 357913943, 715827884, 1789569707};
  static const uint64_t jump[4] = {1, 357913941, 357913941, 1073741823};
  for (size_t i = 0; i < 4; i++) {
    uint64_t value;
    ck_assert_ok(cna_net_layer_stat(net, i + 1, CNA_STAT_RF_HEIGHT, &value));
    ck_assert_uint_eq(value, rf[i]);
    ck_assert_ok(cna_net_layer_stat(net, i + 1, CNA_STAT_RF_JUMP_HEIGHT, &value));
    ck_assert_uint_eq(value, jump[i]);
  }
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_limits_suite(void) {
  Suite *s = suite_create("limits");
  TCase *tc = tcase_create("linear time");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, a_hundred_thousand_layers_load_in_linear_time);
  tcase_add_test(tc, forty_thousand_batch_norms_load_in_linear_time);
  tcase_add_test(tc, a_duplicate_name_in_a_big_file_is_refused);
  tcase_add_test(tc, huge_adaptive_pooling_summarizes_in_constant_time);
  suite_add_tcase(s, tc);
  return s;
}

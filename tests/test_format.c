/* The .cna format: save then load gives the same net, bit for bit, for
 * every zoo entry, from files and memory, compressed or not; the file
 * is replaced atomically. Damaged files: tests/test_format_corrupt.c. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, fork, sigaction, truncate */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"

/* Everything the summary and the tensor table say must be equal. */
static void expect_same_net(const cna_net *a, const cna_net *b) {
  size_t na, nb;
  ck_assert_ok(cna_net_layer_count(a, &na));
  ck_assert_ok(cna_net_layer_count(b, &nb));
  ck_assert_uint_eq(na, nb);
  for (size_t i = 0; i < na; i++) {
    const char *name_a, *name_b;
    cna_layer_type ta, tb;
    size_t sa[3], sb[3];
    ck_assert_ok(cna_net_layer_name(a, i, &name_a));
    ck_assert_ok(cna_net_layer_name(b, i, &name_b));
    ck_assert_str_eq(name_a, name_b);
    ck_assert_ok(cna_net_layer_type(a, i, &ta));
    ck_assert_ok(cna_net_layer_type(b, i, &tb));
    ck_assert_int_eq(ta, tb);
    ck_assert_ok(cna_net_layer_output_shape(a, i, sa));
    ck_assert_ok(cna_net_layer_output_shape(b, i, sb));
    ck_assert_int_eq(memcmp(sa, sb, sizeof sa), 0);
    for (int stat = CNA_STAT_PARAMS; stat <= CNA_STAT_OPS; stat++) {
      uint64_t va, vb;
      ck_assert_ok(cna_net_layer_stat(a, i, (cna_stat)stat, &va));
      ck_assert_ok(cna_net_layer_stat(b, i, (cna_stat)stat, &vb));
      ck_assert_msg(va == vb, "layer %s stat %d: %llu vs %llu", name_a, stat,
                    (unsigned long long)va, (unsigned long long)vb);
    }
  }
  size_t ta_count, tb_count;
  ck_assert_ok(cna_net_tensor_count(a, &ta_count));
  ck_assert_ok(cna_net_tensor_count(b, &tb_count));
  ck_assert_uint_eq(ta_count, tb_count);
  for (size_t i = 0; i < ta_count; i++) {
    const char *name_a, *name_b;
    size_t nda, ndb, da[4], db[4];
    ck_assert_ok(cna_net_tensor_name(a, i, &name_a));
    ck_assert_ok(cna_net_tensor_name(b, i, &name_b));
    ck_assert_str_eq(name_a, name_b);
    ck_assert_ok(cna_net_tensor_shape(a, i, &nda, da));
    ck_assert_ok(cna_net_tensor_shape(b, i, &ndb, db));
    ck_assert_uint_eq(nda, ndb);
    ck_assert_int_eq(memcmp(da, db, sizeof da), 0);
    size_t count = da[0] * da[1] * da[2] * da[3];
    float *xa = malloc(count * sizeof *xa), *xb = malloc(count * sizeof *xb);
    ck_assert_ok(cna_net_get_tensor(a, i, xa, count));
    ck_assert_ok(cna_net_get_tensor(b, i, xb, count));
    ck_assert_msg(memcmp(xa, xb, count * sizeof *xa) == 0, "tensor %s differs", name_a);
    free(xa), free(xb);
  }
}

static void expect_same_outputs(cna_net *a, cna_net *b) {
  size_t in[3], out;
  ck_assert_ok(cna_net_input_shape(a, in));
  ck_assert_ok(cna_net_output_size(a, &out));
  const size_t n = 2 * in[0] * in[1] * in[2];
  float *x = malloc(n * sizeof *x), *ya = malloc(2 * out * sizeof *ya),
        *yb = malloc(2 * out * sizeof *yb);
  for (size_t i = 0; i < n; i++) x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
  ck_assert_ok(cna_net_forward(a, x, 2, ya));
  ck_assert_ok(cna_net_forward(b, x, 2, yb));
  ck_assert_int_eq(memcmp(ya, yb, 2 * out * sizeof *ya), 0);
  free(x), free(ya), free(yb);
}

static char directory[64];

static void make_directory(void) {
  strcpy(directory, "/tmp/cnnarch-test-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(directory));
}

static void remove_directory(void) {
  char command[128];
  snprintf(command, sizeof command, "rm -rf '%s'", directory);
  ck_assert_int_eq(system(command), 0);
}

START_TEST(every_zoo_entry_round_trips_in_memory) {
  /* Compressed for the big nets keeps the test's memory down. */
  for (size_t i = 0; i < cna_arch_count(); i++) {
    const char *arch = cna_arch_name(i);
    if (cna_test_skip_big_arch(arch)) continue;
    cna_net *net, *loaded;
    ck_assert_ok(cna_net_create_arch(arch, NULL, &net));
    void *data;
    size_t size;
    ck_assert_ok(cna_net_save_to_memory(net, 0, &data, &size));
    ck_assert_ok(cna_net_load_from_memory(data, size, NULL, &loaded));
    cna_free(data);
    expect_same_net(net, loaded);
    cna_net_destroy(loaded);
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(files_round_trip_bit_exact) {
  static const char *const archs[] = {"lenet5", "resnet20", "googlenet", "squeezenet1_1",
                                      "inception_naive", "alexnet_2012_grouped"};
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/net.cna", directory);
  for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++)
    for (int level = 0; level <= 9; level += 9) {
      if (cna_test_skip_big_arch(archs[a])) continue; /* alexnet_2012_grouped */
      cna_net *net, *loaded;
      cna_options *opts;
      ck_assert_ok(cna_options_create(&opts));
      ck_assert_ok(cna_options_set_seed(opts, 1234));
      if (strcmp(archs[a], "googlenet") == 0) {
        ck_assert_ok(cna_options_set_aux_logits(opts, 1));
        ck_assert_ok(cna_options_set_input_size(opts, 96, 96));
      }
      ck_assert_ok(cna_net_create_arch(archs[a], opts, &net));
      cna_options_destroy(opts);
      ck_assert_ok(cna_net_save(net, path, level));
      ck_assert_ok(cna_net_load(path, NULL, &loaded));
      expect_same_net(net, loaded);
      expect_same_outputs(net, loaded);
      cna_net_destroy(loaded);
      cna_net_destroy(net);
    }
  remove_directory();
}
END_TEST

START_TEST(builder_nets_round_trip) {
  /* Every layer type and attribute, including the float ones. */
  cna_builder *b;
  cna_net *net, *loaded;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 4, 13, 11));
  ck_assert_ok(cna_builder_conv2d_ex(b, "conv", NULL, 8, 3, 2, 2, 1, 1, 0, 2, 1, 2, 1));
  ck_assert_ok(cna_builder_batch_norm(b, "bn", NULL, 1e-3f));
  ck_assert_ok(cna_builder_lrn(b, "lrn", NULL, 4, 2e-4f, 0.75f, 1.5f));
  ck_assert_ok(cna_builder_tanh(b, "tanh", NULL));
  ck_assert_ok(cna_builder_max_pool2d(b, "max", NULL, 3, 2, 1, 1));
  ck_assert_ok(cna_builder_avg_pool2d(b, "avg", "tanh", 3, 2, 1, 1, 0));
  ck_assert_ok(cna_builder_add(b, "sum", "max", "avg"));
  ck_assert_ok(cna_builder_channel_pad(b, "pad", NULL, 1, 3));
  ck_assert_ok(cna_builder_adaptive_avg_pool2d(b, "adaptive", NULL, 3, 2));
  ck_assert_ok(cna_builder_concat(b, "cat", (const char *[]){"adaptive", "adaptive"}, 2));
  ck_assert_ok(cna_builder_dropout(b, "drop", NULL, 0.25f));
  ck_assert_ok(cna_builder_flatten(b, "flat", NULL));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, 5, 0));
  ck_assert_ok(cna_builder_relu(b, "relu", NULL));
  ck_assert_ok(cna_builder_softmax(b, "softmax", NULL));
  ck_assert_ok(cna_builder_global_avg_pool(b, "side", "conv"));
  ck_assert_ok(cna_builder_set_output(b, "softmax"));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  for (int level = 0; level <= 6; level += 6) {
    void *data;
    size_t size;
    ck_assert_ok(cna_net_save_to_memory(net, level, &data, &size));
    ck_assert_ok(cna_net_load_from_memory(data, size, NULL, &loaded));
    cna_free(data);
    expect_same_net(net, loaded);
    expect_same_outputs(net, loaded);
    size_t out;
    ck_assert_ok(cna_net_output_size(loaded, &out));
    ck_assert_uint_eq(out, 5); /* the output is still softmax, not the side branch */
    cna_net_destroy(loaded);
  }
  cna_net_destroy(net);
}
END_TEST

START_TEST(loaded_weights_are_private) {
  /* set_tensor on a mapped net changes the net, never the file. */
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/lenet.cna", directory);
  cna_net *net, *a, *b;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &net));
  ck_assert_ok(cna_net_save(net, path, 0));
  ck_assert_ok(cna_net_load(path, NULL, &a));
  size_t index;
  ck_assert_ok(cna_net_find_tensor(a, "classifier.5.bias", &index));
  const float bias[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  ck_assert_ok(cna_net_set_tensor(a, index, bias, 10));
  ck_assert_ok(cna_net_load(path, NULL, &b));
  float got[10];
  ck_assert_ok(cna_net_get_tensor(b, index, got, 10));
  for (int i = 0; i < 10; i++) ck_assert(got[i] == 0.0f);
  ck_assert_ok(cna_net_get_tensor(a, index, got, 10));
  ck_assert(got[9] == 10.0f);
  cna_net_destroy(a), cna_net_destroy(b), cna_net_destroy(net);
  remove_directory();
}
END_TEST

/* docs/security.md, "a model file changed while a net loaded from it is
 * alive": what cna_net_load's mapping promises and what it does not. */

START_TEST(file_replaced_by_rename_leaves_the_net_alone) {
  /* Saving another net over the path (a rename, as cna_net_save does) must
   * not change a net mapped from the old file: the old inode stays. */
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/model.cna", directory);
  cna_net *original, *other, *loaded, *copy;
  cna_options *opts;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_seed(opts, 7));
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &original));
  ck_assert_ok(cna_net_create_arch("lenet5", opts, &other));
  cna_options_destroy(opts);
  ck_assert_ok(cna_net_save(original, path, 0));
  ck_assert_ok(cna_net_load(path, NULL, &loaded));
  ck_assert_ok(cna_net_save(other, path, 0));
  expect_same_net(original, loaded);
  expect_same_outputs(original, loaded);
  ck_assert_ok(cna_net_load(path, NULL, &copy)); /* the new file is the other net */
  expect_same_net(other, copy);
  cna_net_destroy(copy), cna_net_destroy(loaded);
  cna_net_destroy(other), cna_net_destroy(original);
  remove_directory();
}
END_TEST

START_TEST(deflated_file_is_not_kept_mapped) {
  /* A file whose weights are deflated is inflated into memory and unmapped
   * before cna_net_load returns: truncating it afterwards is harmless. */
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/model.cna", directory);
  cna_net *net, *loaded;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &net));
  ck_assert_ok(cna_net_save(net, path, 1));
  ck_assert_ok(cna_net_load(path, NULL, &loaded));
  ck_assert_int_eq(truncate(path, 0), 0);
  expect_same_net(net, loaded);
  expect_same_outputs(net, loaded);
  cna_net_destroy(loaded), cna_net_destroy(net);
  remove_directory();
}
END_TEST

static void on_sigbus(int sig) {
  (void)sig;
  _exit(42);
}

START_TEST(truncated_mapped_file_raises_sigbus) {
  /* The hazard the documentation names: an uncompressed file truncated in
   * place while a net uses its mapping. Reading the weights then raises
   * SIGBUS (a child process takes it here). If this ever changes (the
   * loader copies instead of mapping), docs/security.md must change too. */
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/model.cna", directory);
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &net));
  ck_assert_ok(cna_net_save(net, path, 0));
  size_t tensors, ndim, dims[4];
  ck_assert_ok(cna_net_tensor_count(net, &tensors));
  ck_assert_ok(cna_net_tensor_shape(net, 0, &ndim, dims));
  const size_t count = dims[0] * dims[1] * dims[2] * dims[3];
  cna_net_destroy(net);
  fflush(NULL);
  const pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigbus;
    sigaction(SIGBUS, &action, NULL);
    cna_net *mapped;
    if (cna_net_load(path, NULL, &mapped) != CNA_OK) _exit(1);
    if (truncate(path, 0) != 0) _exit(2);
    float *x = malloc(count * sizeof *x);
    if (x == NULL) _exit(3);
    cna_net_get_tensor(mapped, 0, x, count);
    _exit(0); /* read without a fault: the weights were not in the mapping */
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 42,
                "expected SIGBUS reading a net whose file was truncated (status %#x)", status);
  remove_directory();
}
END_TEST

START_TEST(failed_save_keeps_the_old_file) {
  make_directory();
  char path[128], missing[160];
  snprintf(path, sizeof path, "%s/model.cna", directory);
  cna_net *small, *big, *loaded;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &small));
  ck_assert_ok(cna_net_create_arch("resnet20", NULL, &big));
  ck_assert_ok(cna_net_save(small, path, 0));
  /* A save that cannot create its temporary file. */
  snprintf(missing, sizeof missing, "%s/no/such/dir/model.cna", directory);
  ck_assert_status(cna_net_save(big, missing, 0), CNA_ERROR_IO);
  ck_assert_message_has("no/such/dir");
  /* A save whose rename fails: the target is a non-empty directory. */
  char blocked[160], inside[200];
  snprintf(blocked, sizeof blocked, "%s/dir.cna", directory);
  ck_assert_int_eq(mkdir(blocked, 0755), 0);
  snprintf(inside, sizeof inside, "%s/keep", blocked);
  FILE *f = fopen(inside, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  ck_assert_status(cna_net_save(big, blocked, 0), CNA_ERROR_IO);
  ck_assert_message_has("rename");
  /* Neither left a temporary file behind, and the old model still loads. */
  char command[256];
  snprintf(command, sizeof command, "ls '%s' | grep -q tmp", directory);
  ck_assert_int_ne(system(command), 0);
  ck_assert_ok(cna_net_load(path, NULL, &loaded));
  expect_same_net(small, loaded);
  cna_net_destroy(loaded), cna_net_destroy(small), cna_net_destroy(big);
  remove_directory();
}
END_TEST

START_TEST(save_and_load_arguments) {
  cna_net *net = NULL;
  void *data = NULL;
  size_t size = 0;
  ck_assert_ok(cna_net_create_arch("lenet5", NULL, &net));
  ck_assert_status(cna_net_save(NULL, "/tmp/x.cna", 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_save(net, NULL, 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_save(net, "", 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_save(net, "/tmp/x.cna", 10), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("0 (none) to 9");
  ck_assert_status(cna_net_save(net, "/tmp/x.cna", -1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_save_to_memory(net, 0, NULL, &size), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_save_to_memory(net, 0, &data, NULL), CNA_ERROR_INVALID_ARGUMENT);
  cna_net *loaded = NULL;
  ck_assert_status(cna_net_load(NULL, NULL, &loaded), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_load("/tmp/x.cna", NULL, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_load("/nonexistent/model.cna", NULL, &loaded), CNA_ERROR_IO);
  ck_assert_message_has("/nonexistent/model.cna");
  ck_assert_status(cna_net_load("/tmp", NULL, &loaded), CNA_ERROR_IO);
  ck_assert_status(cna_net_load_from_memory(NULL, 10, NULL, &loaded),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_null(loaded);
  cna_free(NULL);
  ck_assert_uint_eq(cna_format_version(), CNA_FORMAT_VERSION);
  cna_net_destroy(net);
}
END_TEST

START_TEST(unverified_load_is_the_same_net) {
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/r.cna", directory);
  cna_net *net, *loaded;
  cna_options *opts;
  ck_assert_ok(cna_net_create_arch("resnet20", NULL, &net));
  ck_assert_ok(cna_net_save(net, path, 0));
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_verify_weights(opts, 0));
  ck_assert_ok(cna_net_load(path, opts, &loaded));
  cna_options_destroy(opts);
  expect_same_net(net, loaded);
  cna_net_destroy(loaded), cna_net_destroy(net);
  remove_directory();
}
END_TEST

/* ------------------------------------------------------------- golden */

static float *read_floats(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  ck_assert(bytes > 0 && bytes % 4 == 0);
  unsigned char *raw = malloc((size_t)bytes);
  ck_assert_uint_eq(fread(raw, 1, (size_t)bytes, f), (size_t)bytes);
  fclose(f);
  *count = (size_t)bytes / 4;
  float *values = malloc(*count * sizeof *values);
  for (size_t i = 0; i < *count; i++) { /* little-endian float32 on any host */
    uint32_t bits = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                    (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
    memcpy(&values[i], &bits, 4);
  }
  free(raw);
  return values;
}

START_TEST(golden_models_match_pytorch) {
  /* tests/golden: format-version-1 files made by tests/golden/make_golden.py
   * from PyTorch models, with PyTorch's outputs. They stay forever: every
   * later library must read them and compute the same numbers. */
  static const char *const names[] = {
      "lenet5",        "alexnet_small",          "vgg_small",         "googlenet_small",
      "resnet_basic_small", "resnet_bottleneck_small", "resnext_small",
      "wide_resnet_small", "squeezenet_small",    "densenet_small",    "nin_small"};
  for (size_t m = 0; m < sizeof names / sizeof names[0]; m++) {
    char path[512];
    snprintf(path, sizeof path, "%s/../golden/%s.cna", CNA_TEST_DATA, names[m]);
    cna_net *net;
    ck_assert_ok(cna_net_load(path, NULL, &net));
    /* The file is format version 1 (bytes 8..11 of its header). */
    unsigned char header[12];
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(header, 1, sizeof header, f), sizeof header);
    fclose(f);
    ck_assert_uint_eq(header[8] | header[9] << 8 | header[10] << 16 | (uint32_t)header[11] << 24,
                      1);

    size_t in_count, out_count, shape[3], out_size;
    snprintf(path, sizeof path, "%s/../golden/%s.input.bin", CNA_TEST_DATA, names[m]);
    float *x = read_floats(path, &in_count);
    snprintf(path, sizeof path, "%s/../golden/%s.output.bin", CNA_TEST_DATA, names[m]);
    float *expected = read_floats(path, &out_count);
    ck_assert_ok(cna_net_input_shape(net, shape));
    ck_assert_ok(cna_net_output_size(net, &out_size));
    const size_t batch = in_count / (shape[0] * shape[1] * shape[2]);
    ck_assert_uint_eq(batch * shape[0] * shape[1] * shape[2], in_count);
    ck_assert_uint_eq(batch * out_size, out_count);
    float *y = malloc(out_count * sizeof *y);
    ck_assert_ok(cna_net_forward(net, x, batch, y));
    float largest = 0, error = 0;
    for (size_t i = 0; i < out_count; i++) {
      if (fabsf(expected[i]) > largest) largest = fabsf(expected[i]);
      if (fabsf(y[i] - expected[i]) > error) error = fabsf(y[i] - expected[i]);
    }
    ck_assert_msg(error <= 1e-5f * largest, "%s: error %g, largest output %g", names[m],
                  (double)error, (double)largest);
    free(x), free(expected), free(y);
    cna_net_destroy(net);
  }
}
END_TEST

Suite *cna_test_format_suite(void) {
  Suite *s = suite_create("format");
  TCase *tc = tcase_create("round trip");
  tcase_set_timeout(tc, 900);
  tcase_add_test(tc, every_zoo_entry_round_trips_in_memory);
  tcase_add_test(tc, files_round_trip_bit_exact);
  tcase_add_test(tc, builder_nets_round_trip);
  tcase_add_test(tc, loaded_weights_are_private);
  tcase_add_test(tc, file_replaced_by_rename_leaves_the_net_alone);
  tcase_add_test(tc, deflated_file_is_not_kept_mapped);
  tcase_add_test(tc, truncated_mapped_file_raises_sigbus);
  tcase_add_test(tc, failed_save_keeps_the_old_file);
  tcase_add_test(tc, save_and_load_arguments);
  tcase_add_test(tc, unverified_load_is_the_same_net);
  suite_add_tcase(s, tc);
  TCase *golden = tcase_create("golden");
  tcase_add_test(golden, golden_models_match_pytorch);
  suite_add_tcase(s, golden);
  return s;
}

/* Intermediate features (cna_net_forward_features): every layer's feature
 * equals the output of the same net built with the builder up to that
 * layer, whatever the forward plan fuses (a convolution before its folded
 * batch norm, an add and ReLU run in a convolution's store, a ReLU that
 * ran in place); AlexNet's FC7 and ResNet-18's pooled features are what
 * the layers after them turn into the net's output; the scalar reference
 * path (a child process) agrees; normal forward passes are unchanged; the
 * cached plans follow cna_net_set_tensor; and every refusal. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/batch_norms.h"
#include "support/every_layer.h"
#include "support/scalar_child.h"
#include "tests.h"

/* ------------------------------------------------------------ helpers */

/* A residual network in miniature with everything the plan fuses:
 * conv-bn-relu, conv-bn-add-relu (the shortcut is a ReLU read twice), a
 * batch norm with its ReLU on its own (pre-activation), a strided conv
 * beside a pool, concat, global pooling, two fully connected layers with
 * dropout between, softmax. */
enum { BLOCK_STEPS = 19 };

static cna_status block_step(cna_builder *b, int step) {
  static const char *const both[] = {"down", "pool"};
  switch (step) {
    case 0: return cna_builder_input(b, "x", 3, 16, 16);
    case 1: return cna_builder_conv2d(b, "conv1", NULL, 16, 3, 1, 1, 0);
    case 2: return cna_builder_batch_norm(b, "bn1", NULL, 1e-5f);
    case 3: return cna_builder_relu(b, "relu1", NULL);
    case 4: return cna_builder_conv2d(b, "conv2", NULL, 16, 3, 1, 1, 0);
    case 5: return cna_builder_batch_norm(b, "bn2", NULL, 1e-5f);
    case 6: return cna_builder_add(b, "add", "bn2", "relu1");
    case 7: return cna_builder_relu(b, "relu2", NULL);
    case 8: return cna_builder_batch_norm(b, "bn3", NULL, 1e-3f);
    case 9: return cna_builder_relu(b, "relu3", NULL);
    case 10: return cna_builder_conv2d(b, "down", NULL, 32, 3, 2, 1, 1);
    case 11: return cna_builder_max_pool2d(b, "pool", "relu3", 2, 2, 0, 0);
    case 12: return cna_builder_concat(b, "cat", both, 2);
    case 13: return cna_builder_global_avg_pool(b, "gap", NULL);
    case 14: return cna_builder_flatten(b, "flat", NULL);
    case 15: return cna_builder_fully_connected(b, "fc1", NULL, 24, 1);
    case 16: return cna_builder_dropout(b, "drop", NULL, 0.5f);
    case 17: return cna_builder_fully_connected(b, "fc2", NULL, 10, 1);
    case 18: return cna_builder_softmax(b, "prob", NULL);
  }
  return CNA_ERROR_INVALID_ARGUMENT;
}

typedef cna_status (*step_fn)(cna_builder *b, int step);

static cna_status every_step(cna_builder *b, int step) {
  return cna_test_every_layer_step(b, step);
}

/* The net of steps 0..steps-1 with seed 3, its output the named layer (NULL:
 * the last). */
static cna_net *build(step_fn step, int steps, const char *output) {
  cna_builder *b;
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  for (int s = 0; s < steps; s++) ck_assert_ok(step(b, s));
  if (output != NULL) ck_assert_ok(cna_builder_set_output(b, output));
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_seed(opts, 3));
  ck_assert_ok(cna_builder_build(b, opts, &net));
  cna_options_destroy(opts);
  cna_builder_destroy(b);
  cna_test_set_batch_norms(net, "bn");
  return net;
}

static size_t layer_size(const cna_net *net, const char *name) {
  size_t index, shape[3];
  ck_assert_ok(cna_net_find_layer(net, name, &index));
  ck_assert_ok(cna_net_layer_output_shape(net, index, shape));
  return shape[0] * shape[1] * shape[2];
}

static float *batch_input(const cna_net *net, size_t batch) {
  float *x = malloc(batch * cna_test_input_size(net) * sizeof *x);
  unsigned seed = 17;
  for (size_t i = 0; i < batch * cna_test_input_size(net); i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
  }
  return x;
}

/* The features of names[0..count) for batch images, each malloc'ed. */
static float **features(cna_net *net, const float *x, size_t batch, const char *const *names,
                        size_t count) {
  float **out = malloc(count * sizeof *out);
  for (size_t k = 0; k < count; k++)
    out[k] = malloc(batch * layer_size(net, names[k]) * sizeof **out);
  ck_assert_ok(cna_net_forward_features(net, x, batch, names, count, out));
  return out;
}

static void free_all(float **arrays, size_t count) {
  for (size_t k = 0; k < count; k++) free(arrays[k]);
  free(arrays);
}

/* |got - want| within the tolerance of the whole-net comparisons
 * (test_kernels.c): 1e-4 of the largest magnitude. */
static void assert_close(const char *what, const float *got, const float *want, size_t n) {
  float largest = 0, error = 0;
  for (size_t i = 0; i < n; i++) {
    if (fabsf(want[i]) > largest) largest = fabsf(want[i]);
    if (fabsf(got[i] - want[i]) > error || isnan(got[i]) != isnan(want[i]))
      error = isnan(got[i]) ? INFINITY : fabsf(got[i] - want[i]);
  }
  ck_assert_msg(error <= 1e-4f * largest, "%s: error %g of largest %g", what, (double)error,
                (double)largest);
}

/* ------------------------------------------------- against the builder */

/* Each layer's feature, asked for alone, is bit for bit the output of the
 * same net built with that layer as its output (the same plan computes
 * both); asked for all at once (nothing fused at all) it agrees within the
 * tolerance. */
static void check_against_truncated(step_fn step, int steps) {
  enum { BATCH = 2 };
  cna_net *net = build(step, steps, NULL);
  size_t count;
  ck_assert_ok(cna_net_layer_count(net, &count));
  ck_assert_uint_eq(count, (size_t)steps);
  float *x = batch_input(net, BATCH);
  const char **names = malloc(count * sizeof *names);
  float **want = malloc(count * sizeof *want);
  for (size_t i = 0; i < count; i++) {
    ck_assert_ok(cna_net_layer_name(net, i, &names[i]));
    cna_net *truncated = build(step, steps, names[i]);
    size_t n;
    ck_assert_ok(cna_net_output_size(truncated, &n));
    ck_assert_uint_eq(n, layer_size(net, names[i]));
    want[i] = malloc(BATCH * n * sizeof *want[i]);
    ck_assert_ok(cna_net_forward(truncated, x, BATCH, want[i]));
    cna_net_destroy(truncated);
    float **got = features(net, x, BATCH, &names[i], 1);
    ck_assert_msg(memcmp(got[0], want[i], BATCH * n * sizeof(float)) == 0,
                  "layer '%s' alone differs from the net truncated there", names[i]);
    free_all(got, 1);
  }
  float **all = features(net, x, BATCH, names, count);
  for (size_t i = 0; i < count; i++)
    assert_close(names[i], all[i], want[i], BATCH * layer_size(net, names[i]));
  /* The last layer's feature is the output, computed as forward does. */
  size_t out;
  ck_assert_ok(cna_net_output_size(net, &out));
  float *y = malloc(BATCH * out * sizeof *y);
  ck_assert_ok(cna_net_forward(net, x, BATCH, y));
  ck_assert_int_eq(memcmp(y, want[count - 1], BATCH * out * sizeof *y), 0);
  free(y);
  free_all(all, count);
  free_all(want, count);
  free(names);
  free(x);
  cna_net_destroy(net);
}

START_TEST(every_layer_of_a_fused_block) { check_against_truncated(block_step, BLOCK_STEPS); }
END_TEST

START_TEST(every_layer_of_every_type) {
  check_against_truncated(every_step, CNA_TEST_EVERY_STEPS);
}
END_TEST

START_TEST(fusion_is_undone_where_asked) {
  /* A convolution whose batch norm the forward plan folds: its feature is
   * the raw convolution, which differs from the batch norm's output. And a
   * layer read by a fused add (relu1) keeps its value. */
  cna_net *net = build(block_step, BLOCK_STEPS, NULL);
  float *x = batch_input(net, 1);
  static const char *const names[] = {"bn1", "conv1", "relu2", "add", "relu1", "bn2"};
  float **f = features(net, x, 1, names, 6);
  const size_t n = layer_size(net, "conv1");
  size_t differ = 0, negative = 0, clipped = 0;
  for (size_t i = 0; i < n; i++) {
    differ += f[0][i] != f[1][i];
    negative += f[1][i] < 0;
    ck_assert(f[2][i] == fmaxf(f[3][i], 0.0f)); /* relu2 = max(add, 0) */
    ck_assert(f[4][i] >= 0);
    clipped += f[3][i] < 0;
    /* add = bn2 + relu1 */
    ck_assert_msg(fabsf(f[3][i] - (f[5][i] + f[4][i])) <= 1e-5f * (1 + fabsf(f[3][i])),
                  "add[%zu] = %g, bn2 + relu1 = %g", i, (double)f[3][i],
                  (double)(f[5][i] + f[4][i]));
  }
  ck_assert_uint_gt(differ, n / 2);
  ck_assert_uint_gt(negative, 0); /* before any ReLU */
  ck_assert_uint_gt(clipped, 0);
  free_all(f, 6);
  free(x);
  cna_net_destroy(net);
}
END_TEST

/* --------------------------------------------------------------- the zoo */

/* y = W x + b for an FC layer's weights from the net. */
static void fully_connected(cna_net *net, const char *layer, const float *x, size_t in,
                            double *y, size_t out) {
  char name[64];
  size_t w_index, b_index;
  snprintf(name, sizeof name, "%s.weight", layer);
  ck_assert_ok(cna_net_find_tensor(net, name, &w_index));
  snprintf(name, sizeof name, "%s.bias", layer);
  ck_assert_ok(cna_net_find_tensor(net, name, &b_index));
  float *w = malloc(in * out * sizeof *w), *b = malloc(out * sizeof *b);
  ck_assert_ok(cna_net_get_tensor(net, w_index, w, in * out));
  ck_assert_ok(cna_net_get_tensor(net, b_index, b, out));
  for (size_t o = 0; o < out; o++) {
    double sum = b[o];
    for (size_t i = 0; i < in; i++) sum += (double)w[o * in + i] * x[i];
    y[o] = sum;
  }
  free(w), free(b);
}

static void assert_close_double(const char *what, const float *got, const double *want,
                                size_t n) {
  float *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n; i++) w[i] = (float)want[i];
  assert_close(what, got, w, n);
  free(w);
}

START_TEST(alexnet_fc7) {
  /* The 2012 paper's AlexNet: FC7 (4096 values, before its ReLU, which the
   * forward plan runs in place) and after it; FC8 of relu7 is the output. */
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("alexnet_2012", NULL, &net));
  float *x = batch_input(net, 1);
  static const char *const names[] = {"relu7", "relu6", "fc7"};
  float **f = features(net, x, 1, names, 3);
  ck_assert_uint_eq(layer_size(net, "fc7"), 4096);
  double *fc7 = malloc(4096 * sizeof *fc7), *fc8 = malloc(1000 * sizeof *fc8);
  fully_connected(net, "fc7", f[1], 4096, fc7, 4096);
  assert_close_double("fc7 = W7 relu6 + b7", f[2], fc7, 4096);
  size_t positive = 0;
  for (size_t i = 0; i < 4096; i++) {
    ck_assert(f[0][i] == fmaxf(f[2][i], 0.0f));
    positive += f[0][i] > 0;
  }
  ck_assert_uint_gt(positive, 100);
  ck_assert_uint_lt(positive, 4000);
  fully_connected(net, "fc8", f[0], 4096, fc8, 1000);
  float y[1000];
  ck_assert_ok(cna_net_forward(net, x, 1, y));
  assert_close_double("the output = W8 relu7 + b8", y, fc8, 1000);
  free(fc7), free(fc8);
  free_all(f, 3);
  free(x);
  cna_net_destroy(net);
}
END_TEST

START_TEST(resnet18_pooled) {
  enum { BATCH = 2 };
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("resnet18", NULL, &net));
  float *x = batch_input(net, BATCH);
  static const char *const names[] = {"avgpool", "layer4.1.relu2"};
  float **f = features(net, x, BATCH, names, 2);
  ck_assert_uint_eq(layer_size(net, "avgpool"), 512);
  ck_assert_uint_eq(layer_size(net, "layer4.1.relu2"), 512 * 7 * 7);
  float y[BATCH * 1000];
  ck_assert_ok(cna_net_forward(net, x, BATCH, y));
  for (size_t b = 0; b < BATCH; b++) {
    /* The pool is the mean of the last block's maps... */
    double mean[512], fc[1000];
    for (size_t c = 0; c < 512; c++) {
      double sum = 0;
      for (size_t p = 0; p < 49; p++) sum += f[1][b * 512 * 49 + c * 49 + p];
      mean[c] = sum / 49;
    }
    assert_close_double("avgpool = mean of layer4.1.relu2", f[0] + b * 512, mean, 512);
    /* ...and the output is fc of the pool. */
    fully_connected(net, "fc", f[0] + b * 512, 512, fc, 1000);
    assert_close_double("the output = fc(avgpool)", y + b * 1000, fc, 1000);
  }
  /* The pooled features alone are those of the pair. */
  float **alone = features(net, x, BATCH, names, 1);
  ck_assert_int_eq(memcmp(alone[0], f[0], BATCH * 512 * sizeof(float)), 0);
  free_all(alone, 1);
  free_all(f, 2);
  free(x);
  cna_net_destroy(net);
}
END_TEST

START_TEST(resnet18_agrees_with_the_scalar_path) {
  /* The scalar path fuses nothing; on the fast path layer1.0.conv1's batch
   * norm is folded into it for forward. Needs each test in a process of its
   * own, so that the child runs before this process chooses its kernels. */
  const char *no_fork = getenv("CK_FORK");
  if (no_fork != NULL && strcmp(no_fork, "no") == 0) return;
  static const char *const names[] = {"layer1.0.conv1", "layer2.0.relu2", "avgpool"};
  size_t n;
  float *want = cna_test_scalar_run("resnet18", names, 3, &n);
  ck_assert_msg(want != NULL, "the scalar run of resnet18 failed");
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("resnet18", NULL, &net));
  float *x = cna_test_net_input(cna_test_input_size(net));
  float **f = features(net, x, 1, names, 3);
  size_t offset = 0;
  for (size_t k = 0; k < 3; k++) {
    const size_t size = layer_size(net, names[k]);
    assert_close(names[k], f[k], want + offset, size);
    offset += size;
  }
  ck_assert_uint_eq(offset, n);
  free_all(f, 3);
  free(x), free(want);
  cna_net_destroy(net);
}
END_TEST

/* -------------------------------------------------- plans and the cache */

START_TEST(forward_is_unchanged) {
  cna_net *net = build(block_step, BLOCK_STEPS, NULL);
  float *x = batch_input(net, 3), before[3 * 10], after[3 * 10];
  ck_assert_ok(cna_net_forward(net, x, 3, before));
  static const char *const sets[][2] = {{"conv1", "relu1"}, {"add", "bn3"}, {"fc1", "x"}};
  for (size_t s = 0; s < 3; s++) {
    float **f = features(net, x, 3, sets[s], 2);
    float **again = features(net, x, 3, sets[s], 2); /* the cached plan */
    for (size_t k = 0; k < 2; k++)
      ck_assert_int_eq(memcmp(f[k], again[k], 3 * layer_size(net, sets[s][k]) * sizeof(float)),
                       0);
    free_all(f, 2), free_all(again, 2);
    ck_assert_ok(cna_net_forward(net, x, 3, after));
    ck_assert_int_eq(memcmp(before, after, sizeof before), 0);
  }
  /* The input layer's feature is the input. */
  static const char *const input[] = {"x"};
  float **f = features(net, x, 3, input, 1);
  ck_assert_int_eq(memcmp(f[0], x, 3 * cna_test_input_size(net) * sizeof *x), 0);
  free_all(f, 1);
  free(x);
  cna_net_destroy(net);
}
END_TEST

START_TEST(plans_follow_changed_tensors) {
  /* Feature plans borrow the forward plan's packed weights: after
   * cna_net_set_tensor they must see the new ones. */
  cna_net *net = build(block_step, BLOCK_STEPS, NULL);
  float *x = batch_input(net, 1);
  static const char *const names[] = {"bn1", "down"};
  float **f = features(net, x, 1, names, 2);
  size_t index;
  ck_assert_ok(cna_net_find_tensor(net, "conv1.weight", &index));
  float zeros[16 * 3 * 9] = {0};
  ck_assert_ok(cna_net_set_tensor(net, index, zeros, 16 * 3 * 9));
  float **g = features(net, x, 1, names, 2);
  /* conv1 now gives 0: bn1 gives its bias - mean * scale per channel. */
  const size_t plane = 16 * 16;
  for (size_t c = 0; c < 16; c++)
    for (size_t p = 1; p < plane; p++) ck_assert(g[0][c * plane + p] == g[0][c * plane]);
  ck_assert_int_ne(memcmp(f[0], g[0], 16 * plane * sizeof(float)), 0);
  /* The same as a fresh net with that tensor. */
  cna_net *fresh = build(block_step, BLOCK_STEPS, NULL);
  ck_assert_ok(cna_net_set_tensor(fresh, index, zeros, 16 * 3 * 9));
  float **h = features(fresh, x, 1, names, 2);
  for (size_t k = 0; k < 2; k++)
    ck_assert_int_eq(memcmp(g[k], h[k], layer_size(net, names[k]) * sizeof(float)), 0);
  free_all(f, 2), free_all(g, 2), free_all(h, 2);
  free(x);
  cna_net_destroy(net), cna_net_destroy(fresh);
}
END_TEST

START_TEST(more_sets_than_the_cache_holds) {
  /* 40 different sets (the cache keeps 16; the others are planned per
   * call), each right. */
  cna_net *net = build(block_step, BLOCK_STEPS, NULL);
  float *x = batch_input(net, 1);
  const char *all[BLOCK_STEPS];
  for (size_t i = 0; i < BLOCK_STEPS; i++) ck_assert_ok(cna_net_layer_name(net, i, &all[i]));
  float **reference = features(net, x, 1, all, BLOCK_STEPS);
  for (size_t round = 0; round < 2; round++)
    for (size_t i = 0; i < BLOCK_STEPS; i++)
      for (size_t j = i + 1; j < BLOCK_STEPS; j += 7) {
        const char *pair[2] = {all[j], all[i]};
        float **f = features(net, x, 1, pair, 2);
        assert_close(all[j], f[0], reference[j], layer_size(net, all[j]));
        assert_close(all[i], f[1], reference[i], layer_size(net, all[i]));
        free_all(f, 2);
      }
  free_all(reference, BLOCK_STEPS);
  free(x);
  cna_net_destroy(net);
}
END_TEST

/* ------------------------------------------------------------- refusals */

START_TEST(refusals) {
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("resnet18", NULL, &net));
  float *x = batch_input(net, 1), pooled[2 * 512], fc[1000];
  const char *names[2] = {"avgpool", "fc"};
  float *outputs[2] = {pooled, fc};
  ck_assert_status(cna_net_forward_features(NULL, x, 1, names, 1, outputs),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward_features(net, NULL, 1, names, 1, outputs),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward_features(net, x, 1, NULL, 1, outputs),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward_features(net, x, 1, names, 1, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_forward_features(net, x, 1, names, 0, outputs),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("count is 0");
  /* NULL entries. */
  const char *with_null[2] = {"avgpool", NULL};
  ck_assert_status(cna_net_forward_features(net, x, 1, with_null, 2, outputs),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("names[1] is NULL");
  float *null_output[2] = {pooled, NULL};
  ck_assert_status(cna_net_forward_features(net, x, 1, names, 2, null_output),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("outputs[1] is NULL");
  /* Unknown names: the three nearest, however far (equally near ones in
   * layer order). */
  const char *typo[2] = {"avgpool", "layer4.1.rleu2"};
  ck_assert_status(cna_net_forward_features(net, x, 1, typo, 2, outputs), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("names[1]: the net has no layer named 'layer4.1.rleu2'; the nearest "
                        "are 'layer4.1.relu2', 'layer1.1.relu2', 'layer2.1.relu2'");
  ck_assert_message_has("cna_net_layer_name lists all 70");
  const char *far[1] = {"fc7"};
  ck_assert_status(cna_net_forward_features(net, x, 1, far, 1, outputs), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("no layer named 'fc7'; the nearest are 'fc', ");
  /* Duplicates. */
  const char *twice[3] = {"fc", "avgpool", "fc"};
  float *three[3] = {fc, pooled, pooled + 512};
  ck_assert_status(cna_net_forward_features(net, x, 1, twice, 3, three),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("names[0] and names[2] are both 'fc'");
  /* Overlaps: with the input, with each other. */
  float *onto_input[2] = {pooled, x + 100};
  ck_assert_status(cna_net_forward_features(net, x, 1, names, 2, onto_input),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("outputs[1] (for 'fc') overlaps the input");
  float *shared[2] = {pooled, pooled + 511};
  ck_assert_status(cna_net_forward_features(net, x, 1, names, 2, shared),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("outputs[0] (for 'avgpool') and outputs[1] (for 'fc') overlap");
  /* Sizes. */
  ck_assert_status(cna_net_forward_features(net, x, SIZE_MAX / 8, names, 2, outputs),
                   CNA_ERROR_TOO_LARGE);
  /* Batch 0 checks the names and does nothing. */
  ck_assert_status(cna_net_forward_features(net, x, 0, typo, 2, outputs), CNA_ERROR_NOT_FOUND);
  pooled[0] = 42;
  ck_assert_ok(cna_net_forward_features(net, x, 0, names, 2, outputs));
  ck_assert(pooled[0] == 42);
  /* Failed calls left the net working. */
  ck_assert_ok(cna_net_forward_features(net, x, 1, names, 2, outputs));
  float y[1000];
  ck_assert_ok(cna_net_forward(net, x, 1, y));
  ck_assert_int_eq(memcmp(y, fc, sizeof y), 0);
  free(x);
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_features_suite(void) {
  Suite *s = suite_create("features");
  TCase *builder = tcase_create("against the builder");
  tcase_add_test(builder, every_layer_of_a_fused_block);
  tcase_add_test(builder, every_layer_of_every_type);
  tcase_add_test(builder, fusion_is_undone_where_asked);
  suite_add_tcase(s, builder);
  TCase *zoo = tcase_create("zoo");
  tcase_set_timeout(zoo, 120);
  tcase_add_test(zoo, alexnet_fc7);
  tcase_add_test(zoo, resnet18_pooled);
  tcase_add_test(zoo, resnet18_agrees_with_the_scalar_path);
  suite_add_tcase(s, zoo);
  TCase *plans = tcase_create("plans");
  tcase_add_test(plans, forward_is_unchanged);
  tcase_add_test(plans, plans_follow_changed_tensors);
  tcase_add_test(plans, more_sets_than_the_cache_holds);
  tcase_add_test(plans, refusals);
  suite_add_tcase(s, plans);
  return s;
}

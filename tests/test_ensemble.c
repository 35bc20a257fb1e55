/* Ensembles: the averaged probabilities equal the members' own, computed
 * here from separate forward passes, equally and unequally weighted, with a
 * member that ends in a softmax used as it is; top-k from them; and every
 * refusal with its message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

enum { CLASSES = 10, PIXELS = 32 * 32, BATCH = 3 };

static cna_net *lenet(uint64_t seed, int classes) {
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_seed(opts, seed));
  if (classes) ck_assert_ok(cna_options_set_num_classes(opts, classes));
  ck_assert_ok(cna_net_create_arch("lenet5", opts, &net));
  cna_options_destroy(opts);
  return net;
}

/* LeNet-5's input shape, classes as probabilities: a softmax output layer. */
static cna_net *softmax_net(void) {
  cna_builder *b;
  cna_net *net;
  cna_options *opts;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "image", 1, 32, 32));
  ck_assert_ok(cna_builder_conv2d(b, "conv", NULL, 4, 5, 2, 0, 1));
  ck_assert_ok(cna_builder_relu(b, "relu", NULL));
  ck_assert_ok(cna_builder_flatten(b, "flatten", NULL));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, CLASSES, 1));
  ck_assert_ok(cna_builder_softmax(b, "prob", NULL));
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_seed(opts, 99));
  ck_assert_ok(cna_builder_build(b, opts, &net));
  cna_options_destroy(opts);
  cna_builder_destroy(b);
  return net;
}

static float *images(void) {
  float *x = malloc(BATCH * PIXELS * sizeof *x);
  unsigned seed = 11;
  for (size_t i = 0; i < BATCH * PIXELS; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
  }
  return x;
}

/* A member's probabilities from its own forward pass: a softmax in double,
 * unless it already ends in one. */
static void member_probabilities(cna_net *net, int is_softmax, const float *x, double *p) {
  float y[BATCH * CLASSES];
  ck_assert_ok(cna_net_forward(net, x, BATCH, y));
  for (size_t b = 0; b < BATCH; b++) {
    const float *row = y + b * CLASSES;
    double max = row[0], sum = 0;
    for (size_t j = 1; j < CLASSES; j++) max = row[j] > max ? row[j] : max;
    for (size_t j = 0; j < CLASSES; j++) sum += is_softmax ? row[j] : exp(row[j] - max);
    for (size_t j = 0; j < CLASSES; j++)
      p[b * CLASSES + j] = is_softmax ? row[j] : exp(row[j] - max) / sum;
  }
}

/* The ensemble's output against sum_i w_i p_i / sum_i w_i from the members. */
static void check_average(cna_net *const *nets, const int *is_softmax, const float *weights,
                          size_t count) {
  float *x = images();
  double want[BATCH * CLASSES] = {0}, p[BATCH * CLASSES], total = 0;
  for (size_t m = 0; m < count; m++) total += weights ? weights[m] : 1.0;
  for (size_t m = 0; m < count; m++) {
    member_probabilities(nets[m], is_softmax[m], x, p);
    const double w = (weights ? weights[m] : 1.0) / total;
    for (size_t i = 0; i < BATCH * CLASSES; i++) want[i] += w * p[i];
  }
  cna_ensemble *e;
  ck_assert_ok(cna_ensemble_create(nets, weights, count, &e));
  size_t members, outputs;
  ck_assert_ok(cna_ensemble_size(e, &members, &outputs));
  ck_assert_uint_eq(members, count);
  ck_assert_uint_eq(outputs, CLASSES);
  float got[BATCH * CLASSES];
  ck_assert_ok(cna_ensemble_forward(e, x, BATCH, got));
  for (size_t b = 0; b < BATCH; b++) {
    double row = 0;
    for (size_t j = 0; j < CLASSES; j++) {
      const size_t i = b * CLASSES + j;
      ck_assert_msg(fabs(got[i] - want[i]) <= 1e-6, "image %zu class %zu: %.9g, expected %.9g",
                    b, j, (double)got[i], want[i]);
      row += got[i];
    }
    ck_assert_msg(fabs(row - 1) < 1e-5, "image %zu: probabilities sum to %.9g", b, row);
  }
  /* Batch independence: one image alone gives its row of the batch. */
  float one[CLASSES];
  ck_assert_ok(cna_ensemble_forward(e, x + 2 * PIXELS, 1, one));
  ck_assert_int_eq(memcmp(one, got + 2 * CLASSES, sizeof one), 0);
  cna_ensemble_destroy(e);
  free(x);
}

START_TEST(equal_weights_average_the_members) {
  cna_net *nets[3] = {lenet(1, 0), lenet(2, 0), softmax_net()};
  const int is_softmax[3] = {0, 0, 1};
  check_average(nets, is_softmax, NULL, 3);
  /* One member: its own probabilities. */
  check_average(nets, is_softmax, NULL, 1);
  check_average(nets + 2, is_softmax + 2, NULL, 1);
  for (size_t m = 0; m < 3; m++) cna_net_destroy(nets[m]);
}
END_TEST

START_TEST(weights_are_normalized) {
  cna_net *nets[4] = {lenet(1, 0), lenet(2, 0), lenet(3, 0), softmax_net()};
  const int is_softmax[4] = {0, 0, 0, 1};
  const float weights[4] = {0.5f, 2.0f, 0.0f, 1.5f};
  check_average(nets, is_softmax, weights, 4);
  /* Weights only count relative to each other. */
  const float scaled[4] = {50.0f, 200.0f, 0.0f, 150.0f};
  check_average(nets, is_softmax, scaled, 4);
  /* The same net twice counts twice. */
  cna_net *twice[3] = {nets[0], nets[1], nets[0]};
  const int none[3] = {0, 0, 0};
  check_average(twice, none, NULL, 3);
  for (size_t m = 0; m < 4; m++) cna_net_destroy(nets[m]);
}
END_TEST

START_TEST(classify_ranks_the_average) {
  cna_net *nets[2] = {lenet(1, 0), softmax_net()};
  cna_ensemble *e;
  ck_assert_ok(cna_ensemble_create(nets, NULL, 2, &e));
  float *x = images(), probs[BATCH * CLASSES];
  ck_assert_ok(cna_ensemble_forward(e, x, BATCH, probs));
  static const char text[] = "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
  cna_labels *labels;
  ck_assert_ok(cna_labels_load_from_memory(text, sizeof text - 1, &labels));
  enum { K = 4 };
  size_t indices[BATCH * K];
  float top[BATCH * K];
  const char *names[BATCH * K];
  ck_assert_ok(cna_ensemble_classify(e, x, BATCH, labels, K, indices, top, names));
  for (size_t b = 0; b < BATCH; b++) {
    for (size_t j = 0; j < K; j++) {
      const size_t c = indices[b * K + j];
      ck_assert_uint_lt(c, CLASSES);
      ck_assert(top[b * K + j] == probs[b * CLASSES + c]);
      const char *label;
      ck_assert_ok(cna_labels_get(labels, c, &label));
      ck_assert_str_eq(names[b * K + j], label);
      if (j > 0) ck_assert(top[b * K + j] <= top[b * K + j - 1]);
      /* Nothing left out ranks above the k-th. */
      for (size_t other = 0; other < CLASSES; other++) {
        int listed = 0;
        for (size_t i = 0; i < K; i++) listed |= indices[b * K + i] == other;
        if (!listed) ck_assert(probs[b * CLASSES + other] <= top[b * K + K - 1]);
      }
    }
  }
  /* Without labels and probabilities. */
  size_t only[BATCH];
  ck_assert_ok(cna_ensemble_classify(e, x, BATCH, NULL, 1, only, NULL, NULL));
  for (size_t b = 0; b < BATCH; b++) ck_assert_uint_eq(only[b], indices[b * K]);
  ck_assert_ok(cna_ensemble_classify(e, x, 0, NULL, 1, only, NULL, NULL));
  cna_labels_destroy(labels);
  cna_ensemble_destroy(e);
  free(x);
  cna_net_destroy(nets[0]), cna_net_destroy(nets[1]);
}
END_TEST

START_TEST(refusals) {
  cna_net *a = lenet(1, 0), *five = lenet(2, 5), *rgb;
  ck_assert_ok(cna_net_create_arch("resnet20", NULL, &rgb));
  cna_ensemble *e = (cna_ensemble *)(uintptr_t)1;
  cna_net *pair[2] = {a, NULL};
  ck_assert_status(cna_ensemble_create(NULL, NULL, 1, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_create(pair, NULL, 1, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_create(pair, NULL, 0, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("count is 0");
  ck_assert_status(cna_ensemble_create(pair, NULL, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("nets[1] is NULL");
  /* Shapes: the message names the member and both shapes. */
  pair[1] = rgb;
  ck_assert_status(cna_ensemble_create(pair, NULL, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("member 1 takes 3x32x32 images and gives 10 outputs, but member 0 "
                        "takes 1x32x32 and gives 10");
  pair[1] = five;
  ck_assert_status(cna_ensemble_create(pair, NULL, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("member 1 takes 1x32x32 images and gives 5 outputs");
  /* Weights. */
  pair[1] = a;
  const float negative[2] = {1, -0.5f}, zeros[2] = {0, 0};
  const float nan[2] = {NAN, 1}, inf[2] = {1, INFINITY};
  ck_assert_status(cna_ensemble_create(pair, negative, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("weights[1] is -0.5");
  ck_assert_status(cna_ensemble_create(pair, nan, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("weights[0] is nan");
  ck_assert_status(cna_ensemble_create(pair, inf, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("weights[1] is inf");
  ck_assert_status(cna_ensemble_create(pair, zeros, 2, &e), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("all 2 weights are 0");
  ck_assert(e == (cna_ensemble *)(uintptr_t)1); /* untouched on failure */

  /* Forward and classify. */
  ck_assert_ok(cna_ensemble_create(pair, NULL, 2, &e));
  float *x = images(), y[BATCH * CLASSES];
  size_t idx[BATCH * CLASSES], count, outputs;
  ck_assert_status(cna_ensemble_forward(NULL, x, 1, y), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_forward(e, NULL, 1, y), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_forward(e, x, 1, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_forward(e, x, 1, x + 5), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("overlaps");
  ck_assert_ok(cna_ensemble_forward(e, x, 0, y));
  ck_assert_status(cna_ensemble_forward(e, x, SIZE_MAX / 4, y), CNA_ERROR_TOO_LARGE);
  ck_assert_status(cna_ensemble_classify(NULL, x, 1, NULL, 1, idx, NULL, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_classify(e, x, 1, NULL, 1, NULL, NULL, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_classify(e, x, 1, NULL, 0, idx, NULL, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_classify(e, x, 1, NULL, 11, idx, NULL, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("cna_ensemble_classify: k is 11; expected 1 to the net's 10 outputs");
  cna_labels *three;
  ck_assert_ok(cna_labels_load_from_memory("a\nb\nc\n", 6, &three));
  ck_assert_status(cna_ensemble_classify(e, x, 1, three, 1, idx, NULL, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("3 labels for a net with 10 outputs");
  ck_assert_status(cna_ensemble_size(NULL, &count, &outputs), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_size(e, NULL, &outputs), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_ensemble_size(e, &count, NULL), CNA_ERROR_INVALID_ARGUMENT);
  cna_ensemble_destroy(NULL);
  cna_labels_destroy(three);
  cna_ensemble_destroy(e);
  free(x);
  cna_net_destroy(a), cna_net_destroy(five), cna_net_destroy(rgb);
}
END_TEST

Suite *cna_test_ensemble_suite(void) {
  Suite *s = suite_create("ensemble");
  TCase *tc = tcase_create("ensemble");
  tcase_add_test(tc, equal_weights_average_the_members);
  tcase_add_test(tc, weights_are_normalized);
  tcase_add_test(tc, classify_ranks_the_average);
  tcase_add_test(tc, refusals);
  suite_add_tcase(s, tc);
  return s;
}

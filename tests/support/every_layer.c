/* The every-layer test network (every_layer.h). */
#include "every_layer.h"

cna_status cna_test_every_layer_step(cna_builder *b, int step) {
  /* 3x12x12 -> conv, batch norm, relu, lrn; a grouped 1x1 conv and a max
   * pool side by side, concatenated, plus a 3x3 conv as the residual; tanh,
   * average pooling, channel padding, adaptive pooling, dropout; flattened
   * and concatenated with a global-pooled branch; fully connected, softmax. */
  static const char *const branches[] = {"branch_a", "branch_b"};
  static const char *const heads[] = {"flat", "gap"};
  switch (step) {
    case 0: return cna_builder_input(b, "x", CNA_TEST_EVERY_C, CNA_TEST_EVERY_H, CNA_TEST_EVERY_W);
    case 1: return cna_builder_conv2d(b, "conv1", NULL, 8, 3, 1, 1, 1);
    case 2: return cna_builder_batch_norm(b, "bn1", NULL, 1e-5f);
    case 3: return cna_builder_relu(b, "relu1", NULL);
    case 4: return cna_builder_lrn(b, "lrn1", NULL, 3, 1e-2f, 0.75f, 1.0f);
    case 5: return cna_builder_conv2d_ex(b, "branch_a", "lrn1", 8, 1, 1, 1, 1, 0, 0, 1, 1, 2, 0);
    case 6: return cna_builder_max_pool2d(b, "branch_b", "lrn1", 3, 1, 1, 0);
    case 7: return cna_builder_concat(b, "cat", branches, 2);
    case 8: return cna_builder_conv2d_ex(b, "shortcut", "lrn1", 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    case 9: return cna_builder_add(b, "sum", "cat", "shortcut");
    case 10: return cna_builder_tanh(b, "tanh", NULL);
    case 11: return cna_builder_avg_pool2d(b, "avg", NULL, 2, 2, 0, 0, 1);
    case 12: return cna_builder_channel_pad(b, "pad", NULL, 2, 2);
    case 13: return cna_builder_adaptive_avg_pool2d(b, "adaptive", NULL, 3, 3);
    case 14: return cna_builder_dropout(b, "drop", NULL, 0.5f);
    case 15: return cna_builder_flatten(b, "flat", NULL);
    case 16: return cna_builder_global_avg_pool(b, "gap", "pad");
    case 17: return cna_builder_concat(b, "features", heads, 2);
    case 18: return cna_builder_fully_connected(b, "fc", NULL, 10, 1);
    case 19: return cna_builder_softmax(b, "prob", NULL);
  }
  return CNA_ERROR_INVALID_ARGUMENT;
}

cna_status cna_test_every_layer(cna_builder *b) {
  for (int step = 0; step < CNA_TEST_EVERY_STEPS; step++) {
    cna_status s = cna_test_every_layer_step(b, step);
    if (s != CNA_OK) return s;
  }
  return CNA_OK;
}

cna_status cna_test_every_layer_net(uint64_t seed, cna_net **out) {
  cna_builder *b = NULL;
  cna_options *opts = NULL;
  cna_status s = cna_builder_create(&b);
  if (s == CNA_OK) s = cna_test_every_layer(b);
  if (s == CNA_OK) s = cna_options_create(&opts);
  if (s == CNA_OK) s = cna_options_set_seed(opts, seed);
  if (s == CNA_OK) s = cna_builder_build(b, opts, out);
  cna_options_destroy(opts);
  cna_builder_destroy(b);
  return s;
}

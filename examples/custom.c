/* custom: define a small residual network with the builder, then inspect
 * and run it. The code of docs/api.md, with every status checked. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <cnnarch.h>

#define TRY(call)                                                   \
  do {                                                              \
    if ((call) != CNA_OK) {                                         \
      fprintf(stderr, "custom: %s\n", cna_last_error_message());    \
      goto fail;                                                    \
    }                                                               \
  } while (0)

int main(void) {
  cna_builder *b = NULL;
  cna_net *net = NULL;
  float image[3 * 32 * 32], scores[10];
  TRY(cna_builder_create(&b));
  TRY(cna_builder_input(b, "image", 3, 32, 32));
  TRY(cna_builder_conv2d(b, "conv", NULL, 16, 3, 1, 1, /*bias*/ 0));
  TRY(cna_builder_batch_norm(b, "bn", NULL, 1e-5f));
  TRY(cna_builder_relu(b, "relu", NULL));
  TRY(cna_builder_conv2d(b, "branch", "relu", 16, 3, 1, 1, 0));
  TRY(cna_builder_add(b, "residual", "branch", "relu")); /* a shortcut */
  TRY(cna_builder_global_avg_pool(b, "pool", NULL));
  TRY(cna_builder_fully_connected(b, "fc", NULL, 10, 1));
  TRY(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b); /* the net does not need it */
  b = NULL;

  size_t layers;
  TRY(cna_net_layer_count(net, &layers));
  for (size_t i = 0; i < layers; i++) {
    const char *name;
    size_t shape[3];
    uint64_t params, rf;
    TRY(cna_net_layer_name(net, i, &name));
    TRY(cna_net_layer_output_shape(net, i, shape));
    TRY(cna_net_layer_stat(net, i, CNA_STAT_PARAMS, &params));
    TRY(cna_net_layer_stat(net, i, CNA_STAT_RF_HEIGHT, &rf));
    printf("%-9s %3zux%2zux%2zu  %5" PRIu64 " params  receptive field %" PRIu64 "\n", name,
           shape[0], shape[1], shape[2], params, rf);
  }
  for (size_t i = 0; i < sizeof image / sizeof image[0]; i++) image[i] = (float)(i % 32) / 32;
  TRY(cna_net_forward(net, image, 1, scores));
  printf("scores: %.4f %.4f %.4f ...\n", scores[0], scores[1], scores[2]);
  cna_net_destroy(net);
  return 0;
fail:
  cna_builder_destroy(b);
  cna_net_destroy(net);
  return 1;
}

/* The README's example: build ResNet-18, run it on one (blank) image. */
#include <cnnarch.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  cna_net *net;
  if (cna_net_create_arch("resnet18", NULL, &net) != CNA_OK) {
    fprintf(stderr, "cnnarch: %s\n", cna_last_error_message());
    return 1;
  }
  size_t in[3], classes;
  cna_net_input_shape(net, in);   /* 3 x 224 x 224 */
  cna_net_output_size(net, &classes);
  float *image = calloc(in[0] * in[1] * in[2], sizeof(float));
  float *scores = malloc(classes * sizeof(float));
  cna_status s = cna_net_forward(net, image, 1, scores);
  printf("resnet18: %s, %zu class scores\n", cna_status_string(s), classes);
  free(image), free(scores);
  cna_net_destroy(net);
  return s == CNA_OK ? 0 : 1;
}

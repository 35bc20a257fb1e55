/* Writes the committed seed corpora of the fuzz targets (make fuzz-seeds):
 *  corpus/load:    tiny .cna files, one per layer type (raw), a few deflated,
 *                  and the every-layer net raw and deflated;
 *  corpus/builder: one program per layer type for fuzz_builder's byte
 *                  language (a 3x16x16 input, the layer with small
 *                  attributes, a build), and a program adding them all.
 * usage: make_seeds DIR (DIR/load and DIR/builder must exist). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnarch.h"
#include "support/every_layer.h"

static const char *dir;

static void write_seed(const char *sub, const char *name, const void *data, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "make_seeds: cannot write %s\n", path);
    exit(1);
  }
}

static void save_seed(const cna_net *net, const char *name, int level) {
  void *data;
  size_t size;
  if (cna_net_save_to_memory(net, level, &data, &size) != CNA_OK) {
    fprintf(stderr, "make_seeds: %s: %s\n", name, cna_last_error_message());
    exit(1);
  }
  write_seed("load", name, data, size);
  cna_free(data);
}

/* A 2x5x5 input and one layer (two for the merges), as a file. */
static void layer_seed(const char *name, int level, cna_status (*add)(cna_builder *)) {
  cna_builder *b;
  cna_net *net;
  if (cna_builder_create(&b) != CNA_OK || cna_builder_input(b, "x", 2, 5, 5) != CNA_OK ||
      add(b) != CNA_OK || cna_builder_build(b, NULL, &net) != CNA_OK) {
    fprintf(stderr, "make_seeds: %s: %s\n", name, cna_last_error_message());
    exit(1);
  }
  cna_builder_destroy(b);
  save_seed(net, name, level);
  cna_net_destroy(net);
}

static cna_status conv(cna_builder *b) { return cna_builder_conv2d(b, "c", NULL, 3, 3, 1, 1, 1); }
static cna_status conv_ex(cna_builder *b) {
  return cna_builder_conv2d_ex(b, "c", NULL, 4, 3, 2, 2, 1, 1, 0, 1, 2, 2, 0);
}
static cna_status max_pool(cna_builder *b) { return cna_builder_max_pool2d(b, "p", NULL, 3, 2, 1, 1); }
static cna_status avg_pool(cna_builder *b) {
  return cna_builder_avg_pool2d(b, "p", NULL, 2, 2, 1, 1, 0);
}
static cna_status adaptive(cna_builder *b) {
  return cna_builder_adaptive_avg_pool2d(b, "p", NULL, 2, 3);
}
static cna_status global(cna_builder *b) { return cna_builder_global_avg_pool(b, "g", NULL); }
static cna_status lrn(cna_builder *b) { return cna_builder_lrn(b, "n", NULL, 2, 1e-4f, 0.75f, 2.0f); }
static cna_status batch_norm(cna_builder *b) { return cna_builder_batch_norm(b, "bn", NULL, 1e-5f); }
static cna_status relu(cna_builder *b) { return cna_builder_relu(b, "r", NULL); }
static cna_status tanh_(cna_builder *b) { return cna_builder_tanh(b, "t", NULL); }
static cna_status dropout(cna_builder *b) { return cna_builder_dropout(b, "d", NULL, 0.5f); }
static cna_status fc(cna_builder *b) { return cna_builder_fully_connected(b, "fc", NULL, 4, 1); }
static cna_status flatten(cna_builder *b) { return cna_builder_flatten(b, "f", NULL); }
static cna_status softmax(cna_builder *b) { return cna_builder_softmax(b, "s", NULL); }
static cna_status concat(cna_builder *b) {
  const char *const inputs[] = {"x", "r"};
  cna_status s = cna_builder_relu(b, "r", NULL);
  return s != CNA_OK ? s : cna_builder_concat(b, "cat", inputs, 2);
}
static cna_status add(cna_builder *b) {
  cna_status s = cna_builder_relu(b, "r", NULL);
  return s != CNA_OK ? s : cna_builder_add(b, "sum", "x", "r");
}
static cna_status channel_pad(cna_builder *b) {
  return cna_builder_channel_pad(b, "cp", NULL, 1, 2);
}

static const struct {
  const char *name;
  cna_status (*add)(cna_builder *);
} layers[] = {
    {"conv2d", conv},        {"conv2d_ex", conv_ex}, {"max_pool2d", max_pool},
    {"avg_pool2d", avg_pool}, {"adaptive_avg_pool2d", adaptive}, {"global_avg_pool", global},
    {"lrn", lrn},            {"batch_norm", batch_norm}, {"relu", relu},
    {"tanh", tanh_},         {"dropout", dropout},   {"fully_connected", fc},
    {"flatten", flatten},    {"softmax", softmax},   {"concat", concat},
    {"add", add},            {"channel_pad", channel_pad},
};

/* fuzz_builder's language (see fuzz_builder.c): a first byte not divisible
 * by 4 and three bytes make the input 3x16x16; then per layer: step 0
 * (add a layer), the op, a new name 'a'+k, the input NULL (the last layer),
 * then the op's arguments as small integers (byte % 12) or float table
 * indices; 15 builds. */
static const unsigned char builder_ops[][16] = {
    /* op, then arguments */
    {1, 8, 3, 1, 1, 1},                   /* conv2d: out 8, k 3, stride 1, pad 1, bias */
    {2, 6, 3, 1, 2, 1, 1, 0, 1, 2, 1, 0}, /* conv2d_ex */
    {3, 3, 2, 1, 0},                      /* max_pool2d */
    {4, 3, 2, 1, 1, 1},                   /* avg_pool2d */
    {5, 4, 3},                            /* adaptive_avg_pool2d */
    {6},                                  /* global_avg_pool */
    {7, 5, 3, 6, 7},                      /* lrn: size 5, alpha 1e-3, beta 0.75, k 1 */
    {8, 2},                               /* batch_norm eps 1e-5 */
    {9},                                  /* relu */
    {10},                                 /* tanh */
    {11, 5},                              /* dropout 0.5 */
    {12, 10, 1},                          /* fully_connected */
    {13},                                 /* flatten */
    {14},                                 /* softmax */
    {15, 2, 2, 0, 2, 1},                  /* concat of two existing layers */
    {16, 2, 0},                           /* add (last, existing layer 0) */
    {17, 1, 2},                           /* channel_pad */
};
static const size_t builder_op_size[] = {6, 12, 5, 6, 3, 1, 5, 2, 1, 1, 2, 3, 1, 1, 6, 3, 3};

static size_t builder_step(unsigned char *p, size_t k) {
  size_t n = 0;
  p[n++] = 0;                     /* add a layer */
  p[n++] = builder_ops[k][0];     /* op */
  p[n++] = 8, p[n++] = (unsigned char)(k % 8), p[n++] = (unsigned char)(k / 8 % 4); /* name */
  p[n++] = 0;                     /* input: the last layer */
  for (size_t i = 1; i < builder_op_size[k]; i++) p[n++] = builder_ops[k][i];
  return n;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  dir = argv[1];
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s.cna", layers[i].name);
    layer_seed(name, 0, layers[i].add);
  }
  layer_seed("conv2d.deflated.cna", 9, conv);
  layer_seed("batch_norm.deflated.cna", 1, batch_norm);
  layer_seed("concat.deflated.cna", 6, concat);
  cna_net *net;
  if (cna_test_every_layer_net(1, &net) != CNA_OK) return 1;
  save_seed(net, "every_layer.cna", 0);
  save_seed(net, "every_layer.deflated.cna", 9);
  cna_net_destroy(net);

  unsigned char program[1024];
  size_t all = 0;
  program[all++] = 1, program[all++] = 2, program[all++] = 15, program[all++] = 15;
  for (size_t k = 0; k < sizeof builder_ops / sizeof builder_ops[0]; k++) {
    unsigned char one[64] = {1, 2, 15, 15};
    size_t n = 4 + builder_step(one + 4, k);
    one[n++] = 15; /* build */
    char name[64];
    snprintf(name, sizeof name, "%s", layers[k].name);
    write_seed("builder", name, one, n);
    all += builder_step(program + all, k);
  }
  program[all++] = 15;
  write_seed("builder", "all_layers", program, all);
  return 0;
}

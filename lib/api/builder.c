/* The public builder: each cna_builder_* call fills a layer's attributes,
 * resolves its inputs by name and hands it to the graph, which validates it
 * and infers its shape. */
#include <stdlib.h>

#include "api/options.h"
#include "common/common.h"
#include "graph/graph.h"

struct cna_builder {
  cna__graph graph;
};

cna_status cna_builder_create(cna_builder **out) {
  if (out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_builder_create: out is NULL");
  cna_builder *b = malloc(sizeof *b);
  if (b == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "cna_builder_create: out of memory");
  cna__graph_init(&b->graph);
  *out = b;
  return CNA_OK;
}

void cna_builder_destroy(cna_builder *builder) {
  if (builder == NULL) return;
  cna__graph_free(&builder->graph);
  free(builder);
}

static const char *shown(const char *name) { return name != NULL ? name : "(unnamed)"; }

/* Adds a one-input layer. */
static cna_status add1(cna_builder *b, const char *fn, const char *name,
                       const char *input, cna_layer_type type, const cna__attrs *attrs) {
  if (b == NULL) return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: builder is NULL", fn);
  size_t index;
  cna_status status = cna__graph_resolve(&b->graph, shown(name), input, &index);
  if (status != CNA_OK) return status;
  return cna__graph_add(&b->graph, name, type, &index, 1, attrs);
}

cna_status cna_builder_input(cna_builder *builder, const char *name, int channels,
                             int height, int width) {
  if (builder == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_builder_input: builder is NULL");
  cna__attrs a = {.out_channels = channels, .out_h = height, .out_w = width};
  return cna__graph_add(&builder->graph, name, CNA_LAYER_INPUT, NULL, 0, &a);
}

cna_status cna_builder_conv2d(cna_builder *builder, const char *name, const char *input,
                              int out_channels, int kernel, int stride, int padding,
                              int bias) {
  return cna_builder_conv2d_ex(builder, name, input, out_channels, kernel, kernel, stride,
                               stride, padding, padding, 1, 1, 1, bias);
}

cna_status cna_builder_conv2d_ex(cna_builder *builder, const char *name,
                                 const char *input, int out_channels, int kernel_h,
                                 int kernel_w, int stride_h, int stride_w, int pad_h,
                                 int pad_w, int dilation_h, int dilation_w, int groups,
                                 int bias) {
  cna__attrs a = {.out_channels = out_channels,
                  .kernel_h = kernel_h, .kernel_w = kernel_w,
                  .stride_h = stride_h, .stride_w = stride_w,
                  .pad_top = pad_h, .pad_bottom = pad_h,
                  .pad_left = pad_w, .pad_right = pad_w,
                  .dilation_h = dilation_h, .dilation_w = dilation_w,
                  .groups = groups, .bias = bias != 0};
  return add1(builder, "cna_builder_conv2d", name, input, CNA_LAYER_CONV2D, &a);
}

static cna__attrs pool_attrs(int kernel, int stride, int padding, int ceil_mode) {
  return (cna__attrs){.kernel_h = kernel, .kernel_w = kernel,
                      .stride_h = stride, .stride_w = stride,
                      .pad_top = padding, .pad_bottom = padding,
                      .pad_left = padding, .pad_right = padding,
                      .ceil_mode = ceil_mode != 0};
}

cna_status cna_builder_max_pool2d(cna_builder *builder, const char *name,
                                  const char *input, int kernel, int stride, int padding,
                                  int ceil_mode) {
  cna__attrs a = pool_attrs(kernel, stride, padding, ceil_mode);
  return add1(builder, "cna_builder_max_pool2d", name, input, CNA_LAYER_MAX_POOL2D, &a);
}

cna_status cna_builder_avg_pool2d(cna_builder *builder, const char *name,
                                  const char *input, int kernel, int stride, int padding,
                                  int ceil_mode, int count_include_pad) {
  cna__attrs a = pool_attrs(kernel, stride, padding, ceil_mode);
  a.count_include_pad = count_include_pad != 0;
  return add1(builder, "cna_builder_avg_pool2d", name, input, CNA_LAYER_AVG_POOL2D, &a);
}

cna_status cna_builder_adaptive_avg_pool2d(cna_builder *builder, const char *name,
                                           const char *input, int out_height,
                                           int out_width) {
  cna__attrs a = {.out_h = out_height, .out_w = out_width};
  return add1(builder, "cna_builder_adaptive_avg_pool2d", name, input,
              CNA_LAYER_ADAPTIVE_AVG_POOL2D, &a);
}

cna_status cna_builder_global_avg_pool(cna_builder *builder, const char *name,
                                       const char *input) {
  cna__attrs a = {0};
  return add1(builder, "cna_builder_global_avg_pool", name, input,
              CNA_LAYER_GLOBAL_AVG_POOL, &a);
}

cna_status cna_builder_lrn(cna_builder *builder, const char *name, const char *input,
                           int size, float alpha, float beta, float k) {
  cna__attrs a = {.size = size, .alpha = alpha, .beta = beta, .k = k};
  return add1(builder, "cna_builder_lrn", name, input, CNA_LAYER_LRN, &a);
}

cna_status cna_builder_batch_norm(cna_builder *builder, const char *name,
                                  const char *input, float eps) {
  cna__attrs a = {.eps = eps};
  return add1(builder, "cna_builder_batch_norm", name, input, CNA_LAYER_BATCH_NORM, &a);
}

cna_status cna_builder_relu(cna_builder *builder, const char *name, const char *input) {
  cna__attrs a = {0};
  return add1(builder, "cna_builder_relu", name, input, CNA_LAYER_RELU, &a);
}

cna_status cna_builder_tanh(cna_builder *builder, const char *name, const char *input) {
  cna__attrs a = {0};
  return add1(builder, "cna_builder_tanh", name, input, CNA_LAYER_TANH, &a);
}

cna_status cna_builder_dropout(cna_builder *builder, const char *name,
                               const char *input, float p) {
  cna__attrs a = {.p = p};
  return add1(builder, "cna_builder_dropout", name, input, CNA_LAYER_DROPOUT, &a);
}

cna_status cna_builder_fully_connected(cna_builder *builder, const char *name,
                                       const char *input, int out_features, int bias) {
  cna__attrs a = {.out_channels = out_features, .bias = bias != 0};
  return add1(builder, "cna_builder_fully_connected", name, input,
              CNA_LAYER_FULLY_CONNECTED, &a);
}

cna_status cna_builder_flatten(cna_builder *builder, const char *name,
                               const char *input) {
  cna__attrs a = {0};
  return add1(builder, "cna_builder_flatten", name, input, CNA_LAYER_FLATTEN, &a);
}

cna_status cna_builder_softmax(cna_builder *builder, const char *name,
                               const char *input) {
  cna__attrs a = {0};
  return add1(builder, "cna_builder_softmax", name, input, CNA_LAYER_SOFTMAX, &a);
}

cna_status cna_builder_channel_pad(cna_builder *builder, const char *name,
                                   const char *input, int before, int after) {
  cna__attrs a = {.pad_before = before, .pad_after = after};
  return add1(builder, "cna_builder_channel_pad", name, input, CNA_LAYER_CHANNEL_PAD, &a);
}

cna_status cna_builder_concat(cna_builder *builder, const char *name,
                              const char *const *inputs, size_t num_inputs) {
  if (builder == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_builder_concat: builder is NULL");
  if (inputs == NULL || num_inputs == 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "concat '%s': needs at least one input name", shown(name));
  if (num_inputs > SIZE_MAX / sizeof(size_t))
    return cna__error(CNA_ERROR_TOO_LARGE, "concat '%s': %zu inputs is too many",
                      shown(name), num_inputs);
  size_t *indices = malloc(num_inputs * sizeof *indices);
  if (indices == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "concat '%s': out of memory", shown(name));
  cna_status status = CNA_OK;
  for (size_t i = 0; i < num_inputs && status == CNA_OK; i++) {
    if (inputs[i] == NULL)
      status = cna__error(CNA_ERROR_INVALID_ARGUMENT, "concat '%s': input name %zu is NULL",
                          shown(name), i);
    else
      status = cna__graph_resolve(&builder->graph, shown(name), inputs[i], &indices[i]);
  }
  cna__attrs a = {0};
  if (status == CNA_OK)
    status = cna__graph_add(&builder->graph, name, CNA_LAYER_CONCAT, indices, num_inputs, &a);
  free(indices);
  return status;
}

cna_status cna_builder_add(cna_builder *builder, const char *name, const char *a,
                           const char *b) {
  if (builder == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_builder_add: builder is NULL");
  if (b == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "add '%s': the second input must be named", shown(name));
  size_t indices[2];
  cna_status status = cna__graph_resolve(&builder->graph, shown(name), a, &indices[0]);
  if (status == CNA_OK)
    status = cna__graph_resolve(&builder->graph, shown(name), b, &indices[1]);
  if (status != CNA_OK) return status;
  cna__attrs attrs = {0};
  return cna__graph_add(&builder->graph, name, CNA_LAYER_ADD, indices, 2, &attrs);
}

cna_status cna_builder_set_output(cna_builder *builder, const char *name) {
  if (builder == NULL || name == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_builder_set_output: builder and name must not be NULL");
  size_t index;
  cna_status status = cna__graph_lookup(&builder->graph, "cna_builder_set_output", name, &index);
  if (status != CNA_OK) return status;
  builder->graph.output = index;
  builder->graph.output_set = 1;
  return CNA_OK;
}

cna_status cna_builder_layer_count(const cna_builder *builder, size_t *count) {
  if (builder == NULL || count == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_builder_layer_count: builder and count must not be NULL");
  *count = builder->graph.num_layers;
  return CNA_OK;
}

cna_status cna_builder_layer_name(const cna_builder *builder, size_t index,
                                  const char **name) {
  if (builder == NULL || name == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_builder_layer_name: builder and name must not be NULL");
  if (index >= builder->graph.num_layers)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_builder_layer_name: layer index %zu is out of range (the builder "
                      "has %zu layers)",
                      index, builder->graph.num_layers);
  *name = builder->graph.layers[index].name;
  return CNA_OK;
}

cna_status cna_builder_output_shape(const cna_builder *builder, const char *name,
                                    size_t shape[3]) {
  if (builder == NULL || shape == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_builder_output_shape: builder and shape must not be NULL");
  size_t index;
  cna_status status =
      cna__graph_lookup(&builder->graph, "cna_builder_output_shape", name, &index);
  if (status != CNA_OK) return status;
  const cna__shape *s = &builder->graph.layers[index].out;
  shape[0] = s->c;
  shape[1] = s->h;
  shape[2] = s->w;
  return CNA_OK;
}

cna_status cna_builder_build(const cna_builder *builder, const cna_options *opts,
                             cna_net **out) {
  if (builder == NULL || out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_builder_build: builder and out must not be NULL");
  cna_options defaults;
  if (opts == NULL) {
    cna__options_defaults(&defaults);
    opts = &defaults;
  }
  return cna__net_create(&builder->graph, opts->seed, opts->num_threads, out);
}

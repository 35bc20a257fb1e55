/* The public net functions: creation from the zoo, forward, and the
 * read-only accessors behind the summary and the tensor table. */
#include <string.h>

#include "api/options.h"
#include "common/common.h"
#include "graph/graph.h"
#include "graph/plan.h"
#include "zoo/zoo.h"

cna_status cna_net_forward(cna_net *net, const float *input, size_t batch,
                           float *output) {
  if (net == NULL || input == NULL || output == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_forward: net, input and output must not be NULL");
  /* The output layer writes straight into output while reading its inputs:
   * the two buffers must be apart. */
  size_t in_shape[3], out_size, in_bytes, out_bytes;
  cna_net_input_shape(net, in_shape);
  cna_net_output_size(net, &out_size);
  if (cna__mul_size(in_shape[0] * in_shape[1] * in_shape[2], batch, &in_bytes) &&
      cna__mul_size(in_bytes, sizeof(float), &in_bytes) &&
      cna__mul_size(out_size, batch, &out_bytes) &&
      cna__mul_size(out_bytes, sizeof(float), &out_bytes)) {
    const uintptr_t in = (uintptr_t)input, out = (uintptr_t)output;
    if (batch > 0 && in < out + out_bytes && out < in + in_bytes)
      return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                        "cna_net_forward: the output buffer overlaps the input; use "
                        "separate buffers");
  }
  return cna__net_forward(net, input, batch, output);
}

cna_status cna_net_input_shape(const cna_net *net, size_t shape[3]) {
  if (net == NULL || shape == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_input_shape: net and shape must not be NULL");
  const cna__shape *s = &net->graph.layers[0].out;
  shape[0] = s->c;
  shape[1] = s->h;
  shape[2] = s->w;
  return CNA_OK;
}

cna_status cna_net_output_size(const cna_net *net, size_t *size) {
  if (net == NULL || size == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_output_size: net and size must not be NULL");
  const cna__shape *s = &net->graph.layers[cna__graph_output(&net->graph)].out;
  *size = s->c * s->h * s->w;
  return CNA_OK;
}

cna_status cna_net_workspace_size(const cna_net *net, size_t batch, size_t *bytes) {
  if (net == NULL || bytes == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_workspace_size: net and bytes must not be NULL");
  if (!cna__plan_bytes(net->plan, batch, bytes))
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "cna_net_workspace_size: batch %zu is too large for memory sizes", batch);
  return CNA_OK;
}

cna_status cna_net_num_threads(const cna_net *net, int *num_threads) {
  if (net == NULL || num_threads == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_num_threads: net and num_threads must not be NULL");
  *num_threads = net->num_threads;
  return CNA_OK;
}

cna_status cna_net_layer_count(const cna_net *net, size_t *count) {
  if (net == NULL || count == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_layer_count: net and count must not be NULL");
  *count = net->graph.num_layers;
  return CNA_OK;
}

/* Checks the common arguments of the per-layer accessors. */
static cna_status check_layer(const char *fn, const cna_net *net, size_t index,
                              const void *out) {
  if (net == NULL || out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: NULL argument", fn);
  if (index >= net->graph.num_layers)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: layer index %zu is out of range (the net has %zu layers)", fn,
                      index, net->graph.num_layers);
  return CNA_OK;
}

cna_status cna_net_layer_name(const cna_net *net, size_t index, const char **name) {
  cna_status s = check_layer("cna_net_layer_name", net, index, name);
  if (s == CNA_OK) *name = net->graph.layers[index].name;
  return s;
}

cna_status cna_net_layer_type(const cna_net *net, size_t index, cna_layer_type *type) {
  cna_status s = check_layer("cna_net_layer_type", net, index, type);
  if (s == CNA_OK) *type = net->graph.layers[index].type;
  return s;
}

cna_status cna_net_layer_output_shape(const cna_net *net, size_t index, size_t shape[3]) {
  cna_status s = check_layer("cna_net_layer_output_shape", net, index, shape);
  if (s != CNA_OK) return s;
  const cna__shape *o = &net->graph.layers[index].out;
  shape[0] = o->c;
  shape[1] = o->h;
  shape[2] = o->w;
  return CNA_OK;
}

cna_status cna_net_layer_input_count(const cna_net *net, size_t index, size_t *count) {
  cna_status s = check_layer("cna_net_layer_input_count", net, index, count);
  if (s == CNA_OK) *count = net->graph.layers[index].num_inputs;
  return s;
}

cna_status cna_net_layer_input(const cna_net *net, size_t index, size_t k,
                               size_t *producer) {
  cna_status s = check_layer("cna_net_layer_input", net, index, producer);
  if (s != CNA_OK) return s;
  const cna__layer *l = &net->graph.layers[index];
  if (k >= l->num_inputs)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_layer_input: layer '%s' has %zu inputs, asked for input %zu",
                      l->name, l->num_inputs, k);
  *producer = l->inputs[k];
  return CNA_OK;
}

static const char *layer_name_at(const void *ctx, size_t i) {
  return ((const cna_net *)ctx)->graph.layers[i].name;
}

cna_status cna_net_find_layer(const cna_net *net, const char *name, size_t *index) {
  if (net == NULL || name == NULL || index == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_find_layer: NULL argument");
  if (cna__graph_find(&net->graph, name, index)) return CNA_OK;
  cna__error(CNA_ERROR_NOT_FOUND, "the net has no layer named '%s'", name);
  cna__suggest_names(name, layer_name_at, net, net->graph.num_layers);
  return CNA_ERROR_NOT_FOUND;
}

static cna_status stat_of(const char *fn, const cna__layer_stats *s, cna_stat stat,
                          uint64_t *value) {
  switch (stat) {
    case CNA_STAT_PARAMS: *value = s->params; return CNA_OK;
    case CNA_STAT_ACTIVATIONS: *value = s->activations; return CNA_OK;
    case CNA_STAT_ACTIVATION_BYTES: *value = s->activations * sizeof(float); return CNA_OK;
    case CNA_STAT_MACS: *value = s->macs; return CNA_OK;
    case CNA_STAT_RF_HEIGHT: *value = s->rf.size_h; return CNA_OK;
    case CNA_STAT_RF_WIDTH: *value = s->rf.size_w; return CNA_OK;
    case CNA_STAT_RF_JUMP_HEIGHT: *value = s->rf.jump_h; return CNA_OK;
    case CNA_STAT_RF_JUMP_WIDTH: *value = s->rf.jump_w; return CNA_OK;
    case CNA_STAT_DEPTH: *value = s->depth; return CNA_OK;
    case CNA_STAT_BUFFERS: *value = s->buffers; return CNA_OK;
    case CNA_STAT_OPS: *value = s->ops; return CNA_OK;
  }
  return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: unknown statistic %d", fn, (int)stat);
}

cna_status cna_net_layer_stat(const cna_net *net, size_t index, cna_stat stat,
                              uint64_t *value) {
  cna_status s = check_layer("cna_net_layer_stat", net, index, value);
  if (s != CNA_OK) return s;
  return stat_of("cna_net_layer_stat", &net->stats[index], stat, value);
}

cna_status cna_net_total_stat(const cna_net *net, cna_stat stat, uint64_t *value) {
  if (net == NULL || value == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_total_stat: NULL argument");
  return stat_of("cna_net_total_stat", &net->total, stat, value);
}

cna_status cna_net_tensor_count(const cna_net *net, size_t *count) {
  if (net == NULL || count == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_tensor_count: NULL argument");
  *count = net->num_tensors;
  return CNA_OK;
}

static cna_status check_tensor(const char *fn, const cna_net *net, size_t index,
                               const void *out) {
  if (net == NULL || out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: NULL argument", fn);
  if (index >= net->num_tensors)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: tensor index %zu is out of range (the net has %zu tensors)", fn,
                      index, net->num_tensors);
  return CNA_OK;
}

cna_status cna_net_tensor_name(const cna_net *net, size_t index, const char **name) {
  cna_status s = check_tensor("cna_net_tensor_name", net, index, name);
  if (s == CNA_OK) *name = net->tensors[index].name;
  return s;
}

cna_status cna_net_tensor_shape(const cna_net *net, size_t index, size_t *ndim,
                                size_t dims[4]) {
  cna_status s = check_tensor("cna_net_tensor_shape", net, index, ndim);
  if (s != CNA_OK) return s;
  if (dims == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_tensor_shape: dims is NULL");
  const cna__tensor *t = &net->tensors[index];
  *ndim = t->ndim;
  for (size_t d = 0; d < 4; d++) dims[d] = d < t->ndim ? t->dims[d] : 1;
  return CNA_OK;
}

static const char *tensor_name_at(const void *ctx, size_t i) {
  return ((const cna_net *)ctx)->tensors[i].name;
}

cna_status cna_net_find_tensor(const cna_net *net, const char *name, size_t *index) {
  if (net == NULL || name == NULL || index == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_find_tensor: NULL argument");
  for (size_t i = 0; i < net->num_tensors; i++)
    if (strcmp(net->tensors[i].name, name) == 0) {
      *index = i;
      return CNA_OK;
    }
  cna__error(CNA_ERROR_NOT_FOUND, "the net has no tensor named '%s'", name);
  cna__suggest_names(name, tensor_name_at, net, net->num_tensors);
  return CNA_ERROR_NOT_FOUND;
}

static cna_status check_count(const char *fn, const cna__tensor *t, size_t count) {
  if (count != t->count)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: tensor '%s' has %zu elements, found a buffer of %zu", fn,
                      t->name, t->count, count);
  return CNA_OK;
}

cna_status cna_net_get_tensor(const cna_net *net, size_t index, float *data,
                              size_t count) {
  cna_status s = check_tensor("cna_net_get_tensor", net, index, data);
  if (s == CNA_OK) s = check_count("cna_net_get_tensor", &net->tensors[index], count);
  if (s == CNA_OK) memcpy(data, net->tensors[index].data, count * sizeof(float));
  return s;
}

cna_status cna_net_set_tensor(cna_net *net, size_t index, const float *data,
                              size_t count) {
  cna_status s = check_tensor("cna_net_set_tensor", net, index, data);
  if (s == CNA_OK) s = check_count("cna_net_set_tensor", &net->tensors[index], count);
  if (s != CNA_OK) return s;
  /* Feature plans borrow the prepared weights about to be replaced; they
   * are made again on their next use. */
  cna__net_drop_features(net);
  memcpy(net->tensors[index].data, data, count * sizeof(float));
  /* Weights prepared from this tensor (packed, batch norm folded) follow. */
  for (size_t layer = 0; layer < net->graph.num_layers; layer++)
    if (index >= net->first_tensor[layer] &&
        index < net->first_tensor[layer] + net->num_layer_tensors[layer])
      return cna__plan_refresh(net, layer);
  return CNA_OK;
}

size_t cna_arch_count(void) { return cna__zoo_count(); }

const char *cna_arch_name(size_t index) {
  const cna__zoo_entry *e = cna__zoo_at(index);
  return e != NULL ? e->name : NULL;
}

const char *cna_arch_description(const char *arch) {
  const cna__zoo_entry *e = arch != NULL ? cna__zoo_find(arch) : NULL;
  return e != NULL ? e->description : NULL;
}

static const char *arch_name_at(const void *ctx, size_t i) {
  (void)ctx;
  return cna__zoo_at(i)->name;
}

cna_status cna_net_create_arch(const char *arch, const cna_options *opts, cna_net **out) {
  if (arch == NULL || out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_create_arch: arch and out must not be NULL");
  const cna__zoo_entry *entry = cna__zoo_find(arch);
  if (entry == NULL) {
    cna__error(CNA_ERROR_NOT_FOUND,
               "unknown architecture '%s'; cna_arch_name() lists the %zu known ones", arch,
               cna__zoo_count());
    cna__suggest_names(arch, arch_name_at, NULL, cna__zoo_count());
    return CNA_ERROR_NOT_FOUND;
  }
  cna_options defaults;
  if (opts == NULL) {
    cna__options_defaults(&defaults);
    opts = &defaults;
  }
  cna__zoo_config config = {
      .num_classes = opts->num_classes ? opts->num_classes : entry->classes,
      .height = opts->input_height ? opts->input_height : entry->height,
      .width = opts->input_width ? opts->input_width : entry->width,
      .aux_logits = opts->aux_logits,
      .variant = entry->variant,
  };
  cna_builder *builder;
  cna_status status = cna_builder_create(&builder);
  if (status != CNA_OK) return status;
  status = cna_builder_input(builder, "input", entry->channels, config.height, config.width);
  if (status == CNA_OK) status = entry->build(builder, &config);
  if (status == CNA_OK) status = cna_builder_build(builder, opts, out);
  cna_builder_destroy(builder);
  if (status != CNA_OK) cna__error_append(" [building architecture '%s']", arch);
  return status;
}

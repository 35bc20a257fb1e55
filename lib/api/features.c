/* cna_net_forward_features: the outputs of named layers, checked here and
 * computed by a feature plan (graph/features.c). */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "graph/graph.h"

#define FN "cna_net_forward_features"

static const char *layer_name_at(const void *ctx, size_t i) {
  return ((const cna_net *)ctx)->graph.layers[i].name;
}

/* [a, a + a_bytes) and [b, b + b_bytes) share a byte. */
static int overlap(const void *a, size_t a_bytes, const void *b, size_t b_bytes) {
  const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return a_bytes > 0 && b_bytes > 0 && x < y + b_bytes && y < x + a_bytes;
}

/* Resolves names[0..count) to distinct layer indices and checks the
 * output buffers (sizes, overlaps). */
static cna_status check(const cna_net *net, const float *input, size_t batch,
                        const char *const *names, size_t count, float *const *outputs,
                        size_t *layers, size_t *bytes) {
  const cna__graph *g = &net->graph;
  for (size_t k = 0; k < count; k++) {
    if (names[k] == NULL || outputs[k] == NULL)
      return cna__error(CNA_ERROR_INVALID_ARGUMENT, FN ": %s[%zu] is NULL",
                        names[k] == NULL ? "names" : "outputs", k);
    if (!cna__graph_find(g, names[k], &layers[k])) {
      cna__error(CNA_ERROR_NOT_FOUND, FN ": names[%zu]: the net has no layer named '%s'", k,
                 names[k]);
      cna__nearest_names(names[k], layer_name_at, net, g->num_layers);
      cna__error_append(" (cna_net_layer_name lists all %zu)", g->num_layers);
      return CNA_ERROR_NOT_FOUND;
    }
    for (size_t j = 0; j < k; j++)
      if (layers[j] == layers[k])
        return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                          FN ": names[%zu] and names[%zu] are both '%s'; name each layer once",
                          j, k, g->layers[layers[k]].name);
    if (!cna__mul_size(cna__shape_elems(&g->layers[layers[k]].out), batch, &bytes[k]) ||
        !cna__mul_size(bytes[k], sizeof(float), &bytes[k]))
      return cna__error(CNA_ERROR_TOO_LARGE,
                        FN ": batch %zu is too large: the output of '%s' would overflow the "
                        "address space", batch, g->layers[layers[k]].name);
  }
  size_t in_bytes;
  if (!cna__mul_size(cna__shape_elems(&g->layers[0].out), batch, &in_bytes) ||
      !cna__mul_size(in_bytes, sizeof(float), &in_bytes))
    return cna__error(CNA_ERROR_TOO_LARGE,
                      FN ": batch %zu is too large: the input would overflow the address space",
                      batch);
  for (size_t k = 0; k < count; k++) {
    if (overlap(outputs[k], bytes[k], input, in_bytes))
      return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                        FN ": outputs[%zu] (for '%s') overlaps the input; use separate buffers",
                        k, names[k]);
    for (size_t j = 0; j < k; j++)
      if (overlap(outputs[k], bytes[k], outputs[j], bytes[j]))
        return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                          FN ": outputs[%zu] (for '%s') and outputs[%zu] (for '%s') overlap; "
                          "use separate buffers", j, names[j], k, names[k]);
  }
  return CNA_OK;
}

cna_status cna_net_forward_features(cna_net *net, const float *input, size_t batch,
                                    const char *const *names, size_t count,
                                    float *const *outputs) {
  if (net == NULL || input == NULL || names == NULL || outputs == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      FN ": net, input, names and outputs must not be NULL");
  if (count == 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      FN ": count is 0; name at least one layer");
  if (count > net->graph.num_layers)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      FN ": %zu names for a net of %zu layers; name each layer at most once",
                      count, net->graph.num_layers);
  size_t *layers = malloc(2 * count * sizeof *layers);
  if (layers == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, FN ": out of memory for %zu names", count);
  cna_status st = check(net, input, batch, names, count, outputs, layers, layers + count);
  if (st == CNA_OK && batch > 0)
    st = cna__net_forward_features(net, input, batch, layers, count, outputs);
  free(layers);
  return st;
}

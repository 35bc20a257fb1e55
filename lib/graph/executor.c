/* The reference executor: runs the needed layers in graph order, each into
 * a buffer of its own that is released after its last consumer ran. All
 * scratch belongs to the call, so calls on one net can run concurrently. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "graph/graph.h"
#include "layers/layer.h"

typedef struct cna__call {
  const float **outputs; /* per layer: its output for this call */
  float **owned;         /* per layer: the buffer to free, if ours */
  const float **inputs;  /* scratch for one layer's input pointers */
  cna__shape *shapes;    /* scratch for one layer's input shapes */
} cna__call;

static void call_free(cna__call *c, size_t num_layers) {
  if (c->owned != NULL)
    for (size_t i = 0; i < num_layers; i++) cna__aligned_free(c->owned[i]);
  free(c->outputs);
  free(c->owned);
  free(c->inputs);
  free(c->shapes);
}

cna_status cna__net_forward(const cna_net *net, const float *input, size_t batch,
                            float *output) {
  const cna__graph *g = &net->graph;
  const size_t n = g->num_layers;
  const size_t out_index = cna__graph_output(g);
  if (batch == 0) return CNA_OK;

  /* Every buffer is batch x (at most CNA__MAX_ELEMENTS) floats: check the
   * largest once. */
  size_t max_elems = 0, max_inputs = 1;
  for (size_t i = 0; i < n; i++) {
    if (cna__shape_elems(&g->layers[i].out) > max_elems) max_elems = cna__shape_elems(&g->layers[i].out);
    if (g->layers[i].num_inputs > max_inputs) max_inputs = g->layers[i].num_inputs;
  }
  size_t bytes;
  if (!cna__mul_size(max_elems, batch, &bytes) || !cna__mul_size(bytes, sizeof(float), &bytes))
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "batch %zu is too large: a layer's output would overflow the "
                      "address space",
                      batch);

  cna__call c = {0};
  c.outputs = calloc(n, sizeof *c.outputs);
  c.owned = calloc(n, sizeof *c.owned);
  c.inputs = calloc(max_inputs, sizeof *c.inputs);
  c.shapes = calloc(max_inputs, sizeof *c.shapes);
  const float *tensor_ptrs[CNA__MAX_LAYER_TENSORS];
  cna_status status = CNA_OK;
  if (c.outputs == NULL || c.owned == NULL || c.inputs == NULL || c.shapes == NULL) {
    status = cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory starting a forward pass");
    goto done;
  }

  for (size_t i = 0; i < n; i++) {
    if (!net->needed[i]) continue;
    const cna__layer *l = &g->layers[i];
    const cna__layer_ops *ops = cna__layer_ops_of(l->type);
    const size_t size = batch * cna__shape_elems(&l->out);
    if (l->type == CNA_LAYER_INPUT) {
      c.outputs[i] = input;
      if (i == out_index) memcpy(output, input, size * sizeof(float));
      continue;
    }
    float *out = output;
    if (i != out_index) {
      out = cna__aligned_alloc(size * sizeof(float));
      if (out == NULL) {
        status = cna__error(CNA_ERROR_OUT_OF_MEMORY,
                            "%s '%s': out of memory for its %zu-float output",
                            ops->type_name, l->name, size);
        goto done;
      }
      c.owned[i] = out;
    }
    c.outputs[i] = out;
    for (size_t k = 0; k < l->num_inputs; k++) {
      c.inputs[k] = c.outputs[l->inputs[k]];
      c.shapes[k] = g->layers[l->inputs[k]].out;
    }
    for (size_t k = 0; k < net->num_layer_tensors[i]; k++)
      tensor_ptrs[k] = net->tensors[net->first_tensor[i] + k].data;
    const cna__forward_args args = {
        .batch = batch,
        .inputs = c.inputs,
        .input_shapes = c.shapes,
        .tensors = tensor_ptrs,
        .output = out,
    };
    status = ops->forward(l, &args);
    if (status != CNA_OK) goto done;
    for (size_t k = 0; k < l->num_inputs; k++) {
      const size_t j = l->inputs[k];
      if (net->last_use[j] == i && c.owned[j] != NULL) {
        cna__aligned_free(c.owned[j]);
        c.owned[j] = NULL;
      }
    }
  }
done:
  call_free(&c, n);
  return status;
}

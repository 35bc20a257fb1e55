/* The layer graph: storage, name lookup, and adding validated layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "graph/graph.h"
#include "layers/layer.h"

/* Largest element count of one image's activations or of one tensor: 2^31
 * floats (8 GiB). It keeps every count, byte size and MAC figure far from
 * overflow on 64-bit hosts. */
#define CNA__MAX_ELEMENTS ((size_t)1 << 31)

void cna__graph_init(cna__graph *g) { memset(g, 0, sizeof *g); }

void cna__graph_free(cna__graph *g) {
  for (size_t i = 0; i < g->num_layers; i++) {
    free(g->layers[i].name);
    free(g->layers[i].inputs);
  }
  free(g->layers);
  free(g->slots);
  cna__graph_init(g);
}

/* ------------------------------------------------------------ name index */

static void index_insert(size_t *slots, size_t num_slots, const char *name, size_t layer) {
  size_t i = (size_t)cna__hash_name(name) & (num_slots - 1);
  while (slots[i] != 0) i = (i + 1) & (num_slots - 1);
  slots[i] = layer + 1;
}

/* Makes room in the index for layers layers, rebuilding it when needed.
 * On failure (0) the old index is kept. */
static int index_reserve(cna__graph *g, size_t layers) {
  if (g->num_slots / 2 >= layers) return 1;
  size_t num_slots = g->num_slots ? g->num_slots : 32;
  while (num_slots / 2 < layers) {
    if (num_slots > SIZE_MAX / 2 / sizeof *g->slots) return 0;
    num_slots *= 2;
  }
  size_t *slots = calloc(num_slots, sizeof *slots);
  if (slots == NULL) return 0;
  for (size_t i = 0; i < g->num_layers; i++)
    index_insert(slots, num_slots, g->layers[i].name, i);
  free(g->slots);
  g->slots = slots;
  g->num_slots = num_slots;
  return 1;
}

cna_status cna__graph_copy(cna__graph *dst, const cna__graph *src) {
  cna__graph_init(dst);
  if (src->num_layers == 0) return CNA_OK;
  dst->layers = calloc(src->num_layers, sizeof *dst->layers);
  if (dst->layers == NULL) goto oom;
  dst->capacity = src->num_layers;
  for (size_t i = 0; i < src->num_layers; i++) {
    const cna__layer *s = &src->layers[i];
    cna__layer *d = &dst->layers[i];
    *d = *s;
    d->name = cna__strdup(s->name);
    d->inputs = s->num_inputs ? malloc(s->num_inputs * sizeof *d->inputs) : NULL;
    dst->num_layers = i + 1;
    if (d->name == NULL || (s->num_inputs && d->inputs == NULL)) goto oom;
    if (s->num_inputs) memcpy(d->inputs, s->inputs, s->num_inputs * sizeof *d->inputs);
  }
  if (!index_reserve(dst, dst->num_layers)) goto oom;
  dst->output = src->output;
  dst->output_set = src->output_set;
  return CNA_OK;
oom:
  cna__graph_free(dst);
  return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory copying a %zu-layer graph",
                    src->num_layers);
}

int cna__graph_find(const cna__graph *g, const char *name, size_t *index) {
  if (g->num_slots == 0) return 0;
  size_t i = (size_t)cna__hash_name(name) & (g->num_slots - 1);
  for (; g->slots[i] != 0; i = (i + 1) & (g->num_slots - 1))
    if (strcmp(g->layers[g->slots[i] - 1].name, name) == 0) {
      *index = g->slots[i] - 1;
      return 1;
    }
  return 0;
}

static const char *layer_name_at(const void *ctx, size_t i) {
  return ((const cna__graph *)ctx)->layers[i].name;
}

cna_status cna__graph_resolve(const cna__graph *g, const char *layer_name,
                              const char *input, size_t *index) {
  if (g->num_layers == 0)
    return cna__error(CNA_ERROR_INVALID_GRAPH,
                      "layer '%s': the builder has no layers yet: add an input layer "
                      "first",
                      layer_name);
  if (input == NULL) {
    *index = g->num_layers - 1;
    return CNA_OK;
  }
  if (cna__graph_find(g, input, index)) return CNA_OK;
  cna__error(CNA_ERROR_NOT_FOUND, "layer '%s': no layer named '%s' to take as input",
             layer_name, input);
  cna__suggest_names(input, layer_name_at, g, g->num_layers);
  return CNA_ERROR_NOT_FOUND;
}

cna_status cna__graph_lookup(const cna__graph *g, const char *fn, const char *name,
                             size_t *index) {
  if (name == NULL) {
    if (g->num_layers == 0)
      return cna__error(CNA_ERROR_NOT_FOUND, "%s: the builder has no layers yet", fn);
    *index = g->num_layers - 1;
    return CNA_OK;
  }
  if (cna__graph_find(g, name, index)) return CNA_OK;
  cna__error(CNA_ERROR_NOT_FOUND, "%s: no layer named '%s'", fn, name);
  cna__suggest_names(name, layer_name_at, g, g->num_layers);
  return CNA_ERROR_NOT_FOUND;
}

size_t cna__graph_output(const cna__graph *g) {
  return g->output_set ? g->output : g->num_layers - 1;
}

static size_t shape_elems(const cna__shape *s) {
  size_t n;
  if (!cna__mul_size(s->c, s->h, &n) || !cna__mul_size(n, s->w, &n)) return SIZE_MAX;
  return n;
}

/* Sizes the layer would need, checked against CNA__MAX_ELEMENTS. */
static cna_status check_sizes(const cna__layer *layer, const cna__layer_ops *ops,
                              const cna__shape *inputs) {
  size_t n = shape_elems(&layer->out);
  if (n > CNA__MAX_ELEMENTS)
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "%s '%s': output %zux%zux%zu exceeds the limit of %zu elements "
                      "per image",
                      ops->type_name, layer->name, layer->out.c, layer->out.h,
                      layer->out.w, CNA__MAX_ELEMENTS);
  if (ops->tensors == NULL) return CNA_OK;
  cna__tensor_desc descs[CNA__MAX_LAYER_TENSORS];
  size_t count = ops->tensors(layer, inputs, descs);
  for (size_t t = 0; t < count; t++) {
    size_t elems = 1;
    for (size_t d = 0; d < descs[t].ndim; d++)
      if (!cna__mul_size(elems, descs[t].dims[d], &elems)) elems = SIZE_MAX;
    if (elems > CNA__MAX_ELEMENTS)
      return cna__error(CNA_ERROR_TOO_LARGE,
                        "%s '%s': its %s tensor exceeds the limit of %zu elements",
                        ops->type_name, layer->name, descs[t].kind, CNA__MAX_ELEMENTS);
  }
  return CNA_OK;
}

cna_status cna__graph_add(cna__graph *g, const char *name, cna_layer_type type,
                          const size_t *inputs, size_t num_inputs,
                          const cna__attrs *attrs) {
  const cna__layer_ops *ops = cna__layer_ops_of(type);
  if (ops == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "unknown layer type %d", (int)type);

  char generated[64];
  size_t existing;
  if (name == NULL) {
    /* "<type>_<index>", or the next free suffix if the user took that name. */
    size_t suffix = g->num_layers;
    do snprintf(generated, sizeof generated, "%s_%zu", ops->type_name, suffix++);
    while (cna__graph_find(g, generated, &existing));
    name = generated;
  }
  if (name[0] == '\0')
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s layer: the name is empty",
                      ops->type_name);
  if (strlen(name) > CNA__MAX_LAYER_NAME)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s layer '%.40s...': the name has %zu bytes, at most %d", ops->type_name,
                      name, strlen(name), CNA__MAX_LAYER_NAME);
  if (cna__graph_find(g, name, &existing))
    return cna__error(CNA_ERROR_INVALID_GRAPH,
                      "%s '%s': layer %zu already has this name; names must be unique",
                      ops->type_name, name, existing);
  if (type == CNA_LAYER_INPUT && g->num_layers != 0)
    return cna__error(CNA_ERROR_INVALID_GRAPH,
                      "input '%s': the input layer must be the first and only one "
                      "(the graph already has %zu layers)",
                      name, g->num_layers);
  if (type != CNA_LAYER_INPUT && g->num_layers == 0)
    return cna__error(CNA_ERROR_INVALID_GRAPH,
                      "%s '%s': add an input layer first", ops->type_name, name);
  if (num_inputs < ops->min_inputs || num_inputs > ops->max_inputs)
    return cna__error(CNA_ERROR_INVALID_GRAPH, "%s '%s': takes %zu to %zu inputs, found %zu",
                      ops->type_name, name, ops->min_inputs, ops->max_inputs, num_inputs);

  cna__shape *in_shapes = NULL;
  if (num_inputs > 0) {
    in_shapes = malloc(num_inputs * sizeof *in_shapes);
    if (in_shapes == NULL)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s '%s': out of memory",
                        ops->type_name, name);
  }
  for (size_t i = 0; i < num_inputs; i++) {
    if (inputs[i] >= g->num_layers) {
      free(in_shapes);
      return cna__error(CNA_ERROR_INVALID_GRAPH, "%s '%s': input %zu refers to layer %zu, "
                        "which does not exist yet",
                        ops->type_name, name, i, inputs[i]);
    }
    in_shapes[i] = g->layers[inputs[i]].out;
  }

  cna__layer layer = {.name = (char *)name, .type = type, .num_inputs = num_inputs,
                      .attrs = *attrs};
  cna_status status = ops->infer(&layer, in_shapes, &layer.out);
  if (status == CNA_OK) status = check_sizes(&layer, ops, in_shapes);
  free(in_shapes);
  if (status != CNA_OK) return status;

  if (!index_reserve(g, g->num_layers + 1)) goto oom;
  if (g->num_layers == g->capacity) {
    size_t capacity = g->capacity ? g->capacity * 2 : 16;
    cna__layer *grown = realloc(g->layers, capacity * sizeof *grown);
    if (grown == NULL) goto oom;
    g->layers = grown;
    g->capacity = capacity;
  }
  layer.name = cna__strdup(name);
  layer.inputs = num_inputs ? malloc(num_inputs * sizeof *layer.inputs) : NULL;
  if (layer.name == NULL || (num_inputs && layer.inputs == NULL)) {
    free(layer.name);
    free(layer.inputs);
    goto oom;
  }
  if (num_inputs) memcpy(layer.inputs, inputs, num_inputs * sizeof *inputs);
  g->layers[g->num_layers++] = layer;
  index_insert(g->slots, g->num_slots, layer.name, g->num_layers - 1);
  return CNA_OK;
oom:
  return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s '%s': out of memory", ops->type_name,
                    name);
}

/* Creating a net from a graph: parameter tensors, their deterministic
 * initialization, the per-layer figures of the summary, and the plan of
 * which layers a forward pass computes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/pool.h"
#include "graph/plan.h"
#include "graph/graph.h"
#include "layers/layer.h"

static void init_tensor(cna__tensor *t, uint64_t seed) {
  switch (t->init) {
    case CNA__INIT_ZERO:
      memset(t->data, 0, t->count * sizeof(float));
      break;
    case CNA__INIT_ONE:
      for (size_t i = 0; i < t->count; i++) t->data[i] = 1.0f;
      break;
    case CNA__INIT_HE_UNIFORM: {
      /* He et al. 2015 for ReLU layers, in its uniform form (variance
       * 2 / fan_in). Double arithmetic and sqrt are exactly rounded, so
       * every platform draws the same floats. */
      const double bound = sqrt(6.0 / (double)(t->fan_in ? t->fan_in : 1));
      cna__rng rng;
      cna__rng_init(&rng, seed, t->name);
      for (size_t i = 0; i < t->count; i++)
        t->data[i] = (float)((2.0 * cna__rng_uniform(&rng) - 1.0) * bound);
      break;
    }
  }
}

/* The tensor table: names, shapes and how to initialize them; no data yet. */
static cna_status create_tensors(cna_net *net) {
  const cna__graph *g = &net->graph;
  cna__tensor_desc descs[CNA__MAX_LAYER_TENSORS];
  cna__shape shapes[1];

  /* Count first so the table is one allocation. */
  size_t total = 0;
  for (size_t i = 0; i < g->num_layers; i++) {
    const cna__layer *l = &g->layers[i];
    const cna__layer_ops *ops = cna__layer_ops_of(l->type);
    net->first_tensor[i] = total;
    net->num_layer_tensors[i] = 0;
    if (ops->tensors == NULL) continue;
    /* Every layer with tensors has exactly one input. */
    shapes[0] = g->layers[l->inputs[0]].out;
    net->num_layer_tensors[i] = ops->tensors(l, shapes, descs);
    total += net->num_layer_tensors[i];
  }
  if (total == 0) return CNA_OK;
  net->tensors = calloc(total, sizeof *net->tensors);
  if (net->tensors == NULL) goto oom;

  for (size_t i = 0; i < g->num_layers; i++) {
    const cna__layer *l = &g->layers[i];
    if (net->num_layer_tensors[i] == 0) continue;
    const cna__layer_ops *ops = cna__layer_ops_of(l->type);
    shapes[0] = g->layers[l->inputs[0]].out;
    ops->tensors(l, shapes, descs);
    for (size_t k = 0; k < net->num_layer_tensors[i]; k++) {
      cna__tensor *t = &net->tensors[net->num_tensors];
      const cna__tensor_desc *d = &descs[k];
      size_t name_len = strlen(l->name) + 1 + strlen(d->kind) + 1;
      t->name = malloc(name_len);
      if (t->name == NULL) goto oom;
      memcpy(t->name, l->name, strlen(l->name));
      t->name[strlen(l->name)] = '.';
      memcpy(t->name + strlen(l->name) + 1, d->kind, strlen(d->kind) + 1);
      t->ndim = d->ndim;
      t->count = 1;
      for (size_t j = 0; j < d->ndim; j++) {
        t->dims[j] = d->dims[j];
        t->count *= d->dims[j]; /* bounded by the graph's size checks */
      }
      t->is_parameter = d->is_parameter;
      t->init = d->init;
      t->fan_in = d->fan_in;
      net->num_tensors++;
    }
  }
  return CNA_OK;
oom:
  return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                    "out of memory allocating the tensor table (%zu tensors)", total);
}

cna_status cna__net_init_weights(cna_net *net, uint64_t seed) {
  for (size_t i = 0; i < net->num_tensors; i++) {
    cna__tensor *t = &net->tensors[i];
    t->data = cna__aligned_alloc(t->count * sizeof(float));
    if (t->data == NULL)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "out of memory for tensor '%s' (%zu floats)", t->name, t->count);
    t->owns_data = 1;
    init_tensor(t, seed);
  }
  return CNA_OK;
}

static cna_status compute_stats(cna_net *net) {
  const cna__graph *g = &net->graph;
  size_t max_inputs = 1;
  for (size_t i = 0; i < g->num_layers; i++)
    if (g->layers[i].num_inputs > max_inputs) max_inputs = g->layers[i].num_inputs;
  cna__rf *rfs = malloc(max_inputs * sizeof *rfs);
  cna__shape *shapes = malloc(max_inputs * sizeof *shapes);
  if (rfs == NULL || shapes == NULL) {
    free(rfs);
    free(shapes);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory computing the summary");
  }
  memset(&net->total, 0, sizeof net->total);
  for (size_t i = 0; i < g->num_layers; i++) {
    const cna__layer *l = &g->layers[i];
    const cna__layer_ops *ops = cna__layer_ops_of(l->type);
    cna__layer_stats *s = &net->stats[i];
    memset(s, 0, sizeof *s);
    s->activations = (uint64_t)l->out.c * l->out.h * l->out.w;
    for (size_t k = 0; k < net->num_layer_tensors[i]; k++) {
      const cna__tensor *t = &net->tensors[net->first_tensor[i] + k];
      if (t->is_parameter)
        s->params += t->count;
      else
        s->buffers += t->count;
    }
    if (l->type == CNA_LAYER_INPUT) {
      s->rf = (cna__rf){1, 1, 1, 1, l->out.h, l->out.w};
    } else {
      for (size_t k = 0; k < l->num_inputs; k++) {
        rfs[k] = net->stats[l->inputs[k]].rf;
        shapes[k] = g->layers[l->inputs[k]].out;
        if (net->stats[l->inputs[k]].depth > s->depth) s->depth = net->stats[l->inputs[k]].depth;
      }
      if (ops->receptive_field != NULL)
        ops->receptive_field(l, shapes, rfs, &s->rf);
      else
        s->rf = rfs[0];
      if (ops->macs != NULL) s->macs = ops->macs(l, shapes);
      s->ops = cna__sat_add(s->macs, ops->ops != NULL ? ops->ops(l, shapes) : s->activations);
    }
    s->depth += ops->has_weights ? 1 : 0;
    net->total.params = cna__sat_add(net->total.params, s->params);
    net->total.buffers = cna__sat_add(net->total.buffers, s->buffers);
    if (!ops->in_place)
      net->total.activations = cna__sat_add(net->total.activations, s->activations);
    net->total.macs = cna__sat_add(net->total.macs, s->macs);
    net->total.ops = cna__sat_add(net->total.ops, s->ops);
  }
  const cna__layer_stats *out = &net->stats[cna__graph_output(g)];
  net->total.rf = out->rf;
  net->total.depth = out->depth;
  free(rfs);
  free(shapes);
  return CNA_OK;
}

static void plan(cna_net *net) {
  const cna__graph *g = &net->graph;
  const size_t output = cna__graph_output(g);
  /* Walk back from the output: inputs always come before their consumers. */
  net->needed[output] = 1;
  for (size_t i = output + 1; i-- > 0;) {
    if (!net->needed[i]) continue;
    for (size_t k = 0; k < g->layers[i].num_inputs; k++)
      net->needed[g->layers[i].inputs[k]] = 1;
  }
}

cna_status cna__net_create_empty(const cna__graph *g, int num_threads, cna_net **out) {
  if (g->num_layers == 0 || g->layers[0].type != CNA_LAYER_INPUT)
    return cna__error(CNA_ERROR_INVALID_GRAPH,
                      "the graph has no input layer: add one with cna_builder_input");
  cna_net *net = calloc(1, sizeof *net);
  if (net == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory creating a net");
  pthread_mutex_init(&net->features_lock, NULL);
  cna_status status = cna__graph_copy(&net->graph, g);
  if (status != CNA_OK) {
    pthread_mutex_destroy(&net->features_lock);
    free(net);
    return status;
  }
  const size_t n = g->num_layers;
  net->num_threads = num_threads;
  net->first_tensor = calloc(n, sizeof *net->first_tensor);
  net->num_layer_tensors = calloc(n, sizeof *net->num_layer_tensors);
  net->stats = calloc(n, sizeof *net->stats);
  net->needed = calloc(n, sizeof *net->needed);
  if (net->first_tensor == NULL || net->num_layer_tensors == NULL || net->stats == NULL ||
      net->needed == NULL) {
    cna_net_destroy(net);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory creating a %zu-layer net", n);
  }
  status = create_tensors(net);
  if (status == CNA_OK) status = compute_stats(net);
  if (status == CNA_OK) status = cna__pool_create(num_threads, &net->pool);
  if (status != CNA_OK) {
    cna_net_destroy(net);
    return status;
  }
  plan(net);
  *out = net;
  return CNA_OK;
}

cna_status cna__net_create(const cna__graph *g, uint64_t seed, int num_threads,
                           cna_net **out) {
  cna_net *net;
  cna_status status = cna__net_create_empty(g, num_threads, &net);
  if (status != CNA_OK) return status;
  status = cna__net_init_weights(net, seed);
  if (status == CNA_OK) status = cna__plan_build(net);
  if (status != CNA_OK) {
    cna_net_destroy(net);
    return status;
  }
  *out = net;
  return CNA_OK;
}

void cna_net_destroy(cna_net *net) {
  if (net == NULL) return;
  for (size_t i = 0; i < net->num_tensors; i++) {
    free(net->tensors[i].name);
    if (net->tensors[i].owns_data) cna__aligned_free(net->tensors[i].data);
  }
  if (net->release_blob != NULL) net->release_blob(net->blob, net->blob_size);
  free(net->tensors);
  free(net->first_tensor);
  free(net->num_layer_tensors);
  free(net->stats);
  free(net->needed);
  cna__net_drop_features(net);
  pthread_mutex_destroy(&net->features_lock);
  cna__plan_free(net->plan);
  cna__pool_destroy(net->pool);
  cna__graph_free(&net->graph);
  free(net);
}

/* Building the plan (see plan.h): fusion, preparation, memory. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "graph/plan.h"
#include "kernels/dispatch.h"
#include "layers/layer.h"

struct cna__context {
  cna__context *next;  /* in the idle list */
  float *arena;
  size_t arena_floats; /* capacity */
  float **workspace;   /* num_threads pointers into one block */
  float *workspace_block;
  const float **inputs; /* a step's input pointers and shapes */
  cna__shape *shapes;
};

/* ------------------------------------------------------------------ fusion */

/* The layers a plan computes: the net's (those its output needs), or the
 * feature plan's own. */
static const unsigned char *needed_of(const cna_net *net, const cna__plan *plan) {
  return plan->needed != NULL ? plan->needed : net->needed;
}

/* Whether layer's output must come out of the plan as the unfused graph
 * gives it: the net's output, or a layer a feature plan keeps. */
static int is_kept(const cna_net *net, const cna__plan *plan, size_t layer) {
  return plan->kept != NULL ? plan->kept[layer] != 0 : layer == cna__graph_output(&net->graph);
}

/* The one needed layer that reads layer's output, if exactly one does
 * (once) and layer is not kept (fusing past a kept layer would leave its
 * output unwritten or changed); else CNA__NOWHERE. */
static size_t sole_consumer(const cna_net *net, const cna__plan *plan, const size_t *uses,
                            const size_t *consumer, size_t layer) {
  if (is_kept(net, plan, layer) || uses[layer] != 1) return CNA__NOWHERE;
  return consumer[layer];
}

/* Whether layer (not yet absorbed) applies a prologue to its input, of
 * shape in, as it reads it (a pointwise convolution on the GEMM path). */
static int reads_with_prologue(const cna__graph *g, const unsigned char *absorbed, size_t layer,
                          const cna__shape *in) {
  if (layer == CNA__NOWHERE || absorbed[layer]) return 0;
  const cna__layer *l = &g->layers[layer];
  const cna__layer_ops *ops = cna__layer_ops_of(l->type);
  return ops->takes_prologue != NULL && ops->takes_prologue(l, in);
}

/* A concatenation whose every part is the output of a step that writes
 * strided output (a convolution, with what it fused) and that nothing else
 * reads is never copied: each such step writes its channels of it
 * directly (GoogLeNet's inception outputs, SqueezeNet's fire modules ahead
 * of a pooling layer). at maps a layer to the step that outputs it, and
 * loses the concat. */
static void write_concats_in_place(const cna_net *net, const cna__plan *plan,
                                   const size_t *uses, const size_t *consumer,
                                   unsigned char *absorbed, cna__step *pending, size_t *at) {
  const cna__graph *g = &net->graph;
  for (size_t c = 0; c < g->num_layers; c++) {
    const cna__layer *cat = &g->layers[c];
    if (cat->type != CNA_LAYER_CONCAT || at[c] != c || absorbed[c]) continue;
    int ok = 1;
    for (size_t k = 0; ok && k < cat->num_inputs; k++) {
      const size_t part = cat->inputs[k], step = at[part];
      ok = part != 0 && step != CNA__NOWHERE &&
           sole_consumer(net, plan, uses, consumer, part) == c &&
           cna__layer_ops_of(g->layers[pending[step].layer].type)->strided_output;
    }
    if (!ok) continue;
    size_t offset = 0;
    for (size_t k = 0; k < cat->num_inputs; k++) {
      cna__step *s = &pending[at[cat->inputs[k]]];
      s->into = c;
      s->into_offset = offset;
      offset += cna__shape_elems(&g->layers[cat->inputs[k]].out);
    }
    absorbed[c] = 1;
    at[c] = CNA__NOWHERE;
  }
}

static cna_status build_steps(cna_net *net, cna__plan *plan) {
  const cna__graph *g = &net->graph;
  const size_t n = g->num_layers;
  const unsigned char *needed = needed_of(net, plan);
  const int fast = cna__kernels_get()->gemm_ukernel.fn != NULL;
  size_t *uses = calloc(n, sizeof *uses), *consumer = calloc(n, sizeof *consumer);
  unsigned char *absorbed = calloc(n, 1);
  plan->steps = calloc(n, sizeof *plan->steps);
  if (uses == NULL || consumer == NULL || absorbed == NULL || plan->steps == NULL) {
    free(uses), free(consumer), free(absorbed);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a %zu-layer net", n);
  }
  for (size_t i = 0; i < n; i++) {
    if (!needed[i]) continue;
    for (size_t k = 0; k < g->layers[i].num_inputs; k++) {
      uses[g->layers[i].inputs[k]]++;
      consumer[g->layers[i].inputs[k]] = i;
    }
  }
  /* A fused step runs where its last layer stood: by then every input it
   * reads (a residual from another branch too) has been computed. Mark
   * what each convolution absorbs first, then emit the steps in order. */
  cna__step *pending = calloc(n, sizeof *pending);
  if (pending == NULL) {
    free(uses), free(consumer), free(absorbed);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a %zu-layer net", n);
  }
  for (size_t i = 0; i < n; i++)
    pending[i] = (cna__step){.layer = i, .out = i, .bn = CNA__NOWHERE,
                             .residual = CNA__NOWHERE, .pre = CNA__NOWHERE, .source = i,
                             .into = CNA__NOWHERE};
  for (size_t i = 0; i < n; i++) {
    if (!needed[i] || !fast || absorbed[i]) continue;
    if (g->layers[i].type == CNA_LAYER_BATCH_NORM) {
      /* A batch norm on its own (pre-activation blocks, DenseNet's concats)
       * applies the ReLU after it in the same pass; or both become the
       * prologue of the pointwise convolution they alone feed, applied as
       * it packs its input (no pass over the activations of their own). */
      size_t cur = i, next = sole_consumer(net, plan, uses, consumer, i);
      int relu = 0;
      if (next != CNA__NOWHERE && !absorbed[next] && g->layers[next].type == CNA_LAYER_RELU) {
        relu = 1;
        cur = next;
        next = sole_consumer(net, plan, uses, consumer, cur);
      }
      if (reads_with_prologue(g, absorbed, next, &g->layers[cur].out)) {
        pending[next].pre = i;
        pending[next].pre_relu = relu;
        pending[next].source = i;
        absorbed[i] = 1;
        if (relu) absorbed[cur] = 1;
      } else if (relu) {
        pending[i].relu = 1;
        pending[i].out = cur;
        absorbed[cur] = 1;
      }
      continue;
    }
    if (g->layers[i].type != CNA_LAYER_CONV2D) continue;
    size_t cur = i, next = sole_consumer(net, plan, uses, consumer, cur);
    /* A layer joins one step only: of two branches meeting in an add (a
     * block's last conv and its downsampling shortcut) the first takes it. */
    if (next != CNA__NOWHERE && absorbed[next]) next = CNA__NOWHERE;
    if (next != CNA__NOWHERE && g->layers[next].type == CNA_LAYER_BATCH_NORM) {
      pending[i].bn = next;
      absorbed[next] = 1;
      cur = next;
      next = sole_consumer(net, plan, uses, consumer, cur);
      if (next != CNA__NOWHERE && absorbed[next]) next = CNA__NOWHERE;
    }
    if (next != CNA__NOWHERE && g->layers[next].type == CNA_LAYER_ADD) {
      const cna__layer *add = &g->layers[next];
      const size_t other = add->inputs[0] == cur ? add->inputs[1] : add->inputs[0];
      if (other != cur) {
        pending[i].residual = other;
        absorbed[next] = 1;
        cur = next;
        next = sole_consumer(net, plan, uses, consumer, cur);
        if (next != CNA__NOWHERE && absorbed[next]) next = CNA__NOWHERE;
      }
    }
    if (next != CNA__NOWHERE && g->layers[next].type == CNA_LAYER_RELU) {
      pending[i].relu = 1;
      absorbed[next] = 1;
      cur = next;
    }
    pending[i].out = cur;
  }
  /* A concatenation that alone feeds what a prologue-taking step reads
   * (its batch norm, or the convolution itself) is read in place, its parts
   * where their producers wrote them: DenseNet copied every earlier layer's
   * features for each new layer, SqueezeNet each fire module's output. */
  for (size_t i = 0; i < n; i++) {
    const size_t reader = pending[i].source;
    if (!needed[i] || !fast || absorbed[i] || g->layers[reader].num_inputs == 0) continue;
    const size_t cat = g->layers[reader].inputs[0];
    if (g->layers[cat].type == CNA_LAYER_CONCAT && !absorbed[cat] &&
        sole_consumer(net, plan, uses, consumer, cat) == reader &&
        reads_with_prologue(g, absorbed, i, &g->layers[cat].out)) {
      pending[i].source = cat;
      absorbed[cat] = 1;
    }
  }
  size_t *at = malloc(n * sizeof *at);
  if (at == NULL) {
    free(uses), free(consumer), free(absorbed), free(pending);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a %zu-layer net", n);
  }
  for (size_t i = 0; i < n; i++) at[i] = CNA__NOWHERE;
  for (size_t i = 0; i < n; i++)
    if (needed[i] && !absorbed[i] && g->layers[i].type != CNA_LAYER_INPUT)
      at[pending[i].out] = i;
  if (fast) write_concats_in_place(net, plan, uses, consumer, absorbed, pending, at);
  /* Emit: a step goes at the position of its out layer. */
  for (size_t i = 0; i < n; i++) plan->step_of[i] = CNA__NOWHERE;
  for (size_t pos = 0; pos < n; pos++) {
    if (at[pos] == CNA__NOWHERE) continue;
    const cna__step *s = &pending[at[pos]];
    plan->step_of[s->layer] = plan->num_steps;
    if (s->bn != CNA__NOWHERE) plan->step_of[s->bn] = plan->num_steps;
    if (s->pre != CNA__NOWHERE) plan->step_of[s->pre] = plan->num_steps;
    plan->steps[plan->num_steps++] = *s;
  }
  free(uses), free(consumer), free(absorbed), free(pending), free(at);
  return CNA_OK;
}

/* ------------------------------------------------------------- preparing */

static void layer_tensors(const cna_net *net, size_t layer, const float **ptrs) {
  for (size_t k = 0; k < net->num_layer_tensors[layer]; k++)
    ptrs[k] = net->tensors[net->first_tensor[layer] + k].data;
}

static cna_status prepare_step(const cna_net *net, cna__step *s, void **state) {
  const cna__graph *g = &net->graph;
  const cna__layer *l = &g->layers[s->layer];
  const cna__layer_ops *ops = cna__layer_ops_of(l->type);
  *state = NULL;
  if (ops->prepare == NULL) return CNA_OK;
  const float *tensors[CNA__MAX_LAYER_TENSORS], *bn_tensors[CNA__MAX_LAYER_TENSORS];
  cna__shape shapes[1];
  layer_tensors(net, s->layer, tensors);
  shapes[0] = g->layers[l->inputs[0]].out;
  cna__fold fold, *bn = NULL;
  if (s->bn != CNA__NOWHERE) {
    layer_tensors(net, s->bn, bn_tensors);
    fold = (cna__fold){bn_tensors[0], bn_tensors[1], bn_tensors[2], bn_tensors[3],
                       g->layers[s->bn].attrs.eps};
    bn = &fold;
  }
  cna__prologue prologue = {NULL, s->pre_relu, NULL, 0}, *pre = NULL;
  cna__fold pre_fold;
  size_t *part_channels = NULL;
  if (s->pre != CNA__NOWHERE) {
    layer_tensors(net, s->pre, bn_tensors);
    pre_fold = (cna__fold){bn_tensors[0], bn_tensors[1], bn_tensors[2], bn_tensors[3],
                           g->layers[s->pre].attrs.eps};
    prologue.bn = &pre_fold;
    pre = &prologue;
  }
  if (s->source != s->layer && s->source != s->pre) { /* a concat read in place */
    const cna__layer *cat = &g->layers[s->source];
    part_channels = malloc(cat->num_inputs * sizeof *part_channels);
    if (part_channels == NULL)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory preparing %s '%s'",
                        ops->type_name, l->name);
    for (size_t k = 0; k < cat->num_inputs; k++)
      part_channels[k] = g->layers[cat->inputs[k]].out.c;
    prologue.part_channels = part_channels;
    prologue.num_parts = cat->num_inputs;
    pre = &prologue;
  }
  cna_status st = ops->prepare(l, shapes, tensors, bn, pre, state);
  free(part_channels);
  if (st == CNA_OK && *state == NULL && (s->bn != CNA__NOWHERE || s->relu ||
                                         s->residual != CNA__NOWHERE || pre != NULL))
    st = cna__error(CNA_ERROR_INTERNAL, "%s '%s': fused but not prepared", ops->type_name,
                    l->name);
  return st;
}

cna_status cna__plan_refresh(cna_net *net, size_t layer) {
  cna__plan *plan = net->plan;
  if (plan == NULL || plan->step_of[layer] == CNA__NOWHERE) return CNA_OK;
  cna__step *s = &plan->steps[plan->step_of[layer]];
  void *state;
  cna_status st = prepare_step(net, s, &state);
  cna__aligned_free(s->prepared);
  s->prepared = st == CNA_OK ? state : NULL;
  s->broken = st != CNA_OK && (s->bn != CNA__NOWHERE || s->relu ||
                               s->residual != CNA__NOWHERE || s->source != s->layer);
  return st;
}

/* ---------------------------------------------------------------- memory */

typedef struct buffer {
  size_t size, first, last, offset;
} buffer;

/* Greedy placement, largest first: each buffer goes at the lowest offset
 * clear of every placed buffer whose lifetime overlaps its own. */
static cna_status place(buffer *bufs, size_t count, size_t *total) {
  size_t *order = malloc((count ? count : 1) * sizeof *order);
  size_t *placed = malloc((count ? count : 1) * sizeof *placed);
  if (order == NULL || placed == NULL) {
    free(order), free(placed);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning activation memory");
  }
  for (size_t i = 0; i < count; i++) order[i] = i;
  for (size_t i = 1; i < count; i++) /* insertion sort: stable, by size down */
    for (size_t j = i; j > 0 && bufs[order[j]].size > bufs[order[j - 1]].size; j--) {
      const size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  size_t num_placed = 0;
  *total = 0;
  for (size_t oi = 0; oi < count; oi++) {
    buffer *b = &bufs[order[oi]];
    size_t offset = 0;
    for (int moved = 1; moved;) {
      moved = 0;
      for (size_t p = 0; p < num_placed; p++) {
        const buffer *o = &bufs[placed[p]];
        if (o->last < b->first || b->last < o->first) continue; /* never live together */
        if (offset < o->offset + o->size && o->offset < offset + b->size) {
          offset = o->offset + o->size;
          moved = 1;
        }
      }
    }
    b->offset = offset;
    placed[num_placed++] = order[oi];
    if (offset + b->size > *total) *total = offset + b->size;
  }
  free(order), free(placed);
  return CNA_OK;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

static cna_status plan_memory(cna_net *net, cna__plan *plan) {
  const cna__graph *g = &net->graph;
  const size_t n = g->num_layers, output = cna__graph_output(g);
  size_t *last = malloc(n * sizeof *last), *buf_of = malloc(n * sizeof *buf_of);
  buffer *bufs = malloc((plan->num_steps ? plan->num_steps : 1) * sizeof *bufs);
  if (last == NULL || buf_of == NULL || bufs == NULL) {
    free(last), free(buf_of), free(bufs);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning activation memory");
  }
  for (size_t i = 0; i < n; i++) {
    last[i] = 0;
    buf_of[i] = CNA__NOWHERE;
    plan->where[i] = CNA__NOWHERE;
  }
  for (size_t s = 0; s < plan->num_steps; s++) {
    const cna__step *st = &plan->steps[s];
    const cna__layer *l = &g->layers[st->source];
    for (size_t k = 0; k < l->num_inputs; k++) last[l->inputs[k]] = s;
    if (st->residual != CNA__NOWHERE) last[st->residual] = s;
  }
  /* A feature plan's kept layers are read after the last step (copied out
   * to the caller), so nothing may reuse or overwrite their memory. */
  if (plan->kept != NULL)
    for (size_t i = 0; i < n; i++)
      if (plan->kept[i]) last[i] = plan->num_steps;
  plan->where[0] = CNA__AT_INPUT;
  size_t num_bufs = 0;
  for (size_t s = 0; s < plan->num_steps; s++) {
    const cna__step *st = &plan->steps[s];
    const cna__layer *l = &g->layers[st->layer];
    if (st->into != CNA__NOWHERE) {
      /* A part of a concat written in place: the concat's memory, live
       * from its first part's step. */
      const size_t c = st->into;
      if (plan->kept == NULL && c == output) {
        plan->where[c] = CNA__AT_OUTPUT;
      } else if (buf_of[c] == CNA__NOWHERE) {
        buf_of[c] = num_bufs;
        bufs[num_bufs++] = (buffer){round16(cna__shape_elems(&g->layers[c].out)), s,
                                    last[c] > s ? last[c] : s, 0};
      }
      continue;
    }
    if (plan->kept == NULL && st->out == output) {
      plan->where[st->out] = CNA__AT_OUTPUT;
      continue;
    }
    const size_t in = g->layers[st->source].inputs[0];
    if (cna__layer_ops_of(l->type)->in_place && st->out == st->layer && buf_of[in] != CNA__NOWHERE &&
        last[in] == s) {
      /* Overwrite the input, which nothing reads later. */
      buf_of[st->out] = buf_of[in];
      if (last[st->out] > bufs[buf_of[in]].last) bufs[buf_of[in]].last = last[st->out];
      continue;
    }
    buf_of[st->out] = num_bufs;
    /* Rounded to 16 floats so every buffer starts 64-byte aligned. */
    bufs[num_bufs++] = (buffer){round16(cna__shape_elems(&g->layers[st->out].out)), s,
                                last[st->out] > s ? last[st->out] : s, 0};
  }
  cna_status status = place(bufs, num_bufs, &plan->arena);
  if (status == CNA_OK)
    for (size_t i = 0; i < n; i++)
      if (buf_of[i] != CNA__NOWHERE) plan->where[i] = bufs[buf_of[i]].offset;
  free(last), free(buf_of), free(bufs);
  return status;
}

/* ---------------------------------------------------------------- the plan */

void cna__plan_free(cna__plan *plan) {
  if (plan == NULL) return;
  for (size_t s = 0; s < plan->num_steps; s++)
    if (!plan->steps[s].borrowed) cna__aligned_free(plan->steps[s].prepared);
  while (plan->idle != NULL) {
    cna__context *c = plan->idle;
    plan->idle = c->next;
    cna__aligned_free(c->arena);
    cna__aligned_free(c->workspace_block);
    free(c->workspace);
    free(c->inputs);
    free(c->shapes);
    free(c);
  }
  pthread_mutex_destroy(&plan->lock);
  free(plan->steps);
  free(plan->where);
  free(plan->step_of);
  free(plan->needed);
  free(plan->kept);
  free(plan);
}

/* Sets up a zeroed plan: its lock, thread count, widest layer and the
 * per-layer arrays every plan has. */
static cna_status plan_init(const cna_net *net, cna__plan *plan) {
  const size_t n = net->graph.num_layers;
  pthread_mutex_init(&plan->lock, NULL);
  plan->num_threads = (size_t)net->num_threads;
  for (size_t i = 0; i < n; i++)
    if (net->graph.layers[i].num_inputs > plan->max_inputs)
      plan->max_inputs = net->graph.layers[i].num_inputs;
  plan->where = malloc(n * sizeof *plan->where);
  plan->step_of = malloc(n * sizeof *plan->step_of);
  if (plan->where == NULL || plan->step_of == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a net");
  return CNA_OK;
}

/* Steps, their prepared state and the memory plan. A feature plan borrows
 * the prepared state of the forward plan's step for the same layer and
 * folded batch norm (packed weights depend on nothing else), so it costs no
 * second copy of the weights; it is dropped whenever a tensor changes
 * (cna__net_drop_features), before that state could be freed. */
static cna_status plan_steps(cna_net *net, cna__plan *plan) {
  const cna__plan *forward = plan->kept != NULL ? net->plan : NULL;
  cna_status st = build_steps(net, plan);
  for (size_t s = 0; st == CNA_OK && s < plan->num_steps; s++) {
    cna__step *step = &plan->steps[s];
    const size_t same = forward != NULL ? forward->step_of[step->layer] : CNA__NOWHERE;
    const cna__step *twin = same != CNA__NOWHERE ? &forward->steps[same] : NULL;
    if (twin != NULL && twin->layer == step->layer && twin->bn == step->bn &&
        twin->pre == step->pre && twin->pre_relu == step->pre_relu &&
        twin->source == step->source && twin->prepared != NULL &&
        !twin->broken) {
      step->prepared = twin->prepared;
      step->borrowed = 1;
    } else {
      st = prepare_step(net, step, &step->prepared);
    }
    const cna__layer *l = &net->graph.layers[step->layer];
    const cna__layer_ops *ops = cna__layer_ops_of(l->type);
    if (st == CNA_OK && ops->workspace != NULL &&
        (step->prepared != NULL || ops->prepare == NULL)) {
      /* Rounded like the arena's buffers: each thread's share starts 64-byte
       * aligned (a misaligned packed panel splits a cache line per load). */
      const size_t w = round16(ops->workspace(l, &net->graph.layers[l->inputs[0]].out));
      if (w > plan->workspace) plan->workspace = w;
    }
  }
  if (st == CNA_OK) st = plan_memory(net, plan);
  return st;
}

cna_status cna__plan_build(cna_net *net) {
  cna__plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a net");
  cna_status st = plan_init(net, plan);
  if (st == CNA_OK) st = plan_steps(net, plan);
  if (st != CNA_OK) {
    cna__plan_free(plan);
    return st;
  }
  cna__plan_free(net->plan);
  net->plan = plan;
  return CNA_OK;
}

cna_status cna__plan_build_features(cna_net *net, const size_t *layers, size_t count,
                                    cna__plan **out) {
  const cna__graph *g = &net->graph;
  const size_t n = g->num_layers;
  cna__plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a net");
  cna_status st = plan_init(net, plan);
  if (st == CNA_OK) {
    plan->needed = calloc(n, 1);
    plan->kept = calloc(n, 1);
    if (plan->needed == NULL || plan->kept == NULL)
      st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory planning a net");
  }
  if (st == CNA_OK) {
    /* Only the kept layers' ancestors: walk back from them (inputs always
     * come before their consumers). */
    size_t top = 0;
    for (size_t k = 0; k < count; k++) {
      plan->kept[layers[k]] = 1;
      plan->needed[layers[k]] = 1;
      if (layers[k] > top) top = layers[k];
    }
    for (size_t i = top + 1; i-- > 0;) {
      if (!plan->needed[i]) continue;
      for (size_t k = 0; k < g->layers[i].num_inputs; k++) plan->needed[g->layers[i].inputs[k]] = 1;
    }
    st = plan_steps(net, plan);
  }
  for (size_t k = 0; st == CNA_OK && k < count; k++)
    if (plan->where[layers[k]] == CNA__NOWHERE || plan->where[layers[k]] == CNA__AT_OUTPUT)
      st = cna__error(CNA_ERROR_INTERNAL, "the feature plan left layer '%s' unmaterialized",
                      g->layers[layers[k]].name);
  if (st != CNA_OK) {
    cna__plan_free(plan);
    return st;
  }
  *out = plan;
  return CNA_OK;
}

int cna__plan_bytes(const cna__plan *plan, size_t batch, size_t *bytes) {
  size_t arena, work;
  return cna__mul_size(plan->arena, batch, &arena) &&
         cna__mul_size(plan->workspace, plan->num_threads, &work) &&
         cna__add_size(arena, work, &arena) && cna__mul_size(arena, sizeof(float), bytes);
}

cna_status cna__plan_acquire(cna__plan *plan, size_t batch, cna__context **out) {
  size_t arena;
  if (!cna__mul_size(plan->arena, batch, &arena) || arena > SIZE_MAX / sizeof(float))
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "batch %zu is too large: the activations would overflow the address "
                      "space", batch);
  pthread_mutex_lock(&plan->lock);
  cna__context *c = plan->idle;
  if (c != NULL) plan->idle = c->next;
  pthread_mutex_unlock(&plan->lock);
  if (c == NULL) {
    c = calloc(1, sizeof *c);
    if (c != NULL) {
      c->workspace = calloc(plan->num_threads, sizeof *c->workspace);
      c->inputs = calloc(plan->max_inputs + 1, sizeof *c->inputs);
      c->shapes = calloc(plan->max_inputs + 1, sizeof *c->shapes);
    }
    if (c != NULL && c->workspace != NULL && plan->workspace > 0) {
      c->workspace_block = cna__aligned_alloc(plan->workspace * plan->num_threads * sizeof(float));
      for (size_t t = 0; c->workspace_block != NULL && t < plan->num_threads; t++)
        c->workspace[t] = c->workspace_block + t * plan->workspace;
    }
    if (c == NULL || c->workspace == NULL || c->inputs == NULL || c->shapes == NULL ||
        (plan->workspace > 0 && c->workspace_block == NULL)) {
      if (c != NULL) {
        cna__aligned_free(c->workspace_block);
        free(c->workspace);
        free(c->inputs);
        free(c->shapes);
      }
      free(c);
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "out of memory for a forward call's scratch (%zu bytes per thread)",
                        plan->workspace * sizeof(float));
    }
  }
  if (c->arena_floats < arena) {
    float *grown = cna__aligned_alloc(arena * sizeof(float));
    if (grown == NULL) {
      cna__plan_release(plan, c);
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "out of memory for %zu bytes of activations (batch %zu)",
                        arena * sizeof(float), batch);
    }
    cna__aligned_free(c->arena);
    c->arena = grown;
    c->arena_floats = arena;
  }
  *out = c;
  return CNA_OK;
}

void cna__plan_release(cna__plan *plan, cna__context *ctx) {
  pthread_mutex_lock(&plan->lock);
  ctx->next = plan->idle;
  plan->idle = ctx;
  pthread_mutex_unlock(&plan->lock);
}

float *cna__context_arena(cna__context *ctx) { return ctx->arena; }
float *const *cna__context_workspace(cna__context *ctx) { return ctx->workspace; }
const float **cna__context_inputs(cna__context *ctx) { return ctx->inputs; }
cna__shape *cna__context_shapes(cna__context *ctx) { return ctx->shapes; }

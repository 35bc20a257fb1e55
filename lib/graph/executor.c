/* The executor: runs the plan's steps (graph/plan.c) in order, each layer
 * reading its inputs from and writing its output to the call's arena (or
 * the caller's input and output), with denormals flushed for the call.
 * Everything a call writes belongs to its context, so calls on one net can
 * run concurrently. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "common/pool.h"
#include "graph/graph.h"
#include "graph/plan.h"
#include "layers/layer.h"

cna__step_profiler cna__step_profile;

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const float *value_of(const cna__plan *plan, size_t layer, const float *input,
                             float *output, float *arena, size_t batch) {
  const size_t w = plan->where[layer];
  if (w == CNA__AT_INPUT) return input;
  if (w == CNA__AT_OUTPUT) return output;
  return arena + w * batch;
}

static cna_status run(const cna_net *net, const cna__plan *plan, const float *input,
                      size_t batch, float *output, cna__context *ctx) {
  const cna__graph *g = &net->graph;
  float *arena = cna__context_arena(ctx);
  const float **in_ptrs = cna__context_inputs(ctx);
  cna__shape *in_shapes = cna__context_shapes(ctx);
  const float *tensor_ptrs[CNA__MAX_LAYER_TENSORS];
  for (size_t s = 0; s < plan->num_steps; s++) {
    const cna__step *st = &plan->steps[s];
    const cna__layer *l = &g->layers[st->layer];
    const cna__layer_ops *ops = cna__layer_ops_of(l->type);
    if (st->broken)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "%s '%s': its weights could not be prepared again after "
                        "cna_net_set_tensor ran out of memory; set the tensor again",
                        ops->type_name, l->name);
    const cna__layer *source = &g->layers[st->source]; /* l, or its fused prologue */
    for (size_t k = 0; k < source->num_inputs; k++) {
      in_ptrs[k] = value_of(plan, source->inputs[k], input, output, arena, batch);
      in_shapes[k] = g->layers[source->inputs[k]].out;
    }
    for (size_t k = 0; k < net->num_layer_tensors[st->layer]; k++)
      tensor_ptrs[k] = net->tensors[net->first_tensor[st->layer] + k].data;
    /* Its own memory, or its channels of a concat written in place. */
    float *out = st->into == CNA__NOWHERE
                     ? (float *)value_of(plan, st->out, input, output, arena, batch)
                     : (float *)value_of(plan, st->into, input, output, arena, batch) +
                           st->into_offset;
    const cna__forward_args args = {
        .batch = batch,
        .inputs = in_ptrs,
        .input_shapes = in_shapes,
        .tensors = tensor_ptrs,
        .output = out,
        .out_stride = st->into != CNA__NOWHERE ? cna__shape_elems(&g->layers[st->into].out) : 0,
        .prepared = st->prepared,
        .residual = st->residual != CNA__NOWHERE
                        ? value_of(plan, st->residual, input, output, arena, batch)
                        : NULL,
        .relu = st->relu,
        .pool = net->pool,
        .workspace = cna__context_workspace(ctx),
        .num_parts = source->type == CNA_LAYER_CONCAT && st->source != st->layer
                         ? source->num_inputs
                         : 0,
        .concat_shape = source->out,
    };
    const cna__step_profiler profile = cna__step_profile;
    const double start = profile != NULL ? seconds_now() : 0.0;
    const cna_status status = ops->forward(l, &args);
    if (status != CNA_OK) return status;
    if (profile != NULL) profile(plan, s, seconds_now() - start);
  }
  return CNA_OK;
}

cna_status cna__net_forward(const cna_net *net, const float *input, size_t batch,
                            float *output) {
  const cna__graph *g = &net->graph;
  if (batch == 0) return CNA_OK;
  const size_t out_index = cna__graph_output(g);
  size_t bytes;
  if (!cna__mul_size(cna__shape_elems(&g->layers[out_index].out), batch, &bytes) ||
      !cna__mul_size(bytes, sizeof(float), &bytes))
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "batch %zu is too large: the output would overflow the address space",
                      batch);
  if (out_index == 0) { /* the net is its input */
    memcpy(output, input, bytes);
    return CNA_OK;
  }
  cna__context *ctx;
  cna_status status = cna__plan_acquire(net->plan, batch, &ctx);
  if (status != CNA_OK) return status;
  const cna__fp_mode mode = cna__fp_flush_denormals();
  cna__pool_enter(net->pool);
  status = run(net, net->plan, input, batch, output, ctx);
  cna__pool_leave(net->pool);
  cna__fp_restore(mode);
  cna__plan_release(net->plan, ctx);
  return status;
}

cna_status cna__plan_run(const cna_net *net, cna__plan *plan, const float *input, size_t batch,
                         const size_t *layers, size_t count, float *const *outputs) {
  const cna__graph *g = &net->graph;
  if (batch == 0) return CNA_OK;
  cna__context *ctx;
  cna_status status = cna__plan_acquire(plan, batch, &ctx);
  if (status != CNA_OK) return status;
  const cna__fp_mode mode = cna__fp_flush_denormals();
  cna__pool_enter(net->pool);
  status = run(net, plan, input, batch, NULL, ctx);
  cna__pool_leave(net->pool);
  cna__fp_restore(mode);
  /* The kept layers stayed live to the end (plan.c): copy them out. */
  for (size_t k = 0; status == CNA_OK && k < count; k++)
    memcpy(outputs[k],
           value_of(plan, layers[k], input, NULL, cna__context_arena(ctx), batch),
           cna__shape_elems(&g->layers[layers[k]].out) * batch * sizeof(float));
  cna__plan_release(plan, ctx);
  return status;
}

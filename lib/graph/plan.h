/*
 * plan.h - how a net runs: the steps (layers, with the batch norm, residual
 * add and ReLU that follow a convolution fused into it on the fast path),
 * the state each step prepared once (packed weights), where every
 * activation lives in one arena planned by liveness, and the per-call
 * contexts that own the arena and the threads' scratch.
 *
 * Built when a net is created or loaded (graph/plan.c); read-only while
 * forward calls run, so calls can run concurrently, each with its own
 * context.
 */
#ifndef CNA_PLAN_H
#define CNA_PLAN_H

#include <pthread.h>
#include <stddef.h>

#include "graph/graph.h"

/* Where a layer's output lives, besides an arena offset. */
#define CNA__NOWHERE ((size_t)-1)  /* not materialized: fused or not needed */
#define CNA__AT_INPUT ((size_t)-2) /* the caller's input */
#define CNA__AT_OUTPUT ((size_t)-3) /* the caller's output */

typedef struct cna__step {
  size_t layer;    /* the layer whose forward runs */
  size_t out;      /* the layer whose output it produces: layer, or the last
                      one fused into it */
  size_t bn;       /* batch norm folded into its weights, or CNA__NOWHERE */
  size_t residual; /* the layer whose output a fused add adds, or CNA__NOWHERE */
  int relu;        /* a fused ReLU */
  size_t pre;      /* a batch norm applied to its input as it reads it (the
                      layer's prologue), or CNA__NOWHERE */
  int pre_relu;    /* and a ReLU after that batch norm */
  size_t source;   /* the layer whose inputs it reads: layer, pre, or the
                      concat that alone feeds pre (read in place) */
  size_t into;     /* a concat it writes its output into, at into_offset
                      floats into each of the concat's images (its channels
                      there), or CNA__NOWHERE */
  size_t into_offset;
  void *prepared;  /* the layer's prepared state, or NULL */
  int borrowed;    /* prepared belongs to the forward plan's step (a feature
                      plan's step): not freed with this plan */
  int broken;      /* preparing again after a tensor changed failed */
} cna__step;

typedef struct cna__context cna__context;

typedef struct cna__plan {
  cna__step *steps;
  size_t num_steps;
  size_t *where;       /* per layer: arena offset (floats per image) or CNA__* */
  size_t *step_of;     /* per layer: the step that reads its tensors, or CNA__NOWHERE */
  size_t arena;        /* arena floats per image */
  size_t workspace;    /* scratch floats per thread */
  size_t num_threads;
  size_t max_inputs;   /* of any layer */
  /* A feature plan's own choice of layers (graph/features.c); both NULL in
   * the forward plan, which computes net->needed and keeps the output. */
  unsigned char *needed; /* per layer: computed */
  unsigned char *kept;   /* per layer: materialized as the unfused graph
                            gives it, in the arena, live to the end */
  pthread_mutex_t lock; /* guards idle */
  cna__context *idle;   /* contexts not in use by a call */
} cna__plan;

/* Builds net->plan for the net's tensors (which must hold their values):
 * fuses where the fast path exists, prepares, plans memory. */
cna_status cna__plan_build(cna_net *net);
void cna__plan_free(cna__plan *plan);

/* A plan that computes only layers[0..count) (distinct indices) and their
 * ancestors, and keeps each of those layers' outputs as the unfused graph
 * gives them: nothing is fused past a kept layer, nothing overwrites it
 * (no in-place layer, no reuse of its memory), and none is at
 * CNA__AT_OUTPUT (all in the arena, or the input). Borrows prepared state
 * from net->plan, so it must be freed before that state changes. */
cna_status cna__plan_build_features(cna_net *net, const size_t *layers, size_t count,
                                    cna__plan **out);

/* Prepares again the step reading layer's tensors (after they changed). */
cna_status cna__plan_refresh(cna_net *net, size_t layer);

/* Bytes of arena plus scratch a call with batch images uses. */
int cna__plan_bytes(const cna__plan *plan, size_t batch, size_t *bytes);

/* Takes an idle context (or makes one) able to run batch images, and gives
 * it back. */
cna_status cna__plan_acquire(cna__plan *plan, size_t batch, cna__context **out);
void cna__plan_release(cna__plan *plan, cna__context *ctx);

/* Runs a feature plan (cna__plan_build_features) on batch images and copies
 * the outputs of layers[0..count) (kept by the plan, in any order) to
 * outputs[k], batch x that layer's C*H*W floats each (graph/executor.c).
 * The caller has checked that the sizes fit in memory. */
cna_status cna__plan_run(const cna_net *net, cna__plan *plan, const float *input, size_t batch,
                         const size_t *layers, size_t count, float *const *outputs);

/* Per-step timing for tests/bench/layer_profile.c (internal, not exported):
 * when set, the executor calls it after every step with the step and the
 * seconds it took. Set it before any forward call, never during one. */
typedef void (*cna__step_profiler)(const cna__plan *plan, size_t step, double seconds);
extern cna__step_profiler cna__step_profile;

/* A context's memory. */
float *cna__context_arena(cna__context *ctx);
float *const *cna__context_workspace(cna__context *ctx);
const float **cna__context_inputs(cna__context *ctx); /* max_inputs entries */
cna__shape *cna__context_shapes(cna__context *ctx);

#endif /* CNA_PLAN_H */

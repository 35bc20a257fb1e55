/* Intermediate features: the plans of cna_net_forward_features, one per set
 * of requested layers, made on first use and cached in the net.
 *
 * The forward plan fuses (batch norm folded into a convolution, add and
 * ReLU run in its store, ReLU in place) and reuses activation memory by
 * liveness, so the output of an inner layer may never exist in it. A
 * feature plan (graph/plan.c, cna__plan_build_features) keeps the
 * requested layers materialized, unfused past them and live to the end,
 * and computes nothing they do not depend on. Building one costs a walk
 * over the graph and the memory plan (prepared weights are borrowed from
 * the forward plan), so it is kept for the next call with the same set. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "graph/graph.h"
#include "graph/plan.h"

/* How many sets of layers a net keeps plans for. Past that a call builds
 * a plan for itself and frees it after: correct, only slower. A bound,
 * not an eviction, because a cached plan may be in use by another thread. */
#define MAX_CACHED_PLANS 16

typedef struct cna__feature_plan {
  struct cna__feature_plan *next;
  size_t *layers; /* sorted, distinct */
  size_t count;
  cna__plan *plan;
} cna__feature_plan;

static int compare_size(const void *a, const void *b) {
  const size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

static cna__plan *find_locked(const cna_net *net, const size_t *sorted, size_t count) {
  for (const cna__feature_plan *f = net->features; f != NULL; f = f->next)
    if (f->count == count && memcmp(f->layers, sorted, count * sizeof *sorted) == 0)
      return f->plan;
  return NULL;
}

/* The plan for a set of layers: cached, or built (and cached if there is
 * room; otherwise *temporary is set and the caller frees it). */
static cna_status plan_for(cna_net *net, const size_t *sorted, size_t count, cna__plan **out,
                           int *temporary) {
  *temporary = 0;
  pthread_mutex_lock(&net->features_lock);
  cna__plan *plan = find_locked(net, sorted, count);
  pthread_mutex_unlock(&net->features_lock);
  if (plan != NULL) {
    *out = plan;
    return CNA_OK;
  }
  /* Built without the lock: other sets' calls go on meanwhile. Two threads
   * asking for a new set at once both build it; one copy is kept. */
  cna__plan *built;
  cna_status st = cna__plan_build_features(net, sorted, count, &built);
  if (st != CNA_OK) return st;
  cna__feature_plan *entry = malloc(sizeof *entry);
  size_t *layers = malloc(count * sizeof *layers);
  pthread_mutex_lock(&net->features_lock);
  plan = find_locked(net, sorted, count);
  if (plan == NULL && entry != NULL && layers != NULL && net->num_features < MAX_CACHED_PLANS) {
    memcpy(layers, sorted, count * sizeof *layers);
    *entry = (cna__feature_plan){net->features, layers, count, built};
    net->features = entry;
    net->num_features++;
    plan = built;
    built = NULL, entry = NULL, layers = NULL;
  }
  pthread_mutex_unlock(&net->features_lock);
  free(entry);
  free(layers);
  if (plan == NULL) { /* no room (or no memory for the entry): use it once */
    plan = built;
    *temporary = 1;
  } else {
    cna__plan_free(built); /* NULL when ours went in */
  }
  *out = plan;
  return CNA_OK;
}

cna_status cna__net_forward_features(cna_net *net, const float *input, size_t batch,
                                     const size_t *layers, size_t count,
                                     float *const *outputs) {
  size_t *sorted = malloc((count ? count : 1) * sizeof *sorted);
  if (sorted == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory for %zu layer names", count);
  memcpy(sorted, layers, count * sizeof *sorted);
  qsort(sorted, count, sizeof *sorted, compare_size);
  cna__plan *plan;
  int temporary;
  cna_status st = plan_for(net, sorted, count, &plan, &temporary);
  free(sorted);
  if (st != CNA_OK) return st;
  st = cna__plan_run(net, plan, input, batch, layers, count, outputs);
  if (temporary) cna__plan_free(plan);
  return st;
}

void cna__net_drop_features(cna_net *net) {
  pthread_mutex_lock(&net->features_lock);
  cna__feature_plan *f = net->features;
  net->features = NULL;
  net->num_features = 0;
  pthread_mutex_unlock(&net->features_lock);
  while (f != NULL) {
    cna__feature_plan *next = f->next;
    cna__plan_free(f->plan);
    free(f->layers);
    free(f);
    f = next;
  }
}

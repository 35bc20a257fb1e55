/* Ensembles: several nets' class probabilities averaged, optionally
 * weighted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/classify.h"
#include "common/common.h"

struct cna_ensemble {
  cna_net **nets;              /* borrowed: they outlive the ensemble */
  double *weights;             /* normalized: they sum to 1 */
  unsigned char *probabilities; /* per member: its outputs are already probabilities */
  size_t count;
  size_t outputs;
  size_t shape[3];             /* the members' input shape */
};

void cna_ensemble_destroy(cna_ensemble *ensemble) {
  if (ensemble == NULL) return;
  free(ensemble->nets);
  free(ensemble->weights);
  free(ensemble->probabilities);
  free(ensemble);
}

cna_status cna_ensemble_create(cna_net *const *nets, const float *weights, size_t count,
                               cna_ensemble **out) {
  if (nets == NULL || out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_ensemble_create: nets and out must not be NULL");
  if (count == 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_ensemble_create: count is 0; an ensemble needs at least one net");
  size_t shape[3], outputs;
  for (size_t i = 0; i < count; i++) {
    if (nets[i] == NULL)
      return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_ensemble_create: nets[%zu] is NULL",
                        i);
    size_t s[3], n;
    cna_net_input_shape(nets[i], s);
    cna_net_output_size(nets[i], &n);
    if (i == 0) {
      memcpy(shape, s, sizeof shape);
      outputs = n;
    } else if (memcmp(s, shape, sizeof shape) != 0 || n != outputs) {
      return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                        "cna_ensemble_create: member %zu takes %zux%zux%zu images and gives "
                        "%zu outputs, but member 0 takes %zux%zux%zu and gives %zu; members "
                        "must agree on both",
                        i, s[0], s[1], s[2], n, shape[0], shape[1], shape[2], outputs);
    }
  }
  double sum = 0;
  if (weights != NULL) {
    for (size_t i = 0; i < count; i++) {
      if (!isfinite(weights[i]) || weights[i] < 0)
        return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                          "cna_ensemble_create: weights[%zu] is %g; expected a finite "
                          "number >= 0", i, (double)weights[i]);
      sum += weights[i];
    }
    if (sum == 0)
      return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                        "cna_ensemble_create: all %zu weights are 0; at least one member "
                        "must count", count);
  }
  if (count > SIZE_MAX / sizeof(double))
    return cna__error(CNA_ERROR_TOO_LARGE, "cna_ensemble_create: %zu members is too many",
                      count);
  cna_ensemble *e = calloc(1, sizeof *e);
  if (e != NULL) {
    e->nets = malloc(count * sizeof *e->nets);
    e->weights = malloc(count * sizeof *e->weights);
    e->probabilities = malloc(count);
  }
  if (e == NULL || e->nets == NULL || e->weights == NULL || e->probabilities == NULL) {
    cna_ensemble_destroy(e);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "cna_ensemble_create: out of memory for %zu "
                      "members", count);
  }
  for (size_t i = 0; i < count; i++) {
    e->nets[i] = nets[i];
    e->weights[i] = weights != NULL ? (double)weights[i] / sum : 1.0 / (double)count;
    e->probabilities[i] = (unsigned char)cna__net_gives_probabilities(nets[i]);
  }
  e->count = count;
  e->outputs = outputs;
  memcpy(e->shape, shape, sizeof shape);
  *out = e;
  return CNA_OK;
}

cna_status cna_ensemble_size(const cna_ensemble *ensemble, size_t *count,
                             size_t *output_size) {
  if (ensemble == NULL || count == NULL || output_size == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_ensemble_size: ensemble, count and output_size must not be NULL");
  *count = ensemble->count;
  *output_size = ensemble->outputs;
  return CNA_OK;
}

/* The averaged probabilities of batch images into probs; the caller has
 * checked the arguments (fn names it in messages). */
static cna_status average(const char *fn, cna_ensemble *e, const float *images, size_t batch,
                          float *probs) {
  size_t count, bytes;
  if (!cna__mul_size(e->outputs, batch, &count) ||
      !cna__mul_size(count, sizeof(double), &bytes))
    return cna__error(CNA_ERROR_TOO_LARGE, "%s: a batch of %zu is too large", fn, batch);
  float *scores = malloc(count * sizeof *scores);
  double *sum = calloc(count, sizeof *sum);
  if (scores == NULL || sum == NULL) {
    free(scores), free(sum);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory for a batch of %zu", fn,
                      batch);
  }
  cna_status st = CNA_OK;
  for (size_t m = 0; st == CNA_OK && m < e->count; m++) {
    if (e->weights[m] == 0) continue;
    st = cna_net_forward(e->nets[m], images, batch, scores);
    if (st != CNA_OK) {
      cna__error_prepend("%s: member %zu: ", fn, m);
      break;
    }
    for (size_t b = 0; b < batch; b++) {
      float *p = scores + b * e->outputs;
      if (!e->probabilities[m]) cna__softmax(p, e->outputs);
      double *s = sum + b * e->outputs;
      for (size_t j = 0; j < e->outputs; j++) s[j] += e->weights[m] * (double)p[j];
    }
  }
  if (st == CNA_OK)
    for (size_t i = 0; i < count; i++) probs[i] = (float)sum[i];
  free(scores), free(sum);
  return st;
}

/* probs (batch rows) and images (batch images) share a byte. */
static int overlaps(const cna_ensemble *e, const float *images, size_t batch,
                    const float *probs) {
  size_t in, out;
  if (!cna__mul_size(e->shape[0] * e->shape[1] * e->shape[2], batch, &in) ||
      !cna__mul_size(e->outputs, batch, &out))
    return 0; /* refused as too large later */
  const uintptr_t x = (uintptr_t)images, y = (uintptr_t)probs;
  return batch > 0 && x < y + out * sizeof(float) && y < x + in * sizeof(float);
}

cna_status cna_ensemble_forward(cna_ensemble *ensemble, const float *images, size_t batch,
                                float *probabilities) {
  if (ensemble == NULL || images == NULL || probabilities == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_ensemble_forward: ensemble, images and probabilities must not be "
                      "NULL");
  if (overlaps(ensemble, images, batch, probabilities))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_ensemble_forward: the probabilities buffer overlaps the images; "
                      "use separate buffers");
  if (batch == 0) return CNA_OK;
  return average("cna_ensemble_forward", ensemble, images, batch, probabilities);
}

cna_status cna_ensemble_classify(cna_ensemble *ensemble, const float *images, size_t batch,
                                 const cna_labels *labels, size_t k, size_t *indices,
                                 float *probabilities, const char **names) {
  static const char fn[] = "cna_ensemble_classify";
  if (ensemble == NULL || images == NULL || indices == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: ensemble, images and indices must not be NULL", fn);
  cna_status st = cna__classify_check(fn, ensemble->outputs, labels, k);
  if (st != CNA_OK || batch == 0) return st;
  size_t count;
  if (!cna__mul_size(ensemble->outputs, batch, &count) || count > SIZE_MAX / sizeof(double))
    return cna__error(CNA_ERROR_TOO_LARGE, "%s: a batch of %zu is too large", fn, batch);
  float *probs = malloc(count * sizeof *probs);
  if (probs == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory", fn);
  st = average(fn, ensemble, images, batch, probs);
  if (st == CNA_OK)
    st = cna__classify_rank(probs, batch, ensemble->outputs, labels, k, indices, probabilities,
                            names);
  free(probs);
  return st;
}

/* Class labels from text files, and classification: forward, softmax,
 * top-k. */
#define _POSIX_C_SOURCE 200809L /* fstat */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/classify.h"
#include "common/common.h"
#include "graph/graph.h"

/* Labels files are small (ImageNet's is 21 KB); this bounds what a wrong
 * path (a model, a video) can make us read. */
#define MAX_LABELS_BYTES ((size_t)64 << 20)

struct cna_labels {
  char *text;    /* every label, each NUL-terminated */
  char **labels; /* count pointers into text */
  size_t count;
};

void cna_labels_destroy(cna_labels *labels) {
  if (labels == NULL) return;
  free(labels->text);
  free(labels->labels);
  free(labels);
}

/* Parses size bytes of text; origin names it in messages. */
static cna_status parse_labels(const char *origin, const char *data, size_t size,
                               cna_labels **out) {
  if (size == 0) return cna__error(CNA_ERROR_CORRUPT, "%s is empty: expected one label per line", origin);
  const char *nul = memchr(data, '\0', size);
  if (nul != NULL)
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s has a NUL byte at offset %zu: expected text, one label per line",
                      origin, (size_t)(nul - data));
  /* Lines: the final line end is optional, so "a\nb" and "a\nb\n" are the
   * same two labels. */
  size_t lines = 0;
  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n') lines++;
  if (data[size - 1] != '\n') lines++;
  if (lines > CNA_MAX_CLASSES)
    return cna__error(CNA_ERROR_TOO_LARGE, "%s has %zu lines, more than the %d classes a net "
                      "may have", origin, lines, CNA_MAX_CLASSES);
  cna_labels *l = calloc(1, sizeof *l);
  if (l != NULL) {
    l->text = malloc(size + 1);
    l->labels = malloc(lines * sizeof *l->labels);
  }
  if (l == NULL || l->text == NULL || l->labels == NULL) {
    cna_labels_destroy(l);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory reading %s", origin);
  }
  memcpy(l->text, data, size);
  l->text[size] = '\0';
  char *p = l->text, *end = l->text + size;
  while (p < end) {
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL) eol = end;
    char *stop = eol;
    /* "\r\n" line ends, and trailing blanks nobody means. */
    while (stop > p && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t')) stop--;
    *stop = '\0';
    if (stop == p) {
      cna__error(CNA_ERROR_CORRUPT,
                 "%s: line %zu is empty; every line must name one class (class %zu)", origin,
                 l->count + 1, l->count);
      cna_labels_destroy(l);
      return CNA_ERROR_CORRUPT;
    }
    l->labels[l->count++] = p;
    p = eol + 1;
  }
  *out = l;
  return CNA_OK;
}

cna_status cna_labels_load_from_memory(const void *data, size_t size, cna_labels **out) {
  if (out == NULL || (data == NULL && size > 0))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_labels_load_from_memory: data and out must not be NULL");
  if (size > MAX_LABELS_BYTES)
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "labels in memory: %zu bytes is more than a labels file may have (%zu)",
                      size, MAX_LABELS_BYTES);
  return parse_labels("labels in memory", data != NULL ? data : "", size, out);
}

cna_status cna_labels_load(const char *path, cna_labels **out) {
  if (path == NULL || out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_labels_load: path and out must not be NULL");
  char origin[530];
  snprintf(origin, sizeof origin, "labels file '%.500s'", path);
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return cna__error(CNA_ERROR_IO, "cannot open %s: %s", origin, strerror(errno));
  struct stat info;
  cna_status st = CNA_OK;
  char *text = NULL;
  if (fstat(fd, &info) != 0) {
    st = cna__error(CNA_ERROR_IO, "cannot read %s: %s", origin, strerror(errno));
  } else if (!S_ISREG(info.st_mode)) {
    st = cna__error(CNA_ERROR_IO, "cannot read %s: %s", origin,
                    S_ISDIR(info.st_mode) ? "it is a directory" : "not a regular file");
  } else if ((uint64_t)info.st_size > MAX_LABELS_BYTES) {
    st = cna__error(CNA_ERROR_TOO_LARGE,
                    "%s has %lld bytes, more than a labels file may have (%zu): is it the "
                    "right file?",
                    origin, (long long)info.st_size, MAX_LABELS_BYTES);
  } else {
    const size_t size = (size_t)info.st_size;
    text = malloc(size ? size : 1);
    size_t got = 0;
    while (text != NULL && got < size) {
      ssize_t n = read(fd, text + got, size - got);
      if (n <= 0) break;
      got += (size_t)n;
    }
    if (text == NULL)
      st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory reading %s", origin);
    else if (got != size)
      st = cna__error(CNA_ERROR_IO, "cannot read %s: %s", origin,
                      errno ? strerror(errno) : "it became shorter while being read");
    else
      st = parse_labels(origin, text, size, out);
  }
  free(text);
  close(fd);
  return st;
}

cna_status cna_labels_count(const cna_labels *labels, size_t *count) {
  if (labels == NULL || count == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_labels_count: labels and count must not be NULL");
  *count = labels->count;
  return CNA_OK;
}

cna_status cna_labels_get(const cna_labels *labels, size_t index, const char **label) {
  if (labels == NULL || label == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_labels_get: labels and label must not be NULL");
  if (index >= labels->count)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_labels_get: index %zu is out of range (%zu labels)", index,
                      labels->count);
  *label = labels->labels[index];
  return CNA_OK;
}

/* ---------------------------------------------------------------- classify */

typedef struct scored {
  float p;
  size_t index;
} scored;

/* a ranks before b: more probable, or as probable and a lower index. NaN
 * ranks last. */
static int before(scored a, scored b) {
  if (isnan(a.p) || isnan(b.p)) return isnan(a.p) == isnan(b.p) ? a.index < b.index : !isnan(a.p);
  return a.p > b.p || (a.p == b.p && a.index < b.index);
}

/* Restores the heap below i in a heap whose root ranks last. */
static void sift_down(scored *heap, size_t n, size_t i) {
  for (;;) {
    size_t worst = i, l = 2 * i + 1, r = l + 1;
    if (l < n && before(heap[worst], heap[l])) worst = l;
    if (r < n && before(heap[worst], heap[r])) worst = r;
    if (worst == i) return;
    scored t = heap[i];
    heap[i] = heap[worst];
    heap[worst] = t;
    i = worst;
  }
}

/* The k best of p[0..n) into best[0..k), best first: a heap of the k best
 * so far, whose root is the one to drop (O(n log k)). */
static void top_k(const float *p, size_t n, size_t k, scored *heap) {
  for (size_t i = 0; i < k; i++) heap[i] = (scored){p[i], i};
  for (size_t i = k / 2; i-- > 0;) sift_down(heap, k, i);
  for (size_t i = k; i < n; i++) {
    scored s = {p[i], i};
    if (before(s, heap[0])) {
      heap[0] = s;
      sift_down(heap, k, 0);
    }
  }
  /* Heap sort in place: repeatedly move the root (the worst) to the end. */
  for (size_t m = k; m > 1; m--) {
    scored t = heap[0];
    heap[0] = heap[m - 1];
    heap[m - 1] = t;
    sift_down(heap, m - 1, 0);
  }
}

void cna__softmax(float *x, size_t n) {
  float max = x[0];
  for (size_t i = 1; i < n; i++)
    if (x[i] > max) max = x[i];
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += exp((double)x[i] - (double)max);
  for (size_t i = 0; i < n; i++) x[i] = (float)(exp((double)x[i] - (double)max) / sum);
}

int cna__net_gives_probabilities(const cna_net *net) {
  /* A net that ends in a softmax over a class vector already gives
   * probabilities; applying another would flatten them. */
  const cna__layer *out = &net->graph.layers[cna__graph_output(&net->graph)];
  return out->type == CNA_LAYER_SOFTMAX && out->out.h == 1 && out->out.w == 1;
}

cna_status cna__classify_check(const char *fn, size_t outputs, const cna_labels *labels,
                               size_t k) {
  if (k < 1 || k > outputs)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: k is %zu; expected 1 to the net's %zu outputs", fn, k, outputs);
  if (labels != NULL && labels->count != outputs)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: %zu labels for a net with %zu outputs; use the labels "
                      "of the data set the net was trained on (one line per class)",
                      fn, labels->count, outputs);
  return CNA_OK;
}

cna_status cna__classify_rank(const float *probs, size_t batch, size_t outputs,
                              const cna_labels *labels, size_t k, size_t *indices,
                              float *probabilities, const char **names) {
  scored *heap = malloc(k * sizeof *heap);
  if (heap == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory ranking classes");
  for (size_t b = 0; b < batch; b++) {
    top_k(probs + b * outputs, outputs, k, heap);
    for (size_t j = 0; j < k; j++) {
      indices[b * k + j] = heap[j].index;
      if (probabilities != NULL) probabilities[b * k + j] = heap[j].p;
      if (names != NULL) names[b * k + j] = labels != NULL ? labels->labels[heap[j].index] : NULL;
    }
  }
  free(heap);
  return CNA_OK;
}

cna_status cna_net_classify(cna_net *net, const float *images, size_t batch,
                            const cna_labels *labels, size_t k, size_t *indices,
                            float *probabilities, const char **names) {
  if (net == NULL || images == NULL || indices == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_classify: net, images and indices must not be NULL");
  size_t outputs;
  cna_net_output_size(net, &outputs);
  cna_status st = cna__classify_check("cna_net_classify", outputs, labels, k);
  if (st != CNA_OK || batch == 0) return st;
  size_t count, bytes;
  if (!cna__mul_size(outputs, batch, &count) || !cna__mul_size(count, sizeof(float), &bytes))
    return cna__error(CNA_ERROR_TOO_LARGE, "cna_net_classify: a batch of %zu is too large",
                      batch);
  float *scores = malloc(bytes);
  if (scores == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "cna_net_classify: out of memory");
  st = cna_net_forward(net, images, batch, scores);
  if (st == CNA_OK) {
    if (!cna__net_gives_probabilities(net))
      for (size_t b = 0; b < batch; b++) cna__softmax(scores + b * outputs, outputs);
    st = cna__classify_rank(scores, batch, outputs, labels, k, indices, probabilities, names);
  }
  free(scores);
  return st;
}

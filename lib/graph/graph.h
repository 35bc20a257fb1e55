/*
 * graph.h - the network as data: layers (type, attributes, inputs, inferred
 * shape) in a directed acyclic graph, and the net built from it (parameter
 * tensors, per-layer figures, execution plan).
 *
 * The graph is plain data so that a zoo entry, a user's builder calls and
 * (later) a model file all become the same thing.
 */
#ifndef CNA_GRAPH_H
#define CNA_GRAPH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cnnarch.h"

/* Shape of one image's activations. Flat vectors are (n, 1, 1). */
typedef struct cna__shape {
  size_t c, h, w;
} cna__shape;

/* Elements of one image's activations. Only for shapes of layers already in
 * a graph: cna__graph_add has checked that the product fits. */
static inline size_t cna__shape_elems(const cna__shape *s) { return s->c * s->h * s->w; }

/* Longest layer name, in bytes (model files store it in 16 bits, and its
 * tensor names add a suffix). */
#define CNA__MAX_LAYER_NAME 4096

/* Every layer attribute; each layer type reads the ones it documents in
 * layers/. Unused fields stay zero. */
typedef struct cna__attrs {
  int out_channels; /* conv2d; fully connected: out_features */
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  int dilation_h, dilation_w;
  int groups;
  int bias;
  int ceil_mode;
  int count_include_pad;
  int out_h, out_w;       /* adaptive average pooling */
  int size;               /* lrn window */
  float alpha, beta, k;   /* lrn */
  float eps;              /* batch norm */
  float p;                /* dropout */
  int pad_before, pad_after; /* channel pad */
} cna__attrs;

typedef struct cna__layer {
  char *name;
  cna_layer_type type;
  size_t *inputs; /* indices of producing layers, all smaller than this one's */
  size_t num_inputs;
  cna__attrs attrs;
  cna__shape out;
} cna__layer;

typedef struct cna__graph {
  cna__layer *layers; /* in insertion order, which is topological */
  size_t num_layers;
  size_t capacity;
  size_t output;      /* index of the output layer */
  int output_set;     /* 0: the output is the last layer */
  /* Name index: open addressing over cna__hash_name, each slot a layer
   * index + 1 (0: empty), at most half full. Lookups stay O(1) however
   * many layers a (hostile) model file declares. */
  size_t *slots;
  size_t num_slots;   /* 0 or a power of two */
} cna__graph;

void cna__graph_init(cna__graph *g);
void cna__graph_free(cna__graph *g);
/* Deep copy into an initialized empty dst. */
cna_status cna__graph_copy(cna__graph *dst, const cna__graph *src);

/* Index of the layer called name; 0 if not found, 1 if found. */
int cna__graph_find(const cna__graph *g, const char *name, size_t *index);

/* Resolves an input reference of a layer being added: NULL means the last
 * layer. Reports NOT_FOUND (with suggestions) or INVALID_GRAPH. */
cna_status cna__graph_resolve(const cna__graph *g, const char *layer_name,
                              const char *input, size_t *index);

/* Finds a layer for a query (fn names the public function in messages):
 * NULL means the last layer. Reports NOT_FOUND with suggestions. */
cna_status cna__graph_lookup(const cna__graph *g, const char *fn, const char *name,
                             size_t *index);

/* Adds a layer after validating it and inferring its shape. name may be
 * NULL (a name is generated). On failure the graph is unchanged. */
cna_status cna__graph_add(cna__graph *g, const char *name, cna_layer_type type,
                          const size_t *inputs, size_t num_inputs,
                          const cna__attrs *attrs);

/* The output layer's index (the last layer unless set). */
size_t cna__graph_output(const cna__graph *g);

/* Parameter tensors as a layer declares them. */
enum { CNA__MAX_LAYER_TENSORS = 4, CNA__MAX_TENSOR_DIMS = 4 };

typedef enum cna__init {
  CNA__INIT_ZERO,
  CNA__INIT_ONE,
  CNA__INIT_HE_UNIFORM /* U(-b, b), b = sqrt(6 / fan_in) */
} cna__init;

typedef struct cna__tensor_desc {
  const char *kind; /* "weight", "bias", "running_mean", "running_var" */
  size_t ndim;
  size_t dims[CNA__MAX_TENSOR_DIMS];
  cna__init init;
  size_t fan_in;     /* for CNA__INIT_HE_UNIFORM */
  int is_parameter;  /* 0 for buffers (batch norm running statistics) */
} cna__tensor_desc;

typedef struct cna__tensor {
  char *name;
  size_t ndim;
  size_t dims[CNA__MAX_TENSOR_DIMS];
  size_t count;
  int is_parameter;
  cna__init init; /* how a new net fills it */
  size_t fan_in;
  float *data;    /* 64-byte aligned */
  int owns_data;  /* 0: data points into the net's blob */
} cna__tensor;

/* Receptive field of a layer's output elements on the input image. extent is
 * the span covered by all of the layer's outputs together, which is what a
 * layer seeing every position (fully connected, global pooling) sees. */
typedef struct cna__rf {
  uint64_t size_h, size_w;
  uint64_t jump_h, jump_w;
  uint64_t extent_h, extent_w;
} cna__rf;

typedef struct cna__layer_stats {
  uint64_t params;
  uint64_t buffers;
  uint64_t activations;
  uint64_t macs;
  uint64_t ops;
  uint64_t depth;
  cna__rf rf;
} cna__layer_stats;

struct cna_net {
  cna__graph graph;
  cna__tensor *tensors;
  size_t num_tensors;
  size_t *first_tensor; /* per layer: index of its first tensor */
  size_t *num_layer_tensors;
  cna__layer_stats *stats; /* per layer */
  cna__layer_stats total;
  /* Which layers the output needs. */
  unsigned char *needed;
  int num_threads;
  struct cna__plan *plan;  /* how forward runs (graph/plan.c) */
  /* Plans of cna_net_forward_features, one per set of requested layers
   * (graph/features.c), made on first use and kept; the lock guards the
   * list, whose plans never change once in it. Dropped when a tensor
   * changes. */
  pthread_mutex_t features_lock;
  struct cna__feature_plan *features;
  size_t num_features;
  struct cna__pool *pool;  /* num_threads - 1 workers, or NULL */
  /* Memory that tensors point into when a net was loaded: a file mapping or
   * an inflated section, released with the net. */
  void *blob;
  size_t blob_size;
  void (*release_blob)(void *blob, size_t size);
};

/* Creates a net from a graph (copied), initializes its tensors from seed
 * and builds its plan. */
cna_status cna__net_create(const cna__graph *g, uint64_t seed, int num_threads,
                           cna_net **out);

/* The same without tensor data (every tensor's data is NULL) or plan: for
 * loaders, which then point the tensors at their data and call
 * cna__plan_build. */
cna_status cna__net_create_empty(const cna__graph *g, int num_threads, cna_net **out);

/* Allocates and initializes every tensor of an empty net from seed. */
cna_status cna__net_init_weights(cna_net *net, uint64_t seed);

/* Runs the net up to the distinct layers[0..count) and writes each one's
 * output, as the unfused graph gives it, to outputs[k] (batch x C*H*W
 * floats), computing only those layers' ancestors (graph/features.c).
 * Thread safety as the forward pass. */
cna_status cna__net_forward_features(cna_net *net, const float *input, size_t batch,
                                     const size_t *layers, size_t count,
                                     float *const *outputs);

/* Frees the cached feature plans (when a tensor changed: they borrow its
 * prepared state). No call may be running on the net. */
void cna__net_drop_features(cna_net *net);

/* Runs the forward pass (graph/executor.c). */
cna_status cna__net_forward(const cna_net *net, const float *input, size_t batch,
                            float *output);

#endif /* CNA_GRAPH_H */

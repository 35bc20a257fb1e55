/*
 * layer.h - what each layer type says about itself: how many inputs it
 * takes, its shape rule (which also validates its attributes), its
 * parameter tensors, its multiply-accumulate count, its receptive field
 * rule and its forward function. The graph, the summary and the executor
 * only ever go through this table; the forward functions call kernels.
 */
#ifndef CNA_LAYER_H
#define CNA_LAYER_H

#include "graph/graph.h"

struct cna__pool;

typedef struct cna__forward_args {
  size_t batch;
  const float *const *inputs;      /* one per layer input, batch images each */
  const cna__shape *input_shapes;  /* per image */
  const float *const *tensors;     /* the layer's tensors, in declared order */
  float *output;                   /* batch images of layer->out; may be
                                      inputs[0] for in_place layers */
  /* Floats from one image's output to the next: 0 means the layer's own
   * size (images back to back); more when the output is one part of a
   * concatenation written in place (only for ops->strided_output). */
  size_t out_stride;
  /* The fast path, set up by the plan (graph/plan.c); NULL / 0 otherwise. */
  const void *prepared;            /* from ops->prepare */
  const float *residual;           /* fused add: batch images of layer->out */
  int relu;                        /* fused ReLU after it */
  struct cna__pool *pool;          /* threads for cna__pool_run */
  /* A concatenation read in place by the prologue (cna__prologue): its
   * num_parts inputs are inputs[0..], input_shapes[0..] theirs, and
   * concat_shape the input they make together. 0: none. */
  size_t num_parts;
  cna__shape concat_shape;
  float *const *workspace;         /* per pool thread: ops->workspace floats */
} cna__forward_args;

/* A batch norm folded into the layer before it. */
typedef struct cna__fold {
  const float *weight, *bias, *mean, *var;
  float eps;
} cna__fold;

/* What a layer does to its input as it reads it (graph/plan.c fuses it
 * into a pointwise convolution whose input it alone feeds): a batch norm
 * (NULL: none), a ReLU after it if relu, and before both a concatenation
 * read in place: the channels of each of its num_parts inputs (0: none). */
typedef struct cna__prologue {
  const cna__fold *bn;
  int relu;
  const size_t *part_channels;
  size_t num_parts;
} cna__prologue;

typedef struct cna__layer_ops {
  const char *type_name;
  size_t min_inputs, max_inputs;
  /* Checks the attributes against the input shapes and computes the output
   * shape. Failures name the layer: "conv2d 'conv1': ...". */
  cna_status (*infer)(const cna__layer *layer, const cna__shape *inputs,
                      cna__shape *out);
  /* Writes up to CNA__MAX_LAYER_TENSORS descriptors; returns their number.
   * NULL: no tensors. */
  size_t (*tensors)(const cna__layer *layer, const cna__shape *inputs,
                    cna__tensor_desc *descs);
  /* NULL: no multiply-accumulates counted. */
  uint64_t (*macs)(const cna__layer *layer, const cna__shape *inputs);
  /* CNA_STAT_OPS besides the MACs: the input elements a layer reads to
   * reduce a window (pooling, LRN, softmax), saturating. NULL: one per
   * output element. */
  uint64_t (*ops)(const cna__layer *layer, const cna__shape *inputs);
  /* NULL: the receptive field of the (first) input passes through. */
  void (*receptive_field)(const cna__layer *layer, const cna__shape *inputs,
                          const cna__rf *input_rfs, cna__rf *out);
  /* NULL for the input layer only. */
  cna_status (*forward)(const cna__layer *layer, const cna__forward_args *args);
  /* Counts towards CNA_STAT_DEPTH. */
  int has_weights;
  /* Optional fast path. prepare turns the layer's tensors (and a batch norm
   * folded into it, or NULL; a prologue, or NULL) into state its forward reads through
   * args->prepared, e.g. weights packed for the GEMM; a single allocation
   * released with cna__aligned_free. It may decline (*state = NULL, CNA_OK):
   * forward then runs the reference path. Layers with prepare accept
   * args->residual and args->relu when prepared. */
  cna_status (*prepare)(const cna__layer *layer, const cna__shape *inputs,
                        const float *const *tensors, const cna__fold *bn,
                        const cna__prologue *pre, void **state);
  /* Whether the prepared forward can apply a prologue (pre above, non-NULL)
   * to its input. NULL: never. */
  int (*takes_prologue)(const cna__layer *layer, const cna__shape *inputs);
  /* Floats of scratch per thread the prepared forward needs. */
  size_t (*workspace)(const cna__layer *layer, const cna__shape *inputs);
  /* Can overwrite its input (element-wise, or a view): its output needs no
   * memory of its own, so the activation-memory total skips it, and forward
   * accepts output == inputs[0]. */
  int in_place;
  /* Forward honours args->out_stride: the plan may have it write its
   * output straight into its channels of a concatenation. */
  int strided_output;
} cna__layer_ops;

/* The table entry of a layer type, or NULL for an unknown value. */
const cna__layer_ops *cna__layer_ops_of(cna_layer_type type);

/* Shared receptive field rules. */
void cna__rf_window(const cna__rf *in, uint64_t kernel_h, uint64_t kernel_w,
                    uint64_t stride_h, uint64_t stride_w,
                    const cna__shape *out_shape, cna__rf *out);
void cna__rf_global(const cna__rf *in, cna__rf *out);
void cna__rf_merge(const cna__layer *layer, const cna__shape *inputs,
                   const cna__rf *input_rfs, cna__rf *out);

/* The shape rule of layers whose output has their input's shape. */
cna_status cna__infer_same_shape(const cna__layer *layer, const cna__shape *inputs,
                                 cna__shape *out);

/* Output length of a sliding window (PyTorch's rule, ceil_mode included).
 * Returns 0 when the dilated kernel does not fit the padded input. */
/* The output tile of the Winograd transform a 3x3 convolution runs on (4:
 * F(4x4, 3x3), 6: F(6x6, 3x3)), or 0 (layers/conv2d.c). */
size_t cna__conv2d_winograd_tile(const cna__layer *layer, const cna__shape *in);

size_t cna__window_output(size_t in, int kernel, int stride, int pad_begin,
                          int pad_end, int dilation, int ceil_mode);

/* The layer ops tables, one per layers/ file. */
extern const cna__layer_ops cna__input_ops, cna__conv2d_ops, cna__max_pool2d_ops,
    cna__avg_pool2d_ops, cna__global_avg_pool_ops, cna__adaptive_avg_pool2d_ops,
    cna__lrn_ops, cna__batch_norm_ops, cna__relu_ops, cna__tanh_ops,
    cna__dropout_ops, cna__fully_connected_ops, cna__flatten_ops,
    cna__softmax_ops, cna__concat_ops, cna__add_ops, cna__channel_pad_ops;

#endif /* CNA_LAYER_H */

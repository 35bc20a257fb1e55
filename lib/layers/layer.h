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

typedef struct cna__forward_args {
  size_t batch;
  const float *const *inputs;      /* one per layer input, batch images each */
  const cna__shape *input_shapes;  /* per image */
  const float *const *tensors;     /* the layer's tensors, in declared order */
  float *output;                   /* batch images of layer->out */
} cna__forward_args;

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
  /* NULL: the receptive field of the (first) input passes through. */
  void (*receptive_field)(const cna__layer *layer, const cna__shape *inputs,
                          const cna__rf *input_rfs, cna__rf *out);
  /* NULL for the input layer only. */
  cna_status (*forward)(const cna__layer *layer, const cna__forward_args *args);
  /* Counts towards CNA_STAT_DEPTH. */
  int has_weights;
  /* Can overwrite its input (element-wise, or a view): its output needs no
   * memory of its own, so the activation-memory total skips it. */
  int in_place;
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
size_t cna__window_output(size_t in, int kernel, int stride, int pad_begin,
                          int pad_end, int dilation, int ceil_mode);

/* The layer ops tables, one per layers/ file. */
extern const cna__layer_ops cna__input_ops, cna__conv2d_ops, cna__max_pool2d_ops,
    cna__avg_pool2d_ops, cna__global_avg_pool_ops, cna__adaptive_avg_pool2d_ops,
    cna__lrn_ops, cna__batch_norm_ops, cna__relu_ops, cna__tanh_ops,
    cna__dropout_ops, cna__fully_connected_ops, cna__flatten_ops,
    cna__softmax_ops, cna__concat_ops, cna__add_ops, cna__channel_pad_ops;

#endif /* CNA_LAYER_H */

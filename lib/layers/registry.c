/* The table of layer types, and the rules several layer types share. */
#include "common/common.h"
#include "layers/layer.h"

const cna__layer_ops *cna__layer_ops_of(cna_layer_type type) {
  switch (type) {
    case CNA_LAYER_INPUT: return &cna__input_ops;
    case CNA_LAYER_CONV2D: return &cna__conv2d_ops;
    case CNA_LAYER_MAX_POOL2D: return &cna__max_pool2d_ops;
    case CNA_LAYER_AVG_POOL2D: return &cna__avg_pool2d_ops;
    case CNA_LAYER_GLOBAL_AVG_POOL: return &cna__global_avg_pool_ops;
    case CNA_LAYER_ADAPTIVE_AVG_POOL2D: return &cna__adaptive_avg_pool2d_ops;
    case CNA_LAYER_LRN: return &cna__lrn_ops;
    case CNA_LAYER_BATCH_NORM: return &cna__batch_norm_ops;
    case CNA_LAYER_RELU: return &cna__relu_ops;
    case CNA_LAYER_TANH: return &cna__tanh_ops;
    case CNA_LAYER_DROPOUT: return &cna__dropout_ops;
    case CNA_LAYER_FULLY_CONNECTED: return &cna__fully_connected_ops;
    case CNA_LAYER_FLATTEN: return &cna__flatten_ops;
    case CNA_LAYER_SOFTMAX: return &cna__softmax_ops;
    case CNA_LAYER_CONCAT: return &cna__concat_ops;
    case CNA_LAYER_ADD: return &cna__add_ops;
    case CNA_LAYER_CHANNEL_PAD: return &cna__channel_pad_ops;
  }
  return NULL;
}

const char *cna_layer_type_name(cna_layer_type type) {
  const cna__layer_ops *ops = cna__layer_ops_of(type);
  return ops != NULL ? ops->type_name : "unknown";
}

cna_status cna__infer_same_shape(const cna__layer *layer, const cna__shape *inputs,
                                 cna__shape *out) {
  (void)layer;
  *out = inputs[0];
  return CNA_OK;
}

size_t cna__window_output(size_t in, int kernel, int stride, int pad_begin,
                          int pad_end, int dilation, int ceil_mode) {
  const size_t span = (size_t)dilation * (size_t)(kernel - 1) + 1;
  const size_t padded = in + (size_t)pad_begin + (size_t)pad_end;
  if (padded < span) return 0;
  const size_t room = padded - span;
  size_t out = (ceil_mode ? (room + (size_t)stride - 1) / (size_t)stride
                          : room / (size_t)stride) + 1;
  /* PyTorch drops a last window that would start in the end padding. */
  if (ceil_mode && (out - 1) * (size_t)stride >= in + (size_t)pad_begin) out--;
  return out;
}

/* One axis of a window rule: rf grows by (kernel - 1) input jumps. */
static void rf_axis(uint64_t size, uint64_t jump, uint64_t kernel, uint64_t stride,
                    size_t out, uint64_t *out_size, uint64_t *out_jump,
                    uint64_t *out_extent) {
  *out_size = cna__sat_add(size, cna__sat_mul(kernel - 1, jump));
  *out_jump = cna__sat_mul(jump, stride);
  *out_extent = cna__sat_add(*out_size, cna__sat_mul(out - 1, *out_jump));
}

void cna__rf_window(const cna__rf *in, uint64_t kernel_h, uint64_t kernel_w,
                    uint64_t stride_h, uint64_t stride_w,
                    const cna__shape *out_shape, cna__rf *out) {
  rf_axis(in->size_h, in->jump_h, kernel_h, stride_h, out_shape->h, &out->size_h,
          &out->jump_h, &out->extent_h);
  rf_axis(in->size_w, in->jump_w, kernel_w, stride_w, out_shape->w, &out->size_w,
          &out->jump_w, &out->extent_w);
}

void cna__rf_global(const cna__rf *in, cna__rf *out) {
  out->size_h = out->jump_h = out->extent_h = in->extent_h;
  out->size_w = out->jump_w = out->extent_w = in->extent_w;
}

void cna__rf_merge(const cna__layer *layer, const cna__shape *inputs,
                   const cna__rf *input_rfs, cna__rf *out) {
  (void)inputs;
  *out = input_rfs[0];
  for (size_t i = 1; i < layer->num_inputs; i++) {
    const cna__rf *r = &input_rfs[i];
    if (r->size_h > out->size_h) out->size_h = r->size_h;
    if (r->size_w > out->size_w) out->size_w = r->size_w;
    if (r->jump_h > out->jump_h) out->jump_h = r->jump_h;
    if (r->jump_w > out->jump_w) out->jump_w = r->jump_w;
    if (r->extent_h > out->extent_h) out->extent_h = r->extent_h;
    if (r->extent_w > out->extent_w) out->extent_w = r->extent_w;
  }
}

/*
 * 2-D convolution. Attributes: out_channels, kernel_h/w, stride_h/w,
 * pad_top/left/bottom/right, dilation_h/w, groups, bias.
 * Tensors: weight (out, in/groups, kh, kw), bias (out) if bias.
 */
#include "common/common.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status conv2d_infer(const cna__layer *layer, const cna__shape *inputs,
                               cna__shape *out) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *in = &inputs[0];
  if (a->out_channels < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': out_channels must be at least 1, found %d",
                      layer->name, a->out_channels);
  if (a->kernel_h < 1 || a->kernel_w < 1 || a->stride_h < 1 || a->stride_w < 1 ||
      a->dilation_h < 1 || a->dilation_w < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': kernel, stride and dilation must be at least 1, "
                      "found kernel %dx%d, stride %dx%d, dilation %dx%d",
                      layer->name, a->kernel_h, a->kernel_w, a->stride_h, a->stride_w,
                      a->dilation_h, a->dilation_w);
  if (a->pad_top < 0 || a->pad_left < 0 || a->pad_bottom < 0 || a->pad_right < 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': padding must be at least 0, found %d,%d,%d,%d",
                      layer->name, a->pad_top, a->pad_left, a->pad_bottom, a->pad_right);
  if (a->groups < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "conv2d '%s': groups must be at least 1, found %d", layer->name,
                      a->groups);
  if (in->c % (size_t)a->groups != 0 || (size_t)a->out_channels % (size_t)a->groups != 0)
    return cna__error(CNA_ERROR_INVALID_SHAPE,
                      "conv2d '%s': %d groups must divide the input channels (%zu) "
                      "and the output channels (%d)",
                      layer->name, a->groups, in->c, a->out_channels);
  size_t oh = cna__window_output(in->h, a->kernel_h, a->stride_h, a->pad_top,
                                 a->pad_bottom, a->dilation_h, 0);
  size_t ow = cna__window_output(in->w, a->kernel_w, a->stride_w, a->pad_left,
                                 a->pad_right, a->dilation_w, 0);
  if (oh == 0 || ow == 0)
    return cna__error(CNA_ERROR_INVALID_SHAPE,
                      "conv2d '%s': kernel %dx%d (dilation %dx%d) is larger than the "
                      "padded input %zux%zu (input %zux%zu, padding %d,%d,%d,%d)",
                      layer->name, a->kernel_h, a->kernel_w, a->dilation_h, a->dilation_w,
                      in->h + (size_t)a->pad_top + (size_t)a->pad_bottom,
                      in->w + (size_t)a->pad_left + (size_t)a->pad_right, in->h, in->w,
                      a->pad_top, a->pad_left, a->pad_bottom, a->pad_right);
  out->c = (size_t)a->out_channels;
  out->h = oh;
  out->w = ow;
  return CNA_OK;
}

static size_t conv2d_tensors(const cna__layer *layer, const cna__shape *inputs,
                             cna__tensor_desc *d) {
  const cna__attrs *a = &layer->attrs;
  const size_t in_per_group = inputs[0].c / (size_t)a->groups;
  d[0] = (cna__tensor_desc){
      .kind = "weight",
      .ndim = 4,
      .dims = {(size_t)a->out_channels, in_per_group, (size_t)a->kernel_h,
               (size_t)a->kernel_w},
      .init = CNA__INIT_HE_UNIFORM,
      .fan_in = in_per_group * (size_t)a->kernel_h * (size_t)a->kernel_w,
      .is_parameter = 1,
  };
  if (!a->bias) return 1;
  d[1] = (cna__tensor_desc){.kind = "bias",
                            .ndim = 1,
                            .dims = {(size_t)a->out_channels},
                            .init = CNA__INIT_ZERO,
                            .is_parameter = 1};
  return 2;
}

static uint64_t conv2d_macs(const cna__layer *layer, const cna__shape *inputs) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *o = &layer->out;
  return (uint64_t)o->c * o->h * o->w * (inputs[0].c / (uint64_t)a->groups) *
         (uint64_t)a->kernel_h * (uint64_t)a->kernel_w;
}

static void conv2d_rf(const cna__layer *layer, const cna__shape *inputs,
                      const cna__rf *in, cna__rf *out) {
  (void)inputs;
  const cna__attrs *a = &layer->attrs;
  cna__rf_window(in, (uint64_t)a->dilation_h * (uint64_t)(a->kernel_h - 1) + 1,
                 (uint64_t)a->dilation_w * (uint64_t)(a->kernel_w - 1) + 1,
                 (uint64_t)a->stride_h, (uint64_t)a->stride_w, &layer->out, out);
}

/* Through the dispatched GEMM: per image and group, weights (out/groups x
 * K) times the unfolded input (K x out_h*out_w), K = in/groups*kh*kw. A 1x1
 * convolution at stride 1 without padding multiplies the input as it is. */
static cna_status conv2d_by_gemm(const cna__layer *layer, const cna__forward_args *args,
                                 const cna_conv2d_params *p, const cna__kernels *kernels) {
  const cna__attrs *a = &layer->attrs;
  const size_t groups = p->groups, in_group = p->in_channels / groups;
  const size_t out_group = p->out_channels / groups;
  const size_t k = in_group * p->kernel_h * p->kernel_w;
  const size_t n = p->out_height * p->out_width;
  const size_t plane = p->in_height * p->in_width;
  const int pointwise = a->kernel_h == 1 && a->kernel_w == 1 && a->stride_h == 1 &&
                        a->stride_w == 1 && a->pad_top == 0 && a->pad_left == 0 &&
                        a->pad_bottom == 0 && a->pad_right == 0;
  float *columns = NULL;
  if (!pointwise) {
    columns = cna__aligned_alloc(k * n * sizeof(float));
    if (columns == NULL)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "conv2d '%s': out of memory for a %zux%zu unfolded input", layer->name,
                        k, n);
  }
  cna_conv2d_params group = *p;
  group.in_channels = in_group;
  group.out_channels = out_group;
  group.groups = 1;
  const float *bias = a->bias ? args->tensors[1] : NULL;
  for (size_t b = 0; b < args->batch; b++)
    for (size_t g = 0; g < groups; g++) {
      const float *src = args->inputs[0] + (b * p->in_channels + g * in_group) * plane;
      if (!pointwise) cna_f32_im2col__scalar(&group, src, columns);
      kernels->gemm(out_group, n, k, args->tensors[0] + g * out_group * k, k,
                    pointwise ? src : columns, n, bias != NULL ? bias + g * out_group : NULL,
                    args->output + (b * p->out_channels + g * out_group) * n, n);
    }
  cna__aligned_free(columns);
  return CNA_OK;
}

static cna_status conv2d_forward(const cna__layer *layer, const cna__forward_args *args) {
  const cna__attrs *a = &layer->attrs;
  const cna__shape *in = &args->input_shapes[0];
  const cna_conv2d_params p = {
      .in_channels = in->c, .in_height = in->h, .in_width = in->w,
      .out_channels = layer->out.c, .out_height = layer->out.h, .out_width = layer->out.w,
      .kernel_h = (size_t)a->kernel_h, .kernel_w = (size_t)a->kernel_w,
      .stride_h = (size_t)a->stride_h, .stride_w = (size_t)a->stride_w,
      .pad_top = (size_t)a->pad_top, .pad_left = (size_t)a->pad_left,
      .dilation_h = (size_t)a->dilation_h, .dilation_w = (size_t)a->dilation_w,
      .groups = (size_t)a->groups,
  };
  const cna__kernels *kernels = cna__kernels_get();
  if (kernels->conv_by_gemm) return conv2d_by_gemm(layer, args, &p, kernels);
  const size_t in_size = in->c * in->h * in->w;
  const size_t out_size = layer->out.c * layer->out.h * layer->out.w;
  const float *bias = a->bias ? args->tensors[1] : NULL;
  for (size_t n = 0; n < args->batch; n++)
    cna_f32_conv2d__scalar(&p, args->inputs[0] + n * in_size, args->tensors[0], bias,
                           args->output + n * out_size);
  return CNA_OK;
}

const cna__layer_ops cna__conv2d_ops = {
    .type_name = "conv2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = conv2d_infer,
    .tensors = conv2d_tensors,
    .macs = conv2d_macs,
    .receptive_field = conv2d_rf,
    .forward = conv2d_forward,
    .has_weights = 1,
};

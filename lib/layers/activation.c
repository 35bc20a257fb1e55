/* Element-wise activations (relu, tanh) and softmax over channels. No
 * attributes, no tensors; the output has the input's shape. */
#include "common/common.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

static cna_status relu_forward(const cna__layer *layer, const cna__forward_args *args) {
  cna_f32_relu__scalar(args->batch * cna__shape_elems(&layer->out), args->inputs[0], args->output);
  return CNA_OK;
}

static cna_status tanh_forward(const cna__layer *layer, const cna__forward_args *args) {
  cna_f32_tanh__scalar(args->batch * cna__shape_elems(&layer->out), args->inputs[0], args->output);
  return CNA_OK;
}

static cna_status softmax_forward(const cna__layer *layer,
                                  const cna__forward_args *args) {
  const cna__shape *s = &layer->out;
  for (size_t n = 0; n < args->batch; n++)
    cna_f32_softmax__scalar(s->c, s->h * s->w, args->inputs[0] + n * cna__shape_elems(s),
                            args->output + n * cna__shape_elems(s));
  return CNA_OK;
}

const cna__layer_ops cna__relu_ops = {
    .type_name = "relu",
    .in_place = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = cna__infer_same_shape,
    .forward = relu_forward,
};

const cna__layer_ops cna__tanh_ops = {
    .type_name = "tanh",
    .in_place = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = cna__infer_same_shape,
    .forward = tanh_forward,
};

/* Three passes over each position's channels: the maximum, the sum of
 * exponentials, the division. */
static uint64_t softmax_ops(const cna__layer *layer, const cna__shape *inputs) {
  (void)inputs;
  return cna__sat_mul(cna__shape_elems(&layer->out), 3);
}

const cna__layer_ops cna__softmax_ops = {
    .type_name = "softmax",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = cna__infer_same_shape,
    .ops = softmax_ops,
    .forward = softmax_forward,
};

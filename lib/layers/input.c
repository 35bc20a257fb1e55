/* The network input. Attributes: out_channels, out_h, out_w (the image). */
#include "common/common.h"
#include "layers/layer.h"

static cna_status input_infer(const cna__layer *layer, const cna__shape *inputs,
                              cna__shape *out) {
  (void)inputs;
  const cna__attrs *a = &layer->attrs;
  if (a->out_channels < 1 || a->out_h < 1 || a->out_w < 1)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "input '%s': channels, height and width must be at least 1, "
                      "found %dx%dx%d",
                      layer->name, a->out_channels, a->out_h, a->out_w);
  out->c = (size_t)a->out_channels;
  out->h = (size_t)a->out_h;
  out->w = (size_t)a->out_w;
  return CNA_OK;
}

const cna__layer_ops cna__input_ops = {
    .type_name = "input",
    .min_inputs = 0,
    .max_inputs = 0,
    .infer = input_infer,
};

/* Batch norms away from the identity (batch_norms.h). */
#include "batch_norms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tests.h"

void cna_test_set_batch_norms(cna_net *net, const char *prefix) {
  size_t count;
  ck_assert_ok(cna_net_tensor_count(net, &count));
  for (size_t t = 0; t < count; t++) {
    const char *name;
    size_t ndim, dims[4];
    ck_assert_ok(cna_net_tensor_name(net, t, &name));
    ck_assert_ok(cna_net_tensor_shape(net, t, &ndim, dims));
    const char *dot = strrchr(name, '.'), *kind = dot != NULL ? dot + 1 : name;
    const int mean = strcmp(kind, "running_mean") == 0, var = strcmp(kind, "running_var") == 0;
    const int bn = mean || var || ((strcmp(kind, "weight") == 0 || strcmp(kind, "bias") == 0) &&
                                   ndim == 1 && strncmp(name, prefix, strlen(prefix)) == 0);
    if (!bn) continue;
    float *v = malloc(dims[0] * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t c = 0; c < dims[0]; c++) {
      const float wave = (float)sin(0.7 * (double)c + (double)t);
      v[c] = var ? 0.5f + 0.4f * wave : mean ? 0.2f * wave : strcmp(kind, "weight") == 0
                                                               ? 1.3f + 0.5f * wave
                                                               : 0.3f * wave;
    }
    ck_assert_ok(cna_net_set_tensor(net, t, v, dims[0]));
    free(v);
  }
}

/* Whole nets on the scalar path in a child process (scalar_child.h). */
#define _POSIX_C_SOURCE 200809L /* fork, setenv */
#include "scalar_child.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cnnarch.h"

float *cna_test_net_input(size_t size) {
  unsigned state = 5;
  float *x = malloc((size ? size : 1) * sizeof *x);
  for (size_t i = 0; x != NULL && i < size; i++) {
    state = state * 1664525u + 1013904223u;
    x[i] = (float)(state >> 8) / (float)(1u << 23) - 1.0f;
  }
  return x;
}

/* The child: computes and writes the size, then the floats; exits 0 on
 * success. */
static void child(int fd, const char *arch, const char *const *names, size_t count) {
  setenv("CNNARCH_ISA", "scalar", 1);
  cna_net *net;
  size_t shape[3], n = 0;
  if (strcmp(cna_isa(), "scalar") != 0 || cna_net_create_arch(arch, NULL, &net) != CNA_OK ||
      cna_net_input_shape(net, shape) != CNA_OK)
    _exit(1);
  size_t *offsets = malloc((count + 1) * sizeof *offsets);
  float **outputs = malloc((count ? count : 1) * sizeof *outputs);
  if (offsets == NULL || outputs == NULL) _exit(1);
  if (names == NULL) {
    if (cna_net_output_size(net, &n) != CNA_OK) _exit(1);
  } else {
    for (size_t k = 0; k < count; k++) {
      size_t index, s[3];
      if (cna_net_find_layer(net, names[k], &index) != CNA_OK ||
          cna_net_layer_output_shape(net, index, s) != CNA_OK)
        _exit(1);
      offsets[k] = n;
      n += s[0] * s[1] * s[2];
    }
  }
  float *x = cna_test_net_input(shape[0] * shape[1] * shape[2]), *y = malloc(n * sizeof *y);
  if (x == NULL || y == NULL) _exit(1);
  for (size_t k = 0; k < count; k++) outputs[k] = y + offsets[k];
  cna_status st = names == NULL ? cna_net_forward(net, x, 1, y)
                                : cna_net_forward_features(net, x, 1, names, count, outputs);
  if (st != CNA_OK || write(fd, &n, sizeof n) != sizeof n ||
      write(fd, y, n * sizeof *y) != (ssize_t)(n * sizeof *y))
    _exit(1);
  _exit(0);
}

float *cna_test_scalar_run(const char *arch, const char *const *names, size_t count,
                           size_t *size) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    return NULL;
  }
  if (pid == 0) {
    close(fds[0]);
    child(fds[1], arch, names, count);
  }
  close(fds[1]);
  size_t n = 0, got = 0;
  float *y = NULL;
  if (read(fds[0], &n, sizeof n) == sizeof n && n > 0 && n < ((size_t)1 << 26)) {
    y = malloc(n * sizeof *y);
    while (y != NULL && got < n * sizeof *y) {
      ssize_t r = read(fds[0], (char *)y + got, n * sizeof *y - got);
      if (r <= 0) break;
      got += (size_t)r;
    }
  }
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || y == NULL || got != n * sizeof *y) {
    free(y);
    return NULL;
  }
  *size = n;
  return y;
}

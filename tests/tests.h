/* Shared declarations of the Check test suites (one file per area). */
#ifndef CNA_TESTS_H
#define CNA_TESTS_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cnnarch.h"

Suite *cna_test_api_suite(void);
Suite *cna_test_layers_suite(void);
Suite *cna_test_zoo_suite(void);
Suite *cna_test_forward_suite(void);
Suite *cna_test_format_suite(void);
Suite *cna_test_kernels_suite(void);
Suite *cna_test_format_corrupt_suite(void);
Suite *cna_test_image_suite(void);
Suite *cna_test_concurrency_suite(void);
Suite *cna_test_numerics_suite(void);
Suite *cna_test_limits_suite(void);
Suite *cna_test_ensemble_suite(void);
Suite *cna_test_features_suite(void);
Suite *cna_test_dot_suite(void);

/* Asserts that a call returns the expected status, printing the library's
 * message when it does not. */
#define ck_assert_status(call, expected)                                                  \
  do {                                                                                    \
    cna_status ck_s_ = (call);                                                            \
    ck_assert_msg(ck_s_ == (expected), "%s returned %s (%s), expected %s", #call,         \
                  cna_status_string(ck_s_), cna_last_error_message(),                     \
                  cna_status_string(expected));                                           \
  } while (0)

#define ck_assert_ok(call) ck_assert_status(call, CNA_OK)

/* Asserts that the thread's last error message contains the text. */
#define ck_assert_message_has(text)                                                       \
  ck_assert_msg(strstr(cna_last_error_message(), (text)) != NULL,                        \
                "message \"%s\" lacks \"%s\"", cna_last_error_message(), (text))

/* Floats of one input image of the net. */
static inline size_t cna_test_input_size(const cna_net *net) {
  size_t shape[3];
  ck_assert_ok(cna_net_input_shape(net, shape));
  return shape[0] * shape[1] * shape[2];
}

/* CNNARCH_TEST_EMULATED=1 (set by make check-aarch64, whose suites run
 * under qemu-aarch64, 5 to 70 times slower than natively) trims the
 * heaviest loops over whole networks to a representative subset; each
 * place says what it leaves out. Nothing is trimmed natively. */
static inline int cna_test_emulated(void) {
  const char *v = getenv("CNNARCH_TEST_EMULATED");
  return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/* Under emulation, the zoo entries above 60 million parameters (VGG,
 * AlexNet, ZFNet and the wide ResNets: most of the zoo's weights, in
 * layer types the smaller entries also have) are left out of loops over
 * the whole zoo. */
static inline int cna_test_skip_big_arch(const char *arch) {
  static const char *const big[] = {"vgg", "alexnet", "zfnet", "wide_", "resnext101_",
                                     "resnet152"};
  if (!cna_test_emulated()) return 0;
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
    if (strncmp(arch, big[i], strlen(big[i])) == 0) return 1;
  return 0;
}

#endif /* CNA_TESTS_H */

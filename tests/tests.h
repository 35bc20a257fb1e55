/* Shared declarations of the Check test suites (one file per area). */
#ifndef CNA_TESTS_H
#define CNA_TESTS_H

#include <check.h>

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

#endif /* CNA_TESTS_H */

/* The Check runner: every suite, one summary line at the end. */
#include <stdlib.h>

#include "tests.h"

int main(void) {
  SRunner *runner = srunner_create(cna_test_api_suite());
  srunner_add_suite(runner, cna_test_layers_suite());
  srunner_add_suite(runner, cna_test_zoo_suite());
  srunner_add_suite(runner, cna_test_forward_suite());
  srunner_add_suite(runner, cna_test_format_suite());
  srunner_add_suite(runner, cna_test_kernels_suite());
  srunner_add_suite(runner, cna_test_format_corrupt_suite());
  srunner_add_suite(runner, cna_test_image_suite());
  srunner_add_suite(runner, cna_test_concurrency_suite());
  srunner_add_suite(runner, cna_test_numerics_suite());
  srunner_add_suite(runner, cna_test_limits_suite());
  srunner_add_suite(runner, cna_test_ensemble_suite());
  srunner_add_suite(runner, cna_test_features_suite());
  srunner_add_suite(runner, cna_test_dot_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

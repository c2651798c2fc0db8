/* cunit_main.c - the shared CUnit runner. */
#include "tests/unit/cunit_main.h"

#include <stdio.h>
#include <stdlib.h>

int st_test_run(const char *suite, const st_test *tests, int (*init)(void),
                int (*cleanup)(void)) {
  CU_pSuite s;
  unsigned failed;

  if (CU_initialize_registry() != CUE_SUCCESS) {
    fprintf(stderr, "CUnit: cannot initialize the registry\n");
    return 2;
  }
  s = CU_add_suite(suite, init, cleanup);
  if (s == NULL) {
    CU_cleanup_registry();
    return 2;
  }
  for (const st_test *t = tests; t->name != NULL; t++) {
    if (CU_add_test(s, t->name, t->fn) == NULL) {
      CU_cleanup_registry();
      return 2;
    }
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
           CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed == 0 ? 0 : 1;
}

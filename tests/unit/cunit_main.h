/* cunit_main.h - a table-driven CUnit runner shared by every unit test.
 *
 * A test file defines its static test functions, a table
 *   static const st_test tests[] = {{"name", fn}, ..., {NULL, NULL}};
 * and ends with ST_TEST_MAIN("suite", tests). The exit code is non-zero
 * when any assertion failed, so `bazel test` reports failures.
 */
#ifndef ST_TESTS_CUNIT_MAIN_H
#define ST_TESTS_CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

typedef struct st_test {
  const char *name;
  void (*fn)(void);
} st_test;

/* Runs every test of the table in one suite; returns the process exit code. */
int st_test_run(const char *suite, const st_test *tests, int (*init)(void),
                int (*cleanup)(void));

#define ST_TEST_MAIN(suite, table)                \
  int main(void) {                                \
    return st_test_run(suite, table, NULL, NULL); \
  }

#define ST_TEST_MAIN_WITH(suite, table, init, cleanup) \
  int main(void) {                                     \
    return st_test_run(suite, table, init, cleanup);   \
  }

#endif

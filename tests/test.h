/* A small test harness for the kernel's unit tests: CHECK macros that
 * report file:line and go on, a temporary folder per test run, and a
 * runner. Each tests/test_<part>.c is one executable (one meson test). */
#ifndef FR_TEST_H
#define FR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <filrouge/error.h>

extern int test_failures;
extern const char *test_current;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__, test_current,    \
                    #cond);                                                                        \
        }                                                                                          \
    } while (0)

/* rc must be 0; prints the error message otherwise. */
#define CHECK_OK(rc, err)                                                                          \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ != 0) {                                                                            \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: [%s] expected success, got %d: %s\n", __FILE__, __LINE__,      \
                    test_current, rc_, (err)->message);                                            \
        }                                                                                          \
    } while (0)

/* rc must equal code, and the error message must contain `needle`. */
#define CHECK_ERR(rc, code, err, needle)                                                           \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ != (code) || !strstr((err)->message, (needle))) {                                  \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: [%s] expected error %d containing \"%s\", got %d: %s\n",       \
                    __FILE__, __LINE__, test_current, (code), (needle), rc_, (err)->message);      \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: [%s] expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,       \
                    test_current, b_ ? b_ : "(null)", a_ ? a_ : "(null)");                         \
        }                                                                                          \
    } while (0)

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

/* A fresh folder under the build tree for this test binary; removed at the
 * end when every test passed. Returns a path valid until exit. */
const char *test_tmpdir(void);
/* A new sub-folder path inside test_tmpdir() (not created). */
const char *test_path(const char *name);
/* Writes text to a file (creating parent folders). */
void test_write_file(const char *path, const char *text);

/* The source tree's tests/data folder (TEST_DATA_DIR) and the build tree's
 * test plugin folder (TEST_PLUGIN_DIR), from meson. */
const char *test_data(const char *rel);

/* The store the tests run on: FILROUGE_TEST_STORE (a postgresql:// URI of
 * a server the tests may fill, see tests/pg/with-postgres.sh) or, when
 * unset, SQLite files in test_tmpdir(). */
int test_on_pg(void);
/* A new, empty database for a store test: a file test_path(name) on
 * SQLite; on PostgreSQL a fresh schema of the test server (the URI selects
 * it through search_path). Valid until exit. */
const char *test_store_location(const char *name);
/* The `database` option for fr_site_init: NULL (the site's own SQLite
 * file) or, on PostgreSQL, a fresh schema as above. */
const char *test_site_database(void);

/* The <database> text of the site in `dir` as its site.xml holds it
 * (XML-escaped: to write into a new site.xml), and the location it names
 * (to open the site's store directly). Valid until exit. */
const char *test_site_db_xml(const char *dir);
const char *test_site_db(const char *dir);

int test_run(const test_case *tests, int argc, char **argv);

#define TEST_MAIN(...)                                                                             \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const test_case tests_[] = {__VA_ARGS__, {NULL, NULL}};                             \
        return test_run(tests_, argc, argv);                                                       \
    }

#endif

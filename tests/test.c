/* The test harness's runner and temporary folders (see test.h). */
#include "test.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

int test_failures;
const char *test_current = "";
static char tmpdir[4096];

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TEST_TMP_BASE");
        snprintf(tmpdir, sizeof tmpdir, "%s/frtest-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(99);
        }
    }
    return tmpdir;
}

const char *test_path(const char *name)
{
    static char paths[64][4096];
    static int next;
    char *p = paths[next++ % 64];
    snprintf(p, 4096, "%s/%s", test_tmpdir(), name);
    return p;
}

static void make_parents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
}

void test_write_file(const char *path, const char *text)
{
    make_parents(path);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(99);
    }
    fputs(text, f);
    fclose(f);
}

const char *test_data(const char *rel)
{
    static char paths[16][4096];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 4096, "%s/%s", TEST_DATA_DIR, rel);
    return p;
}

int test_run(const test_case *tests, int argc, char **argv)
{
    int run = 0, failed = 0;
    for (const test_case *t = tests; t->name; t++) {
        if (argc > 1 && strcmp(argv[1], t->name) != 0)
            continue;
        int before = test_failures;
        test_current = t->name;
        t->fn();
        run++;
        if (test_failures != before) {
            failed++;
            printf("FAIL %s\n", t->name);
        } else {
            printf("ok   %s\n", t->name);
        }
    }
    printf("%d tests, %d failed\n", run, failed);
    if (failed == 0 && tmpdir[0] && !getenv("TEST_KEEP")) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return failed ? 1 : 0;
}

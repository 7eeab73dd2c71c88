/* The test harness's runner and temporary folders (see test.h). */
#include "test.h"

#include "store.h"

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

int test_on_pg(void)
{
    const char *t = getenv("FILROUGE_TEST_STORE");
    return t && *t;
}

const char *test_store_location(const char *name)
{
    if (!test_on_pg())
        return test_path(name);
    static char uris[64][4096];
    static int next;
    char schema[64];
    snprintf(schema, sizeof schema, "t%ld_%d", (long)getpid(), next);
    const char *base = getenv("FILROUGE_TEST_STORE");
    fr_store *admin = NULL;
    fr_error err = {0};
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
    if (fr_store_open(base, NULL, &admin, &err) || fr_store_exec(admin, sql, &err)) {
        fprintf(stderr, "cannot make a test schema on %s: %s\n", base, err.message);
        exit(99);
    }
    fr_store_close(admin);
    char *u = uris[next++ % 64];
    snprintf(u, 4096, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
             schema);
    return u;
}

const char *test_site_database(void)
{
    return test_on_pg() ? test_store_location("site") : NULL;
}

const char *test_site_db_xml(const char *dir)
{
    static char texts[16][4096];
    static int next;
    char *t = texts[next++ % 16], path[4200], file[16384];
    snprintf(path, sizeof path, "%s/site.xml", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(file, 1, sizeof file - 1, f) : 0;
    if (f)
        fclose(f);
    file[n] = '\0';
    const char *a = strstr(file, "<database>"), *b = a ? strstr(a, "</database>") : NULL;
    if (!b) {
        fprintf(stderr, "%s names no <database>\n", path);
        exit(99);
    }
    a += strlen("<database>");
    snprintf(t, 4096, "%.*s", (int)(b - a), a);
    return t;
}

const char *test_site_db(const char *dir)
{
    static char locations[16][4096];
    static int next;
    char *l = locations[next++ % 16], *o = l;
    for (const char *p = test_site_db_xml(dir); *p && o < l + 4095; p++) {
        *o++ = *p;
        if (strncmp(p, "&amp;", 5) == 0)
            p += 4;
    }
    *o = '\0';
    if (l[0] == '/' || test_on_pg())
        return l;
    char name[4096];
    snprintf(name, sizeof name, "%s", l);
    snprintf(l, 4096, "%s/%s", dir, name);
    return l;
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

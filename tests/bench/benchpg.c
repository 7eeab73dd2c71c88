/* The PostgreSQL column of the benchmarks (benchpg.h). */
#include "benchpg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *benchpg_base(void)
{
    const char *b = getenv("FILROUGE_TEST_STORE");
    return b && *b ? b : NULL;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *connect_or_die(const char *uri)
{
    PGconn *c = PQconnectdb(uri);
    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench: cannot connect to %s: %s\n", uri, PQerrorMessage(c));
        exit(1);
    }
    return c;
}

static void exec_or_die(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench: %s: %s\n", sql, PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
}

const char *benchpg_location(const char *name)
{
    static char uris[8][1024];
    static int next;
    const char *base = benchpg_base();
    if (!base)
        return NULL;
    PGconn *c = connect_or_die(base);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
    exec_or_die(c, sql);
    PQfinish(c);
    char *u = uris[next++ % 8];
    snprintf(u, sizeof uris[0], "%s%coptions=-csearch_path%%3D%s", base,
             strchr(base, '?') ? '&' : '?', name);
    return u;
}

void benchpg_describe(char *out, size_t n)
{
    PGconn *c = connect_or_die(benchpg_base());
    PGresult *r = PQexec(c, "SELECT split_part(version(), ' ', 2),"
                            " current_setting('fsync'), current_setting('synchronous_commit')");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(out, n, "PostgreSQL %s, `fsync=%s`, `synchronous_commit=%s`%s",
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
                 strcmp(PQgetvalue(r, 0, 1), "on") == 0
                     ? ""
                     : " (**not durable**: these PostgreSQL figures do not count)");
    else
        snprintf(out, n, "PostgreSQL");
    PQclear(r);
    PQfinish(c);
}

double benchpg_raw_inserts(const char *table, int cols, size_t width, int n, double seconds)
{
    const char *uri = benchpg_location(table);
    PGconn *c = connect_or_die(uri);
    char sql[512];
    size_t len = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE t (id BIGSERIAL PRIMARY KEY");
    for (int k = 0; k < cols; k++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, ", c%d TEXT", k);
    snprintf(sql + len, sizeof sql - len, ")");
    exec_or_die(c, sql);
    len = (size_t)snprintf(sql, sizeof sql, "INSERT INTO t (");
    for (int k = 0; k < cols; k++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%sc%d", k ? ", " : "", k);
    len += (size_t)snprintf(sql + len, sizeof sql - len, ") VALUES (");
    for (int k = 0; k < cols; k++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s$%d", k ? ", " : "", k + 1);
    snprintf(sql + len, sizeof sql - len, ")");
    PGresult *r = PQprepare(c, "ins", sql, cols, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bench: prepare: %s\n", PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    char *pad = malloc(width + 1);
    memset(pad, 'x', width);
    pad[width] = '\0';
    const char *values[16];
    for (int k = 0; k < cols && k < 16; k++)
        values[k] = pad;
    long done = 0;
    double t0 = now_s(), dt = 0;
    while (n ? done < n : (dt = now_s() - t0) < seconds) {
        r = PQexecPrepared(c, "ins", cols, values, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "bench: insert: %s\n", PQerrorMessage(c));
            exit(1);
        }
        PQclear(r);
        done++;
    }
    dt = now_s() - t0;
    free(pad);
    PQfinish(c);
    return (double)done / dt;
}

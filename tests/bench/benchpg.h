/* The PostgreSQL column of the benchmarks. scripts/bench runs the kernel,
 * group commit and scale benchmarks under tests/pg/with-postgres.sh (with
 * PG_DURABLE=1: fsync on), which sets FILROUGE_TEST_STORE to its private
 * server; without it the benchmarks measure SQLite only. */
#ifndef FR_BENCHPG_H
#define FR_BENCHPG_H

#include <stddef.h>

/* The server's URI, or NULL when no PostgreSQL server was given. */
const char *benchpg_base(void);

/* A fresh schema NAME on that server; the URI of an empty database for a
 * site or a store there (search_path set to the schema). */
const char *benchpg_location(const char *name);

/* "PostgreSQL 15.8, fsync on, synchronous_commit on": what the figures
 * were measured on (a cluster without fsync is not durable: said so). */
void benchpg_describe(char *out, size_t n);

/* Raw single-row INSERTs through libpq, one transaction each (autocommit),
 * of `cols` text columns of `width` bytes: `n` rows, or as many as fit in
 * `seconds` when n is 0. Rows per second. */
double benchpg_raw_inserts(const char *table, int cols, size_t width, int n, double seconds);

#endif

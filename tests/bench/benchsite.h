/* A benchmark's site: created in a folder, its database SQLite in the
 * folder (database NULL) or a postgresql:// URI (benchpg_location), opened,
 * with the instruments and frailty plugins enabled. Exits on failure. */
#ifndef FR_BENCHSITE_H
#define FR_BENCHSITE_H

#include "site.h"

fr_site *bench_site(const char *dir, const char *database);

#endif

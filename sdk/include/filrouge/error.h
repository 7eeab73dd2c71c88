/* Filrouge SDK: the one error convention.
 *
 * Every function that can fail returns 0 on success or a negative FR_E* code,
 * and fills an fr_error with a message written for the person who will read
 * it: what happened, where (file:line, field, object), and what to do.
 */
#ifndef FILROUGE_ERROR_H
#define FILROUGE_ERROR_H

#include <stddef.h>

/* A plugin written in C++ includes the same headers: the SDK's functions
 * and the descriptor keep their C names. */
#ifdef __cplusplus
#define FR_EXTERN_C extern "C"
#else
#define FR_EXTERN_C
#endif

#if defined(__GNUC__)
#define FR_API FR_EXTERN_C __attribute__((visibility("default")))
#define FR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FR_API FR_EXTERN_C
#define FR_PRINTF(a, b)
#endif

enum {
    FR_OK = 0,
    FR_EINVAL = -1,    /* the input is invalid (bad XML, bad value, usage) */
    FR_ENOTFOUND = -2, /* the object does not exist */
    FR_EREFUSED = -3,  /* a rule refused the operation (not allowed, guard false) */
    FR_EVETO = -4,     /* a synchronous subscriber vetoed the transaction */
    FR_EACCESS = -5,   /* no care relationship and no audited exception */
    FR_EVERSION = -6,  /* version or ABI mismatch */
    FR_EIO = -7,       /* storage or file system failure */
    FR_EBUSY = -8,     /* the database stayed locked longer than the timeout */
    FR_ENOMEM = -9,    /* out of memory */
    FR_ECONFLICT = -10, /* the object changed since it was read */
    FR_EINTERNAL = -11 /* a bug: please report it */
};

#define FR_ERROR_MAX 1024

typedef struct fr_error {
    int code;
    char message[FR_ERROR_MAX];
} fr_error;

/* Sets err (when not NULL) and returns code, so that one can write
 * `return fr_error_set(err, FR_EINVAL, "...", ...);`. */
FR_API int fr_error_set(fr_error *err, int code, const char *fmt, ...) FR_PRINTF(3, 4);

/* Prefixes the message already in err with more context ("while X: "). */
FR_API void fr_error_prefix(fr_error *err, const char *fmt, ...) FR_PRINTF(2, 3);

/* Clears err to success. */
FR_API void fr_error_clear(fr_error *err);

/* A short stable name for a code ("invalid", "not-found", …), for --json
 * output and API error codes. */
FR_API const char *fr_error_code_name(int code);

#endif

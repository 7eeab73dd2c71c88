/* The error convention (sdk/include/filrouge/error.h): setting, prefixing
 * and naming errors. Printing is left to the callers (CLI, server). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <filrouge/error.h>

FR_API int fr_error_set(fr_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

FR_API void fr_error_prefix(fr_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[FR_ERROR_MAX];
    char old[FR_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    snprintf(err->message, sizeof err->message, "%s%s", prefix, old);
}

FR_API void fr_error_clear(fr_error *err)
{
    if (err) {
        err->code = 0;
        err->message[0] = '\0';
    }
}

FR_API const char *fr_error_code_name(int code)
{
    switch (code) {
    case FR_OK: return "ok";
    case FR_EINVAL: return "invalid";
    case FR_ENOTFOUND: return "not-found";
    case FR_EREFUSED: return "refused";
    case FR_EVETO: return "vetoed";
    case FR_EACCESS: return "access-denied";
    case FR_EVERSION: return "version-mismatch";
    case FR_EIO: return "io-error";
    case FR_EBUSY: return "busy";
    case FR_ENOMEM: return "out-of-memory";
    case FR_ECONFLICT: return "conflict";
    default: return "internal";
    }
}

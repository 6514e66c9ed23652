/* status.c - messages for dj_status codes. */
#include "dualjac/status.h"

const char *dj_strerror(int status)
{
    static const char *const msg[DJ_STATUS_COUNT_] = {
        [DJ_OK] = "success",
        [DJ_EARG] = "invalid argument (NULL pointer or bad option)",
        [DJ_EDIM] = "invalid or inconsistent dimensions",
        [DJ_ENOMEM] = "out of memory",
        [DJ_ENOFORM] = "the function descriptor lacks a form this call needs",
        [DJ_ESINGULAR] = "matrix is singular",
        [DJ_ENOTSPD] = "matrix is not symmetric positive definite",
        [DJ_EDOMAIN] = "argument outside the domain of the operation",
        [DJ_ELAPACK] = "LAPACK reported an unexpected error",
        [DJ_ECALLBACK] = "a user callback failed",
        [DJ_ENONFINITE] = "NaN or Inf in an input that must be finite",
        [DJ_ECHECK] = "derivative check failed: the Jacobian disagrees with the reference",
        [DJ_ENOTSUP] = "operation not supported in this mode",
    };
    if (status < 0)
        return "stopped by a user callback (its return code was passed through)";
    if (status >= DJ_STATUS_COUNT_)
        return "unknown status";
    return msg[status];
}

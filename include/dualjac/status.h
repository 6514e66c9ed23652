/* dualjac/status.h - status codes and their messages.
 *
 * Every dualjac call that can fail returns an int status: DJ_OK (0) on
 * success, one of the positive dj_status codes below on failure. The library
 * never aborts and never prints. A user callback that returns a non-zero
 * value stops the driver that called it, and that value comes back unchanged;
 * use negative values in callbacks (as cminpack does) so they cannot be
 * mistaken for dualjac's own codes. */
#ifndef DUALJAC_STATUS_H
#define DUALJAC_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dj_status {
    DJ_OK = 0,        /* success */
    DJ_EARG,          /* invalid argument: NULL pointer, bad option value */
    DJ_EDIM,          /* invalid or inconsistent size: zero, overflowing,
                         leading dimension too small, shapes that do not match */
    DJ_ENOMEM,        /* an allocation failed */
    DJ_ENOFORM,       /* the dj_function lacks every form this call can use */
    DJ_ESINGULAR,     /* a matrix is singular */
    DJ_ENOTSPD,       /* a matrix is not symmetric positive definite */
    DJ_EDOMAIN,       /* an input is outside the domain of the operation */
    DJ_ELAPACK,       /* LAPACK reported an error it should not have */
    DJ_ECALLBACK,     /* a user callback failed (matrix programs) */
    DJ_ENONFINITE,    /* NaN or Inf where the call cannot accept it */
    DJ_ECHECK,        /* a derivative check ran and found a wrong Jacobian */
    DJ_ENOTSUP,       /* the operation is not available in this mode */
    DJ_STATUS_COUNT_  /* number of codes; not a code */
} dj_status;

/* dj_strerror: a constant, human-readable message for a status code.
 * Never NULL. Negative values are reported as a user callback's stop code;
 * unknown positive values as "unknown status". */
const char *dj_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif

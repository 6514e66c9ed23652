/* tfun.h - the suites' test function (tfun.inc): its parameters, every
 * form from the one source (instantiate.h: tfun_real, tfun_dual, tfun_c8,
 * ..., tfun_rvar; define TFUN_CPLX before including for tfun_cplx too) and
 * its Jacobian by hand. */
#ifndef DJ_TFUN_H
#define DJ_TFUN_H

#include <math.h>
#include <stddef.h>
#include "dualjac.h"

typedef struct tfun_params {
    size_t n;
    int fail_at, calls, fail_code;
} tfun_params;

#define DJ_TEMPLATE "tfun.inc"
#ifdef TFUN_CPLX
#define DJ_TEMPLATE_CPLX 1
#endif
#include <dualjac/instantiate.h>

/* The Jacobian of tfun at x by hand, (n+1)-by-n, leading dimension ld:
 * y_i = sin(x_i) x_{(i+1) mod n} + exp(x_i / 10), y_n = |x|^2. */
static inline void tfun_jac(size_t n, const double *x, double *J, size_t ld)
{
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i <= n; ++i)
            J[i + j * ld] = 0.0;
    for (size_t i = 0; i < n; ++i) {
        size_t k = (i + 1) % n;
        J[i + i * ld] += cos(x[i]) * x[k] + exp(x[i] / 10) / 10;
        J[i + k * ld] += sin(x[i]);
        J[n + i * ld] = 2 * x[i];
    }
}

#endif

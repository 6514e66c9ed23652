/* mgh.h - test problems of Moré, Garbow and Hillstrom, "Testing Unconstrained
 * Optimization Software", ACM TOMS 7(1), 1981: the nonlinear-equation and
 * least-squares problems of variable size, written once with dualjac's
 * generic operations (so each has every form: primal, dual, chunks, tape
 * scalar, and the complex form for the complex step), each with
 * its standard starting point and a hand-derived analytic Jacobian.
 * Shared by the tests and the benchmark; not part of the installed library. */
#ifndef DJ_MGH_H
#define DJ_MGH_H

#include <stddef.h>
#include "dualjac.h"

typedef struct mgh_problem {
    const char *name;    /* short name: "rosenbrock", "trig", "chebyquad", ... */
    const char *title;   /* e.g. "Trigonometric function (MGH 26)" */
    int number;          /* number in the MGH paper */
    size_t n, m;         /* sizes of this instance */
    dj_function F;       /* every form; F.user points to this struct, so
                            do not copy or move it after mgh_init */
} mgh_problem;

/* Number of problems, and the name of problem i (0 <= i < mgh_count()). */
size_t mgh_count(void);
const char *mgh_name(size_t i);

/* mgh_init: set up problem `name` with n variables (m follows from n as in
 * the paper). Returns DJ_OK, DJ_EARG for an unknown name or NULL, DJ_EDIM
 * when n is not allowed for the problem (n == 0, n > 100000, odd n for
 * Rosenbrock, n not a multiple of 4 for Powell).
 * mgh_nearest_n: the smallest allowed n >= n (for size sweeps); 0 for an
 * unknown name or when there is none. */
int mgh_init(mgh_problem *p, const char *name, size_t n);
size_t mgh_nearest_n(const char *name, size_t n);

/* mgh_start: the standard starting point times `factor` (1, 10, 100). x[n]. */
void mgh_start(const mgh_problem *p, double factor, double *x);

/* mgh_jacobian: the analytic Jacobian at x, m-by-n column-major, ldj >= m.
 * Derived by hand, independent of automatic differentiation. */
int mgh_jacobian(const mgh_problem *p, const double *x, double *J, size_t ldj);

#endif

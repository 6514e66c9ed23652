/* peers_dj.h - a plain C interface to dualjac and its test problems for the
 * C++ peer comparison (peers.cpp): the C++ side sees only this header, not
 * dualjac.h (whose generic operations are C11 _Generic). */
#ifndef DJ_PEERS_DJ_H
#define DJ_PEERS_DJ_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pj_prob pj_prob;

/* The problems: an MGH problem ("trig", "chebyquad") with n variables, the
 * MLP y = W2 tanh(W1 x + b1) (matprob_mlp(p, n, h, m, 1)), the inverse of an
 * n-by-n matrix. NULL on failure. */
pj_prob *pj_mgh(const char *name, size_t n);
pj_prob *pj_mlp(size_t n, size_t h, size_t m);
pj_prob *pj_inverse(size_t n);
void pj_free(pj_prob *p);

size_t pj_n(const pj_prob *p);
size_t pj_m(const pj_prob *p);

/* the standard point: mgh_start(p, 1.0, x) or matprob_start(p, 42, x) */
void pj_start(const pj_prob *p, double *x);

/* MLP weights (column-major, as matprob): W1 h-by-n, b1 h, W2 m-by-h */
const double *pj_W1(const pj_prob *p);
const double *pj_b1(const pj_prob *p);
const double *pj_W2(const pj_prob *p);

/* the primal dualjac-bench times: F.f for MGH, matprob_primal_loops */
int pj_primal(const pj_prob *p, const double *x, double *y);

/* J m-by-n column-major, ldj = m.
 * mode 0: dj_jacobian (auto), 1: dj_jacfwd, 2: dj_jacobian reverse. */
int pj_jac(pj_prob *p, int mode, const double *x, double *y, double *J);

/* the hand-derived Jacobian (mgh_jacobian / matprob_jacobian) */
int pj_reference(const pj_prob *p, const double *x, double *J);

/* which mode dj_jacobian's automatic choice takes: "forward"/"reverse" */
const char *pj_auto_mode(const pj_prob *p);
/* dualjac's forward plan: "P passes of W lanes" */
void pj_plan(const pj_prob *p, char *buf, size_t len);

const char *pj_strerror(int rc);
const char *pj_version(void);

#ifdef __cplusplus
}
#endif

#endif

/* peers.h - the peer comparison inside dualjac-bench: the same Jacobians by
 * ADOL-C and by Ceres' Jet type, timed in the same run as dualjac's.
 *
 * The peers are C++ (peers.cpp, compiled into dualjac-bench only when CMake
 * finds them: DJ_PEERS_ADOLC, DJ_PEERS_CERES); without them peers_none.c
 * gives the same calls, which time nothing and say why. The library never
 * depends on either. This header is plain C, also read by the C++ side. */
#ifndef DJ_BENCH_PEERS_H
#define DJ_BENCH_PEERS_H

#include <stddef.h>
#include "bench.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { PEER_ADOLC = 1, PEER_CERES = 2 };

/* One timed peer Jacobian. status: 0 timed and right (err within the
 * tolerance), 1 wrong (err too large or not finite), 2 failed to run. */
typedef struct peer_row {
    char what[24];      /* short name, also the CSV/JSON "what": "adolc_jac",
                           "adolc_fwd", "adolc_rev", "jet8", "jet32", "jetN" */
    char note[64];      /* how: "tape + jacobian()", "N=128, 1 pass", ... */
    int lib;            /* PEER_ADOLC or PEER_CERES */
    int counted;        /* 1: one of the variants the best-peer figure is
                           taken from; 0: shown for information only */
    stat3 t;
    double err;         /* max |J - J_ref| / max(max |J_ref|, 1) */
    int status;
} peer_row;

#define PEER_MAX_ROWS 10
#define PEER_TOL 1e-10  /* the error a peer Jacobian may have */

/* NULL when no peer is built; else e.g. "ADOL-C 2.7.2, Ceres 2.1.0 Jet". */
const char *peers_built(void);
/* Why the peers are not built (configure time), or "". */
const char *peers_why_not(void);
/* The C++ compiler and flags of the peers, or "". */
const char *peers_flags(void);

/* An MGH problem by name (as mgh_init; m its number of residuals), at x[n],
 * checked against Jref (m-by-n, column-major, the hand-derived Jacobian).
 * Fills rows[PEER_MAX_ROWS]; returns how many. */
int peers_mgh(const opts *o, const char *name, size_t n, size_t m, const double *x,
              const double *Jref, peer_row *rows);

/* A matrix program (the kinds of matprob.h: 0 mlp, 1 inverse, 2 logdet),
 * transcribed from matprob_primal_loops: the MLP y = W2 tanh(W1 x + b1)
 * with n, h, m and column-major weights, or the n-by-n inverse / logdet
 * (W1, b1, W2 NULL). x, Jref and rows as peers_mgh. */
int peers_mat(const opts *o, int kind, size_t n, size_t h, size_t m, const double *W1,
              const double *b1, const double *W2, const double *x, const double *Jref,
              peer_row *rows);

#ifdef __cplusplus
}
#endif

#endif

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

/* One peer Jacobian: what to time (run(ctx) computes it, returns 0) and,
 * after peers_check, how it compares with the reference. status: 0 right
 * (err within PEER_TOL), 1 wrong (err too large or not finite), 2 failed
 * to run. */
typedef struct peer_row {
    char what[24];      /* short name, also the CSV/JSON "what": "adolc_jac",
                           "adolc_fwd", "adolc_rev", "jet8", "jet32", "jetN" */
    char note[64];      /* how: "tape + jacobian()", "Jet<128>, 1 pass", ... */
    int lib;            /* PEER_ADOLC or PEER_CERES */
    int counted;        /* 1: one of the variants the best-peer figure is
                           taken from; 0: shown for information only */
    bench_fn run;       /* one Jacobian at the point */
    void *ctx;
    stat3 t;            /* filled by the caller's timing */
    double err;         /* max |J - J_ref| / max(max |J_ref|, 1) */
    int status;
} peer_row;

#define PEER_TOL 1e-10  /* the error a peer Jacobian may have */

/* The peers' Jacobians of one problem at one point, ready to be timed
 * (peers_rows) and checked (peers_check). */
typedef struct peer_set peer_set;

/* NULL when no peer is built; else e.g. "ADOL-C 2.7.2, Ceres 2.1.0 Jet". */
const char *peers_built(void);
/* Why the peers are not built (configure time), or "". */
const char *peers_why_not(void);
/* The C++ compiler and flags of the peers, or "". */
const char *peers_flags(void);

/* An MGH problem by name (as mgh_init; m its number of residuals), at x[n],
 * to be checked against Jref (m-by-n, column-major, the hand-derived
 * Jacobian). x and Jref must outlive the set. NULL: no peer, or unknown. */
peer_set *peers_mgh(const char *name, size_t n, size_t m, const double *x, const double *Jref);

/* A matrix program (the kinds of matprob.h: 0 mlp, 1 inverse, 2 logdet),
 * transcribed from matprob_primal_loops: the MLP y = W2 tanh(W1 x + b1)
 * with n, h, m and column-major weights, or the n-by-n inverse / logdet
 * (W1, b1, W2 NULL). x, Jref as peers_mgh; the weights must outlive it. */
peer_set *peers_mat(int kind, size_t n, size_t h, size_t m, const double *W1,
                    const double *b1, const double *W2, const double *x, const double *Jref);

/* The rows of a set (NULL set: none); *count set to their number. */
peer_row *peers_rows(peer_set *s, int *count);
/* Runs each row once more and fills err and status. */
void peers_check(peer_set *s);
/* Frees a set; NULL is a no-op. */
void peers_free(peer_set *s);

#ifdef __cplusplus
}
#endif

#endif

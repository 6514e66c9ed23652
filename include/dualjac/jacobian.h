/* dualjac/jacobian.h - function descriptors and the forward-mode drivers.
 *
 * Layout: numerator layout. For y = f(x), x in R^n, y in R^m, the Jacobian J
 * is m-by-n (row i is the gradient of y_i), stored column-major in a
 * caller-owned array with leading dimension ldj >= m: J_ij = J[i + j*ldj].
 * That is what LAPACKE (LAPACK_COL_MAJOR) and MINPACK-style solvers take.
 *
 * The user gives f in one or more forms, all with the same signature on
 * different scalar types (instantiate.h makes them from one source):
 *
 *     int f(void *user, const T *x, T *y);     x[n], y[m]
 *
 * A form returns 0 on success. Any non-zero return stops the driver that
 * called it, and the driver returns that value unchanged (use negative values
 * so they cannot be confused with dj_status codes).
 *
 * What every driver checks, once, before it evaluates anything (nothing is
 * written then):
 *   DJ_EARG  F, x or a required output is NULL; an option out of range
 *            (opts->chunk not a width, opts->mode unknown).
 *   DJ_EDIM  n or m is 0, or n + m values of the widest chunk would not be
 *            addressable; p or q is 0; a leading dimension is below the
 *            rows it must hold (ldj < m, ldv < n, ...), or ld times the
 *            number of columns overflows (no such array can exist).
 * x, V and W may hold NaN or Inf: they propagate as IEEE arithmetic does
 * (the rules of rules.h at kinks and domain edges); a matrix program's
 * LAPACK-backed operations reject them (DJ_ENONFINITE, linalg.h).
 * Once the arguments are accepted, a failure (a form's own code,
 * DJ_ENOFORM, DJ_ENOMEM, a matrix program's context status, DJ_ECALLBACK
 * for a program that returns no result, DJ_EDIM for one whose result does
 * not have m entries) leaves y (when given) and the whole output block
 * (the m-by-n J, m-by-p JV, n-by-q JTW) set to NaN, never a partial
 * result; nothing outside that block is written.
 *
 * Memory: the forward drivers hold the n + m input and output values of
 * one pass (n + m times the size of one chunk value, plus 2 KB that keeps
 * the outputs off the inputs' 4 KB offsets) in a workspace of the
 * calling thread, allocated through the allocator hook (alloc.h) by the
 * first call that needs it and kept until the thread exits (or
 * dj_workspace_release): later calls allocate nothing, and a repeated
 * Jacobian of the same size writes only the inputs' values, not their
 * seeded lanes. Runs that need more than 256 KB, and runs started inside a
 * form (a form calling a driver), allocate their own and free it before
 * returning. Forms must not write their inputs (they are const). */
#ifndef DUALJAC_JACOBIAN_H
#define DUALJAC_JACOBIAN_H

#include <stddef.h>
#include "dual.h"
#include "chunk.h"
#include "mat.h"
#include "rvar.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*dj_fn_real)(void *user, const double *x, double *y);
typedef int (*dj_fn_dual)(void *user, const dj_dual *x, dj_dual *y);
typedef int (*dj_fn_c8)(void *user, const dj_c8 *x, dj_c8 *y);
typedef int (*dj_fn_c16)(void *user, const dj_c16 *x, dj_c16 *y);
typedef int (*dj_fn_c32)(void *user, const dj_c32 *x, dj_c32 *y);
typedef int (*dj_fn_c64)(void *user, const dj_c64 *x, dj_c64 *y);
typedef int (*dj_fn_rvar)(void *user, const dj_rvar *x, dj_rvar *y);

/* A matrix program: x is the input as an n-by-1 dj_mat (reshape or slice it
 * into the matrices it stands for, in vec order); the program builds its
 * result with the operations of mat.h/linalg.h in the context c and stores
 * it in *y (any shape with m entries; vec order is the output order).
 * Return 0; a non-zero return stops the driver (the value comes back), and
 * so does a failed context (its status comes back). The same program runs
 * in primal and forward mode unchanged. */
typedef int (*dj_fn_mat)(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y);

/* A function f: R^n -> R^m and the forms it is given in. Any form may be
 * NULL; each driver says which forms it can use. */
typedef struct dj_function {
    size_t n;            /* number of inputs  (>= 1) */
    size_t m;            /* number of outputs (>= 1) */
    void *user;          /* passed unchanged to every form */
    dj_fn_real f;        /* primal */
    dj_fn_dual f_dual;   /* one tangent */
    dj_fn_c8 f_c8;       /* 8, 16, 32, 64 tangent lanes */
    dj_fn_c16 f_c16;
    dj_fn_c32 f_c32;
    dj_fn_c64 f_c64;
    dj_fn_rvar f_rvar;   /* reverse mode (tape scalar) */
    dj_fn_mat f_mat;     /* matrix program; when given, the derivative
                            drivers use it rather than the scalar forms */
#if !defined(__STDC_NO_COMPLEX__) && !defined(__cplusplus)
    /* complex form: f on double _Complex, x[n], y[m], for the complex step
       (dj_fd_complex, DJ_CHECK_REF_COMPLEX in check.h). Only the checks use
       it. It must be complex-safe (analytic in each x_j near the real
       axis); DJ_FORMS_CPLX in instantiate.h makes it from the same source
       as the other forms (generic.h lists the safe operations). Without
       C99 complex (or in C++) the field keeps its place as an opaque
       pointer: leave it NULL there. */
    int (*f_cplx)(void *user, const double _Complex *x, double _Complex *y);
#else
    int (*f_cplx)(void *user, const void *x, void *y);
#endif
    int chunk_hint;      /* widest chunk the forms run fastest at, or 0:
                            DJ_FORMS sets DJ_CHUNK_HINT of the translation
                            unit that compiled them (see chunk.h) */
    dj_fn_c8 fast_c8;    /* optional: f_c8 ... f_c64 made of the chunks'
                            unguarded operations (chunk.h), as DJ_FORMS
                            gives them. A forward pass runs fast_cN and
                            keeps its result unless a partial in it was
                            infinite or NaN; then it runs f_cN on the same
                            inputs (so a form may run twice in a pass).
                            Either way the result is f_cN's, bit for bit.
                            A non-zero return of fast_cN stops the driver
                            as f_cN's would. NULL: f_cN only. */
    dj_fn_c16 fast_c16;
    dj_fn_c32 fast_c32;
    dj_fn_c64 fast_c64;
} dj_function;

/* Which mode a Jacobian uses (dj_jacobian). */
typedef enum dj_jac_mode {
    DJ_JAC_AUTO = 0,      /* chosen by shape and estimated cost */
    DJ_JAC_FORWARD = 1,   /* columns, a chunk per pass */
    DJ_JAC_REVERSE = 2    /* rows, a block per backward sweep */
} dj_jac_mode;

/* Options of the drivers; NULL means all defaults. */
typedef struct dj_jac_opts {
    int chunk;       /* directions per pass: 0 = choose (default). Forward
                        scalar code: one of 1 (dj_dual), 8, 16, 32, 64 (that
                        form must be given); matrix programs and reverse
                        mode: any p >= 1 */
    int max_chunk;   /* with chunk == 0: widest width the choice may use;
                        0 = no limit (negative chunk or max_chunk:
                        DJ_EARG) */
    dj_ctx *ctx;     /* matrix programs: the context to run in (kept and
                        reused: no allocation after the first call); NULL:
                        one is made for the call */
    int mode;        /* dj_jacobian: a dj_jac_mode (default DJ_JAC_AUTO) */
    size_t tape_limit; /* reverse mode: most bytes the tape may take (nodes
                        and adjoints of scalar code, the context's arena for
                        matrix programs); beyond it the call fails with
                        DJ_ENOMEM. 0: no limit */
} dj_jac_opts;

/* Matrix programs: directions per pass when not chosen (the tangents of
 * every intermediate matrix take p times its size). */
#define DJ_MAT_CHUNK_DEFAULT 256

/* How a forward driver covers p directions: `passes` evaluations, each
 * `width` lanes wide except the last, `last_width` lanes wide. */
typedef struct dj_chunk_plan {
    int width;
    int last_width;
    size_t passes;
} dj_chunk_plan;

/* dj_chunk_plan_make: the plan for p directions.
 * Heuristic (chunk == 0): fewest passes first, then fewest lanes computed,
 * within the width the compiled forms handle well. W is the widest given
 * chunk form not wider than max_chunk and F->chunk_hint (or, when F gives
 * none that narrow, the narrowest given form within max_chunk);
 * passes = ceil(p / W); all passes but the last are W wide, and the last
 * uses the narrowest given width that holds the p - (passes-1) W remaining
 * directions. Each pass costs about one primal evaluation plus work per
 * lane, so this minimizes both terms in that order; the hint caps W where
 * wider chunks stop fitting the SIMD registers (measured: chunk.h).
 * chunk_hint == 0 means the DJ_CHUNK_HINT dualjac itself was compiled with.
 * dj_dual (width 1) is used only when no chunk form is given, or when
 * chunk == 1. With a matrix program (f_mat) one pass carries
 * p = min(p, chunk or max_chunk or DJ_MAT_CHUNK_DEFAULT) directions as
 * tangent blocks, so most Jacobians take a single pass.
 * Tuning: when the heuristic's W takes two passes or more and the W/2 or
 * 2W form is given (and neither chunk nor max_chunk is set), the forward
 * drivers time the first runs of a function on each thread at W and at
 * those widths (8 runs each, in turn in blocks of 4, the first of a block
 * untimed), then keep the width of the fastest run for that function (its
 * chunk forms, user pointer, n, m and p; 8 functions per thread are
 * remembered, the oldest forgotten first). Results do not depend on the
 * width, bit for bit: every lane is computed by the same operations at any
 * width; only the time does. Runs that allocate their own values (see
 * Memory above) are not tuned. Once a function has been tuned on the
 * calling thread, dj_chunk_plan_make returns the tuned plan for it (for
 * identity seeding, p == n: the plan the next dj_jacfwd will run).
 * Errors: DJ_EARG (F or plan NULL, chunk not a width or negative),
 * DJ_EDIM (p == 0), DJ_ENOFORM (no dual or chunk form, or the requested
 * width not given). */
int dj_chunk_plan_make(const dj_function *F, size_t p, const dj_jac_opts *opts,
                       dj_chunk_plan *plan);

/* dj_eval: y = f(x).  x[n], y[m].
 * Uses f; without it, the matrix program in primal mode, else the narrowest
 * tangent form with zero tangents.
 * Errors: as every driver (above); DJ_ENOFORM when F has no form at all.
 * Cost: one evaluation. */
int dj_eval(const dj_function *F, const double *x, double *y);

/* dj_jvp: y = f(x) and jv = J v in one pass.  x[n], v[n], y[m] (may be
 * NULL), jv[m]. Uses f_dual, else the narrowest chunk form.
 * Errors: as every driver; DJ_ENOFORM without a tangent form.
 * Cost: one dual evaluation, about 2-3 primal evaluations. */
int dj_jvp(const dj_function *F, const double *x, const double *v,
           double *y, double *jv);

/* dj_jvp_batch: y = f(x) and JV = J V for p directions at once.
 * x[n]; V n-by-p column-major with ldv >= n; JV m-by-p with ldjv >= m;
 * y[m] may be NULL. Passes and widths as in dj_chunk_plan_make.
 * Errors: as every driver (p == 0, ldv < n, ldjv < m, ldv p or ldjv p
 * overflowing: DJ_EDIM) and dj_chunk_plan_make.
 * Cost: passes x (one evaluation + work per lane). */
int dj_jvp_batch(const dj_function *F, const double *x, size_t p,
                 const double *V, size_t ldv, double *y, double *JV,
                 size_t ldjv, const dj_jac_opts *opts);

/* dj_jacfwd: y = f(x) and the full m-by-n Jacobian by forward mode, a chunk
 * of columns per pass (inputs seeded with columns of the identity).
 * x[n]; J m-by-n with ldj >= m; y[m] may be NULL.
 * Zero entries come back as +0 (never -0).
 * Errors: as every driver (ldj < m, ldj n overflowing: DJ_EDIM) and
 * dj_chunk_plan_make.
 * Cost: ceil(n / W) passes of a W-lane chunk evaluation. */
int dj_jacfwd(const dj_function *F, const double *x, double *y, double *J,
              size_t ldj, const dj_jac_opts *opts);

/* ---- reverse mode ----------------------------------------------------------- */

/* dj_vjp: y = f(x) and jtw = J^T w (the row w^T J, as a column) by one
 * backward sweep. x[n], w[m], y[m] (may be NULL), jtw[n]. Uses the matrix
 * program (reverse mode) or f_rvar. Errors: as every driver; DJ_ENOFORM
 * without f_mat or f_rvar; DJ_ENOMEM also beyond a tape limit. Cost: one
 * taped evaluation and one sweep, about 3-4 primal evaluations. */
int dj_vjp(const dj_function *F, const double *x, const double *w, double *y,
           double *jtw);

/* dj_vjp_batch: JTW = J^T W for q output directions at once (W m-by-q,
 * ldw >= m; JTW n-by-q, ldjtw >= n); y may be NULL. Sweeps of up to
 * opts->chunk directions (default 256 for matrix programs, 64 for scalar
 * code), each one taped evaluation. Errors: as dj_vjp (q == 0, ldw < m,
 * ldjtw < n, ldw q or ldjtw q overflowing: DJ_EDIM; opts->chunk < 0:
 * DJ_EARG). */
int dj_vjp_batch(const dj_function *F, const double *x, size_t q, const double *W,
                 size_t ldw, double *y, double *JTW, size_t ldjtw, const dj_jac_opts *opts);

/* dj_jacrev: y = f(x) and the full m-by-n Jacobian by reverse mode, a
 * block of rows per sweep (outputs seeded with rows of the identity), into
 * J (column-major, ldj >= m). Errors: as dj_vjp_batch (ldj < m, ldj n
 * overflowing: DJ_EDIM). Cost: ceil(m / q) sweeps. */
int dj_jacrev(const dj_function *F, const double *x, double *y, double *J, size_t ldj,
              const dj_jac_opts *opts);

/* dj_jacobian: the full Jacobian by forward or reverse mode, whichever the
 * cost model says is cheaper (or opts->mode). The model, in primal
 * evaluations (measured with dualjac-bench on this project's problems):
 *   scalar code:     forward  ceil(n/W) (1 + 0.05 W)   (W the chunk width)
 *                    reverse  ceil(m/q) (3 + 0.5 q)     (q = min(m, 64))
 *   matrix programs: forward  1 + 1.0 n,   reverse  2 + 1.5 m  (one pass each)
 * A mode whose forms are missing is not considered. Errors as the two
 * drivers, DJ_ENOFORM when neither mode has a form. */
int dj_jacobian(const dj_function *F, const double *x, double *y, double *J, size_t ldj,
                const dj_jac_opts *opts);

/* dj_tape_bytes_last: the tape memory, in bytes, of the calling thread's
 * last reverse-mode call (its largest sweep): nodes and adjoints for scalar
 * code, the context arena in use for matrix programs. The tape of scalar
 * code is freed at the end of each call; a matrix program's stays in the
 * context (dj_ctx_reset reuses it, dj_ctx_free frees it). */
size_t dj_tape_bytes_last(void);

/* dj_jacobian_mode: the mode dj_jacobian would use for F (DJ_JAC_FORWARD or
 * DJ_JAC_REVERSE), or a negative status when neither can run. */
int dj_jacobian_mode(const dj_function *F, const dj_jac_opts *opts);

#ifdef __cplusplus
}
#endif

#endif

/* jacobian.c - forward-mode drivers: eval, JVP, batched JVP, forward Jacobian.
 *
 * Every driver runs passes: a pass evaluates one tangent form (width w = 1
 * for dj_dual, 8 ... 64 for chunks) on inputs whose lanes hold w directions,
 * then copies the output lanes into the caller's columns. */
#include "dualjac/jacobian.h"
#include "dualjac/status.h"
#include "dualjac/detail/memo.h"
#include <limits.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "mat_internal.h"
#include "internal.h"
#if defined(__has_include)
#if __has_include(<threads.h>)
#include <threads.h>
#define DJ_HAVE_TSS_ 1      /* C11 thread-specific storage: a destructor */
#endif
#endif
#ifndef DJ_HAVE_TSS_
#define DJ_HAVE_TSS_ 0
#endif
#if defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT) && defined(__AVX__)
#include <immintrin.h>
#endif

/* The tangent widths a dj_function can give, narrowest first. */
static const int dj_widths_[] = { 1, 8, 16, 32, 64 };
#define DJ_NWIDTHS_ ((int)(sizeof dj_widths_ / sizeof dj_widths_[0]))

static int form_given(const dj_function *F, int w)
{
    switch (w) {
    case 1:  return F->f_dual != NULL;
    case 8:  return F->f_c8 != NULL;
    case 16: return F->f_c16 != NULL;
    case 32: return F->f_c32 != NULL;
    case 64: return F->f_c64 != NULL;
    default: return 0;
    }
}

/* Sizes the drivers can hold: n + m values of the widest chunk must not
 * overflow. */
int dj_check_sizes_(const dj_function *F)
{
    size_t lim = SIZE_MAX / sizeof(dj_c64);
    if (F->n == 0 || F->m == 0 || F->n > lim || F->m > lim || F->n > lim - F->m)
        return DJ_EDIM;
    return DJ_OK;
}

/* The plan before tuning (see the tuning below). */
static int plan_default(const dj_function *F, size_t p, const dj_jac_opts *opts,
                        dj_chunk_plan *plan)
{
    int chunk = opts ? opts->chunk : 0;
    int max_chunk = opts && opts->max_chunk > 0 ? opts->max_chunk : DJ_CHUNK_MAX;
    if (F == NULL || plan == NULL || (opts && (opts->chunk < 0 || opts->max_chunk < 0)))
        return DJ_EARG;
    if (p == 0)
        return DJ_EDIM;
    if (F->f_mat != NULL) {
        size_t w = chunk > 0 ? (size_t)chunk
                 : opts && opts->max_chunk > 0 ? (size_t)opts->max_chunk : DJ_MAT_CHUNK_DEFAULT;
        if (chunk < 0)
            return DJ_EARG;
        if (w > p)
            w = p;
        if (w > INT_MAX)
            w = INT_MAX;
        plan->width = plan->last_width = (int)w;
        plan->passes = (p - 1) / w + 1;
        plan->last_width = (int)(p - (plan->passes - 1) * w);
        return DJ_OK;
    }
    if (chunk != 0) {
        int known = 0;
        for (int i = 0; i < DJ_NWIDTHS_; ++i)
            known |= dj_widths_[i] == chunk;
        if (!known)
            return DJ_EARG;
        if (!form_given(F, chunk))
            return DJ_ENOFORM;
        plan->width = plan->last_width = chunk;
        plan->passes = (p - 1) / (size_t)chunk + 1;
        return DJ_OK;
    }
    /* the widest chunk form within both caps; else the narrowest within the
       hard cap (the hint is advice); dj_dual only when there is none */
    int hint = F->chunk_hint > 0 ? F->chunk_hint : DJ_CHUNK_HINT;
    int wmax = 0, wmin = 0;
    for (int i = 1; i < DJ_NWIDTHS_; ++i) {
        int w = dj_widths_[i];
        if (!form_given(F, w) || w > max_chunk)
            continue;
        if (wmin == 0)
            wmin = w;
        if (w <= hint)
            wmax = w;
    }
    if (wmax == 0)
        wmax = wmin;
    if (wmax == 0) {
        if (!form_given(F, 1))
            return DJ_ENOFORM;
        wmax = 1;
    }
    plan->width = wmax;
    plan->passes = (p - 1) / (size_t)wmax + 1;
    size_t rest = p - (plan->passes - 1) * (size_t)wmax;
    plan->last_width = wmax;
    for (int i = DJ_NWIDTHS_ - 1; i >= 0; --i) {
        int w = dj_widths_[i];
        if (w <= wmax && (size_t)w >= rest && form_given(F, w) && (w > 1 || wmax == 1))
            plan->last_width = w;
    }
    return DJ_OK;
}

/* One pass: the directions col0 .. col0+cols-1 (cols <= the width), taken
 * from V or, when V is NULL, from the identity. */
typedef struct pass_args {
    const dj_function *F;
    const double *x;
    const double *V;            /* n-by-p directions, or NULL: identity */
    size_t ldv;
    size_t col0, cols;
    int fresh;                  /* xb not yet set up by a pass of this width */
    int stale;                  /* set up, but the values are not x's */
    size_t prev_col0, prev_cols;/* identity lanes the previous pass set */
    void *xb, *yb;              /* n and m values of the pass's type */
    double *y;                  /* f(x), or NULL */
    double *JV;
    size_t ldjv;
    dj_memo_ *memo;             /* the thread's memo state (&dj_memo_state_:
                                   a call in a shared library, so it is
                                   looked up once per run) */
} pass_args;

/* Lanes 0 .. cols-1 of the m output values into columns of J (leading
 * dimension ld): value i's lane k, at base[i * stride + off + k], goes to
 * J[i + k * ld]; + 0.0 turns -0 into +0. A transpose: with GCC and Clang,
 * tiles of DJ_TILE_ values by DJ_TILE_ lanes are loaded as vectors,
 * transposed by shuffles and stored as contiguous column pieces (a gather
 * per element was 20% of a Trigonometric Jacobian). The tile follows the
 * vector width: 8 x 8 with AVX-512, 4 x 4 with AVX, 2 x 2 otherwise. (The
 * 8 x 8 tile as generic 64-byte vectors, used before for every target,
 * was lowered lane by lane without AVX-512: the 4 x 4 and 2 x 2 tiles made
 * the MGH Jacobians of n = 16-128 13-41% faster with AVX2 and 7-28% in the
 * default SSE2 build. With AVX-512 the 4 x 4 tiles, though faster alone,
 * made the Jacobians 2-14% slower.) */
#if defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT) && defined(__AVX512F__)
#define DJ_TILE_ 8
/* AVX-512: rows i and i + 4 are loaded as the two halves of one register
   (the insert from memory is a blend, not a shuffle), so 16 shuffles are
   left instead of 24 (the transposes are shuffle-bound). */
static void transpose_tile(const double *base, size_t stride, double *J, size_t ld)
{
    __m512d a[4], b[4];
    for (int i = 0; i < 4; ++i) {
        const double *lo = base + (size_t)i * stride, *hi = base + (size_t)(i + 4) * stride;
        a[i] = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(lo)),
                                  _mm256_loadu_pd(hi), 1);
        b[i] = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(lo + 4)),
                                  _mm256_loadu_pd(hi + 4), 1);
    }
    /* a[i]: lanes 0-3 of rows i | i + 4; b[i]: lanes 4-7 */
    const __m512i lo2 = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i hi2 = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    const __m512d zero = _mm512_setzero_pd();
    for (int h = 0; h < 2; ++h) {
        __m512d *q = h ? b : a;
        __m512d t0 = _mm512_unpacklo_pd(q[0], q[1]), t1 = _mm512_unpackhi_pd(q[0], q[1]);
        __m512d t2 = _mm512_unpacklo_pd(q[2], q[3]), t3 = _mm512_unpackhi_pd(q[2], q[3]);
        double *c = J + (size_t)(4 * h) * ld;
        _mm512_storeu_pd(c, _mm512_add_pd(_mm512_permutex2var_pd(t0, lo2, t2), zero));
        _mm512_storeu_pd(c + ld, _mm512_add_pd(_mm512_permutex2var_pd(t1, lo2, t3), zero));
        _mm512_storeu_pd(c + 2 * ld, _mm512_add_pd(_mm512_permutex2var_pd(t0, hi2, t2), zero));
        _mm512_storeu_pd(c + 3 * ld, _mm512_add_pd(_mm512_permutex2var_pd(t1, hi2, t3), zero));
    }
}
#elif defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT) && defined(__AVX__)
#define DJ_TILE_ 4
static void transpose_tile(const double *base, size_t stride, double *J, size_t ld)
{
    const __m256d zero = _mm256_setzero_pd();
    __m256d r[4];           /* r[h + 2q]: lanes 2h, 2h + 1 of rows q | q + 2 */
    for (int h = 0; h < 2; ++h)
        for (int q = 0; q < 2; ++q) {
            const double *p = base + (size_t)q * stride + 2 * h;
            r[h + 2 * q] = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(p)),
                                                _mm_loadu_pd(p + 2 * stride), 1);
        }
    for (int h = 0; h < 2; ++h) {
        double *c = J + (size_t)(2 * h) * ld;
        _mm256_storeu_pd(c, _mm256_add_pd(_mm256_unpacklo_pd(r[h], r[h + 2]), zero));
        _mm256_storeu_pd(c + ld, _mm256_add_pd(_mm256_unpackhi_pd(r[h], r[h + 2]), zero));
    }
}
#elif defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT)
#define DJ_TILE_ 2
typedef double dj_v2_ __attribute__((vector_size(16), aligned(8)));
typedef long long dj_i2_ __attribute__((vector_size(16)));
#if defined(__clang__)
#define DJ_SHUF2_(a, b, i0, i1) __builtin_shufflevector(a, b, i0, i1)
#else
#define DJ_SHUF2_(a, b, i0, i1) __builtin_shuffle(a, b, (dj_i2_){ i0, i1 })
#endif
static void transpose_tile(const double *base, size_t stride, double *J, size_t ld)
{
    dj_v2_ a, b;
    memcpy(&a, base, sizeof a);
    memcpy(&b, base + stride, sizeof b);
    dj_v2_ lo = DJ_SHUF2_(a, b, 0, 2) + 0.0, hi = DJ_SHUF2_(a, b, 1, 3) + 0.0;
    memcpy(J, &lo, sizeof lo);
    memcpy(J + ld, &hi, sizeof hi);
}
#else
#define DJ_TILE_ 1
#endif

static void extract_lanes(const double *base, size_t stride, size_t off, size_t m,
                          size_t cols, double *J, size_t ld)
{
    size_t k0 = 0;
#if DJ_TILE_ > 1
    size_t i0 = 0;
    for (; k0 + DJ_TILE_ <= cols; k0 += DJ_TILE_)
        for (i0 = 0; i0 + DJ_TILE_ <= m; i0 += DJ_TILE_)
            transpose_tile(base + i0 * stride + off + k0, stride, J + i0 + k0 * ld, ld);
    /* what the tiles left: the last m % DJ_TILE_ rows of those lanes */
    for (size_t i = i0; i < m; ++i)
        for (size_t k = 0; k < k0; ++k)
            J[i + k * ld] = base[i * stride + off + k] + 0.0;
#endif
    for (size_t k = k0; k < cols; ++k)
        for (size_t i = 0; i < m; ++i)
            J[i + k * ld] = base[i * stride + off + k] + 0.0;
}

/* Row k of the identity (lane k 1, the others 0) for k < DJ_CHUNK_MAX;
 * k == DJ_CHUNK_MAX: all lanes 0. Copying a row sets an input's lanes in one
 * go (a separate loop setting the unit lanes after zeroing cost a tenth of
 * a 16-column pass of cheap code). */
static const double dj_unit_tbl_[2 * DJ_CHUNK_MAX] = { [DJ_CHUNK_MAX] = 1.0 };
static const double *unit_row(size_t k)
{
    return dj_unit_tbl_ + DJ_CHUNK_MAX - k;
}

/* A pass of the form T (generated once per type; LANE(x, k) is lane k).
 * With identity seeding only the previous pass's unit lanes are cleared and
 * the new ones set: the inputs' values and other lanes do not change.
 * hot_T is the pass of fwd_hot: the lanes are in place, only the values
 * are new. */
#define DJ_PASS_DEF_(T, NL, FORM, FAST, LANE)                                 \
    /* the form on the values at xb, then f(x) into y (unless NULL) and  \
       lanes 0 .. cols-1 into columns col0 .. of JV (unless NULL). The   \
       unguarded form FAST runs when given, with the thread's note       \
       cleared; when the note says one of its partials was not finite,   \
       FORM runs again from the same inputs and memo place (jacobian.h,  \
       fast_cN), unless FAST failed (its code stops the driver). The     \
       note is restored after: a form may call a driver. */              \
    static int run_##T(const dj_function *F, dj_memo_ *mm, const T *xb, T *yb, \
                       double *y, double *JV, size_t col0, size_t cols,       \
                       size_t ldjv)                                           \
    {                                                                         \
        int (*fast)(void *, const T *, T *) = FAST;                           \
        int rc;                                                               \
        if (fast != NULL) {                                                   \
            uint64_t note = mm->note;                                         \
            int mode = mm->mode;                                              \
            size_t pos = mm->pos, len = mm->len;                              \
            mm->note = 0;                                                     \
            rc = fast(F->user, xb, yb);                                       \
            if (rc == 0 && DJ_MEMO_NONFINITE_(mm->note)) {                    \
                mm->mode = mode;    /* record or replay that part again */    \
                mm->pos = pos;                                                \
                mm->len = len;                                                \
                rc = F->FORM(F->user, xb, yb);                                \
            }                                                                 \
            mm->note = note;                                                  \
        } else {                                                              \
            rc = F->FORM(F->user, xb, yb);                                    \
        }                                                                     \
        if (rc != 0)                                                          \
            return rc;                                                        \
        if (y != NULL)                                                        \
            for (size_t i = 0; i < F->m; ++i)                                 \
                y[i] = yb[i].v;                                               \
        if (JV != NULL)       /* dj_eval's pass has no JV (and no lanes) */ \
            extract_lanes((const double *)yb, sizeof(T) / sizeof(double),     \
                          (size_t)(&LANE(yb[0], 0) - (const double *)yb),     \
                          F->m, cols, JV + col0 * ldjv, ldjv);                \
        return DJ_OK;                                                         \
    }                                                                         \
    static int pass_##T(const pass_args *a)                                   \
    {                                                                         \
        const dj_function *F = a->F;                                          \
        T *xb = a->xb, *yb = a->yb;                                           \
        if (a->V != NULL) {                                                   \
            for (size_t j = 0; j < F->n; ++j) {                               \
                xb[j] = T##_const(a->x[j]);                                   \
                for (size_t k = 0; k < a->cols; ++k)                          \
                    LANE(xb[j], k) = a->V[j + (a->col0 + k) * a->ldv];        \
            }                                                                 \
        } else if (a->fresh) {                                                \
            for (size_t j = 0; j < F->n; ++j) {                               \
                size_t k = j - a->col0;  /* wraps when j < col0 */            \
                memcpy(&LANE(xb[j], 0), unit_row(k < a->cols ? k : DJ_CHUNK_MAX), \
                       NL * sizeof(double));                                  \
                xb[j].v = a->x[j];                                            \
            }                                                                 \
        } else {                                                              \
            if (a->stale)                                                     \
                for (size_t j = 0; j < F->n; ++j)                             \
                    xb[j].v = a->x[j];                                        \
            /* the same columns again (a one-pass Jacobian called anew):  \
               the lanes are set already; rewriting single lanes would    \
               also stall the chunk function's block loads behind them */ \
            if (a->prev_col0 != a->col0 || a->prev_cols != a->cols) {         \
                for (size_t k = 0; k < a->prev_cols; ++k)                     \
                    LANE(xb[a->prev_col0 + k], k) = 0.0;                      \
                for (size_t k = 0; k < a->cols; ++k)                          \
                    LANE(xb[a->col0 + k], k) = 1.0;                           \
            }                                                                 \
        }                                                                     \
        return run_##T(F, a->memo, xb, yb, a->y, a->JV, a->col0, a->cols,     \
                       a->ldjv);                                              \
    }                                                                         \
    /* the steady state of a one-pass Jacobian (fwd_hot): new values only */  \
    static int hot_##T(const dj_function *F, dj_memo_ *mm, const double *x,  \
                       void *xv, void *yv, double *y, double *J, size_t ldj) \
    {                                                                         \
        T *xb = xv;                                                           \
        for (size_t j = 0; j < F->n; ++j)                                     \
            xb[j].v = x[j];                                                   \
        return run_##T(F, mm, xb, yv, y, J, 0, F->n, ldj);                    \
    }
#define DJ_DUAL_LANE_(x, k) ((&(x).d)[k])   /* k is always 0 */
#define DJ_CHUNK_LANE_(x, k) ((x).d[k])
DJ_PASS_DEF_(dj_dual, 1, f_dual, NULL, DJ_DUAL_LANE_)
DJ_PASS_DEF_(dj_c8, 8, f_c8, F->fast_c8, DJ_CHUNK_LANE_)
DJ_PASS_DEF_(dj_c16, 16, f_c16, F->fast_c16, DJ_CHUNK_LANE_)
DJ_PASS_DEF_(dj_c32, 32, f_c32, F->fast_c32, DJ_CHUNK_LANE_)
DJ_PASS_DEF_(dj_c64, 64, f_c64, F->fast_c64, DJ_CHUNK_LANE_)

static int fwd_pass(int w, const pass_args *a)
{
    switch (w) {
    case 1:  return pass_dj_dual(a);
    case 8:  return pass_dj_c8(a);
    case 16: return pass_dj_c16(a);
    case 32: return pass_dj_c32(a);
    default: return pass_dj_c64(a);
    }
}

static int fwd_hot_pass(int w, const dj_function *F, dj_memo_ *mm, const double *x,
                        void *xb, void *yb, double *y, double *J, size_t ldj)
{
    switch (w) {
    case 1:  return hot_dj_dual(F, mm, x, xb, yb, y, J, ldj);
    case 8:  return hot_dj_c8(F, mm, x, xb, yb, y, J, ldj);
    case 16: return hot_dj_c16(F, mm, x, xb, yb, y, J, ldj);
    case 32: return hot_dj_c32(F, mm, x, xb, yb, y, J, ldj);
    default: return hot_dj_c64(F, mm, x, xb, yb, y, J, ldj);
    }
}

/* p rounded up to a multiple of 64 bytes. */
static char *dj_align64_(char *p)
{
    return p + (64 - (uintptr_t)p % 64) % 64;
}

/* Bytes of one value of width w. */
static size_t value_size(int w)
{
    switch (w) {
    case 1:  return sizeof(dj_dual);
    case 8:  return sizeof(dj_c8);
    case 16: return sizeof(dj_c16);
    case 32: return sizeof(dj_c32);
    default: return sizeof(dj_c64);
    }
}

/* ---- matrix programs -------------------------------------------------------- */

void dj_fill_seeds_(double *seed, size_t len, size_t cols, const double *V, size_t ldv,
                    size_t col0)
{
    for (size_t k = 0; k < cols; ++k) {
        double *s = seed + k * len;
        if (V != NULL) {
            memcpy(s, V + (col0 + k) * ldv, len * sizeof(double));
        } else {
            memset(s, 0, len * sizeof(double));
            s[col0 + k] = 1.0;
        }
    }
}

int dj_run_program_(const dj_function *F, dj_ctx *c, const double *x, const double *tan,
                    ptrdiff_t seed_off, int seeded, dj_mat **xmat, dj_mat **out)
{
    dj_mat *X = dj_mat_var(c, F->n, 1, x, F->n, tan, F->n);
    dj_mat *Y = NULL;
    if (X == NULL)
        return dj_ctx_status(c);
    if (xmat != NULL)
        *xmat = X;
    if (seeded && X->tan) {          /* unit directions: operations may use it */
        X->seeded = 1;
        X->seed_off = seed_off;
    }
    int rc = F->f_mat(F->user, c, X, &Y);
    if (rc != 0)
        return rc;
    if (dj_ctx_status(c) != DJ_OK)
        return dj_ctx_status(c);
    if (Y == NULL)
        return DJ_ECALLBACK;
    if (Y->rows * Y->cols != F->m)
        return dj_ctx_fail(c, DJ_EDIM, "matrix program",
                           "the result does not have m entries");
    *out = Y;
    return DJ_OK;
}

/* The forward passes of a matrix program: `cols` directions per pass as
 * tangent blocks of x (from V, or unit vectors when V is NULL); each output
 * block is a column of JV, copied whole. */
static int mat_fwd_run(const dj_function *F, const double *x, size_t p, const double *V,
                       size_t ldv, double *y, double *JV, size_t ldjv,
                       const dj_jac_opts *opts)
{
    dj_chunk_plan plan;
    int rc = dj_chunk_plan_make(F, p, opts, &plan);
    if (rc != DJ_OK)
        return rc;
    dj_ctx *c = opts && opts->ctx ? opts->ctx : dj_ctx_new();
    if (c == NULL)
        return DJ_ENOMEM;
    size_t w = (size_t)plan.width, n = F->n, m = F->m;
    double *seed = NULL;
    if (!dj_array_fits_(n, w)) {      /* the n-by-w seed block */
        rc = DJ_EDIM;
        goto done;
    }
    seed = dj_malloc_(n * w * sizeof(double));
    if (seed == NULL) {
        rc = DJ_ENOMEM;
        goto done;
    }
    for (size_t col0 = 0; col0 < p && rc == DJ_OK; col0 += w) {
        size_t cols = p - col0 < w ? p - col0 : w;
        rc = dj_ctx_set_mode(c, DJ_MODE_FORWARD, cols);
        if (rc != DJ_OK)
            break;
        dj_fill_seeds_(seed, n, cols, V, ldv, col0);
        dj_mat *Y = NULL;
        rc = dj_run_program_(F, c, x, seed, (ptrdiff_t)col0, V == NULL, NULL, &Y);
        if (rc != DJ_OK)
            break;
        if (y != NULL && col0 == 0)
            memcpy(y, Y->val, m * sizeof(double));
        for (size_t k = 0; k < cols; ++k) {
            double *col = JV + (col0 + k) * ldjv;
            if (Y->tan == NULL)
                memset(col, 0, m * sizeof(double));
            else
                for (size_t i = 0; i < m; ++i)
                    col[i] = Y->tan[i + k * m] + 0.0;     /* -0 -> +0 */
        }
    }
done:
    dj_free_(seed);
    if (!(opts && opts->ctx))
        dj_ctx_free(c);
    return rc;
}

int dj_fail_outputs_(int rc, double *y, size_t m, double *J, size_t rows, size_t cols,
                     size_t ld)
{
    if (rc == DJ_OK)
        return rc;
    if (y != NULL)
        for (size_t i = 0; i < m; ++i)
            y[i] = NAN;
    if (J != NULL)
        for (size_t j = 0; j < cols; ++j)
            for (size_t i = 0; i < rows; ++i)
                J[i + j * ld] = NAN;
    return rc;
}

/* y = f(x) by the matrix program in primal mode. */
static int mat_eval(const dj_function *F, const double *x, double *y)
{
    dj_ctx *c = dj_ctx_new();
    if (c == NULL)
        return DJ_ENOMEM;
    dj_mat *Y = NULL;
    int rc = dj_run_program_(F, c, x, NULL, 0, 0, NULL, &Y);
    if (rc == DJ_OK)
        memcpy(y, Y->val, F->m * sizeof(double));
    dj_ctx_free(c);
    return rc;
}

/* The per-thread workspace of the forward runs: memory for the n + m
 * values of a pass, kept from one call to the next. After an identity-
 * seeded run it still holds n inputs of width `width` whose lanes are the
 * identity's columns col0 .. col0+cols-1 (values stale), so the next run on
 * as many inputs at that width rewrites only the values and moves the unit
 * lanes instead of writing n whole inputs: a 16- or 32-column Jacobian of
 * cheap code spent a fifth to a quarter of its time there, and the
 * allocation and free of a run's values (both arrays start on a cache line:
 * with malloc's 16-byte alignment the Chebyquad Jacobian, n = 128, took 300
 * or 375 us from run to run) were a sixth of it. These small runs are bound
 * by the bytes they store. Forms never write their inputs (they are const).
 * Runs needing more than DJ_FWD_WS_MAX_ bytes allocate their own (there
 * the allocation is a small part of the run), and so does a run started
 * while another one of the thread is using the workspace (a form calling a
 * driver). It also holds the memo's table of sin and cos results (see
 * detail/memo.h), made on the first sin or cos. It is freed at thread exit
 * (C11 tss destructor; without <threads.h> the values are freed after every
 * run and the table is not kept) or by dj_workspace_release. */
#define DJ_FWD_WS_MAX_ ((size_t)256 * 1024)

/* Width tuning. The default width (dj_chunk_plan_make: the widest within
 * the hint, 32 lanes with AVX-512) is not always the fastest: at n = 64
 * with AVX-512, 16 lanes beat 32 by 15-20% on cheap code and 64 lanes beat
 * 32 by 12-21% on costly code (Chebyquad, Trigonometric: fewer passes
 * recompute the primal fewer times). Neither a size rule nor the forms can
 * tell which, so a thread's first runs of a function on the default choice
 * time the default width W, W/2 and 2W (those whose forms are given):
 * DJ_TUNE_ROUNDS_ rounds of DJ_TUNE_RUNS_ runs at each (the first run of
 * each block is not timed: it seeds the inputs afresh); then the width of
 * the fastest run is kept for that function (same forms, user pointer, n,
 * m, p and seeding). The results do not depend on the width (every lane is
 * computed by the same operations at any width: test_jacobian checks it
 * bit for bit), only the time does. Runs with opts->chunk or
 * opts->max_chunk set, runs that do not use the workspace, and runs whose
 * default is a single pass or that have no other width are not tuned. */
#define DJ_TUNE_SLOTS_ 8
#define DJ_TUNE_RUNS_ 4
#define DJ_TUNE_ROUNDS_ 2

typedef struct tune_ {
    dj_fn_c8 f8;            /* the key: forms, user, sizes, seeding */
    dj_fn_c16 f16;
    dj_fn_c32 f32;
    dj_fn_c64 f64;
    const void *user;
    size_t n, m, p;
    int seeded;             /* identity (V == NULL) */
    int k;                  /* candidates (0: the slot is free): w[0] the */
                            /* default width, then */
    int w[3];               /* W/2 and 2W where given */
    int step;               /* runs made so far, up to the steps below */
    double best[3];         /* the fastest timed run at each, seconds */
} tune_;
#define DJ_TUNE_STEPS_(t) ((t)->k * DJ_TUNE_ROUNDS_ * DJ_TUNE_RUNS_)
/* The candidate a tuning run times: blocks of DJ_TUNE_RUNS_ runs in turn. */
#define DJ_TUNE_TURN_(t) ((t)->step / DJ_TUNE_RUNS_ % (t)->k)

typedef struct fwd_ws_ {
    char *mem;              /* cap bytes from the hook, or NULL */
    size_t cap;
    dj_free_fn free_fn;     /* the hook's free when mem was allocated */
    dj_memo_sc_ *sc;        /* the memo's sin/cos table, or NULL */
    dj_free_fn sc_free_fn;
    uint64_t sc_gen;        /* the last run number given out for sc */
    const dj_function *plain;   /* its last sharing run took no sin or cos */
    unsigned plain_runs;        /* runs since that was last checked */
    int busy;               /* a run is using mem */
    int kept;               /* freed at thread exit (registered) */
    int width;              /* 0: mem holds nothing reusable */
    size_t n, col0, cols;
    const dj_function *hot; /* the last one-pass identity run (fwd_hot), */
    dj_function hot_key;    /* *hot as it was then, */
    dj_chunk_plan hot_plan; /* its plan (its values are in mem, laid out */
                            /* as fwd_run lays them out), */
    int hot_auto_fwd;       /* dj_jacobian chose forward mode for it */
    dj_memo_ *hot_memo;     /* the thread's memo state, for its runs */
    tune_ tune[DJ_TUNE_SLOTS_]; /* width tuning (see above) */
    unsigned tune_next;         /* the slot a new key replaces */
} fwd_ws_;
static _Thread_local fwd_ws_ dj_fwd_ws_;

static void ws_free_values(fwd_ws_ *w)
{
    if (w->mem != NULL)
        w->free_fn(w->mem);
    w->mem = NULL;
    w->cap = 0;
    w->width = 0;
    w->hot = NULL;          /* its values were in mem */
}

static void ws_free(fwd_ws_ *w)
{
    ws_free_values(w);
    if (w->sc != NULL)
        w->sc_free_fn(w->sc);
    w->sc = NULL;
}

#if DJ_HAVE_TSS_
static tss_t dj_ws_key_;
static int dj_ws_key_ok_;
static once_flag dj_ws_once_ = ONCE_FLAG_INIT;
static void ws_dtor(void *w)
{
    ws_free(w);
}
static void ws_key_make(void)
{
    dj_ws_key_ok_ = tss_create(&dj_ws_key_, ws_dtor) == thrd_success;
}
/* Whether the thread's workspace is freed at thread exit (registers it). */
static int ws_keepable(fwd_ws_ *w)
{
    if (!w->kept) {
        call_once(&dj_ws_once_, ws_key_make);
        w->kept = dj_ws_key_ok_ && tss_set(dj_ws_key_, w) == thrd_success;
    }
    return w->kept;
}
#else
static int ws_keepable(fwd_ws_ *w)
{
    (void)w;
    return 0;
}
#endif

void dj_workspace_release(void)
{
    if (!dj_fwd_ws_.busy && dj_memo_state_.mode == DJ_MEMO_OFF_)
        ws_free(&dj_fwd_ws_);
}

/* The thread's sin/cos table for the memo (made on first use; NULL when it
 * could not be freed at thread exit, or without memory), and a new run
 * number for it in *gen. */
dj_memo_sc_ *dj_ws_sincos_(uint64_t *gen)
{
    fwd_ws_ *w = &dj_fwd_ws_;
    if (w->sc == NULL && ws_keepable(w)) {
        w->sc = dj_malloc_(DJ_MEMO_SC_SIZE_ * sizeof *w->sc);
        if (w->sc != NULL) {
            dj_memo_sc_clear_(w->sc);
            w->sc_free_fn = dj_free_hook_();
            w->sc_gen = 0;
        }
    }
    *gen = ++w->sc_gen;
    return w->sc;
}

/* Memory for `need` bytes of values: the thread's workspace (then *ws is
 * set; grown if needed), or allocated for this run only when the workspace
 * is busy or need is above DJ_FWD_WS_MAX_. NULL: no memory. */
static char *values_mem(size_t need, fwd_ws_ **ws)
{
    fwd_ws_ *w = &dj_fwd_ws_;
    *ws = NULL;
    if (w->busy || need > DJ_FWD_WS_MAX_)
        return dj_malloc_(need);
    if (need > w->cap) {
        ws_free_values(w);
        size_t cap = (need + 4095) / 4096 * 4096;
        char *mem = dj_malloc_(cap);
        if (mem == NULL)
            return NULL;
        w->mem = mem;
        w->cap = cap;
        w->free_fn = dj_free_hook_();
    }
    w->busy = 1;
    *ws = w;
    return w->mem;
}

/* The end of a run on the thread's workspace: what the next run can reuse
 * (width 0: nothing), or the workspace freed when it would not be freed at
 * thread exit. */
static void values_done(fwd_ws_ *ws, int width, size_t n, size_t col0, size_t cols)
{
    ws->width = width;
    ws->n = n;
    ws->col0 = col0;
    ws->cols = cols;
    ws->busy = 0;
    if (!ws_keepable(ws))
        ws_free_values(ws);
}

/* Seconds since the start of the thread's tuning (a double of seconds
 * since 1970 would resolve only 0.24 us); timespec_get is C11's clock. */
static double tune_now(void)
{
    static _Thread_local time_t base;
    struct timespec t;
    if (timespec_get(&t, TIME_UTC) != TIME_UTC)
        return 0.0;
    if (base == 0)
        base = t.tv_sec - 1;
    return (double)(t.tv_sec - base) + 1e-9 * (double)t.tv_nsec;
}

/* Bytes of a run's values at width w: n inputs and m outputs, each array
 * on a cache line (see fwd_ws_), with the gap of outputs_at. */
static size_t values_need(const dj_function *F, int w)
{
    return (F->n + F->m) * value_size(w) + 128 + 2048;
}

/* Where the outputs start after n inputs of width w at xb (a cache line):
 * 1-3 KB past the inputs modulo 4 KB, so that a store to y_i never shares
 * its low 12 address bits with the load of x_i just after it (4K aliasing
 * stalls the load). Right after the inputs, n times the value size is a
 * multiple of 4 KB for n = 64 and 128 at 16 and 32 lanes: those Jacobians
 * ran up to 1.65x slower (penalty1, n = 64, 16 lanes: 1.94 against 1.18
 * us, depending on what had run before). */
static char *outputs_at(char *xb, size_t n, int w)
{
    char *yb = dj_align64_(xb + n * value_size(w));
    size_t gap = (size_t)(yb - xb) % 4096;
    return gap < 1024 || gap > 3072 ? yb + 2048 : yb;
}

/* Whether a run at width w uses the workspace (values_mem). */
static int ws_fits(const dj_function *F, int w)
{
    return values_need(F, w) <= DJ_FWD_WS_MAX_;
}

/* Whether the options leave the width to the drivers (neither chunk nor
 * max_chunk set): only then is it tuned, and a plan remembered. */
static int width_free(const dj_jac_opts *opts)
{
    return opts == NULL || (opts->chunk == 0 && opts->max_chunk == 0);
}

#define DJ_DIFF_(a, b) ((uintptr_t)(a) ^ (uintptr_t)(b))
/* Whether F is the function of the workspace's last one-pass identity run
 * (ws->hot: the same pointer, and the same value of every field its plan
 * depends on, user too: a width tuning is per user pointer, and it may
 * have chosen that one pass), called again with the default width choice:
 * then its plan is ws->hot_plan. */
static int hot_key(const fwd_ws_ *ws, const dj_function *F, const dj_jac_opts *opts)
{
    const dj_function *k = &ws->hot_key;
    if (F == NULL || ws->hot != F || !width_free(opts))
        return 0;
    return (DJ_DIFF_(k->n, F->n) | DJ_DIFF_(k->m, F->m) | DJ_DIFF_(k->user, F->user)
            | DJ_DIFF_(k->f_mat, F->f_mat)
            | DJ_DIFF_(k->f_dual, F->f_dual) | DJ_DIFF_(k->f_c8, F->f_c8)
            | DJ_DIFF_(k->f_c16, F->f_c16) | DJ_DIFF_(k->f_c32, F->f_c32)
            | DJ_DIFF_(k->f_c64, F->f_c64) | DJ_DIFF_(k->f_rvar, F->f_rvar)
            | DJ_DIFF_(k->chunk_hint, F->chunk_hint)) == 0;
}

/* The steady state of a repeated one-pass Jacobian: F is ws->hot (above),
 * and the workspace is free and still holds that run's lanes (no other run
 * moved them; freeing the memory forgets ws->hot). Then a run only writes
 * the new values and makes its pass (sharing sincos as fwd_run does):
 * deciding the plan and taking the workspace were about a seventh of a
 * 16-column Jacobian (bvp, n = 16: 0.162 against 0.138 us). */
static int hot_ready(const fwd_ws_ *ws, const dj_function *F)
{
    return (DJ_DIFF_(ws->width, ws->hot_plan.last_width)
            | DJ_DIFF_(ws->n, F->n) | DJ_DIFF_(ws->cols, F->n) | ws->col0
            | (uintptr_t)ws->busy) == 0;
}

static int fwd_hot(const fwd_ws_ *ws, const dj_function *F, const dj_jac_opts *opts)
{
    return hot_key(ws, F, opts) && hot_ready(ws, F);
}
#undef DJ_DIFF_

/* The plan of a run: the default plan, with the width tuned (see above).
 * With run != NULL, a run is about to be made: a new function gets a slot,
 * and while it is being tuned *plan is the width to time next and *run the
 * slot (else NULL); without it, the tuned width only, once tuning ended.
 * With final != NULL (and run NULL), *final says whether a run made now
 * would take this plan untimed: no tuning of it is under way or would
 * start (then fwd_run may take the plan as given, without making it again). */
static int plan_tuned(const dj_function *F, size_t p, int seeded, const dj_jac_opts *opts,
                      dj_chunk_plan *plan, tune_ **run, int *final)
{
    fwd_ws_ *ws = &dj_fwd_ws_;
    if (run != NULL)
        *run = NULL;
    if (final != NULL)
        *final = 1;
    if (plan != NULL && F != NULL && p == F->n && hot_key(ws, F, opts)) {
        *plan = ws->hot_plan;   /* one pass: never tuned */
        return DJ_OK;
    }
    int rc = plan_default(F, p, opts, plan);
    if (rc != DJ_OK)            /* F or plan may be NULL */
        return rc;
    int w = plan->width;
    if (F->f_mat != NULL || ws->busy || !width_free(opts) || plan->passes < 2 || w < 8 || !ws_fits(F, w))
        return rc;
    tune_ *t = NULL;
    for (int i = 0; i < DJ_TUNE_SLOTS_ && t == NULL; ++i) {
        tune_ *u = &ws->tune[i];
        if (u->k > 0 && u->f8 == F->f_c8 && u->f16 == F->f_c16 && u->f32 == F->f_c32
            && u->f64 == F->f_c64 && u->user == F->user && u->n == F->n && u->m == F->m
            && u->p == p && u->seeded == seeded && u->w[0] == w)
            t = u;
    }
    if (t == NULL && run == NULL) {
        if (final != NULL)      /* a run would start tuning it */
            *final = 0;
        return rc;
    }
    if (t == NULL) {
        tune_ fresh = { F->f_c8, F->f_c16, F->f_c32, F->f_c64, F->user, F->n, F->m, p,
                        seeded, 1, { w, 0, 0 }, 0, { INFINITY, INFINITY, INFINITY } };
        if (w >= 16 && form_given(F, w / 2))
            fresh.w[fresh.k++] = w / 2;
        if (2 * w <= DJ_CHUNK_MAX && form_given(F, 2 * w) && ws_fits(F, 2 * w))
            fresh.w[fresh.k++] = 2 * w;
        if (fresh.k == 1)
            return rc;
        t = &ws->tune[ws->tune_next++ % DJ_TUNE_SLOTS_];
        *t = fresh;
    }
    int tuning = t->step < DJ_TUNE_STEPS_(t);
    if (tuning && run == NULL) {
        if (final != NULL)
            *final = 0;
        return rc;
    }
    int which = 0;
    if (tuning)
        which = DJ_TUNE_TURN_(t);
    else
        for (int i = 1; i < t->k; ++i)
            if (t->best[i] < t->best[which])
                which = i;
    if (which != 0) {
        dj_function G = *F;     /* the default rule with that width as the hint */
        G.chunk_hint = t->w[which];
        rc = plan_default(&G, p, opts, plan);
    }
    if (run != NULL && tuning && rc == DJ_OK)
        *run = t;
    return rc;
}

int dj_chunk_plan_make(const dj_function *F, size_t p, const dj_jac_opts *opts,
                       dj_chunk_plan *plan)
{
    return plan_tuned(F, p, 1, opts, plan, NULL, NULL);
}

int dj_chunk_plan_final_(const dj_function *F, const dj_jac_opts *opts, dj_chunk_plan *plan,
                         int *final)
{
    *final = 0;
    if (F == NULL)
        return DJ_EARG;
    return plan_tuned(F, F->n, 1, opts, plan, NULL, final);
}

void dj_jac_auto_fwd_set_(const dj_function *F, const dj_jac_opts *opts)
{
    if (hot_key(&dj_fwd_ws_, F, opts))
        dj_fwd_ws_.hot_auto_fwd = 1;
}

/* One-pass runs: whether sin and cos of one argument share a sincos this
 * run (then the memo is set up in share mode; see fwd_run), and after it,
 * what the run showed. ws is NULL when the run does not use the thread's
 * workspace (then it always shares). */
static int share_begin(fwd_ws_ *ws, const dj_function *F, dj_memo_ *saved)
{
    if (ws != NULL && ws->plain == F && ++ws->plain_runs % 64 != 0)
        return 0;
    dj_memo_begin_(saved, 0);
    return 1;
}

static void share_end(fwd_ws_ *ws, const dj_function *F, dj_memo_ *saved)
{
    if (ws != NULL) {
        ws->plain = dj_memo_state_.sc_tried ? NULL : F;
        ws->plain_runs = 0;
    }
    dj_memo_end_(saved);
}

/* Shared by dj_jvp_batch and dj_jacfwd (V == NULL: identity, p == n);
 * given: the chunk plan for p, when the caller made it already. */
static int fwd_run(const dj_function *F, const double *x, size_t p,
                   const double *V, size_t ldv, double *y, double *JV,
                   size_t ldjv, const dj_jac_opts *opts, const dj_chunk_plan *given)
{
    if (F->f_mat != NULL)
        return mat_fwd_run(F, x, p, V, ldv, y, JV, ldjv, opts);
    /* a given plan is final (dj_chunk_plan_final_): used as it is */
    dj_chunk_plan plan;
    tune_ *tune = NULL;
    int rc = DJ_OK;
    if (given != NULL)
        plan = *given;
    else
        rc = plan_tuned(F, p, V == NULL, opts, &plan, &tune, NULL);
    if (rc != DJ_OK)
        return rc;
    double t0 = tune != NULL && tune->step % DJ_TUNE_RUNS_ != 0 ? tune_now() : 0.0;
    fwd_ws_ *ws;
    char *mem = values_mem(values_need(F, plan.width), &ws);
    if (mem == NULL)
        return DJ_ENOMEM;
    char *xb = dj_align64_(mem);
    char *yb = outputs_at(xb, F->n, plan.width);
    int w0 = plan.passes == 1 ? plan.last_width : plan.width;
    int reuse = ws != NULL && V == NULL && ws->width == w0 && ws->n == F->n;
    /* with several passes, libm results of the first are replayed later;
       with one, sin and cos of one argument still share a sincos, unless
       the function's last such run took neither (then only every 64th run
       checks again: setting the memo up and down was about 8 ns, 5-8% of a
       16-column Jacobian of cheap code) */
    dj_memo_ saved;
    int memo = plan.passes > 1;
    int share = !memo && share_begin(ws, F, &saved);
    if (memo)
        dj_memo_begin_(&saved, 1);
    pass_args a = { F, x, V, ldv, 0, 0, 1, 0, 0, 0, xb, yb, y, JV, ldjv, &dj_memo_state_ };
    if (reuse) {
        a.prev_col0 = ws->col0;
        a.prev_cols = ws->cols;
    }
    int w = w0;
    for (size_t pass = 0; pass < plan.passes && rc == DJ_OK; ++pass) {
        w = pass + 1 == plan.passes ? plan.last_width : plan.width;
        a.cols = p - a.col0 < (size_t)w ? p - a.col0 : (size_t)w;
        a.fresh = pass == 0 ? !reuse : w != plan.width;
        a.stale = pass == 0 && reuse;
        if (memo && pass > 0)
            dj_memo_replay_();
        rc = fwd_pass(w, &a);
        a.y = NULL;
        a.prev_col0 = a.col0;
        a.prev_cols = a.cols;
        a.col0 += a.cols;
    }
    if (share)
        share_end(ws, F, &saved);
    else if (memo)
        dj_memo_end_(&saved);
    if (ws == NULL)
        dj_free_(mem);
    else
        values_done(ws, rc == DJ_OK && V == NULL ? w : 0, F->n, a.prev_col0, a.prev_cols);
    /* a tuning run is not the function's plan yet: the hot path would
       keep its width and end the tuning */
    if (ws != NULL && ws->width != 0 && plan.passes == 1 && tune == NULL
        && width_free(opts)) {
        ws->hot = F;            /* see fwd_hot */
        ws->hot_key = *F;
        ws->hot_plan = plan;
        ws->hot_memo = a.memo;
        ws->hot_auto_fwd = 0;
    }
    if (tune != NULL && rc == DJ_OK) {
        if (t0 > 0.0) {
            double t = tune_now() - t0;
            double *best = &tune->best[DJ_TUNE_TURN_(tune)];
            if (t > 0.0 && t < *best)   /* the clock may step back */
                *best = t;
        }
        ++tune->step;
    }
    return rc;
}

int dj_jvp_batch(const dj_function *F, const double *x, size_t p,
                 const double *V, size_t ldv, double *y, double *JV,
                 size_t ldjv, const dj_jac_opts *opts)
{
    if (F == NULL || x == NULL || V == NULL || JV == NULL)
        return DJ_EARG;
    int rc = dj_check_sizes_(F);
    if (rc != DJ_OK)
        return rc;
    if (p == 0 || ldv < F->n || ldjv < F->m || !dj_array_fits_(ldv, p)
        || !dj_array_fits_(ldjv, p))
        return DJ_EDIM;
    return dj_fail_outputs_(fwd_run(F, x, p, V, ldv, y, JV, ldjv, opts, NULL), y, F->m, JV,
                            F->m, p, ldjv);
}

/* The run of fwd_hot (F is the workspace's hot function, the arguments
 * are checked). */
static int hot_run(fwd_ws_ *hw, const dj_function *F, const double *x, double *y,
                   double *J, size_t ldj)
{
    dj_memo_ saved;
    int share = share_begin(hw, F, &saved);
    hw->busy = 1;
    char *xb = dj_align64_(hw->mem);
    int rc = fwd_hot_pass(hw->hot_plan.last_width, F, hw->hot_memo, x, xb,
                          outputs_at(xb, F->n, hw->hot_plan.width), y, J, ldj);
    hw->busy = 0;
    if (share)
        share_end(hw, F, &saved);
    if (rc == DJ_OK)
        return rc;
    hw->width = 0;
    return dj_fail_outputs_(rc, y, F->m, J, F->m, F->n, ldj);
}

/* Whether an m x n J with leading dimension ldj is valid for F. */
static int ldj_fits(const dj_function *F, size_t ldj)
{
    return ldj >= F->m && dj_array_fits_(ldj, F->n);
}

int dj_jacfwd_plan_(const dj_function *F, const double *x, double *y, double *J,
                    size_t ldj, const dj_jac_opts *opts, const dj_chunk_plan *plan)
{
    if (F == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    int rc = dj_check_sizes_(F);
    if (rc != DJ_OK)
        return rc;
    if (!ldj_fits(F, ldj))
        return DJ_EDIM;
    fwd_ws_ *hw = &dj_fwd_ws_;
    if (fwd_hot(hw, F, opts))
        return hot_run(hw, F, x, y, J, ldj);
    return dj_fail_outputs_(fwd_run(F, x, F->n, NULL, 0, y, J, ldj, opts, plan), y, F->m,
                            J, F->m, F->n, ldj);
}

int dj_jac_auto_fwd_(const dj_function *F, const double *x, double *y, double *J,
                     size_t ldj, const dj_jac_opts *opts)
{
    fwd_ws_ *hw = &dj_fwd_ws_;
    if (!hw->hot_auto_fwd || !hot_key(hw, F, opts))
        return -1;
    if (!hot_ready(hw, F))
        return dj_jacfwd_plan_(F, x, y, J, ldj, opts, NULL);
    /* F's sizes are the key's, checked when it was made */
    if (x == NULL || J == NULL)
        return DJ_EARG;
    if (!ldj_fits(F, ldj))
        return DJ_EDIM;
    return hot_run(hw, F, x, y, J, ldj);
}

int dj_jacfwd(const dj_function *F, const double *x, double *y, double *J,
              size_t ldj, const dj_jac_opts *opts)
{
    return dj_jacfwd_plan_(F, x, y, J, ldj, opts, NULL);
}

/* The narrowest tangent form given, or 0. */
static int narrowest_form(const dj_function *F)
{
    for (int i = 0; i < DJ_NWIDTHS_; ++i)
        if (form_given(F, dj_widths_[i]))
            return dj_widths_[i];
    return 0;
}

int dj_jvp(const dj_function *F, const double *x, const double *v,
           double *y, double *jv)
{
    if (F == NULL || x == NULL || v == NULL || jv == NULL)
        return DJ_EARG;
    int rc = dj_check_sizes_(F);
    if (rc != DJ_OK)
        return rc;
    if (F->f_mat != NULL)
        return dj_fail_outputs_(fwd_run(F, x, 1, v, F->n, y, jv, F->m, NULL, NULL), y, F->m,
                                jv, F->m, 1, F->m);
    dj_jac_opts o = { narrowest_form(F), 0, NULL, 0, 0 };
    if (o.chunk == 0)
        return dj_fail_outputs_(DJ_ENOFORM, y, F->m, jv, F->m, 1, F->m);
    return dj_fail_outputs_(fwd_run(F, x, 1, v, F->n, y, jv, F->m, &o, NULL), y, F->m, jv,
                            F->m, 1, F->m);
}

int dj_eval(const dj_function *F, const double *x, double *y)
{
    if (F == NULL || x == NULL || y == NULL)
        return DJ_EARG;
    int rc = dj_check_sizes_(F);
    if (rc != DJ_OK)
        return rc;
    if (F->f != NULL)
        return dj_fail_outputs_(F->f(F->user, x, y), y, F->m, NULL, 0, 0, 0);
    if (F->f_mat != NULL)
        return dj_fail_outputs_(mat_eval(F, x, y), y, F->m, NULL, 0, 0, 0);
    int w = narrowest_form(F);
    if (w == 0)
        return dj_fail_outputs_(DJ_ENOFORM, y, F->m, NULL, 0, 0, 0);
    /* a pass with no directions: every tangent lane zero */
    fwd_ws_ *ws;
    char *mem = values_mem(values_need(F, w), &ws);
    if (mem == NULL)
        return dj_fail_outputs_(DJ_ENOMEM, y, F->m, NULL, 0, 0, 0);
    char *xb = dj_align64_(mem);
    pass_args a = { F, x, NULL, 0, 0, 0, 1, 0, 0, 0, xb, outputs_at(xb, F->n, w), y, NULL, 0,
                    &dj_memo_state_ };
    rc = fwd_pass(w, &a);
    if (ws == NULL)
        dj_free_(mem);
    else
        values_done(ws, 0, 0, 0, 0);
    return dj_fail_outputs_(rc, y, F->m, NULL, 0, 0, 0);
}

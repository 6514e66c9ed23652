// peers.cpp - the peer comparison of dualjac-bench (see peers.h): the same
// Jacobians by ADOL-C (tape at the point, then its jacobian() driver, or its
// forward or reverse vector mode) and by Ceres' Jet type (chunks of 8, 16 or
// 32 lanes, and one pass of N = n lanes where n is a size the bench uses),
// timed by the bench's own time_it and checked against the hand-derived
// Jacobian.
//
// The functions are the bench's own sources, not copies: the MGH residuals
// are problems/mgh_residuals.inc itself, compiled here as C++ inside a class
// template on the scalar type (DJ_T), with dj_add, dj_mul, dj_sin, ...
// mapped to the operators and to std::, ADOL-C or ceres functions (found by
// argument-dependent lookup). The matrix programs (an MLP, the inverse, the
// log-determinant) are line-by-line transcriptions of matprob_primal_loops
// (problems/matprob.c). Instantiated on double they are the primal again;
// on adouble they are what ADOL-C tapes; on ceres::Jet what Ceres
// differentiates.
//
// Built into dualjac-bench only when ADOL-C and/or Ceres (Eigen3 +
// ceres/jet.h) are found; DJ_PEERS_ADOLC / DJ_PEERS_CERES say which.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

#ifdef DJ_PEERS_ADOLC
#include <adolc/adolc.h>
#endif
#ifdef DJ_PEERS_CERES
#include <ceres/jet.h>
#include <ceres/version.h>
#endif

extern "C" {
#include "bench.h"
}
#include "peers.h"

#ifndef DJ_PEERS_FLAGS
#define DJ_PEERS_FLAGS ""
#endif
#ifndef DJ_PEERS_ADOLC_VERSION
#define DJ_PEERS_ADOLC_VERSION ""
#endif

// ---- the generic operations of mgh_residuals.inc, for C++ --------------------
// dj_add(a, b) is a + b on whatever a and b are (DJ_T or double), returned
// as DJ_T, as the C11 _Generic family does; sin and cos of DJ_T are found by
// argument-dependent lookup (ADOL-C's ::sin(const badouble &), ceres::sin)
// or are std::sin for double.

struct mgh_dims {
    size_t n, m;
};

#define DJ_NAME(f) f
#define DJ_C(v) DJ_T(v)
#define MGH_N(user) (static_cast<const mgh_dims *>(user)->n)
#define MGH_M(user) (static_cast<const mgh_dims *>(user)->m)
// the constants of problems/mgh.c (defined there for its own translation unit)
#define MGH_SQRT5 2.2360679774997896964091736687313
#define MGH_SQRT10 3.1622776601683793319988935444327
#define MGH_SQRT_1EM5 3.1622776601683793319988935444327e-3

template <class DJ_T> struct mgh_impl {
    template <class A, class B> static DJ_T dj_add(const A &a, const B &b) { return DJ_T(a + b); }
    template <class A, class B> static DJ_T dj_sub(const A &a, const B &b) { return DJ_T(a - b); }
    template <class A, class B> static DJ_T dj_mul(const A &a, const B &b) { return DJ_T(a * b); }
    static DJ_T dj_sin(const DJ_T &a)
    {
        using std::sin;
        return DJ_T(sin(a));
    }
    static DJ_T dj_cos(const DJ_T &a)
    {
        using std::cos;
        return DJ_T(cos(a));
    }

#include "mgh_residuals.inc"

    typedef int (*fn)(void *, const DJ_T *, DJ_T *);
    static fn find(const char *name)
    {
        static const struct {
            const char *name;
            fn f;
        } table[] = {
            { "rosenbrock", mgh_rosenbrock },   { "powell", mgh_powell },
            { "penalty1", mgh_penalty1 },       { "vardim", mgh_vardim },
            { "trig", mgh_trig },               { "brown", mgh_brown },
            { "bvp", mgh_bvp },                 { "inteq", mgh_inteq },
            { "broyden_tri", mgh_broyden_tri }, { "broyden_band", mgh_broyden_band },
            { "linear_full", mgh_linear_full }, { "chebyquad", mgh_chebyquad },
        };
        for (const auto &e : table)
            if (!std::strcmp(e.name, name))
                return e.f;
        return nullptr;
    }
};

#undef DJ_NAME
#undef DJ_C

// ---- a few scalar helpers over double, adouble, Jet --------------------------

static inline double val(double v) { return v; }
static inline double absval(double v) { return std::fabs(v); }
#ifdef DJ_PEERS_ADOLC
static inline double val(const badouble &v) { return v.getValue(); }
static inline adouble absval(const badouble &v) { return adouble(fabs(v)); }
#endif
#ifdef DJ_PEERS_CERES
template <int N> static inline double val(const ceres::Jet<double, N> &v) { return v.a; }
template <int N> static inline ceres::Jet<double, N> absval(const ceres::Jet<double, N> &v)
{
    return abs(v);
}
#endif

// ---- the problems as functors on a generic scalar T ----------------------------
// int operator()(const T *x, T *y, std::vector<T> &work) const, work of
// work_size() elements.

struct Mgh {
    const char *name;
    mgh_dims d;
    size_t work_size() const { return 0; }
    template <class T> int operator()(const T *x, T *y, std::vector<T> &) const
    {
        static thread_local const char *last = nullptr;
        static thread_local typename mgh_impl<T>::fn f = nullptr;
        if (last != name) {
            f = mgh_impl<T>::find(name);
            last = name;
        }
        return f ? f(const_cast<mgh_dims *>(&d), x, y) : -1;
    }
};

// y = W2 tanh(W1 x + b1): matprob_primal_loops (column sweeps).
struct Mlp {
    size_t n, h, m;
    const double *W1, *b1, *W2;
    size_t work_size() const { return h; }
    template <class T> int operator()(const T *x, T *y, std::vector<T> &work) const
    {
        using std::tanh;
        T *a = work.data();
        for (size_t i = 0; i < h; ++i)
            a[i] = T(b1[i]);
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < h; ++i)
                a[i] += W1[i + j * h] * x[j];
        for (size_t i = 0; i < h; ++i)
            a[i] = tanh(a[i]);
        for (size_t i = 0; i < m; ++i)
            y[i] = T(0.0);
        for (size_t j = 0; j < h; ++j)
            for (size_t i = 0; i < m; ++i)
                y[i] += W2[i + j * m] * a[j];
        return 0;
    }
};

// vec(A^-1) by Gauss-Jordan with partial pivoting: matprob.c's gauss_jordan
// on a copy of x (work), the inverse built in y. Pivots compare values.
struct Inverse {
    size_t n;
    size_t work_size() const { return n * n; }
    template <class T> int operator()(const T *x, T *inv, std::vector<T> &work) const
    {
        T *a = work.data();
        for (size_t k = 0; k < n * n; ++k)
            a[k] = x[k];
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i)
                inv[i + j * n] = T(i == j ? 1.0 : 0.0);
        for (size_t k = 0; k < n; ++k) {
            size_t piv = k;
            for (size_t i = k + 1; i < n; ++i)
                if (std::fabs(val(a[i + k * n])) > std::fabs(val(a[piv + k * n])))
                    piv = i;
            if (val(a[piv + k * n]) == 0.0)
                return -1;
            if (piv != k)
                for (size_t j = 0; j < n; ++j) {
                    T t = a[k + j * n];
                    a[k + j * n] = a[piv + j * n];
                    a[piv + j * n] = t;
                    t = inv[k + j * n];
                    inv[k + j * n] = inv[piv + j * n];
                    inv[piv + j * n] = t;
                }
            T d = 1.0 / a[k + k * n];
            for (size_t j = 0; j < n; ++j) {
                a[k + j * n] *= d;
                inv[k + j * n] *= d;
            }
            for (size_t i = 0; i < n; ++i) {
                if (i == k)
                    continue;
                T f = a[i + k * n];
                if (val(f) == 0.0)
                    continue;
                for (size_t j = 0; j < n; ++j) {
                    a[i + j * n] -= f * a[k + j * n];
                    inv[i + j * n] -= f * inv[k + j * n];
                }
            }
        }
        return 0;
    }
};

// log |det A| by LU with partial pivoting, the sum of log |pivots|:
// matprob_primal_loops' logdet branch, on a copy of x (work).
struct Logdet {
    size_t n;
    size_t work_size() const { return n * n; }
    template <class T> int operator()(const T *x, T *y, std::vector<T> &work) const
    {
        using std::log;
        T *a = work.data();
        for (size_t k = 0; k < n * n; ++k)
            a[k] = x[k];
        T s(0.0);
        for (size_t k = 0; k < n; ++k) {
            size_t piv = k;
            for (size_t i = k + 1; i < n; ++i)
                if (std::fabs(val(a[i + k * n])) > std::fabs(val(a[piv + k * n])))
                    piv = i;
            if (val(a[piv + k * n]) == 0.0)
                return -1;
            if (piv != k)
                for (size_t j = k; j < n; ++j) {
                    T t = a[k + j * n];
                    a[k + j * n] = a[piv + j * n];
                    a[piv + j * n] = t;
                }
            T d = a[k + k * n];
            s += log(absval(d));
            for (size_t i = k + 1; i < n; ++i) {
                T f = a[i + k * n] / d;
                for (size_t j = k + 1; j < n; ++j)
                    a[i + j * n] -= f * a[k + j * n];
            }
        }
        y[0] = s;
        return 0;
    }
};

// ---- timing and checking ---------------------------------------------------------

template <class F> static int trampoline(void *c) { return (*static_cast<F *>(c))(); }

template <class F> static int time_fn(const opts *o, F &&f, stat3 *st)
{
    using FF = typename std::remove_reference<F>::type;
    return time_it(o, trampoline<FF>, static_cast<void *>(&f), st);
}

struct Ctx {
    const opts *o;
    size_t n, m;
    const double *x, *Jref;
    double mag;
    std::vector<double> y, J;
    peer_row *rows;
    int nrows;
};

static peer_row *new_row(Ctx &c, int lib, const char *what, const char *note, int counted)
{
    if (c.nrows >= PEER_MAX_ROWS)
        return nullptr;
    peer_row *r = &c.rows[c.nrows++];
    std::memset(r, 0, sizeof *r);
    std::snprintf(r->what, sizeof r->what, "%s", what);
    std::snprintf(r->note, sizeof r->note, "%s", note);
    r->lib = lib;
    r->counted = counted;
    r->t.med = r->t.min = r->t.max = NAN;
    r->err = NAN;
    return r;
}

// Time `run` (returns 0 on success, filling c.J), then run it once more on a
// J full of NaN and compare with the reference.
template <class F> static void measure(Ctx &c, peer_row *r, F &&run)
{
    if (!r)
        return;
    if (time_fn(c.o, run, &r->t) != 0) {
        r->status = 2;
        r->t.med = r->t.min = r->t.max = NAN;
        return;
    }
    std::fill(c.J.begin(), c.J.end(), NAN);
    if (run() != 0) {
        r->status = 2;
        return;
    }
    double e = 0;
    for (size_t k = 0; k < c.m * c.n; ++k) {
        double d = std::fabs(c.J[k] - c.Jref[k]);
        e = std::isnan(d) ? NAN : std::fmax(e, d);
        if (std::isnan(e))
            break;
    }
    r->err = e / std::fmax(c.mag, 1.0);
    r->status = r->err <= PEER_TOL ? 0 : 1;
}

// ---- ADOL-C ------------------------------------------------------------------------

#ifdef DJ_PEERS_ADOLC
// Record f at x on tape `tag` (a user tapes at each new point: the tape
// holds the branches taken there), y = f(x).
template <class Fn>
static int adolc_tape(short tag, const Fn &f, size_t n, size_t m, const double *x, double *y,
                      int keep)
{
    int rc;
    trace_on(tag, keep);
    {
        std::vector<adouble> xa(n), ya(m), w(f.work_size());
        for (size_t j = 0; j < n; ++j)
            xa[j] <<= x[j];
        rc = f(xa.data(), ya.data(), w);
        for (size_t i = 0; i < m; ++i)
            ya[i] >>= y[i];
    }
    trace_off();
    return rc;
}

template <class Fn> static void run_adolc(Ctx &c, const Fn &f)
{
    const short tag = 1;
    const int n = (int)c.n, m = (int)c.m;
    double **JR = myalloc2(c.m, c.n);           // J row by row, as ADOL-C gives it
    double **X = myalloc2(c.n, c.n);            // forward seeds: the identity
    double **U = myalloc2(c.m, c.m);            // reverse weights: the identity
    for (size_t i = 0; i < c.n; ++i)
        for (size_t j = 0; j < c.n; ++j)
            X[i][j] = i == j;
    for (size_t i = 0; i < c.m; ++i)
        for (size_t j = 0; j < c.m; ++j)
            U[i][j] = i == j;
    const double *x = c.x;
    double *y = c.y.data();
    auto out = [&] {                            // JR to column-major c.J
        for (size_t i = 0; i < c.m; ++i)
            for (size_t j = 0; j < c.n; ++j)
                c.J[i + j * c.m] = JR[i][j];
    };
    // ADOL-C's drivers return >= 0 on success (which branch tests held).
    measure(c, new_row(c, PEER_ADOLC, "adolc_jac", "tape + jacobian()", 1), [&] {
        if (adolc_tape(tag, f, c.n, c.m, x, y, 0) != 0 || jacobian(tag, m, n, x, JR) < 0)
            return 1;
        out();
        return 0;
    });
    measure(c, new_row(c, PEER_ADOLC, "adolc_fwd", "tape + fov_forward, p = n", 1), [&] {
        if (adolc_tape(tag, f, c.n, c.m, x, y, 0) != 0 || fov_forward(tag, m, n, n, x, X, y, JR) < 0)
            return 1;
        out();
        return 0;
    });
    measure(c, new_row(c, PEER_ADOLC, "adolc_rev", "tape(keep) + fov_reverse, q = m", 1), [&] {
        // keep = 1: the taping pass leaves what the reverse sweep needs
        if (adolc_tape(tag, f, c.n, c.m, x, y, 1) != 0 || fov_reverse(tag, m, n, m, U, JR) < 0)
            return 1;
        out();
        return 0;
    });
    // for information: jacobian() on a tape made once (valid only while x
    // takes the same branches, so not counted as the peer's figure)
    adolc_tape(tag, f, c.n, c.m, x, y, 0);
    measure(c, new_row(c, PEER_ADOLC, "adolc_jac_reuse", "jacobian(), tape reused (info)", 0),
            [&] {
                if (jacobian(tag, m, n, x, JR) < 0)
                    return 1;
                out();
                return 0;
            });
    myfree2(JR);
    myfree2(X);
    myfree2(U);
}
#endif

// ---- Ceres Jet -----------------------------------------------------------------------

#ifdef DJ_PEERS_CERES
// The Jacobian by Jet<double, W>: ceil(n / W) passes, each seeding W columns
// of the identity, the way a Ceres user writes a dense Jacobian by hand.
template <int W, class Fn> struct JetJac {
    using J = ceres::Jet<double, W>;
    const Fn &f;
    size_t n, m;
    std::vector<J> xs, ys, work;
    JetJac(const Fn &f_, size_t n_, size_t m_)
        : f(f_), n(n_), m(m_), xs(n_), ys(m_), work(f_.work_size()) {}
    int operator()(const double *x, double *y, double *Jout)
    {
        for (size_t j = 0; j < n; ++j) {
            xs[j].a = x[j];
            xs[j].v.setZero();
        }
        for (size_t j0 = 0; j0 < n; j0 += W) {
            size_t w = std::min((size_t)W, n - j0);
            for (size_t k = 0; k < w; ++k)
                xs[j0 + k].v[k] = 1.0;
            int rc = f(xs.data(), ys.data(), work);
            if (rc != 0)
                return rc;
            for (size_t k = 0; k < w; ++k) {
                double *col = Jout + (j0 + k) * m;
                for (size_t i = 0; i < m; ++i)
                    col[i] = ys[i].v[k];
                xs[j0 + k].v[k] = 0.0;
            }
        }
        for (size_t i = 0; i < m; ++i)
            y[i] = ys[i].a;
        return 0;
    }
};

// Width W: one pass of N = n lanes when W == n; a chunk width (8, 16, 32)
// when narrower than n, or when it is the narrowest chunk holding all of n
// and n itself is not a compiled width.
template <int W, class Fn> static void jet_width(Ctx &c, const Fn &f, bool n_compiled)
{
    bool chunk = W == 8 || W == 16 || W == 32;
    bool single = (size_t)W == c.n;
    bool narrowest = chunk && (size_t)W > c.n && !n_compiled &&
                     (W == 8 || (size_t)(W / 2) < c.n);
    if (!single && !(chunk && (size_t)W < c.n) && !narrowest)
        return;
    char what[24], note[64];
    size_t passes = (c.n + W - 1) / W;
    std::snprintf(what, sizeof what, single ? "jetN" : "jet%d", W);
    std::snprintf(note, sizeof note, "Jet<%d>, %zu pass%s%s", W, passes, passes == 1 ? "" : "es",
                  single ? " (N = n)" : "");
    JetJac<W, Fn> jj(f, c.n, c.m);
    measure(c, new_row(c, PEER_CERES, what, note, 1),
            [&] { return jj(c.x, c.y.data(), c.J.data()); });
}

template <int... Ws> struct widths {};

template <class Fn, int... Ws> static void run_jets(Ctx &c, const Fn &f, widths<Ws...>)
{
    bool n_compiled = false;
    for (int w : { Ws... })
        n_compiled = n_compiled || (size_t)w == c.n;
    (jet_width<Ws>(c, f, n_compiled), ...);
}
#endif

// ---- one problem -----------------------------------------------------------------------

template <class Fn, class Widths>
static int run_problem(const opts *o, const Fn &f, Widths ws, size_t n, size_t m,
                       const double *x, const double *Jref, peer_row *rows)
{
    Ctx c;
    c.o = o;
    c.n = n;
    c.m = m;
    c.x = x;
    c.Jref = Jref;
    c.mag = 0;
    for (size_t k = 0; k < m * n; ++k)
        c.mag = std::fmax(c.mag, std::fabs(Jref[k]));
    c.y.resize(m);
    c.J.resize(m * n);
    c.rows = rows;
    c.nrows = 0;
#ifdef DJ_PEERS_ADOLC
    run_adolc(c, f);
#endif
#ifdef DJ_PEERS_CERES
    run_jets(c, f, ws);
#else
    (void)ws;
#endif
    return c.nrows;
}

extern "C" {

const char *peers_built(void)
{
    static char s[160];
    int len = 0;
#ifdef DJ_PEERS_ADOLC
    len += std::snprintf(s + len, sizeof s - (size_t)len, "ADOL-C %s", DJ_PEERS_ADOLC_VERSION);
#endif
#ifdef DJ_PEERS_CERES
    len += std::snprintf(s + len, sizeof s - (size_t)len, "%sCeres %s Jet (Eigen %d.%d.%d)",
                         len ? ", " : "", CERES_VERSION_STRING, EIGEN_WORLD_VERSION,
                         EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
#endif
    return len ? s : nullptr;
}

const char *peers_why_not(void) { return ""; }

const char *peers_flags(void) { return DJ_PEERS_FLAGS; }

int peers_mgh(const opts *o, const char *name, size_t n, size_t m, const double *x,
              const double *Jref, peer_row *rows)
{
    if (!mgh_impl<double>::find(name))
        return 0;
    Mgh f = { name, { n, m } };
    // N = n at the sizes the bench runs (16, 32, 64, 128), chunks 8, 16, 32
    return run_problem(o, f, widths<8, 16, 32, 64, 128>(), n, m, x, Jref, rows);
}

int peers_mat(const opts *o, int kind, size_t n, size_t h, size_t m, const double *W1,
              const double *b1, const double *W2, const double *x, const double *Jref,
              peer_row *rows)
{
    switch (kind) {
    case 0: // mlp n x h x m: N = n for n = 4, 64, 256
        return run_problem(o, Mlp{ n, h, m, W1, b1, W2 }, widths<4, 8, 16, 32, 64, 256>(), n, m,
                           x, Jref, rows);
    case 1: // inverse: n^2 inputs, N = 64 and 256 for n = 8, 16
        return run_problem(o, Inverse{ n }, widths<8, 16, 32, 64, 256>(), n * n, n * n, x, Jref,
                           rows);
    case 2: // logdet: n^2 inputs, N = 256 and 1024 for n = 16, 32
        return run_problem(o, Logdet{ n }, widths<8, 16, 32, 256, 1024>(), n * n, 1, x, Jref,
                           rows);
    default:
        return 0;
    }
}

} // extern "C"

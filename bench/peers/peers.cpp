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
#include <functional>
#include <memory>
#include <new>
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

[[maybe_unused]] static inline double val(double v) { return v; }
[[maybe_unused]] static inline double absval(double v) { return std::fabs(v); }
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

// Partial pivoting: the row (k or below) of the largest |a_ik| in column k
// of the n-by-n column-major a (values compared, as in matprob.c).
template <class T> static size_t pivot_row(const T *a, size_t n, size_t k)
{
    size_t piv = k;
    for (size_t i = k + 1; i < n; ++i)
        if (std::fabs(val(a[i + k * n])) > std::fabs(val(a[piv + k * n])))
            piv = i;
    return piv;
}

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
            size_t piv = pivot_row(a, n, k);
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
            size_t piv = pivot_row(a, n, k);
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

// ---- a set of peer Jacobians -----------------------------------------------------
// fns[k] computes rows[k]'s Jacobian at x into J (column-major, m-by-n);
// the bench times rows[k].run(rows[k].ctx), which calls fns[k].

struct peer_set {
    size_t n = 0, m = 0;
    const double *x = nullptr, *Jref = nullptr;
    double mag = 0;
    std::vector<double> y, J;
    std::vector<peer_row> rows;
    std::vector<std::function<int()>> fns;
#ifdef DJ_PEERS_ADOLC
    double **JR = nullptr, **X = nullptr, **U = nullptr;
    ~peer_set()
    {
        if (JR) {
            myfree2(JR);
            myfree2(X);
            myfree2(U);
        }
    }
#endif
};

static int run_fn(void *c) { return (*static_cast<std::function<int()> *>(c))(); }

static void add(peer_set &s, int lib, const char *what, const char *note, int counted,
                std::function<int()> f)
{
    peer_row r;
    std::memset(&r, 0, sizeof r);
    std::snprintf(r.what, sizeof r.what, "%s", what);
    std::snprintf(r.note, sizeof r.note, "%s", note);
    r.lib = lib;
    r.counted = counted;
    r.run = run_fn;
    r.t.med = r.t.min = r.t.max = NAN;
    r.err = NAN;
    s.rows.push_back(r);
    s.fns.push_back(std::move(f));
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

template <class Fn> static void add_adolc(peer_set &s, const Fn &f)
{
    const int n = (int)s.n, m = (int)s.m;
    s.JR = myalloc2(s.m, s.n);                  // J row by row, as ADOL-C gives it
    s.X = myalloc2(s.n, s.n);                   // forward seeds: the identity
    s.U = myalloc2(s.m, s.m);                   // reverse weights: the identity
    for (size_t i = 0; i < s.n; ++i)
        for (size_t j = 0; j < s.n; ++j)
            s.X[i][j] = i == j;
    for (size_t i = 0; i < s.m; ++i)
        for (size_t j = 0; j < s.m; ++j)
            s.U[i][j] = i == j;
    peer_set *p = &s;
    auto out = [p] {                            // JR to column-major J
        for (size_t i = 0; i < p->m; ++i)
            for (size_t j = 0; j < p->n; ++j)
                p->J[i + j * p->m] = p->JR[i][j];
    };
    // ADOL-C's drivers return >= 0 on success (which branch tests held).
    add(s, PEER_ADOLC, "adolc_jac", "tape + jacobian()", 1, [p, f, n, m, out] {
        if (adolc_tape(1, f, p->n, p->m, p->x, p->y.data(), 0) != 0 ||
            jacobian(1, m, n, p->x, p->JR) < 0)
            return 1;
        out();
        return 0;
    });
    add(s, PEER_ADOLC, "adolc_fwd", "tape + fov_forward, p = n", 1, [p, f, n, m, out] {
        if (adolc_tape(1, f, p->n, p->m, p->x, p->y.data(), 0) != 0 ||
            fov_forward(1, m, n, n, p->x, p->X, p->y.data(), p->JR) < 0)
            return 1;
        out();
        return 0;
    });
    add(s, PEER_ADOLC, "adolc_rev", "tape(keep) + fov_reverse, q = m", 1, [p, f, n, m, out] {
        // keep = 1: the taping pass leaves what the reverse sweep needs
        if (adolc_tape(1, f, p->n, p->m, p->x, p->y.data(), 1) != 0 ||
            fov_reverse(1, m, n, m, p->U, p->JR) < 0)
            return 1;
        out();
        return 0;
    });
    // for information: jacobian() on a tape made once (valid only while x
    // takes the same branches, so not counted as the peer's figure)
    adolc_tape(2, f, s.n, s.m, s.x, s.y.data(), 0);
    add(s, PEER_ADOLC, "adolc_jac_reuse", "jacobian(), tape reused (info)", 0, [p, n, m, out] {
        if (jacobian(2, m, n, p->x, p->JR) < 0)
            return 1;
        out();
        return 0;
    });
}
#endif

// ---- Ceres Jet -----------------------------------------------------------------------

#ifdef DJ_PEERS_CERES
// The Jacobian by Jet<double, W>: ceil(n / W) passes, each seeding W columns
// of the identity, the way a Ceres user writes a dense Jacobian by hand.
template <int W, class Fn> struct JetJac {
    using J = ceres::Jet<double, W>;
    Fn f;
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
template <int W, class Fn> static void jet_width(peer_set &s, const Fn &f, bool n_compiled)
{
    bool chunk = W == 8 || W == 16 || W == 32;
    bool single = (size_t)W == s.n;
    bool narrowest = chunk && (size_t)W > s.n && !n_compiled &&
                     (W == 8 || (size_t)(W / 2) < s.n);
    if (!single && !(chunk && (size_t)W < s.n) && !narrowest)
        return;
    char what[24], note[64];
    size_t passes = (s.n + W - 1) / W;
    std::snprintf(what, sizeof what, single ? "jetN" : "jet%d", W);
    std::snprintf(note, sizeof note, "Jet<%d>, %zu pass%s%s", W, passes, passes == 1 ? "" : "es",
                  single ? " (N = n)" : "");
    auto jj = std::make_shared<JetJac<W, Fn>>(f, s.n, s.m);
    peer_set *p = &s;
    add(s, PEER_CERES, what, note, 1, [p, jj] { return (*jj)(p->x, p->y.data(), p->J.data()); });
}

template <int... Ws> struct widths {};

template <class Fn, int... Ws> static void add_jets(peer_set &s, const Fn &f, widths<Ws...>)
{
    bool n_compiled = false;
    for (int w : { Ws... })
        n_compiled = n_compiled || (size_t)w == s.n;
    (jet_width<Ws>(s, f, n_compiled), ...);
}
#endif

// ---- one problem -----------------------------------------------------------------------

template <class Fn, class Widths>
static peer_set *make_set(const Fn &f, Widths ws, size_t n, size_t m, const double *x,
                          const double *Jref)
{
    peer_set *s = new (std::nothrow) peer_set;
    if (!s)
        return nullptr;
    s->n = n;
    s->m = m;
    s->x = x;
    s->Jref = Jref;
    for (size_t k = 0; k < m * n; ++k)
        s->mag = std::fmax(s->mag, std::fabs(Jref[k]));
    s->y.resize(m);
    s->J.resize(m * n);
#ifdef DJ_PEERS_ADOLC
    add_adolc(*s, f);
#endif
#ifdef DJ_PEERS_CERES
    add_jets(*s, f, ws);
#else
    (void)ws;
#endif
    for (size_t k = 0; k < s->rows.size(); ++k)   // the vectors are complete now
        s->rows[k].ctx = &s->fns[k];
    return s;
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

peer_set *peers_mgh(const char *name, size_t n, size_t m, const double *x, const double *Jref)
{
    if (!mgh_impl<double>::find(name))
        return nullptr;
    Mgh f = { name, { n, m } };
    // N = n at the sizes the bench runs (16, 32, 64, 128), chunks 8, 16, 32
    return make_set(f, widths<8, 16, 32, 64, 128>(), n, m, x, Jref);
}

peer_set *peers_mat(int kind, size_t n, size_t h, size_t m, const double *W1,
                    const double *b1, const double *W2, const double *x, const double *Jref)
{
    switch (kind) {
    case 0: // mlp n x h x m: N = n for n = 4, 64, 256
        return make_set(Mlp{ n, h, m, W1, b1, W2 }, widths<4, 8, 16, 32, 64, 256>(), n, m, x,
                        Jref);
    case 1: // inverse: n^2 inputs, N = 64 and 256 for n = 8, 16
        return make_set(Inverse{ n }, widths<8, 16, 32, 64, 256>(), n * n, n * n, x, Jref);
    case 2: // logdet: n^2 inputs, N = 256 and 1024 for n = 16, 32
        return make_set(Logdet{ n }, widths<8, 16, 32, 256, 1024>(), n * n, 1, x, Jref);
    default:
        return nullptr;
    }
}

peer_row *peers_rows(peer_set *s, int *count)
{
    *count = s ? (int)s->rows.size() : 0;
    return s && !s->rows.empty() ? s->rows.data() : nullptr;
}

void peers_check(peer_set *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->rows.size(); ++k) {
        peer_row &r = s->rows[k];
        std::fill(s->J.begin(), s->J.end(), NAN);
        if (s->fns[k]() != 0) {
            r.status = 2;
            continue;
        }
        double e = 0;
        for (size_t q = 0; q < s->m * s->n; ++q) {
            double d = std::fabs(s->J[q] - s->Jref[q]);
            e = std::isnan(d) ? NAN : std::fmax(e, d);
            if (std::isnan(e))
                break;
        }
        r.err = e / std::fmax(s->mag, 1.0);
        r.status = r.err <= PEER_TOL ? 0 : 1;
    }
}

void peers_free(peer_set *s) { delete s; }

} // extern "C"

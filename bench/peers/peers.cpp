// peers.cpp - dualjac-peers: the same Jacobians by dualjac, ADOL-C (taping,
// its jacobian() driver, forward and reverse vector modes) and Ceres' Jet
// type (one pass of N = n lanes, and chunks of 8/16/32 lanes), timed in one
// run the way dualjac-bench times (median of K samples, each >= 20 ms),
// each as R = T / T_primal with T_primal dualjac-bench's plain loop primal.
//
// The functions are written once below as C++ templates on the scalar type,
// each a line-by-line transcription of dualjac's C source of the problem
// (problems/mgh_residuals.inc, problems/matprob.c): instantiated on double
// they are the primal again (timed as a cross-check of the C primal), on
// adouble what ADOL-C tapes, on ceres::Jet what Ceres differentiates.
// Every Jacobian is checked against the hand-derived one of the problem
// library and against dualjac's forward Jacobian.
//
// Built only when ADOL-C and/or Ceres (Eigen3 + ceres/jet.h) are found
// (CMakeLists.txt); DJ_PEERS_ADOLC / DJ_PEERS_CERES say which.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#ifdef DJ_PEERS_ADOLC
#include <adolc/adolc.h>
#endif
#ifdef DJ_PEERS_CERES
#include <ceres/jet.h>
#include <ceres/version.h>
#endif

#include "peers_dj.h"

#ifndef DJ_PEERS_FLAGS
#define DJ_PEERS_FLAGS "unknown"
#endif
#ifndef DJ_PEERS_ADOLC_VERSION
#define DJ_PEERS_ADOLC_VERSION ""
#endif
#ifndef DJ_PEERS_COMPILER
#define DJ_PEERS_COMPILER "unknown"
#endif

// ---- timing: as bench/bench.c's time_it ------------------------------------

static int g_samples = 9;
static double g_min_sample = 0.02;

struct stat3 {
    double med, min, max;
};

static double now()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

template <class Fn> static int time_it(Fn &&run, stat3 *st)
{
    int rc = run();
    if (rc != 0)
        return rc;
    long reps = 1;
    for (;;) {
        double t0 = now();
        for (long r = 0; r < reps; ++r)
            run();
        double t = now() - t0;
        if (t >= g_min_sample || reps > (1L << 30))
            break;
        reps = t > 0 ? (long)(reps * std::fmin(100.0, 1.2 * g_min_sample / t)) + 1 : reps * 100;
    }
    double s[64];
    int ns = g_samples > 64 ? 64 : g_samples;
    for (int k = 0; k < ns; ++k) {
        double t0 = now();
        for (long r = 0; r < reps; ++r)
            run();
        s[k] = (now() - t0) / (double)reps;
    }
    std::sort(s, s + ns);
    st->med = s[ns / 2];
    st->min = s[0];
    st->max = s[ns - 1];
    return 0;
}

// ---- scalar helpers over double, adouble, Jet ---------------------------------

static inline double val(double v) { return v; }
static inline void assign(double &t, double v) { t = v; }
#ifdef DJ_PEERS_ADOLC
static inline double val(const badouble &v) { return v.getValue(); }
static inline void assign(adouble &t, double v) { t = v; }
#endif
#ifdef DJ_PEERS_CERES
template <int N> static inline double val(const ceres::Jet<double, N> &v) { return v.a; }
template <int N> static inline void assign(ceres::Jet<double, N> &t, double v)
{
    t = ceres::Jet<double, N>(v);
}
#endif

// ---- the problems, on a generic scalar T ---------------------------------------
// Each: int operator()(const T *x, T *y, std::vector<T> &work) const, with
// work of work_size() elements.

// (26) trigonometric, m = n: mgh_trig of problems/mgh_residuals.inc.
struct Trig {
    size_t n;
    size_t work_size() const { return 0; }
    template <class T> int operator()(const T *x, T *y, std::vector<T> &) const
    {
        using std::cos;
        using std::sin;
        y[0] = cos(x[0]);
        T s = y[0];
        for (size_t j = 1; j < n; ++j) {
            y[j] = cos(x[j]);
            s = s + y[j];
        }
        T base = (double)n - s;
        for (size_t i = 0; i < n; ++i) {
            T t = (double)(i + 1) * (1.0 - y[i]);
            T r = base + t;
            y[i] = r - sin(x[i]);
        }
        return 0;
    }
};

// (35) Chebyquad, m = n: mgh_chebyquad of problems/mgh_residuals.inc.
struct Chebyquad {
    size_t n, m;
    size_t work_size() const { return 0; }
    template <class T> int operator()(const T *x, T *y, std::vector<T> &) const
    {
        for (size_t i = 0; i < m; ++i)
            assign(y[i], 0.0);
        for (size_t j = 0; j < n; ++j) {
            T u = 2.0 * x[j] - 1.0;
            T u2 = 2.0 * u;
            T tm = T(1.0), tc = u;
            y[0] = y[0] + u;
            for (size_t i = 1; i < m; ++i) {
                T tn = u2 * tc - tm;
                y[i] = y[i] + tn;
                tm = tc;
                tc = tn;
            }
        }
        const double rn = 1.0 / (double)n;
        for (size_t i = 0; i < m; ++i) {
            y[i] = rn * y[i];
            if (i % 2 == 1) {
                double k = (double)(i + 1);
                y[i] = y[i] + 1.0 / (k * k - 1.0);
            }
        }
        return 0;
    }
};

// y = W2 tanh(W1 x + b1): matprob_primal_loops of problems/matprob.c.
struct Mlp {
    size_t n, h, m;
    const double *W1, *b1, *W2;
    size_t work_size() const { return h; }
    template <class T> int operator()(const T *x, T *y, std::vector<T> &work) const
    {
        using std::tanh;
        T *a = work.data();
        for (size_t i = 0; i < h; ++i)
            assign(a[i], b1[i]);
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < h; ++i)
                a[i] += W1[i + j * h] * x[j];
        for (size_t i = 0; i < h; ++i)
            a[i] = tanh(a[i]);
        for (size_t i = 0; i < m; ++i)
            assign(y[i], 0.0);
        for (size_t j = 0; j < h; ++j)
            for (size_t i = 0; i < m; ++i)
                y[i] += W2[i + j * m] * a[j];
        return 0;
    }
};

// vec(A^-1) by Gauss-Jordan with partial pivoting: matprob.c's gauss_jordan
// (a copy of x in work, the inverse built in y). Pivots compare values.
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
                assign(inv[i + j * n], i == j ? 1.0 : 0.0);
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

// ---- one problem: rows of results -----------------------------------------------

struct Row {
    std::string what;
    stat3 t = { NAN, NAN, NAN };
    double err = NAN;     // max |J - J_analytic| / max |J_analytic|
    double err_dj = NAN;  // max |J - J_dualjac_forward| / max |J_analytic|
    bool ok = false;
};

struct Summary {
    std::string label;
    double primal_c, primal_cpp;
    double dj_fwd, dj_auto, dj_rev;           // seconds (NaN: n/a)
    double ad_tapejac, ad_jac, ad_fov, ad_rev; // seconds
    double jet_n, jet_best;
    std::string jet_best_what, auto_mode;
};

struct Ctx {
    const char *label;
    pj_prob *p;
    size_t n, m;
    std::vector<double> x, y, Jref, Jdj, J;
    double mag;
    std::vector<Row> rows;
    double tprimal;
};

static void errors(Ctx &c, const double *J, Row &r)
{
    double e = 0, ed = 0;
    for (size_t k = 0; k < c.m * c.n; ++k) {
        e = std::fmax(e, std::fabs(J[k] - c.Jref[k]));
        ed = std::fmax(ed, std::fabs(J[k] - c.Jdj[k]));
    }
    if (std::isnan(e) || std::isnan(ed))
        e = ed = NAN;
    r.err = e / std::fmax(c.mag, 1e-300);
    r.err_dj = ed / std::fmax(c.mag, 1e-300);
}

static void print_row(const Ctx &c, const Row &r, double t_dj_auto)
{
    if (!r.ok) {
        std::printf("  %-38s %12s\n", r.what.c_str(), "n/a");
        return;
    }
    std::printf("  %-38s %10.2f us %10.2f %10.2f %9.2f %8.2f   %8.1e %8.1e%s\n",
                r.what.c_str(), r.t.med * 1e6, r.t.min * 1e6, r.t.max * 1e6,
                r.t.med / c.tprimal, r.t.med / t_dj_auto, r.err, r.err_dj,
                std::isnan(r.err) || r.err > 1e-10 ? "  WRONG" : "");
}

#ifdef DJ_PEERS_CERES
// Jacobian by Jet<double, W>: ceil(n / W) passes, each seeding W columns of
// the identity, the way a Ceres user writes a dense Jacobian.
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
        if (y)
            for (size_t i = 0; i < m; ++i)
                y[i] = ys[i].a;
        return 0;
    }
};

template <int W, class Fn> static void run_jet(Ctx &c, const Fn &f, const char *tag)
{
    JetJac<W, Fn> jj(f, c.n, c.m);
    Row r;
    char what[64];
    std::snprintf(what, sizeof what, "ceres Jet<%d>%s (%zu pass%s)", W, tag,
                  (c.n + W - 1) / W, (c.n + W - 1) / W == 1 ? "" : "es");
    r.what = what;
    r.ok = time_it([&] { return jj(c.x.data(), c.y.data(), c.J.data()); }, &r.t) == 0;
    if (r.ok) {
        std::fill(c.J.begin(), c.J.end(), NAN);
        jj(c.x.data(), c.y.data(), c.J.data());
        errors(c, c.J.data(), r);
    }
    c.rows.push_back(r);
}
#endif

#ifdef DJ_PEERS_ADOLC
static short g_tag = 1;

template <class Fn>
static int adolc_tape(short tag, const Fn &f, size_t n, size_t m, const double *x, double *y)
{
    int rc;
    {
        trace_on(tag);
        std::vector<adouble> xa(n), ya(m), w(f.work_size());
        for (size_t j = 0; j < n; ++j)
            xa[j] <<= x[j];
        rc = f(xa.data(), ya.data(), w);
        for (size_t i = 0; i < m; ++i)
            ya[i] >>= y[i];
        trace_off();
    }
    return rc;
}

static void rows_to_colmajor(double **R, size_t m, size_t n, double *J)
{
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j)
            J[i + j * m] = R[i][j];
}

template <class Fn> static void run_adolc(Ctx &c, const Fn &f)
{
    short tag = g_tag++;
    int n = (int)c.n, m = (int)c.m;
    double **JR = myalloc2(c.m, c.n);
    double **X = myalloc2(c.n, c.n), **U = myalloc2(c.m, c.m);
    for (size_t i = 0; i < c.n; ++i)
        for (size_t j = 0; j < c.n; ++j)
            X[i][j] = i == j;
    for (size_t i = 0; i < c.m; ++i)
        for (size_t j = 0; j < c.m; ++j)
            U[i][j] = i == j;
    const double *x = c.x.data();
    double *y = c.y.data();

    // the tape's size, once
    adolc_tape(tag, f, c.n, c.m, x, y);
    size_t st[STAT_SIZE];
    tapestats(tag, st);
    std::printf("  (ADOL-C tape: %zu operations, %zu locations, %zu values%s)\n",
                st[NUM_OPERATIONS], st[NUM_MAX_LIVES], st[NUM_VALUES],
                st[NUM_OPERATIONS] > OBUFSIZE ? " - larger than the in-core buffer" : "");

    auto add = [&](const char *what, auto &&run, bool rowmajor) {
        Row r;
        r.what = what;
        r.ok = time_it(run, &r.t) == 0;
        if (r.ok) {
            for (size_t i = 0; i < c.m; ++i)
                std::fill(JR[i], JR[i] + c.n, NAN);
            run();
            (void)rowmajor;
            rows_to_colmajor(JR, c.m, c.n, c.J.data());
            errors(c, c.J.data(), r);
        }
        c.rows.push_back(r);
    };
    // ADOL-C drivers return >= 0 on success (values 0..3 say which branch
    // tests held); negative is an error.
    add("adolc tape + jacobian()",
        [&] {
            adolc_tape(tag, f, c.n, c.m, x, y);
            return jacobian(tag, m, n, x, JR) < 0;
        },
        true);
    adolc_tape(tag, f, c.n, c.m, x, y);
    add("adolc jacobian() (tape reused)", [&] { return jacobian(tag, m, n, x, JR) < 0; }, true);
    add("adolc fov_forward (tape reused)",
        [&] { return fov_forward(tag, m, n, n, x, X, y, JR) < 0; }, true);
    add("adolc fov_reverse (tape reused)",
        [&] {
            if (zos_forward(tag, m, n, 1, x, y) < 0)
                return 1;
            return (int)(fov_reverse(tag, m, n, m, U, JR) < 0);
        },
        true);
    myfree2(JR);
    myfree2(X);
    myfree2(U);
}
#endif

template <class Fn> static void run_problem(const char *label, pj_prob *p, const Fn &f,
                                            std::vector<Summary> &sum)
{
    Ctx c;
    c.label = label;
    c.p = p;
    c.n = pj_n(p);
    c.m = pj_m(p);
    c.x.resize(c.n);
    c.y.resize(c.m);
    c.Jref.resize(c.m * c.n);
    c.Jdj.resize(c.m * c.n);
    c.J.resize(c.m * c.n);
    pj_start(p, c.x.data());
    pj_reference(p, c.x.data(), c.Jref.data());
    c.mag = 0;
    for (double v : c.Jref)
        c.mag = std::fmax(c.mag, std::fabs(v));
    int rc = pj_jac(p, 1, c.x.data(), c.y.data(), c.Jdj.data());
    if (rc != 0) {
        std::printf("%s: dualjac forward failed: %s\n", label, pj_strerror(rc));
        return;
    }

    // the primals: dualjac-bench's C loop (the reference of R), and the
    // C++ template below on double (a cross-check: should be the same)
    stat3 tp = { NAN, NAN, NAN }, tpp = { NAN, NAN, NAN };
    time_it([&] { return pj_primal(p, c.x.data(), c.y.data()); }, &tp);
    std::vector<double> wd(f.work_size()), ycpp(c.m), yc(c.m);
    time_it([&] { return f(c.x.data(), ycpp.data(), wd); }, &tpp);
    pj_primal(p, c.x.data(), yc.data());
    f(c.x.data(), ycpp.data(), wd);
    double dy = 0;
    for (size_t i = 0; i < c.m; ++i)
        dy = std::fmax(dy, std::fabs(yc[i] - ycpp[i]));
    c.tprimal = tp.med;
    char plan[64];
    pj_plan(p, plan, sizeof plan);
    std::printf("%s  (n = %zu, m = %zu)\n", label, c.n, c.m);
    std::printf("  primal: C loop %.3f us (min %.3f, max %.3f);  C++ template on double "
                "%.3f us;  |y_C - y_C++| = %.1e\n",
                tp.med * 1e6, tp.min * 1e6, tp.max * 1e6, tpp.med * 1e6, dy);

    // dualjac
    const char *names[3] = { "dualjac dj_jacobian (auto)", "dualjac dj_jacfwd", "dualjac reverse" };
    stat3 tdj[3] = {};
    bool okdj[3] = { false, false, false };
    for (int mode : { 1, 0, 2 }) {
        Row r;
        r.what = names[mode];
        if (mode == 1)
            r.what += std::string(" (") + plan + ")";
        if (mode == 0)
            r.what += std::string(" -> ") + pj_auto_mode(p);
        r.ok = time_it([&] { return pj_jac(p, mode, c.x.data(), c.y.data(), c.J.data()); },
                       &r.t) == 0;
        okdj[mode] = r.ok;
        tdj[mode] = r.t;
        if (r.ok) {
            std::fill(c.J.begin(), c.J.end(), NAN);
            pj_jac(p, mode, c.x.data(), c.y.data(), c.J.data());
            errors(c, c.J.data(), r);
        }
        c.rows.push_back(r);
    }
    size_t first_peer = c.rows.size();
#ifdef DJ_PEERS_ADOLC
    run_adolc(c, f);
#endif
#ifdef DJ_PEERS_CERES
    // one pass of N = n lanes where n is a compiled width, and chunks
    switch (c.n) {
    case 4: run_jet<4>(c, f, " N=n"); break;
    case 64: run_jet<64>(c, f, " N=n"); break;
    case 128: run_jet<128>(c, f, " N=n"); break;
    case 256: run_jet<256>(c, f, " N=n"); break;
    default: break;
    }
    if (c.n > 8) {
        run_jet<8>(c, f, "");
        run_jet<16>(c, f, "");
        run_jet<32>(c, f, "");
    }
#endif
    double tauto = okdj[0] ? tdj[0].med : NAN;
    std::printf("  %-38s %13s %10s %10s %9s %8s   %8s %8s\n", "Jacobian by", "median", "min",
                "max", "R", "T/T_dj", "err", "vs djfwd");
    for (size_t i = 0; i < c.rows.size(); ++i) {
        if (i == first_peer)
            std::printf("  ----\n");
        print_row(c, c.rows[i], tauto);
    }
    std::printf("\n");

    Summary s;
    s.label = label;
    s.primal_c = tp.med;
    s.primal_cpp = tpp.med;
    s.dj_fwd = okdj[1] ? tdj[1].med : NAN;
    s.dj_auto = tauto;
    s.dj_rev = okdj[2] ? tdj[2].med : NAN;
    s.ad_tapejac = s.ad_jac = s.ad_fov = s.ad_rev = s.jet_n = s.jet_best = NAN;
    s.auto_mode = pj_auto_mode(p);
    for (size_t i = first_peer; i < c.rows.size(); ++i) {
        const Row &r = c.rows[i];
        double t = r.ok ? r.t.med : NAN;
        if (r.what.rfind("adolc tape", 0) == 0) s.ad_tapejac = t;
        else if (r.what.rfind("adolc jacobian", 0) == 0) s.ad_jac = t;
        else if (r.what.rfind("adolc fov_forward", 0) == 0) s.ad_fov = t;
        else if (r.what.rfind("adolc fov_reverse", 0) == 0) s.ad_rev = t;
        else if (r.what.rfind("ceres", 0) == 0) {
            if (r.what.find("N=n") != std::string::npos)
                s.jet_n = t;
            if (r.ok && !(t >= s.jet_best)) {
                s.jet_best = t;
                s.jet_best_what = r.what.substr(6, r.what.find(' ', 6) - 6);
            }
        }
    }
    sum.push_back(s);
}

static bool wanted(int argc, char **argv, const char *label)
{
    bool any = false;
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-')
            continue;
        any = true;
        if (std::strstr(label, argv[i]))
            return true;
    }
    return !any;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--samples") && i + 1 < argc)
            g_samples = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--quick")) {
            g_samples = 5;
            g_min_sample = 0.01;
        } else if (!std::strcmp(argv[i], "--help")) {
            std::printf("usage: dualjac-peers [--quick] [--samples K] [PROBLEM-SUBSTRING...]\n"
                        "Times the Jacobians of trig, chebyquad, three MLPs and the 16x16\n"
                        "inverse by dualjac and by ADOL-C / Ceres Jet; R = T / T_primal with\n"
                        "T_primal the plain C loop primal of dualjac-bench.\n");
            return 0;
        }
    }
    std::printf("dualjac-peers (dualjac %s)\n", pj_version());
    std::printf("compiler: %s\nflags: %s\n", DJ_PEERS_COMPILER, DJ_PEERS_FLAGS);
    std::printf("peers:");
#ifdef DJ_PEERS_ADOLC
    std::printf(" ADOL-C %s", DJ_PEERS_ADOLC_VERSION);
#endif
#ifdef DJ_PEERS_CERES
    std::printf(" Ceres %s (Jet, Eigen %d.%d.%d)", CERES_VERSION_STRING, EIGEN_WORLD_VERSION,
                EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
#endif
    std::printf("\ntiming: median of %d samples of >= %.0f ms each; R = T / T_primal (C loop "
                "primal); T/T_dj = T / T(dualjac dj_jacobian auto);\n"
                "err = max|J - J_analytic| / max|J_analytic|, vs djfwd the same against "
                "dualjac's forward Jacobian\n\n",
                g_samples, g_min_sample * 1e3);

    std::vector<Summary> sum;
    int fails = 0;
    for (const char *name : { "trig", "chebyquad" }) {
        char label[64];
        std::snprintf(label, sizeof label, "%s n=128", name);
        if (!wanted(argc, argv, label))
            continue;
        pj_prob *p = pj_mgh(name, 128);
        if (!p) {
            fails++;
            continue;
        }
        if (!std::strcmp(name, "trig"))
            run_problem(label, p, Trig{ 128 }, sum);
        else
            run_problem(label, p, Chebyquad{ 128, pj_m(p) }, sum);
        pj_free(p);
    }
    struct { size_t n, h, m; } shapes[] = { { 4, 256, 256 }, { 64, 64, 64 }, { 256, 256, 4 } };
    for (auto &s : shapes) {
        char label[64];
        std::snprintf(label, sizeof label, "mlp %zux%zux%zu", s.n, s.h, s.m);
        if (!wanted(argc, argv, label))
            continue;
        pj_prob *p = pj_mlp(s.n, s.h, s.m);
        if (!p) {
            fails++;
            continue;
        }
        run_problem(label, p, Mlp{ s.n, s.h, s.m, pj_W1(p), pj_b1(p), pj_W2(p) }, sum);
        pj_free(p);
    }
    if (wanted(argc, argv, "inverse n=16")) {
        pj_prob *p = pj_inverse(16);
        if (p)
            run_problem("inverse n=16", p, Inverse{ 16 }, sum);
        else
            fails++;
        pj_free(p);
    }

    std::printf("summary: R = T / T_primal (C loop primal); last columns: how many times "
                "dualjac's auto Jacobian is faster than the peer\n");
    std::printf("%-16s %10s %8s %8s %8s %9s %9s %9s %9s %9s %9s %8s %8s %8s\n", "problem",
                "T_primal", "dj fwd", "dj auto", "dj rev", "ad tp+jac", "ad jac", "ad fov_f",
                "ad fov_r", "Jet N=n", "Jet best", "x ad t+j", "x ad jac", "x Jet");
    for (const Summary &s : sum) {
        double p = s.primal_c;
        std::printf("%-16s %7.2f us %8.2f %8.2f %8.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f "
                    "%8.2f %8.2f %8.2f   (auto: %s; Jet best: %s)\n",
                    s.label.c_str(), p * 1e6, s.dj_fwd / p, s.dj_auto / p, s.dj_rev / p,
                    s.ad_tapejac / p, s.ad_jac / p, s.ad_fov / p, s.ad_rev / p, s.jet_n / p,
                    s.jet_best / p, s.ad_tapejac / s.dj_auto, s.ad_jac / s.dj_auto,
                    s.jet_best / s.dj_auto, s.auto_mode.c_str(), s.jet_best_what.c_str());
    }
    return fails ? 1 : 0;
}

#!/usr/bin/python3
"""torch_peer.py - time PyTorch's Jacobians on dualjac-bench's matrix programs.

The programs are those of problems/matprob.c, with the same weights and
input point (its xorshift generator is ported below):
  mlp n x h x m:  y = W2 tanh(W1 x + b1), Jacobian w.r.t. x (m-by-n),
                  for 256x256x4, 4x256x256 and 64x64x64;
  logdet n:       y = log |det A|, A = the n*n inputs in column-major (vec)
                  order, random in [-1, 1] plus n on the diagonal (well
                  conditioned, not symmetric); gradient w.r.t. all n*n
                  entries, for n = 16 and 32.
Timed in float64 on one thread: the primal (grad mode off) and every
Jacobian PyTorch offers: autograd.functional.jacobian reverse-mode with
vectorize=False (m backward passes) and True, forward-mode (vectorize=True),
and jacrev / jacfwd (torch.func, or functorch on torch < 2.0). Each time is
the median (and min) of several samples, each sample repeating the call for
>= 20 ms (--quick: 5 samples of >= 5 ms), samples taken in turn across the
rows of a problem, as dualjac-bench does. Each Jacobian is checked against
the formula (mlp: W2 diag(1 - tanh^2(W1 x + b1)) W1; logdet: A^-T):
err = max |J - J_formula| / max(max |J_formula|, 1).

R = T / T_primal, against PyTorch's own primal and, with --bench-json FILE
(the file `dualjac-bench --only matrix --json FILE` wrote, on the same
machine just before), against the three C primals in it: loops, dots, BLAS.

  OPENBLAS_NUM_THREADS=1 build-native/dualjac-bench --only matrix --no-peers \\
      --json /tmp/mat.json
  /usr/bin/python3 bench/peers/torch_peer.py --bench-json /tmp/mat.json
"""
import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before torch loads its BLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.autograd.functional as AF  # noqa: E402

try:
    from torch.func import jacfwd, jacrev
    FUNC = "torch.func"
except ImportError:
    try:
        from functorch import jacfwd, jacrev
        FUNC = "functorch"
    except ImportError:
        jacfwd = jacrev = FUNC = None

M64 = (1 << 64) - 1


def rnd_stream(seed):
    """matprob.c's rnd(): xorshift64 then a multiply, uniform in [0, 1)."""
    s = seed
    while True:
        s ^= s >> 12
        s = (s ^ (s << 25)) & M64
        s ^= s >> 27
        yield (((s * 2685821657736338717) & M64) >> 11) / 9007199254740992.0


def uniform(gen, k, scale=1.0):
    """k values (2 rnd - 1) * scale, in generation order."""
    return torch.tensor([(2 * next(gen) - 1) * scale for _ in range(k)], dtype=torch.float64)


def mlp(n, h, m):
    """matprob_mlp(n, h, m, seed 1) and matprob_start(seed 42)."""
    g = rnd_stream(1)
    W1 = uniform(g, h * n, n ** -0.5).reshape(n, h).T.contiguous()  # column-major h-by-n
    b1 = uniform(g, h)
    W2 = uniform(g, m * h, h ** -0.5).reshape(h, m).T.contiguous()
    x = uniform(rnd_stream(42), n)

    def f(x):
        return W2 @ torch.tanh(W1 @ x + b1)

    def formula(x):
        t = torch.tanh(W1 @ x + b1)
        return (W2 * (1 - t * t)) @ W1
    return f"mlp {n}x{h}x{m}", f, x, formula


def logdet(n):
    """matprob_logdet(n), matprob_start(seed 42): vec(A), A_ij = x[i + j n]."""
    g = rnd_stream(42)
    x = torch.tensor([2 * next(g) - 1 + (n if i == j else 0)
                      for j in range(n) for i in range(n)], dtype=torch.float64)

    def f(x):
        return torch.linalg.slogdet(x.reshape(n, n).T)[1].reshape(1)

    def formula(x):  # vec(A^-T)[k + l n] = (A^-1)[l, k] = row-major flatten of A^-1
        return torch.linalg.inv(x.reshape(n, n).T).reshape(1, n * n)
    return f"logdet n={n}", f, x, formula


def methods(f):
    """(name, mode, call) for each Jacobian PyTorch offers."""
    ms = [("autograd rev loop", "rev", lambda x: AF.jacobian(f, x, vectorize=False)),
          ("autograd rev vmap", "rev", lambda x: AF.jacobian(f, x, vectorize=True)),
          ("autograd fwd vmap", "fwd", lambda x: AF.jacobian(
              f, x, vectorize=True, strategy="forward-mode"))]
    if FUNC:
        ms += [(f"{FUNC}.jacrev", "rev", jacrev(f)), (f"{FUNC}.jacfwd", "fwd", jacfwd(f))]
    return ms


def time_group(calls, grad, samples, min_sample):
    """dualjac-bench's time_group: calibrate each call to >= min_sample s per
    sample, then take the samples in turn; (median, min) s per call each.
    grad[i]: autograd on for calls[i] (switched per sample, not per call)."""
    reps = []
    for c, g in zip(calls, grad):
        r = 1
        while True:
            t0 = time.perf_counter()
            with torch.set_grad_enabled(g):
                for _ in range(r):
                    c()
            t = time.perf_counter() - t0
            if t >= min_sample:
                break
            r = int(r * min(100.0, 1.2 * min_sample / t)) + 1 if t > 0 else r * 100
        reps.append(r)
    s = [[] for _ in calls]
    for _ in range(samples):
        for i, c in enumerate(calls):
            t0 = time.perf_counter()
            with torch.set_grad_enabled(grad[i]):
                for _ in range(reps[i]):
                    c()
            s[i].append((time.perf_counter() - t0) / reps[i])
    return [(sorted(v)[len(v) // 2], min(v)) for v in s]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 1)[1])
    ap.add_argument("--bench-json", metavar="FILE",
                    help="dualjac-bench --json output: also R against its C primals")
    ap.add_argument("--quick", action="store_true", help="5 samples of >= 5 ms (else 9 of 20 ms)")
    a = ap.parse_args()
    samples, min_sample = (5, 0.005) if a.quick else (9, 0.02)
    torch.set_num_threads(1)
    cprim, prims = {}, ["torch"]
    if a.bench_json:
        with open(a.bench_json) as fh:
            bj = json.load(fh)
        for r in bj["rows"]:
            if r["what"].startswith("primal_"):
                cprim[(r["problem"], r["what"][7:].replace("blas", "BLAS"))] = r["median_s"]
        prims += ["loops", "dots", "BLAS"]
        print(f"C primals from {a.bench_json}: dualjac {bj.get('version')}, {bj.get('compiler')}"
              f", threads {bj.get('threads')}, median of {bj.get('samples')} samples of >= "
              f"{bj.get('min_sample_s', 0) * 1e3:.0f} ms\n  blas: {bj.get('blas')}")
    torch.ones(2, 2, dtype=torch.float64) @ torch.ones(2, 2, dtype=torch.float64)  # load BLAS
    try:  # which BLAS torch really calls (Linux): the library files mapped in
        with open("/proc/self/maps") as fh:
            libs = sorted({os.path.basename(ln.split()[-1]) for ln in fh
                           if "blas" in os.path.basename(ln.split()[-1]).lower()})
    except OSError:
        libs = ["?"]
    print(f"torch {torch.__version__}, BLAS: {', '.join(libs)}\nthreads "
          f"{torch.get_num_threads()} (OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})"
          f", dtype float64, jacrev/jacfwd: {FUNC or 'not available'}")
    print(f"timing: median of {samples} samples of >= {min_sample * 1e3:.0f} ms each; "
          "R = T / T_primal; err = max |J - J_formula| / max(max |J_formula|, 1)\n")
    best = []
    for label, f, x, formula in [mlp(256, 256, 4), mlp(4, 256, 256), mlp(64, 64, 64),
                                 logdet(16), logdet(32)]:
        Jf = formula(x)
        rows = []
        for name, mode, jac in methods(f):
            try:
                J = jac(x).reshape(Jf.shape)
                err = ((J - Jf).abs().max() / max(Jf.abs().max().item(), 1.0)).item()
                rows.append((name, mode, lambda jac=jac, x=x: jac(x), err))
            except Exception as e:  # not supported by this torch: say so
                print(f"  ({label}: {name} failed: {type(e).__name__}: {str(e)[:80]})")
        ts = time_group([lambda f=f, x=x: f(x)] + [r[2] for r in rows],
                        [False] + [True] * len(rows), samples, min_sample)
        tp = {"torch": ts[0][0]}
        for p in prims[1:]:
            tp[p] = cprim.get((label, p), float("nan"))
        print(f"{label}   primal: torch {tp['torch'] * 1e6:.2f} us"
              + "".join(f", {p} {tp[p] * 1e6:.2f} us" for p in prims[1:]))
        print(f"  {'Jacobian':22s} {'median':>11s} {'min':>11s} "
              + " ".join(f"{'R ' + p:>8s}" for p in prims) + f" {'err':>9s}")
        for (name, mode, _, err), (med, mn) in zip(rows, ts[1:]):
            ok = err <= 1e-12
            print(f"  {name:22s} {med * 1e6:8.2f} us {mn * 1e6:8.2f} us "
                  + " ".join(f"{med / tp[p]:8.2f}" for p in prims)
                  + f" {err:9.1e}{'' if ok else '  WRONG'}")
        for mode in ("fwd", "rev"):
            mine = [(med, r[0]) for r, (med, _) in zip(rows, ts[1:])
                    if r[1] == mode and r[3] <= 1e-12]
            if mine:
                med, name = min(mine)
                best.append((label, mode, name, {p: med / tp[p] for p in prims}))
        print()
    print("best right PyTorch Jacobian per mode: R against each primal")
    print(f"  {'problem':16s} {'mode':4s} {'method':22s} "
          + " ".join(f"{'R ' + p:>8s}" for p in prims))
    for label, mode, name, R in best:
        print(f"  {label:16s} {mode:4s} {name:22s} " + " ".join(f"{R[p]:8.2f}" for p in prims))


if __name__ == "__main__":
    main()

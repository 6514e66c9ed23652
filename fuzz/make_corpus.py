#!/usr/bin/env python3
"""make_corpus.py - write the seed corpus fuzz/corpus/ (deterministic).

One seed per matrix operation code of fuzz_dualjac.c (a square input, so the
LAPACK-backed operations are reached, with the SPD helper in front of the
factorizations that need it), a few multi-operation matrix programs, and
scalar programs over every scalar operation. The byte layout is the
decoder's in fuzz_dualjac.c; libFuzzer mutates from here. Files named
regress_* are inputs the fuzzer found (each broke an invariant once) and
are left alone. Run from the repository root: python3 fuzz/make_corpus.py"""
import os
import random

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    if not f.startswith("regress_"):      # inputs the fuzzer found: kept
        os.remove(os.path.join(out, f))
rng = random.Random(7)


def val(x=None):
    """A moderate value: tag byte (not a multiple of 4), then k = x * 2048."""
    if x is None:
        x = rng.uniform(-2, 2)
    k = int(round(x * 2048)) & 0xFFFF
    return bytes([1, k & 0xFF, k >> 8])


def hostile(i):
    return bytes([0, i])


def matrix_seed(ops, shape=1, nconst=1, host=()):
    b = bytearray([0, shape])               # kind: matrix; shape index
    nin = [1, 4, 9, 2, 3, 6, 6, 16, 4, 8][shape]
    for j in range(nin):
        b += hostile(host[j]) if j < len(host) else val()
    b += bytes([nconst])
    for _ in range(nconst):
        b += bytes([1])                      # a 2x2 constant
        for _ in range(4):
            b += val()
    b += bytes([len(ops) - 1])
    for op, p0 in ops:
        b += bytes([op, 1, 0, p0, rng.randrange(256)]) + val(1.5)
    b += bytes([0, 0, 0])                    # chunk options
    return bytes(b)


SPD, SYM = 26, 25
names = {}
for op in range(30):
    if op in (18, 19):                       # chol, cholsolve: an SPD input
        seq = [(SPD, 0), (op, 0)] if op == 18 else [(SPD, 0), (18, 0), (19, 0)]
    elif op == 20:
        seq = [(SYM, 0), (op, 1)]
    else:
        seq = [(op, rng.randrange(256))]
    names["m_op%02d" % op] = matrix_seed(seq, shape=1)
names["m_mlp"] = matrix_seed([(4, 0), (9, 17), (4, 0), (12, 0)], shape=2)
names["m_logdet_spd"] = matrix_seed([(SPD, 0), (17, 1)], shape=2)
names["m_svd_vecs"] = matrix_seed([(22, 2), (4, 0)], shape=5)
names["m_expm_inv"] = matrix_seed([(23, 0), (13, 0), (24, 0)], shape=2)
names["m_qr"] = matrix_seed([(21, 1), (4, 1)], shape=5)
names["m_singular"] = matrix_seed([(13, 0)], shape=1, host=(2, 2, 2, 2))
names["m_nan"] = matrix_seed([(14, 0), (9, 3)], shape=1, host=(7, 2, 3, 2))
names["m_inf_chol"] = matrix_seed([(18, 0)], shape=1, host=(8, 0, 0, 8))
names["m_mismatch"] = matrix_seed([(4, 0), (0, 0), (14, 0)], shape=6)


def scalar_seed(n, ops, m=2, host=()):
    b = bytearray([1, n - 1, len(ops) - 1, m - 1, 5])
    for j in range(n):
        b += hostile(host[j]) if j < len(host) else val()
    for op in ops:
        b += bytes([op, 1, rng.randrange(256), rng.randrange(256), 1]) + val()
    b += bytes([rng.randrange(256) for _ in range(8)])
    return bytes(b)


for s in range(12):
    n = 1 + s % 6
    ops = [rng.randrange(50) for _ in range(4 + 2 * s)]
    names["s_prog%02d" % s] = scalar_seed(n, ops, m=1 + s % 4)
names["s_all_unary"] = scalar_seed(2, list(range(21, 50)), m=4)
names["s_all_binary"] = scalar_seed(3, list(range(1, 21)), m=3)
names["s_zero_sqrt"] = scalar_seed(2, [29, 25, 3], m=2, host=(0, 1))
names["s_nan_inf"] = scalar_seed(3, [1, 3, 4, 22], m=2, host=(7, 8, 13))

for name, data in sorted(names.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("%d seeds, %d bytes, in %s" % (len(names), sum(map(len, names.values())), out))

"""``python -m lowrank demo``: every capability on synthetic data, checked and timed.

Each row runs one routine, measures its error against the exact dense answer and its
time against the usual dense or peer route, and passes when the error is below a
stated bound. The exit status is 1 when any row fails. The first run also compiles
the Numba kernels (cached on disk for later runs); that time is shown separately.
"""

import time

import numpy as np
import scipy.fft
import scipy.linalg
import scipy.sparse.linalg as spla

import lowrank
from lowrank.testing.matrices import matrix_with_spectrum, psd_matrix


def _timed(fn, repeats=3):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def _rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(np.asarray(b)), 1e-300))


def _row(name, err, bound, t_ours, t_ref, ref_name):
    ok = bool(np.isfinite(err) and err <= bound)
    return {"name": name, "err": err, "bound": bound, "ours": t_ours, "ref": t_ref,
            "ref_name": ref_name, "ok": ok}


def _transforms(rng):
    rows = []
    n = 2**12
    x = rng.standard_normal((8, n))
    H = scipy.linalg.hadamard(n).astype(np.float64)
    y, t = _timed(lambda: lowrank.fwht(x))
    ref, t_ref = _timed(lambda: x @ H)
    rows.append(_row("fwht 8 x 2^12", _rel(y, ref), 1e-13, t, t_ref, "x @ hadamard(n)"))
    x = rng.standard_normal(2**18) + 1j * rng.standard_normal(2**18)
    perm = lowrank.bitrev(2**18)
    y, t = _timed(lambda: lowrank.fftbr(x))
    ref, t_ref = _timed(lambda: scipy.fft.fft(x[perm]))
    rows.append(_row("fftbr 2^18 complex", _rel(y, ref), 1e-13, t, t_ref, "fft(x[bitrev])"))
    rows.append(_row("ifftbr(fftbr(x)) == x", _rel(lowrank.ifftbr(y), x), 1e-13, np.nan, np.nan, ""))
    return rows


def _sketches(rng):
    rows = []
    A = np.linalg.qr(rng.standard_normal((4096, 20)))[0]  # orthonormal columns
    for kind in ("gaussian", "srht", "sparse_sign"):
        SA, t = _timed(lambda: lowrank.sketch(A, 200, kind=kind, rng=0))
        s = np.linalg.svd(SA, compute_uv=False)
        distortion = float(max(s.max() - 1, 1 - s.min()))
        rows.append(_row(f"sketch {kind} 4096x20 -> 200 (embedding distortion)", distortion, 0.6,
                         t, np.nan, ""))
    return rows


def _factorizations(rng):
    rows = []
    m, n, k = 1200, 800, 30
    s = 0.9 ** np.arange(min(m, n))
    A = matrix_with_spectrum(m, n, s, rng=1).A
    (U, S, Vh), t = _timed(lambda: lowrank.rsvd(A, k, rng=0))
    _, t_ref = _timed(lambda: np.linalg.svd(A, full_matrices=False), repeats=1)
    err = np.linalg.norm(A - (U * S) @ Vh, 2) / s[k]
    rows.append(_row(f"rsvd {m}x{n} k={k} (spectral error / optimal - 1)", err - 1, 1e-3, t, t_ref,
                     "numpy svd"))
    s_slow = (np.arange(min(m, n)) + 1.0) ** -0.5
    B = matrix_with_spectrum(m, n, s_slow, rng=2).A
    (U, S, Vh), t = _timed(lambda: lowrank.rsvd(B, k, method="krylov", rng=0))
    rows.append(_row("rsvd krylov, slow decay (max singular value error)",
                     float(np.max(np.abs(S - s_slow[:k]) / s_slow[:k])), 6e-3, t, t_ref, "numpy svd"))
    tol = float(np.sqrt(np.sum(s[k:] ** 2) / np.sum(s**2)))
    res, t = _timed(lambda: lowrank.rsvd(A, tol=tol, rng=0))
    err = np.linalg.norm(A - (res.U * res.S) @ res.Vh) / np.linalg.norm(A)
    rows.append(_row(f"rsvd tol={tol:.1e} (error / tol; rank {len(res.S)})", err / tol, 1.0, t, t_ref,
                     "numpy svd"))
    # Nyström on a PSD matrix and the preconditioned CG it enables
    w_true = 0.8 ** np.arange(600)
    P, _ = psd_matrix(600, w_true, rng=3)
    (w, V), t = _timed(lambda: lowrank.nystrom(P, 30, rng=0))
    _, t_ref = _timed(lambda: scipy.linalg.eigh(P), repeats=1)
    err = np.trace(P - (V * w) @ V.T) / np.sum(w_true[30:])  # P - Â is PSD: trace = trace norm
    rows.append(_row("nystrom 600x600 k=30 (trace error / optimal)", float(err), 3.0, t, t_ref, "eigh"))
    mu = 1e-6
    b = rng.standard_normal(600)
    K = spla.aslinearoperator(P + mu * np.eye(600))
    counts = {"plain": 0, "pcg": 0}

    def count(key):
        def cb(_):
            counts[key] += 1
        return cb

    spla.cg(K, b, rtol=1e-10, maxiter=5000, callback=count("plain"))
    M = lowrank.nystrom_preconditioner(P, 80, mu, rng=0)
    x, _ = spla.cg(K, b, rtol=1e-10, maxiter=5000, M=M, callback=count("pcg"))
    exact = np.linalg.solve(P + mu * np.eye(600), b)
    rows.append(_row(f"Nystrom-PCG: {counts['pcg']} vs {counts['plain']} CG iterations (rel. error)",
                     _rel(x, exact), 1e-6, np.nan, np.nan, ""))
    # CUR / ID on an exact-rank matrix: exact recovery
    L = matrix_with_spectrum(400, 300, np.linspace(1, 0.1, 25), rng=4).A
    (cols, X), t = _timed(lambda: lowrank.column_id(L, 25, rng=0))
    rows.append(_row("column_id exact rank 25 (relative error)", _rel(L[:, cols] @ X, L), 1e-10, t, np.nan, ""))
    for method in ("deim", "qr", "leverage"):
        (C, Um, R, _, _), t = _timed(lambda: lowrank.cur(L, 25, method=method, rng=0))
        rows.append(_row(f"cur {method} exact rank 25 (relative error)", _rel(C @ Um @ R, L), 1e-9, t,
                         np.nan, ""))
    return rows


def _least_squares(rng):
    rows = []
    A = matrix_with_spectrum(20000, 80, np.logspace(0, -8, 80), rng=5).A
    b = A @ rng.standard_normal(80) + 1e-4 * rng.standard_normal(20000)
    ref, t_ref = _timed(lambda: np.linalg.lstsq(A, b, rcond=None)[0])
    for kind in ("srht", "gaussian"):
        res, t = _timed(lambda: lowrank.sketched_lstsq(A, b, sketch=kind, rng=0))
        # both are backward stable: compare the optimality of the residuals (||A^T r||)
        ne = np.linalg.norm(A.T @ (A @ res.x - b)) / np.linalg.norm(A.T @ (A @ ref - b))
        rows.append(_row(f"sketched_lstsq {kind}, cond 1e8: ||A^T r|| / QR's ({res.iterations} its)",
                         ne, 10.0, t, t_ref, "numpy lstsq"))
    return rows


def _structured(rng):
    """Curvature, tensors, completion and QMC kernels: each against its dense answer."""
    rows = []
    G = rng.standard_normal((32, 2000))
    x = rng.standard_normal(2000)
    F = 1e-2 * np.eye(2000) + G.T @ G / 32
    ref, t_ref = _timed(lambda: np.linalg.solve(F, x), repeats=1)
    y, t = _timed(lambda: lowrank.InverseFisher(G, damping=1e-2).ihvp(x))
    rows.append(_row("InverseFisher.ihvp, m=32, d=2000 (rel. error)", _rel(y, ref), 1e-10, t, t_ref,
                     "dense solve"))
    core = rng.standard_normal((3, 4, 2))
    U = [np.linalg.qr(rng.standard_normal((n, r)))[0] for n, r in ((30, 3), (25, 4), (20, 2))]
    T = lowrank.tensor.tucker_to_tensor(core, U)
    (c, f), t = _timed(lambda: lowrank.tucker(T, (3, 4, 2)))
    rows.append(_row("tucker, exact multilinear rank (3, 4, 2) (rel. error)",
                     _rel(lowrank.tensor.tucker_to_tensor(c, f), T), 1e-12, t, np.nan, ""))
    M = rng.standard_normal((200, 4)) @ rng.standard_normal((4, 150))
    i, j = np.nonzero(rng.random(M.shape) < 0.25)
    res, t = _timed(lambda: lowrank.altmin_complete(i, j, M[i, j], M.shape, 4, tol=1e-10, n_iter=300, rng=0),
                    repeats=1)
    rows.append(_row(f"altmin_complete 25% of a rank-4 200x150 ({res.n_iter} sweeps) (rel. error)",
                     _rel(res.U @ res.V.T, M), 1e-6, t, np.nan, ""))
    from . import qmc

    pts = qmc.lattice(1024, 3, rng=0)
    kern = qmc.ShiftInvariantKernel(3)
    K = kern(pts[:, None], pts[None, :]) + 1e-6 * np.eye(1024)
    b = rng.standard_normal(1024)
    ref, t_ref = _timed(lambda: np.linalg.solve(K, b), repeats=1)
    sol, t = _timed(lambda: qmc.FastGram(pts, kern, noise=1e-6).solve(b))
    rows.append(_row("FastGram.solve, lattice n=1024, SI kernel (relative residual)",
                     _rel(K @ sol, b), 1e-8, t, t_ref, "dense solve"))
    fn = lambda X: np.exp(X[:, 0]) * np.cos(2 * X[:, 1])  # noqa: E731
    model, t = _timed(lambda: lowrank.ChebTucker.fit(fn, [(0, 1), (-1, 1)], 24), repeats=1)
    X = rng.random((500, 2)) * [1, 2] - [0, 1]
    rows.append(_row(f"ChebTucker degree 24, ranks {model.ranks} (max abs error)",
                     float(np.abs(model(X) - fn(X)).max()), 1e-10, t, np.nan, ""))
    return rows


def _print(rows, compile_s):
    print(f"lowrank {lowrank.__version__} demo (first pass, incl. Numba compile/cache load: {compile_s:.1f} s)")
    head = f"{'check':64s} {'error':>10s} {'bound':>8s} {'ours':>9s} {'reference':>22s}  ok"
    print(head)
    print("-" * len(head))
    for r in rows:
        ours = "" if not np.isfinite(r["ours"]) else f"{r['ours'] * 1e3:7.1f}ms"
        ref = "" if not np.isfinite(r["ref"]) else f"{r['ref'] * 1e3:.1f}ms {r['ref_name']}"
        print(f"{r['name'][:64]:64s} {r['err']:10.2e} {r['bound']:8.0e} {ours:>9s} {ref:>22s}  "
              f"{'yes' if r['ok'] else 'FAIL'}")


def main(argv=()):
    """Run the demo; return 0 when every check passes, 1 otherwise."""
    rng = np.random.default_rng(2026)
    t0 = time.perf_counter()
    lowrank.fwht(np.ones((2, 8)))
    lowrank.fftbr(np.ones(2**15))
    lowrank.sketch(np.ones((8, 2)), 4, kind="sparse_sign", rng=0)
    compile_s = time.perf_counter() - t0
    rows = (_transforms(rng) + _sketches(rng) + _factorizations(rng) + _least_squares(rng)
            + _structured(rng))
    _print(rows, compile_s)
    failed = [r["name"] for r in rows if not r["ok"]]
    if failed:
        print(f"FAILED: {len(failed)} check(s): " + "; ".join(failed))
        return 1
    print(f"all {len(rows)} checks passed")
    return 0

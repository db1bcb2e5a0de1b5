"""Nyström, Nyström-preconditioned CG, interpolative and CUR decompositions against SciPy and scikit-learn.

Problems (accuracy checked before timing; inaccurate methods are not timed):

* ``nystrom``: the RBF kernel matrix ``K_ij = exp(-||x_i - x_j||^2 / (2 h^2))`` of
  ``X`` (n x 8, N(0, 1) entries), h = 2 and 4, formed densely outside the timing;
  rank r. Ours ``lowrank.nystrom(K, r, oversample=20)`` and the same with
  ``n_iter=1`` against ``sklearn.utils.extmath.randomized_svd(K, r)`` (defaults),
  ``scipy.sparse.linalg.eigsh(K, r)``, ``scipy.linalg.eigh(K, subset_by_index=top r)``
  and ``sklearn.kernel_approximation.Nystroem(kernel="rbf", gamma=1/(2h^2),
  n_components=r)`` fitted on X (uniform landmarks; its approximation is
  ``Phi Phi^T`` with ``Phi = transform(X)``; it evaluates its own kernel columns,
  which is inside its time). Errors are ratios to the optimum: the trace (nuclear)
  norm of ``K - Khat`` over the sum of the eigenvalues of K beyond r, and the
  spectral norm over ``lambda_{r+1}``; the top r + 1 eigenvalues come from LAPACK
  (``eigvalsh``, outside the timing).
* ``krr``: kernel ridge ``(K + mu I) x = y``, ``mu = 1e-3 lambda_1``, y random;
  ``scipy.sparse.linalg.cg`` (rtol 1e-8) plain and with
  ``M = lowrank.nystrom_preconditioner(K, r, mu)`` for several r, the
  preconditioner's construction inside the PCG time; iterations counted by callback.
* ``id`` and ``cur``: ``A = U diag(s) V^T`` (m x m), ``s_i = 0.9^i`` and
  ``1/(i+1)``, rank k. Ours ``lowrank.column_id(A, k)`` against
  ``scipy.linalg.interpolative.interp_decomp(A, k)`` (+ ``reconstruct_interp_matrix``;
  since SciPy 1.15 its ``rand=True`` path is dead code: a deterministic pivoted QR),
  and ``lowrank.cur(A, k, method=m)`` for m = deim, qr, leverage against CUR from
  two SciPy IDs (columns of A and of A^T, middle factor ``pinv(C) A pinv(R)``).
  Errors: spectral and Frobenius norms of the residual over ``s_k`` and
  ``sqrt(sum s[k:]^2)``.

How the errors are computed: for n <= ``EXACT_MAX_N`` the error matrix is formed
and its eigenvalues (symmetric) or singular values are computed exactly. Above, the
n x n error matrix is never formed: with ``Khat = U Z`` (U orthonormal, n x r), the
trace norm lies between ``max(tr(K - Khat), tr((I-P)K(I-P)))`` (``trace_ratio``,
exact when ``K - Khat`` is PSD, which holds by construction for Nyström, truncated
eigendecompositions and sklearn's Nystroem) and ``tr((I-P)K(I-P)) + ||(I-P)KU||_* +
||G(I-P)||_* + ||GU||_*`` with ``G = U^T K - Z`` (``trace_ratio_ub``, rigorous, by
the triangle inequality on the four blocks; ``randomized_svd``'s ``U S V^T`` is not
symmetric, so for it only the bracket is known); spectral norms come from ARPACK
(``eigsh``/``svds`` on the error as an operator, relative tolerance 1e-6).

After the table, the ratios the project's targets name are printed with PASS/MISS
(informational only: the exit status reflects the accuracy of ours alone, with
generous tolerances; the variants of ours -- ``n_iter=1``, the larger PCG ranks,
``cur(method="qr")`` -- count too when run as a script).

Run from the repository root::

    python -m benchmarks.bench_nystrom_cur [--quick] [--out DIR] [--blas-threads N]

The full run takes about 7 minutes and 0.9 GB on 2 busy cores with ``--blas-threads 1``
(the dense ``eigh``/``eigsh`` peers and the reference spectra dominate: each method runs
three times, warm-up, calibration and one round). ``--krr-ranks 200,800,1600`` adds a
larger PCG rank (on h = 2 only r = 1600 reached 10x fewer iterations in our runs; it
costs about 25 s per call there).
"""

import math
import os
import sys
import time

import numpy as np
import scipy.linalg
import scipy.sparse.linalg as spla
from scipy.spatial.distance import cdist

import lowrank
from benchmarks import harness
from lowrank.testing.matrices import matrix_with_spectrum

NAME = "nystrom_cur"

FULL = {"n": 5000, "d": 8, "rank": 200, "oversample": 20, "bandwidths": (2.0, 4.0),
        "krr_ranks": (200, 800, 1600), "id_n": 3000, "id_rank": 50}
QUICK = {"n": 400, "d": 8, "rank": 20, "oversample": 20, "bandwidths": (2.0, 4.0),
         "krr_ranks": (20, 40, 80), "id_n": 300, "id_rank": 10}
FULL_REPEATS, FULL_BUDGET_S = 3, 3.0  # defaults in full mode (the slow peers get one round)

EXACT_MAX_N = 1500  # form the error matrix and take all its eigen/singular values up to here
ARPACK_TOL, ARPACK_NCV, ARPACK_MAXITER = 1e-6, 40, 300
CG_RTOL = 1e-8
MU_FACTOR = 1e-3  # mu = MU_FACTOR * lambda_1
GEOMETRIC_CUTOFF = 1e-20  # 0.9^i below this (relative) are dropped: far below rounding of A

# Tolerances for ours (generous: a normal run passes; the targets are separate).
TOL_NYSTROM = {"trace_ratio": 5.0, "spectral_ratio": 50.0}  # single-pass spectral error is often 5-10x
TOL_PCG = {"rel_residual": 1e-6}
TOL_ID = {"spectral_ratio": 5.0, "fro_ratio": 5.0}
TOL_CUR = {"spectral_ratio": 10.0, "fro_ratio": 10.0}

OURS_NYS, OURS_NYS1 = "lowrank.nystrom", "lowrank.nystrom(n_iter=1)"
RSVD, EIGSH, EIGH, SK_NYS = "sklearn.randomized_svd", "scipy.eigsh", "scipy.linalg.eigh(subset)", \
    "sklearn.Nystroem"
PLAIN_CG = "scipy.cg (plain)"
OURS_ID, SCIPY_ID = "lowrank.column_id", "scipy.interp_decomp"
CUR_IDS = "CUR from 2 scipy IDs"


def _pcg_name(r):
    return f"lowrank PCG r={r}"


def _cur_name(method):
    return f"lowrank.cur({method})"


# --------------------------------------------------------------------------- error norms


def _arpack_norm(op, symmetric, seed):
    """||op||_2 by ARPACK (a Ritz value: a lower bound, to ARPACK_TOL relative)."""
    n = op.shape[1] if symmetric else min(op.shape)
    v0 = np.random.default_rng(seed).standard_normal(n)
    ncv = min(ARPACK_NCV, n - 1)
    try:
        if symmetric:
            w = spla.eigsh(op, k=1, which="LM", tol=ARPACK_TOL, ncv=ncv, v0=v0,
                           maxiter=ARPACK_MAXITER, return_eigenvectors=False)
        else:
            w = spla.svds(op, k=1, tol=ARPACK_TOL, ncv=ncv, v0=v0, maxiter=ARPACK_MAXITER,
                          return_singular_vectors=False, solver="arpack")
    except spla.ArpackNoConvergence as exc:  # keep what converged, if anything
        w = exc.eigenvalues
        if len(w) == 0:
            return math.nan
    return float(np.max(np.abs(w)))


def _nuclear(M):
    return float(np.sum(scipy.linalg.svdvals(M, check_finite=False)))


def _kernel_errors(K, trace_K, U, Z, symmetric, ref, seed):
    """Trace-norm and spectral errors of ``Khat = U @ Z`` (U orthonormal (n, r), Z (r, n)).

    Returns ``{"trace_ratio", "trace_ratio_ub", "spectral_ratio"}`` (see the module
    docstring: exact for small n; a lower bound and a rigorous upper bound above).
    """
    n = K.shape[0]
    KU = K @ U
    UKU = U.T @ KU
    tr_perp = trace_K - float(np.trace(UKU))  # tr((I-P) K (I-P))
    tr_err = trace_K - float(np.trace(Z @ U))  # tr(K - U Z)
    G = KU.T - Z  # U^T (K - Khat)
    GU = G @ U
    ub = (tr_perp + _nuclear(KU - U @ UKU) + _nuclear(G - GU @ U.T) + _nuclear(GU))
    del KU, G
    out = {"trace_ratio_ub": ub / ref["trace_opt"]}
    if n <= EXACT_MAX_N:
        E = K - U @ Z
        if symmetric:
            E = (E + E.T) / 2  # U Z is symmetric up to rounding
            vals = np.abs(scipy.linalg.eigvalsh(E, check_finite=False))
        else:
            vals = scipy.linalg.svdvals(E, check_finite=False)
        out["trace_ratio"] = float(np.sum(vals)) / ref["trace_opt"]
        out["spectral_ratio"] = float(np.max(vals)) / ref["spectral_opt"]
        return out
    out["trace_ratio"] = max(tr_err, tr_perp) / ref["trace_opt"]
    ZT = np.ascontiguousarray(Z.T)
    op = spla.LinearOperator(
        (n, n), dtype=K.dtype,
        matvec=lambda x: K @ x - U @ (Z @ x),
        rmatvec=lambda x: K @ x - ZT @ (U.T @ x),
        matmat=lambda X: K @ X - U @ (Z @ X),
        rmatmat=lambda X: K @ X - ZT @ (U.T @ X))
    out["spectral_ratio"] = _arpack_norm(op, symmetric, seed) / ref["spectral_opt"]
    return out


def _residual_errors(E, ref, seed):
    """Spectral and Frobenius ratios of the residual E to the optimum."""
    fro = float(np.linalg.norm(E))
    if min(E.shape) <= EXACT_MAX_N:
        spec = float(scipy.linalg.svdvals(E, check_finite=False)[0])
    else:
        spec = _arpack_norm(spla.aslinearoperator(E), False, seed)
    return {"spectral_ratio": spec / ref["spectral_opt"], "fro_ratio": fro / ref["fro_opt"]}


# --------------------------------------------------------------------------- Nyström problems


def rbf_kernel_matrix(X, h):
    """Dense ``exp(-||x_i - x_j||^2 / (2 h^2))``, exactly symmetric with unit diagonal."""
    K = cdist(X, X, "sqeuclidean")
    K *= -1.0 / (2.0 * h * h)
    np.exp(K, out=K)
    return K


def _eig_accuracy(K, trace_K, ref, seed):
    def accuracy(result):
        w, V = result
        w = np.asarray(w, dtype=np.float64)
        return _kernel_errors(K, trace_K, V, w[:, None] * V.T, True, ref, seed)
    return accuracy


def _rsvd_accuracy(K, trace_K, ref, seed):
    def accuracy(result):
        U, S, Vt = result
        return _kernel_errors(K, trace_K, U, S[:, None] * Vt, False, ref, seed)
    return accuracy


def _features_accuracy(K, trace_K, ref, seed):
    def accuracy(Phi):
        Q, T = scipy.linalg.qr(Phi, mode="economic", check_finite=False)  # Phi Phi^T = Q T T^T Q^T
        return _kernel_errors(K, trace_K, Q, (T @ T.T) @ Q.T, True, ref, seed)
    return accuracy


def _sk_nystroem(X, gamma, rank, seed):
    from sklearn.kernel_approximation import Nystroem  # ImportError -> "unavailable"

    return Nystroem(kernel="rbf", gamma=gamma, n_components=rank, random_state=seed).fit(X).transform(X)


def _randomized_svd(K, rank, seed):
    from sklearn.utils.extmath import randomized_svd  # ImportError -> "unavailable"

    return randomized_svd(K, rank, random_state=seed)


def nystrom_case(K, X, h, ref, cfg, seed):
    n, r, p = K.shape[0], cfg["rank"], cfg["oversample"]
    trace_K = float(np.trace(K))
    acc = _eig_accuracy(K, trace_K, ref, seed)
    methods = {
        OURS_NYS: harness.Method(lambda: lowrank.nystrom(K, r, oversample=p, rng=seed), tol=TOL_NYSTROM),
        OURS_NYS1: harness.Method(lambda: lowrank.nystrom(K, r, oversample=p, n_iter=1, rng=seed),
                                  tol=TOL_NYSTROM),
        RSVD: harness.Method(lambda: _randomized_svd(K, r, seed),
                             accuracy=_rsvd_accuracy(K, trace_K, ref, seed)),
        EIGSH: lambda: spla.eigsh(K, r),
        EIGH: lambda: scipy.linalg.eigh(K, subset_by_index=[n - r, n - 1]),
        SK_NYS: harness.Method(lambda: _sk_nystroem(X, 1.0 / (2.0 * h * h), r, seed),
                               accuracy=_features_accuracy(K, trace_K, ref, seed)),
    }
    return harness.Case(
        name=f"nystrom RBF n={n} h={h:g} r={r}", methods=methods, ours=OURS_NYS, accuracy=acc,
        size=float(n), group="nystrom",
        params={"kind": "nystrom", "n": n, "d": X.shape[1], "h": h, "rank": r, "oversample": p,
                "checked_variants": [OURS_NYS1], "lambda_1": ref["lambda_1"],
                "lambda_r+1": ref["spectral_opt"], "trace_opt": ref["trace_opt"],
                "errors": "exact" if n <= EXACT_MAX_N else "bounds + ARPACK"})


def _cg_counted(Aop, y, M):
    count = [0]

    def callback(_):
        count[0] += 1

    x, info = spla.cg(Aop, y, rtol=CG_RTOL, M=M, callback=callback)
    return x, info, count[0]


def krr_case(K, h, ref, cfg, seed):
    n = K.shape[0]
    mu = MU_FACTOR * ref["lambda_1"]
    y = np.random.default_rng([seed, 7]).standard_normal(n)
    Aop = spla.LinearOperator((n, n), dtype=K.dtype, matvec=lambda x: K @ x + mu * x,
                              matmat=lambda X: K @ X + mu * X)
    y_norm = float(np.linalg.norm(y))

    def accuracy(result):
        x, info, iters = result
        res = float(np.linalg.norm(K @ x + mu * x - y)) / y_norm
        return {"rel_residual": res if info == 0 else math.inf, "cg_iterations": float(iters)}

    def pcg(r):
        return lambda: _cg_counted(Aop, y, lowrank.nystrom_preconditioner(K, r, mu, rng=seed))

    ranks = cfg["krr_ranks"]
    methods = {_pcg_name(r): harness.Method(pcg(r), tol=TOL_PCG) for r in ranks}
    methods[PLAIN_CG] = lambda: _cg_counted(Aop, y, None)
    return harness.Case(
        name=f"krr CG n={n} h={h:g}", methods=methods, ours=_pcg_name(ranks[0]), accuracy=accuracy,
        size=float(n), group="krr",
        params={"kind": "krr", "n": n, "h": h, "mu": mu, "mu_over_lambda_1": MU_FACTOR,
                "rtol": CG_RTOL, "ranks": list(ranks),
                "checked_variants": [_pcg_name(r) for r in ranks[1:]],
                "note": "PCG time includes building the preconditioner"})


def _reference_spectrum(K, r):
    """Top r + 1 eigenvalues of K (LAPACK), for the optimal rank-r errors and lambda_1."""
    n = K.shape[0]
    w = scipy.linalg.eigvalsh(K, subset_by_index=[n - r - 1, n - 1], check_finite=False)[::-1]
    return {"lambda_1": float(w[0]), "spectral_opt": float(w[r]),
            "trace_opt": float(np.trace(K)) - float(np.sum(w[:r]))}


# --------------------------------------------------------------------------- ID / CUR problems


def _spectrum(kind, m):
    i = np.arange(m, dtype=np.float64)
    if kind == "0.9^i":
        s = 0.9 ** i
        return s[s >= GEOMETRIC_CUTOFF]
    return 1.0 / (i + 1.0)


def _scipy_id(A, k, seed):
    import scipy.linalg.interpolative as sli

    idx, proj = sli.interp_decomp(A, k, rng=seed)
    return idx[:k], sli.reconstruct_interp_matrix(idx, proj)


def _cur_from_ids(A, k, seed):
    import scipy.linalg.interpolative as sli

    cols = sli.interp_decomp(A, k, rng=seed)[0][:k]
    rows = sli.interp_decomp(A.T, k, rng=seed)[0][:k]
    C, R = A[:, cols], A[rows, :]
    return C, np.linalg.pinv(C) @ A @ np.linalg.pinv(R), R


def id_cases(A, kind, s, cfg, seed):
    m, k = A.shape[0], cfg["id_rank"]
    ref = {"spectral_opt": float(s[k]), "fro_opt": float(np.sqrt(np.sum(s[k:] ** 2)))}
    params = {"m": m, "n": A.shape[1], "rank": k, "spectrum": kind, "s_k": ref["spectral_opt"],
              "fro_opt": ref["fro_opt"], "singular_values_used": int(s.size)}

    def id_accuracy(result):
        cols, X = result
        return _residual_errors(A - A[:, cols] @ X, ref, seed)

    yield harness.Case(
        name=f"id {m}x{m} s={kind} k={k}",
        methods={OURS_ID: harness.Method(lambda: lowrank.column_id(A, k, rng=seed), tol=TOL_ID),
                 SCIPY_ID: lambda: _scipy_id(A, k, seed)},
        ours=OURS_ID, accuracy=id_accuracy, size=float(m), group=f"id s={kind}",
        params={"kind": "id", **params})

    def cur_accuracy(result):
        C, U, R = result[:3]
        return _residual_errors(A - C @ U @ R, ref, seed)

    methods = {_cur_name("deim"): harness.Method(lambda: lowrank.cur(A, k, method="deim", rng=seed),
                                                 tol=TOL_CUR),
               _cur_name("qr"): harness.Method(lambda: lowrank.cur(A, k, method="qr", rng=seed),
                                               tol=TOL_CUR),
               _cur_name("leverage"): lambda: lowrank.cur(A, k, method="leverage", rng=seed),
               CUR_IDS: lambda: _cur_from_ids(A, k, seed)}
    yield harness.Case(
        name=f"cur {m}x{m} s={kind} k={k}", methods=methods, ours=_cur_name("deim"),
        accuracy=cur_accuracy, size=float(m), group=f"cur s={kind}",
        params={"kind": "cur", "checked_variants": [_cur_name("qr")], **params})


# --------------------------------------------------------------------------- all problems


def make_cases(cfg, seed, notes):
    """The problems, built one at a time (a generator: memory stays at about one problem)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((cfg["n"], cfg["d"]))
    for h in cfg["bandwidths"]:
        start = time.perf_counter()
        K = rbf_kernel_matrix(X, h)
        formed = time.perf_counter() - start
        start = time.perf_counter()
        ref = _reference_spectrum(K, max(cfg["rank"], 1))
        notes.append(f"h={h:g}: forming K {formed:.2f} s, reference eigvalsh (top {cfg['rank'] + 1}) "
                     f"{time.perf_counter() - start:.2f} s (both outside the timing); lambda_1 = "
                     f"{ref['lambda_1']:.6g}, lambda_{cfg['rank'] + 1} = {ref['spectral_opt']:.6g}, "
                     f"tail sum = {ref['trace_opt']:.6g}")
        yield nystrom_case(K, X, h, ref, cfg, seed)
        yield krr_case(K, h, ref, cfg, seed)
        del K
    for kind in ("0.9^i", "1/(i+1)"):
        s = _spectrum(kind, cfg["id_n"])
        start = time.perf_counter()
        A = matrix_with_spectrum(cfg["id_n"], cfg["id_n"], s, rng=rng).A
        notes.append(f"s={kind}: building A {time.perf_counter() - start:.2f} s "
                     f"({s.size} singular values; outside the timing)")
        yield from id_cases(A, kind, s, cfg, seed)
        del A


# --------------------------------------------------------------------------- targets


def _median(case, name):
    if case is None:
        return None
    try:
        m = case.method(name)
    except KeyError:
        return None
    return m.median_s if m.status == harness.OK else None


def _metric(case, name, metric):
    if case is None:
        return None
    try:
        m = case.method(name)
    except KeyError:
        return None
    value = m.accuracy.get(metric)
    return value if value is not None and math.isfinite(value) else None


def _quotient(a, b):
    return a / b if a is not None and b else None


def _target(label, items):
    """``items``: ``[(where, value or None, limit, "<=" or ">=")]``.

    PASS when every measured value meets its limit, MISS when one does not, n/a when none was measured.
    """
    measured = [it for it in items if it[1] is not None]
    ok = [(v <= lim) if op == "<=" else (v >= lim) for _, v, lim, op in measured]
    status = "n/a" if not measured else ("PASS" if all(ok) else "MISS")
    return {"target": label, "status": status,
            "values": [{"where": w, "value": v, "limit": lim, "op": op,
                        "pass": None if v is None else ((v <= lim) if op == "<=" else (v >= lim))}
                       for w, v, lim, op in items]}


def evaluate_targets(results, cfg):
    """The project's targets, each PASS, MISS or n/a, from the results of this run."""
    by = {}
    for c in results.cases:
        p = c.params
        key = (p["kind"], p.get("h", p.get("spectrum")))
        by[key] = c
    hs = cfg["bandwidths"]
    trace_limit = {2.0: 2.0, 4.0: 3.0}
    t = []
    t.append(_target("nystrom (n_iter=0) trace-norm error ratio <= 2.0 (h=2), <= 3.0 (h=4)",
                     [(f"h={h:g}", _metric(by.get(("nystrom", h)), OURS_NYS, "trace_ratio"),
                       trace_limit.get(h, 3.0), "<=") for h in hs]))
    t.append(_target("nystrom (n_iter=0) median time <= 0.5 s [seconds]",
                     [(f"h={h:g}", _median(by.get(("nystrom", h)), OURS_NYS), 0.5, "<=") for h in hs]))
    t.append(_target("nystrom (n_iter=0) >= 8x faster than randomized_svd(K) [rsvd / ours]",
                     [(f"h={h:g}", _quotient(_median(by.get(("nystrom", h)), RSVD),
                                             _median(by.get(("nystrom", h)), OURS_NYS)), 8.0, ">=")
                      for h in hs]))
    t.append(_target("nystrom (n_iter=1) trace-norm error ratio <= 1.2",
                     [(f"h={h:g}", _metric(by.get(("nystrom", h)), OURS_NYS1, "trace_ratio"), 1.2, "<=")
                      for h in hs]))
    t.append(_target("nystrom (n_iter=1) median time <= 1.0 s [seconds]",
                     [(f"h={h:g}", _median(by.get(("nystrom", h)), OURS_NYS1), 1.0, "<=") for h in hs]))
    for r in cfg["krr_ranks"]:
        # the target is for the preconditioner at a rank near the effective dimension
        # (the largest rank run); the smaller ranks show how the count falls with r
        role = "" if r == max(cfg["krr_ranks"]) else " (info: below the effective dimension)"
        t.append(_target(f"Nystrom-PCG r={r}{role}: >= 10x fewer CG iterations than plain CG [plain / pcg]",
                         [(f"h={h:g}", _quotient(_metric(by.get(("krr", h)), PLAIN_CG, "cg_iterations"),
                                                 _metric(by.get(("krr", h)), _pcg_name(r),
                                                         "cg_iterations")), 10.0, ">=") for h in hs]))
    t.append(_target("column_id spectral error ratio <= 2.1 (0.9^i), <= 2.0 (1/(i+1))",
                     [(kind, _metric(by.get(("id", kind)), OURS_ID, "spectral_ratio"), lim, "<=")
                      for kind, lim in (("0.9^i", 2.1), ("1/(i+1)", 2.0))]))
    t.append(_target("column_id time <= 0.5x scipy interp_decomp [ours / scipy]",
                     [(kind, _quotient(_median(by.get(("id", kind)), OURS_ID),
                                       _median(by.get(("id", kind)), SCIPY_ID)), 0.5, "<=")
                      for kind in ("0.9^i", "1/(i+1)")]))
    for method in ("deim", "qr"):
        name = _cur_name(method)
        t.append(_target(f"cur({method}) <= 3x optimal, spectral and Frobenius [ratio to optimal]",
                         [(f"{kind} {metric.split('_')[0]}", _metric(by.get(("cur", kind)), name, metric),
                           3.0, "<=") for kind in ("0.9^i", "1/(i+1)")
                          for metric in ("spectral_ratio", "fro_ratio")]))
        t.append(_target(f"cur({method}) <= CUR-from-IDs error + 10% [ours / IDs]",
                         [(f"{kind} {metric.split('_')[0]}",
                           _quotient(_metric(by.get(("cur", kind)), name, metric),
                                     _metric(by.get(("cur", kind)), CUR_IDS, metric)), 1.1, "<=")
                          for kind in ("0.9^i", "1/(i+1)") for metric in ("spectral_ratio", "fro_ratio")]))
    return t


def target_lines(targets):
    lines = []
    for tg in targets:
        shown = [f"{v['value']:.3g} at {v['where']}" for v in tg["values"] if v["value"] is not None]
        lines.append(f"  {tg['status']:<5} {tg['target']}: " + (", ".join(shown) or "not measured"))
    return lines


def krr_lines(results):
    """Iterations and time per rank, and the smallest rank reaching 10x fewer iterations."""
    lines = []
    for c in results.cases:
        if c.params["kind"] != "krr":
            continue
        plain = _metric(c, PLAIN_CG, "cg_iterations")
        plain_t = _median(c, PLAIN_CG)
        parts = [f"plain {plain:.0f} it / {harness._fmt_time(plain_t)}" if plain else "plain -"]
        reached = None
        for r in c.params["ranks"]:
            it = _metric(c, _pcg_name(r), "cg_iterations")
            tm = _median(c, _pcg_name(r))
            ratio = _quotient(plain, it)
            parts.append(f"r={r}: {it:.0f} it ({ratio:.1f}x fewer) / {harness._fmt_time(tm)}"
                         if it else f"r={r}: -")
            if reached is None and ratio is not None and ratio >= 10.0:
                reached = r
        lines.append(f"  h={c.params['h']:g}: " + "; ".join(parts)
                     + f"; smallest r with >= 10x: {reached if reached else 'none of those run'}")
    return lines


def exit_status(results):
    """0 when ours and its checked variants (n_iter=1, larger PCG ranks, cur qr) were accurate."""
    if harness.exit_code(results) != 0:
        return 1
    for c in results.cases:
        for name in c.params.get("checked_variants", []):
            if c.method(name).status != harness.OK:
                return 1
    return 0


# --------------------------------------------------------------------------- main


def _load_average():
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: i.get(k) for k in ("internal_api", "num_threads", "version")} for i in threadpool_info()]


def main(argv=None):
    """Run the Nyström / CUR benchmark; returns the :class:`harness.BenchResults`."""
    parser = harness.make_parser(__doc__.splitlines()[0])
    parser.add_argument("--blas-threads", type=int, default=None, metavar="N",
                        help="limit BLAS/LAPACK threads to N (threadpoolctl) for the whole run; 0: no "
                             "limit (default: no limit, or 1 with --quick: on a busy machine multi-threaded "
                             "OpenBLAS stalls on these small problems, 20x in a smoke test)")
    parser.add_argument("--krr-ranks", default=None, metavar="R1,R2,...",
                        help="Nystrom-PCG ranks, the first one is 'ours' (default 200,800,1600; "
                             "20,40,80 with --quick)")
    argv = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in argv
    if not quick and "--repeats" not in argv:
        argv += ["--repeats", str(FULL_REPEATS)]
    if not quick and "--budget" not in argv:
        argv += ["--budget", str(FULL_BUDGET_S)]
    args = harness.parse_args(argv, parser=parser)
    cfg = dict(QUICK if args.quick else FULL)
    if args.krr_ranks:
        try:
            cfg["krr_ranks"] = tuple(int(r) for r in args.krr_ranks.split(",") if r.strip())
        except ValueError:
            parser.error(f"--krr-ranks must be comma-separated integers; got {args.krr_ranks!r}")
        if not cfg["krr_ranks"] or min(cfg["krr_ranks"]) < 1 or max(cfg["krr_ranks"]) > cfg["n"]:
            parser.error(f"--krr-ranks must lie in [1, {cfg['n']}]; got {args.krr_ranks!r}")
    if args.blas_threads is None and args.quick:
        args.blas_threads = 1
    if args.blas_threads == 0:
        args.blas_threads = None
    limiter = None
    if args.blas_threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # comes with scikit-learn; without it, run unlimited
            print("--blas-threads ignored: threadpoolctl is not installed", flush=True)
            args.blas_threads = None
        else:
            limiter = threadpool_limits(limits=args.blas_threads)
    notes = []
    load_start, wall_start = _load_average(), time.perf_counter()
    try:
        def extra():
            return {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
                    "notes": notes, "blas": _blas_info(), "blas_threads_limit": args.blas_threads,
                    "load_average_1min": {"start": load_start, "end": _load_average()},
                    "cpu_count": os.cpu_count(),
                    "errors": f"exact for n <= {EXACT_MAX_N}; above: trace bracket + ARPACK "
                              f"(tol {ARPACK_TOL:g})"}

        results = harness.run_benchmark(NAME, make_cases(cfg, args.seed, notes), args,
                                        plot_kind="tradeoff", plot_metric="spectral_ratio", extra=extra)
    finally:
        if limiter is not None:
            limiter.unregister()
    wall = time.perf_counter() - wall_start
    results.extra["wall_s"] = wall
    load = results.extra["load_average_1min"]
    print(f"\nload average (1 min) at start / end: {load['start']} / {load['end']} on {os.cpu_count()} CPUs;"
          f" BLAS threads limit: {args.blas_threads}; wall {wall:.1f} s")
    print("\nnotes:")
    for note in notes:
        print(f"  {note}")
    print("\nkernel ridge CG (iterations / median time, PCG time includes building the preconditioner):")
    for line in krr_lines(results):
        print(line)
    targets = evaluate_targets(results, cfg)
    print("\ntargets (informational; the exit status reflects the accuracy of ours only):")
    for line in target_lines(targets):
        print(line)
    results.extra["targets"] = targets
    if args.out is not None:  # run_benchmark wrote the files before the targets were known
        from pathlib import Path

        stem = Path(args.out) / NAME
        harness.write_json(results, stem.with_suffix(".json"))
        harness.write_markdown(results, stem.with_suffix(".md"))
    return results


if __name__ == "__main__":
    sys.exit(exit_status(main()))

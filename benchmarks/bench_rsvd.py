"""Randomized SVD: lowrank.rsvd against scikit-learn, fbpca, torch, scipy.sparse.linalg.svds and dask.

Problems (accuracy checked before timing; an inaccurate "ours" is not timed
and makes the exit status 1; peers are always timed, whatever their accuracy):

* ``A = U diag(s) V^T`` of 4000 x 3000 (``--quick``: 300 x 200), U and V from
  QR of Gaussians (:func:`lowrank.testing.matrices.random_orthonormal`, drawn
  once and shared by the spectra), so the optimal rank-k errors are known
  without an SVD (:func:`lowrank.testing.matrices.optimal_error`), with
  ``s_i = 0.9^i``, ``1/(i+1)`` and ``(i+1)^-1/2`` (i = 0 .. 2999), rank
  k = 50 (quick: 10); each as float64, float32 (the float64 matrix rounded) and
  through ``scipy.sparse.linalg.aslinearoperator`` (float64);
* a 100000 x 20000 CSR matrix (quick: 2000 x 500) at density 1e-3 (quick
  1e-2) with uniform [0, 1) values (like ``scipy.sparse.random``, but drawn
  directly: ``scipy.sparse.random`` takes minutes at this size), rank 20
  (quick 10). Its optimum is unknown: the reference is ``svds(A, k + 10)``
  (ARPACK, tol=0, with vectors), computed once outside the timing, and the
  errors are relative to it.

Methods: ours ``rsvd(A, k, rng=0)`` (defaults), with ``n_iter=1, 2, 4``, with
``method="krylov"`` (default n_iter, 2, 4) and in tol mode (``tol`` = the
optimal rank-k relative Frobenius error of the matrix; the rank it returns is
reported, and on the float64 arrays it is also run with seeds 1..4);
``sklearn.utils.extmath.randomized_svd`` (defaults and ``n_iter=2``),
``fbpca.pca(A, k, raw=True)``, ``torch.svd_lowrank`` (q = k + 10, niter=2;
unavailable without torch), ``svds(A, k)`` with ARPACK and PROPACK, and
``dask.array.linalg.svd_compressed`` on a row-chunked dask array (defaults, and
``n_power_iter=2``), with ours on that same dask array beside it ("ours (dask
input)", the defaults; U computed like the peer's). Not every peer runs on every input: the LinearOperator
case keeps sklearn and fbpca (to record that they reject it) and svds, and
runs ours defaults, ``n_iter=2``, krylov and tol mode only; the float32 case
drops svds and the n_iter=2 variants of the peers; the sparse case runs ours
defaults, ``n_iter=1, 2``, krylov and tol mode, and drops dask (``svd_compressed`` on scipy.sparse chunks ran for minutes in a
trial) and torch.

Accuracy (outside the timing, against the input matrix in float64):

* ``spec_ratio-1``: ``||A - U S Vh||_2 / s_{r+1} - 1`` (r = returned rank;
  0 is optimal). The spectral norm of the residual operator (``X -> A X -
  U S Vh X``, never formed) is a Rayleigh--Ritz value of a block Krylov space
  (q = 3, started from the exact singular vectors r-10 .. r+10 plus 4 random
  columns), a lower bound; against ARPACK on the formed residual at the full
  size it was within 1e-10 relative for ratios near 1 and within 6e-5 for the
  worst (ratio 1.18). The sparse case uses q = 6 and the reference's vectors;
* ``fro_ratio-1``: ``||A - U S Vh||_F / (optimal rank-r error) - 1``, with
  ``||A||_F^2 - 2 tr(S U^T A Vh^T) + ||U S Vh||_F^2`` (Gram matrices of U and
  Vh in the last term, so non-orthonormal factors are scored right; the
  cancellation costs ~1e-11 relative here);
* ``sv_err``: ``max_i |S_i - s_i| / s_i``;
* ``orth_err``: ``max(|U^T U - I|, |Vh Vh^T - I|)`` entrywise;
* ``dtype_err``: 1 when U, S or Vh does not have the input's dtype (e.g.
  fbpca returning float64 for float32 input), else 0;
* tol mode: ``rank``, ``rank_max`` (over the seeds) and ``tol_ratio`` =
  max over the seeds of ``||A - U S Vh||_F / (tol ||A||_F)``;
* LinearOperator: ``vs_ndarray``, the largest entrywise difference of U, S/S_0
  and Vh from the same call on the ndarray.

Floors: the *skinny floor* is the time of 3 ``A @ X`` and 3 ``A^T @ Y`` with
blocks of width k + 10 (what a fixed ``n_iter=2`` power method needs), timed
in the same rounds.

After the table, the project's targets are printed with PASS/MISS
(informational; the exit status reflects the accuracy of ours only), with the
BLAS that ran (threadpoolctl). ``--blas-threads N`` limits BLAS (and dask's
worker count) to N threads for the whole run: on a loaded machine, OpenBLAS'
threaded small QR factorisations can be 10x slower than single-threaded ones.
``--quick`` uses 1 thread unless ``--blas-threads`` is given (tiny sizes gain
nothing from threads, and lose a lot to oversubscription).
A LinearOperator result bitwise equal to the ndarray one (``vs_ndarray`` 0)
reuses the ndarray case's accuracy.

Run from the repository root::

    python -m benchmarks.bench_rsvd [--quick] [--out DIR] [--blas-threads N]
"""

import contextlib
import math
import sys
import time

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import lowrank
from benchmarks import harness
from lowrank.testing.matrices import optimal_error, random_orthonormal

NAME = "rsvd"
FULL = dict(m=4000, n=3000, k=50, sp_m=100_000, sp_n=20_000, sp_density=1e-3, sp_k=20)
QUICK = dict(m=300, n=200, k=10, sp_m=2000, sp_n=500, sp_density=1e-2, sp_k=10)
OVERSAMPLE = 10
SPECTRA = {
    "0.9^i": lambda i: 0.9 ** i,
    "1/(i+1)": lambda i: 1.0 / (i + 1.0),
    "(i+1)^-1/2": lambda i: (i + 1.0) ** -0.5,
}
TOL_SEEDS = (0, 1, 2, 3, 4)
FULL_REPEATS = 3  # default --repeats without --quick (the run has to stay within minutes)
FULL_BUDGET = 60.0  # default --budget per problem without --quick, seconds

OURS = "ours"
OURS_VARIANTS = {  # name -> rsvd keyword arguments (besides rank and rng=0)
    "ours": {},
    "ours n_iter=1": {"n_iter": 1},
    "ours n_iter=2": {"n_iter": 2},
    "ours n_iter=4": {"n_iter": 4},
    "ours krylov": {"method": "krylov"},
    "ours krylov n_iter=2": {"method": "krylov", "n_iter": 2},
    "ours krylov n_iter=4": {"method": "krylov", "n_iter": 4},
}
OURS_TOL = "ours tol"
OURS_DASK = "ours (dask input)"
PEERS_BY_KIND = {
    "float64": ["sklearn", "sklearn n_iter=2", "fbpca", "torch.svd_lowrank", "svds arpack",
                "svds propack", "dask", "dask n_power_iter=2"],
    "float32": ["sklearn", "fbpca", "torch.svd_lowrank", "dask"],
    "LinearOperator": ["sklearn", "fbpca", "svds arpack", "svds propack"],
    "sparse": ["sklearn", "sklearn n_iter=2", "fbpca", "svds arpack", "svds propack"],
}
OURS_BY_KIND = {
    "float64": list(OURS_VARIANTS),
    "float32": list(OURS_VARIANTS),
    "LinearOperator": ["ours", "ours n_iter=2", "ours krylov"],
    "sparse": ["ours", "ours n_iter=1", "ours n_iter=2", "ours krylov"],
}
FLOOR = "skinny floor (3 A@X + 3 A^T@Y)"


# --------------------------------------------------------------------------- matrices


def random_sparse(m, n, density, rng):
    """CSR (m, n) with ``round(m n density)`` distinct random positions and uniform [0, 1) values."""
    gen = np.random.default_rng(rng)
    nnz = int(round(m * n * density))
    flat = np.unique(gen.integers(0, m * n, size=int(nnz * 1.01) + 16, dtype=np.int64))
    flat = gen.permutation(flat)[:nnz]
    return sp.csr_matrix((gen.random(flat.size), (flat // n, flat % n)), shape=(m, n))


class CountingOperator(spla.LinearOperator):
    """``aslinearoperator(A)`` that counts its block products (to see the q rsvd chose)."""

    def __init__(self, A):
        super().__init__(A.dtype, A.shape)
        self.A = A
        self.calls = 0

    def _matmat(self, X):
        self.calls += 1
        return self.A @ X

    def _rmatmat(self, Y):
        self.calls += 1
        return self.A.T @ Y

    def _matvec(self, x):
        return self._matmat(x.reshape(-1, 1)).ravel()

    def _rmatvec(self, y):
        return self._rmatmat(y.reshape(-1, 1)).ravel()


# --------------------------------------------------------------------------- accuracy


def _orth(X):
    return scipy.linalg.qr(X, mode="economic", check_finite=False)[0]


def spectral_norm(matmat, rmatmat, n, start, *, q=3, extra=4, seed=12345):
    """A Rayleigh--Ritz lower bound of ``||E||_2`` from a block Krylov space of ``E^T E``.

    ``matmat(X) = E @ X`` and ``rmatmat(Y) = E^T @ Y``; the first block is
    `start` (n, b) plus `extra` Gaussian columns; every block is orthogonalised
    against the earlier ones (two passes).
    """
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((n, extra))
    if start is not None and start.shape[1]:
        X = np.hstack([np.asarray(start, dtype=np.float64), X])
    blocks = [_orth(X)]
    for _ in range(q):
        Z = rmatmat(matmat(blocks[-1]))
        for _ in range(2):
            for B in blocks:
                Z -= B @ (B.T @ Z)
        blocks.append(_orth(Z))
    K = _orth(np.hstack(blocks))  # Householder QR: exactly orthonormal, so the value is <= ||E||_2
    return float(scipy.linalg.svd(matmat(K), compute_uv=False, check_finite=False)[0])


def _as_factors(out):
    U, S, Vh = out
    return np.asarray(U), np.asarray(S), np.asarray(Vh)


class Problem:
    """Everything the accuracy of one problem needs (built once, shared by its methods)."""

    def __init__(self, A_eval, s, *, V=None, dtype=np.float64, label="", known=True):
        self.A = A_eval  # float64 ndarray or sparse matrix: the input, exactly
        self.s = np.asarray(s, dtype=np.float64)  # exact spectrum, or the reference's
        self.V = V  # (n, >= len) right singular vectors for the estimator's start
        self.dtype = np.dtype(dtype)
        self.label = label
        self.known = known
        self.sparse = sp.issparse(A_eval)
        if self.sparse:
            self.fro_sq = float(sp.linalg.norm(A_eval, "fro") ** 2)
        else:
            self.fro_sq = float(np.linalg.norm(A_eval) ** 2)

    def opt(self, r, norm):
        if r >= self.s.size and not self.known:
            return math.nan
        if norm == "spectral":
            return optimal_error(self.s, r, "spectral")
        if self.known:
            return optimal_error(self.s, r, "fro")
        return math.sqrt(max(self.fro_sq - float(np.sum(self.s[:r] ** 2)), 0.0))

    def residual(self, U, S, Vh, *, spectral=True):
        """(spectral, Frobenius) norms of ``A - U diag(S) Vh`` in float64, never forming it.

        Frobenius: ``||A||_F^2 - 2 tr(S U^T A Vh^T) + ||U S Vh||_F^2`` (general U, Vh:
        their Gram matrices enter the last term); the cancellation costs at most
        ``||A||_F^2 / ||E||_F^2`` (~1e5 here) times eps, far below the ratios shown.
        """
        A = self.A
        U, S, Vh = U.astype(np.float64), S.astype(np.float64), Vh.astype(np.float64)
        US = U * S
        cross = float(np.einsum("ij,ij->", US, A @ Vh.T))
        norm_b = float(np.sum((US.T @ US) * (Vh @ Vh.T)))
        fro = math.sqrt(max(self.fro_sq - 2.0 * cross + norm_b, 0.0))
        if not spectral:
            return math.nan, fro
        r = S.size
        start = None
        if self.V is not None:
            cols = list(range(max(0, r - 10), min(self.V.shape[1], r + 10)))
            start = self.V[:, cols] if cols else None
        spec = spectral_norm(lambda X: A @ X - US @ (Vh @ X), lambda Y: A.T @ Y - Vh.T @ (US.T @ Y),
                             A.shape[1], start, q=6 if self.sparse else 3)
        return spec, fro

    def metrics(self, out):
        U, S, Vh = _as_factors(out)
        r = S.size
        spec, fro = self.residual(U, S, Vh)
        k = min(r, self.s.size)
        ref = self.s[:k]
        sv_err = float(np.max(np.abs(S[:k].astype(np.float64) - ref) / ref)) if k else math.nan
        U64, Vh64 = U.astype(np.float64), Vh.astype(np.float64)
        orth = max(float(np.max(np.abs(U64.T @ U64 - np.eye(r)))),
                   float(np.max(np.abs(Vh64 @ Vh64.T - np.eye(r)))))
        dtype_err = float(any(x.dtype != self.dtype for x in (U, S, Vh)))
        return {"spec_ratio-1": spec / self.opt(r, "spectral") - 1.0,
                "fro_ratio-1": fro / self.opt(r, "fro") - 1.0,
                "sv_err": sv_err, "orth_err": orth, "dtype_err": dtype_err}

    def rel_fro(self, out):
        """||A - U S Vh||_F / ||A||_F."""
        U, S, Vh = _as_factors(out)
        return self.residual(U, S, Vh, spectral=False)[1] / math.sqrt(self.fro_sq)


# --------------------------------------------------------------------------- peers


def _peer(name, A, k, dask_array, dask_workers):
    """Zero-argument callable for peer `name` on input `A` (returns U, S, Vh)."""
    ell = k + OVERSAMPLE
    if name in ("sklearn", "sklearn n_iter=2"):
        def run():
            from sklearn.utils.extmath import randomized_svd

            kwargs = {"n_iter": 2} if name.endswith("=2") else {}
            return randomized_svd(A, k, n_oversamples=OVERSAMPLE, random_state=0, **kwargs)
        return run
    if name == "fbpca":
        def run():
            import fbpca

            return fbpca.pca(A, k, raw=True)
        return run
    if name == "torch.svd_lowrank":
        def run():
            import torch

            U, S, V = torch.svd_lowrank(torch.from_numpy(np.ascontiguousarray(A)), q=ell, niter=2)
            return U[:, :k].numpy(), S[:k].numpy(), V[:, :k].T.numpy()
        return run
    if name.startswith("svds"):
        solver = name.split()[1]

        def run():
            u, s, vt = spla.svds(A, k, solver=solver, random_state=0)
            order = np.argsort(s)[::-1]
            return u[:, order], s[order], vt[order]
        return run
    if name.startswith("dask"):
        n_power_iter = 2 if name.endswith("=2") else 0

        def run():
            import dask
            import dask.array as da

            if dask_array is None:
                raise TypeError("no dask array for this input")
            u, s, v = da.linalg.svd_compressed(dask_array, k, n_power_iter=n_power_iter, seed=0)
            kwargs = {"scheduler": "threads", "num_workers": dask_workers} if dask_workers else {}
            return dask.compute(u, s, v, **kwargs)
        return run
    raise ValueError(f"unknown peer {name!r}")


# --------------------------------------------------------------------------- cases


class Context:
    """State shared by the cases of one run (results of ours, kept for comparisons)."""

    def __init__(self, quick, seed, dask_workers):
        self.cfg = QUICK if quick else FULL
        self.quick = quick
        self.seed = seed
        self.dask_workers = dask_workers
        self.ndarray_results = {}  # (spectrum, method) -> (U, S, Vh) of the float64 ndarray case
        self.notes = []
        self.tol_runs = {}  # case name -> [(seed, rank, rel err / tol, seconds)]


def _ours_call(A, k, kwargs):
    return lambda: lowrank.rsvd(A, k, rng=0, **kwargs)


def _ours_dask(dask_array, k, dask_workers):
    """lowrank.rsvd with the defaults on a row-chunked dask array; U computed, as for the peer."""
    def run():
        import dask

        kwargs = {"scheduler": "threads", "num_workers": dask_workers} if dask_workers else {}
        with dask.config.set(**kwargs):
            U, S, Vh = lowrank.rsvd(dask_array, k, rng=0)
            return U.compute(), S, Vh
    return run


def _ours_tolerance(name, dtype):
    """Limits of ours (beyond them: 'inaccurate', exit status 1) -- sanity, not the targets."""
    loose = name in ("ours n_iter=1", "ours n_iter=2", "ours krylov n_iter=2")
    limit = 2.0 if loose else 0.1  # defaults: "within a few percent of optimal" (API.md)
    return {"spec_ratio-1": limit, "fro_ratio-1": 0.5 if loose else 0.1,
            "orth_err": 1e-3 if np.dtype(dtype) == np.float32 else 1e-8, "dtype_err": 0.0}


def _make_case(ctx, name, kind, spectrum, A_in, problem, k, tol, floor, dask_array, extra_params):
    """One Case: ours variants, ours tol, the peers of `kind`, the skinny floor."""
    methods = {}
    dtype = problem.dtype
    for variant in OURS_BY_KIND[kind]:
        kwargs = OURS_VARIANTS[variant]
        func = _ours_call(A_in, k, kwargs)
        methods[variant] = harness.Method(func, accuracy=_ours_accuracy(ctx, kind, spectrum, variant,
                                                                        problem, A_in, k, kwargs),
                                          tol=_ours_tolerance(variant, dtype))
    tol_func = (lambda: lowrank.rsvd(A_in, tol=tol, rng=0))
    methods[OURS_TOL] = harness.Method(
        tol_func, accuracy=_tol_accuracy(ctx, name, kind, A_in, problem, tol),
        tol={"tol_ratio": 1.001, "dtype_err": 0.0})
    for peer in PEERS_BY_KIND[kind]:
        methods[peer] = harness.Method(_peer(peer, A_in, k, dask_array, ctx.dask_workers),
                                       accuracy=problem.metrics)
    if dask_array is not None:  # ours on the dask array the dask peer gets (API.md "Scale-out")
        methods[OURS_DASK] = harness.Method(_ours_dask(dask_array, k, ctx.dask_workers),
                                            accuracy=problem.metrics, tol=_ours_tolerance(OURS, dtype))
    m, n = A_in.shape
    params = {"shape": f"{m}x{n}", "dtype": str(dtype), "input": kind, "spectrum": spectrum,
              "rank": k, "ell": k + OVERSAMPLE, "tol": tol, **extra_params}
    return harness.Case(name=name, methods=methods, ours=OURS, floors={FLOOR: floor},
                        size=float(m * n), group=kind, params=params)


def _ours_accuracy(ctx, kind, spectrum, variant, problem, A_in, k, kwargs):
    def accuracy(out):
        U, S, Vh = _as_factors(out)
        ref = ctx.ndarray_results.get((spectrum, variant)) if kind == "LinearOperator" else None
        diff = math.nan
        if ref is not None:
            Ur, Sr, Vr, acc_r = ref
            diff = float(max(np.max(np.abs(U - Ur)), np.max(np.abs(S - Sr)) / Sr[0],
                             np.max(np.abs(Vh - Vr))))
        # bitwise the ndarray result: the same accuracy (saves a residual evaluation)
        acc = dict(acc_r) if diff == 0.0 else problem.metrics(out)
        if kind == "float64":
            ctx.ndarray_results[(spectrum, variant)] = (U.copy(), S.copy(), Vh.copy(), dict(acc))
        if kind == "LinearOperator":
            acc["vs_ndarray"] = diff
            if variant == OURS:  # how many products the defaults used (the q they chose)
                counter = CountingOperator(A_in.A if hasattr(A_in, "A") else A_in)
                lowrank.rsvd(counter, k, rng=0, **kwargs)
                acc["products"] = float(counter.calls)
        return acc
    return accuracy


def _tol_accuracy(ctx, name, kind, A_in, problem, tol):
    seeds = TOL_SEEDS if kind == "float64" else (0,)

    def accuracy(out):
        acc = problem.metrics(out)
        runs = []
        for seed in seeds:
            start = time.perf_counter()
            res = out if seed == 0 else lowrank.rsvd(A_in, tol=tol, rng=seed)
            seconds = time.perf_counter() - start if seed else math.nan
            runs.append((seed, int(res.S.size), problem.rel_fro(res) / tol, seconds))
        ctx.tol_runs[name] = runs
        acc["rank"] = float(runs[0][1])
        acc["rank_max"] = float(max(r[1] for r in runs))
        acc["tol_ratio"] = float(max(r[2] for r in runs))
        return acc
    return accuracy


def _dense_floor(A, ell, rmat=None):
    m, n = A.shape
    gen = np.random.default_rng(7)
    dtype = A.dtype
    X = gen.standard_normal((n, ell)).astype(dtype)
    Y = gen.standard_normal((m, ell)).astype(dtype)
    if isinstance(A, spla.LinearOperator):
        def floor():
            for _ in range(3):
                A.matmat(X)
                A.rmatmat(Y)
    else:
        AT = A.T

        def floor():
            for _ in range(3):
                A @ X
                AT @ Y
    return floor


def make_cases(ctx):
    """Generator of the cases (each spectrum's matrices are built when reached)."""
    cfg = ctx.cfg
    m, n, k = cfg["m"], cfg["n"], cfg["k"]
    ell = k + OVERSAMPLE
    start = time.perf_counter()
    U0 = random_orthonormal(m, n, rng=ctx.seed)
    V0 = random_orthonormal(n, n, rng=ctx.seed + 1)
    ctx.notes.append(f"orthonormal factors {m}x{n} and {n}x{n} drawn in {time.perf_counter() - start:.1f} s")
    i = np.arange(n, dtype=np.float64)
    for spectrum, func in SPECTRA.items():
        s = func(i)
        A = (U0 * s) @ V0.T
        tol = optimal_error(s, k, "fro") / float(np.linalg.norm(s))
        shape = f"{m}x{n}"
        p64 = Problem(A, s, V=V0, dtype=np.float64)
        dask_array = _dask_array(A)
        yield _make_case(ctx, f"{shape} {spectrum} float64", "float64", spectrum, A, p64, k, tol,
                         _dense_floor(A, ell), dask_array, {})
        A32 = A.astype(np.float32)
        p32 = Problem(A32.astype(np.float64), s, V=V0, dtype=np.float32)
        dask32 = _dask_array(A32)
        yield _make_case(ctx, f"{shape} {spectrum} float32", "float32", spectrum, A32, p32, k, tol,
                         _dense_floor(A32, ell), dask32, {})
        del A32, p32, dask32
        L = spla.aslinearoperator(A)
        yield _make_case(ctx, f"{shape} {spectrum} LinearOperator", "LinearOperator", spectrum, L,
                         p64, k, tol, _dense_floor(L, ell), None, {})
        del A, L, p64, dask_array
    yield _sparse_case(ctx)


def _dask_array(A):
    try:
        import dask.array as da
    except ImportError:
        return None
    rows = max(A.shape[1] // 3, -(-A.shape[0] // 4))
    return da.from_array(A, chunks=(rows, A.shape[1]))


def _sparse_case(ctx):
    cfg = ctx.cfg
    m, n, density, k = cfg["sp_m"], cfg["sp_n"], cfg["sp_density"], cfg["sp_k"]
    A = random_sparse(m, n, density, ctx.seed + 2)
    nref = k + 10
    start = time.perf_counter()
    u, s, vt = spla.svds(A, nref, solver="arpack", random_state=0)
    order = np.argsort(s)[::-1]
    s, vt = s[order], vt[order]
    ref_s = time.perf_counter() - start
    ctx.notes.append(f"sparse reference svds(A, {nref}) (ARPACK, tol=0) took {ref_s:.1f} s; "
                     f"s_1 = {s[0]:.4g}, s_{k} = {s[k - 1]:.6g}, s_{k + 1} = {s[k]:.6g}, "
                     f"s_{nref} = {s[-1]:.6g}")
    problem = Problem(A, s, V=vt.T, dtype=np.float64, known=False)
    tol = problem.opt(k, "fro") / math.sqrt(problem.fro_sq)
    params = {"density": density, "nnz": int(A.nnz), "reference": f"svds(A, {nref})"}
    return _make_case(ctx, f"sparse {m}x{n} d={density:g}", "sparse", "sparse", A, problem, k, tol,
                      _dense_floor(A, k + OVERSAMPLE), None, params)


# --------------------------------------------------------------------------- targets


def _idx(results):
    return {c.name: c for c in results.cases}


def _get(case, method, metric=None):
    """Median time (metric None) or accuracy metric of `method` in `case`; None if missing."""
    if case is None:
        return None
    try:
        r = case.method(method)
    except KeyError:
        return None
    if metric is None:
        return r.median_s
    value = r.accuracy.get(metric)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def _check(label, items, limit, op="<="):
    """A target from [(where, value)]: PASS when every value meets `limit`, n/a when any is missing."""
    values = dict(items)
    if not values or any(v is None for v in values.values()):
        status = "n/a"
    else:
        ok = all((v <= limit) if op == "<=" else (v >= limit) for v in values.values())
        status = "PASS" if ok else "MISS"
    return {"target": label, "status": status, "limit": limit, "op": op, "values": values}


def evaluate_targets(results, cfg):
    idx = _idx(results)
    m, n, k = cfg["m"], cfg["n"], cfg["k"]
    shape = f"{m}x{n}"
    c = {(sp_, kind): idx.get(f"{shape} {sp_} {kind}") for sp_ in SPECTRA
         for kind in ("float64", "float32", "LinearOperator")}
    fast, sqrt = "0.9^i", "(i+1)^-1/2"
    t = []
    f64 = c[(fast, "float64")]
    t.append(_check("defaults on 0.9^i: spectral ratio <= 1.001 [ratio]",
                    [(fast, _plus1(_get(f64, OURS, "spec_ratio-1")))], 1.001))
    t.append(_check("defaults on 0.9^i: time <= 0.3x sklearn [ours/sklearn]",
                    [(fast, _ratio(_get(f64, OURS), _get(f64, "sklearn")))], 0.3))
    t.append(_check("defaults on 0.9^i: time <= 1.5x the skinny floor [ours/floor]",
                    [(fast, _ratio(_get(f64, OURS), _get(f64, FLOOR)))], 1.5))
    f64s = c[(sqrt, "float64")]
    t.append(_check("krylov on (i+1)^-1/2: spectral ratio <= 1.002 [ratio]",
                    [(sqrt, _plus1(_get(f64s, "ours krylov", "spec_ratio-1")))], 1.002))
    t.append(_check("krylov on (i+1)^-1/2: singular-value error <= 6e-3 [max rel]",
                    [(sqrt, _get(f64s, "ours krylov", "sv_err"))], 6e-3))
    t.append(_check("krylov on (i+1)^-1/2: time <= 0.5x sklearn [krylov/sklearn]",
                    [(sqrt, _ratio(_get(f64s, "ours krylov"), _get(f64s, "sklearn")))], 0.5))
    ours_names = list(OURS_VARIANTS) + [OURS_TOL]
    t.append(_check("float32 in -> float32 out, every ours method [dtype_err]",
                    [(f"{sp_} {name}", _get(c[(sp_, 'float32')], name, "dtype_err"))
                     for sp_ in SPECTRA for name in ours_names], 0.0))
    rows = []
    for sp_ in SPECTRA:
        for name in ("ours n_iter=1", "ours n_iter=2", "ours n_iter=4", OURS, "ours krylov",
                     "ours krylov n_iter=2", "ours krylov n_iter=4"):
            for metric in ("spec_ratio-1", "fro_ratio-1"):
                rows.append((f"{sp_} {name} {metric[:4]}",
                             _ratio(_plus1(_get(c[(sp_, 'float32')], name, metric)),
                                    _plus1(_get(c[(sp_, 'float64')], name, metric)))))
    t.append(_check("float32 error within 1.01x of float64, n_iter >= 1 [err32/err64]", rows, 1.01))
    t.append(_check("float32 >= 1.5x faster than float64, defaults [t64/t32]",
                    [(sp_, _ratio(_get(c[(sp_, 'float64')], OURS), _get(c[(sp_, 'float32')], OURS)))
                     for sp_ in SPECTRA], 1.5, ">="))
    t.append(_check("float32 >= 1.5x faster than float64, n_iter=2 [t64/t32]",
                    [(sp_, _ratio(_get(c[(sp_, 'float64')], "ours n_iter=2"),
                                  _get(c[(sp_, 'float32')], "ours n_iter=2")))
                     for sp_ in SPECTRA], 1.5, ">="))
    t.append(_check("LinearOperator gives the ndarray result to 1e-12 [max abs diff]",
                    [(f"{sp_} {name}", _get(c[(sp_, 'LinearOperator')], name, "vs_ndarray"))
                     for sp_ in SPECTRA for name in OURS_BY_KIND["LinearOperator"]], 1e-12))
    t.append(_check("tol mode meets tol on seeds 0..4 [max err/tol]",
                    [(sp_, _get(c[(sp_, 'float64')], OURS_TOL, "tol_ratio")) for sp_ in SPECTRA], 1.0))
    others = [(f"{sp_} {kind}", _get(c[(sp_, kind)], OURS_TOL, "tol_ratio"))
              for sp_ in SPECTRA for kind in ("float32", "LinearOperator")]
    sparse = next((case for case in results.cases if case.group == "sparse"), None)
    others.append(("sparse", _get(sparse, OURS_TOL, "tol_ratio")))
    t.append(_check("(info) tol mode meets tol on float32, LinearOperator, sparse, seed 0 [err/tol]",
                    others, 1.0))
    # the rank and time targets are set on s_i = 1/(i+1); the others are shown for information
    target_sp = "1/(i+1)"
    for label, spectra in ((f"on {target_sp}", [target_sp]),
                           ("(info) on the other spectra", [x for x in SPECTRA if x != target_sp])):
        t.append(_check(f"tol mode rank <= {k + k // 10} on seeds 0..4, {label} [max rank]",
                        [(sp_, _get(c[(sp_, 'float64')], OURS_TOL, "rank_max")) for sp_ in spectra],
                        k + k // 10))
        t.append(_check(f"tol mode time <= 2x fixed rank (defaults), {label} [tol/defaults]",
                        [(sp_, _ratio(_get(c[(sp_, 'float64')], OURS_TOL), _get(c[(sp_, 'float64')], OURS)))
                         for sp_ in spectra], 2.0))
    return t


def _plus1(x):
    return None if x is None else 1.0 + x


def target_lines(targets):
    lines = []
    for t in targets:
        vals = list(t["values"].items())
        if t["status"] == "n/a" and not vals:
            lines.append(f"  n/a   {t['target']}: not measured")
            continue
        bad = [(w, v) for w, v in vals if v is None or
               not ((v <= t["limit"]) if t["op"] == "<=" else (v >= t["limit"]))]
        if len(vals) > 4:
            worst = max((v for _, v in vals if v is not None), default=None) if t["op"] == "<=" else \
                min((v for _, v in vals if v is not None), default=None)
            where = next((w for w, v in vals if v == worst), "?")
            detail = (f"worst {_fmt(worst)} at {where}; {len(bad)}/{len(vals)} miss"
                      + (": " + ", ".join(f"{w}={_fmt(v)}" for w, v in bad[:6]) + (" ..." if len(bad) > 6 else "")
                         if bad else ""))
        else:
            detail = ", ".join(f"{_fmt(v)} at {w}" for w, v in vals)
        lines.append(f"  {t['status']:<5} {t['target']}: {detail}")
    return lines


def _fmt(v):
    if v is None:
        return "n/a"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4):
        return f"{v:.3g}"
    return f"{v:.6g}" if abs(v - 1) < 0.01 else f"{v:.4g}"


# --------------------------------------------------------------------------- report


def key_table(results):
    """Compact per-case lines: time relative to sklearn and the floor, accuracy, dtype."""
    lines = []
    for case in results.cases:
        sk = _get(case, "sklearn")
        floor = _get(case, FLOOR)
        lines.append(f"  {case.name}")
        for r in case.methods:
            if r.role == "floor":
                continue
            acc = r.accuracy
            if r.status != harness.OK and not acc:
                lines.append(f"    {r.name:<22} {r.status}: {r.message[:110]}")
                continue
            parts = [f"{harness._fmt_time(r.median_s):>9}",
                     f"t/sk {_fmt(_ratio(r.median_s, sk)):>6}" if sk else "t/sk    -",
                     f"t/floor {_fmt(_ratio(r.median_s, floor)):>6}" if floor else "t/floor -"]
            for metric, label in (("spec_ratio-1", "spec"), ("fro_ratio-1", "fro")):
                v = acc.get(metric)
                parts.append(f"{label} {1 + v:.6f}" if v is not None and math.isfinite(v) else f"{label} -")
            if acc.get("sv_err") is not None:
                parts.append(f"sv {acc['sv_err']:.2e}")
            if acc.get("orth_err") is not None:
                parts.append(f"orth {acc['orth_err']:.0e}")
            if acc.get("dtype_err"):
                parts.append("DTYPE!")
            for metric in ("rank", "rank_max", "tol_ratio", "vs_ndarray", "products"):
                if metric in acc and acc[metric] is not None and math.isfinite(acc[metric]):
                    parts.append(f"{metric} {_fmt(acc[metric])}")
            if r.status != harness.OK:
                parts.append(f"[{r.status}: {r.message[:60]}]")
            lines.append(f"    {r.name:<22} " + "  ".join(parts))
    return lines


def blas_lines():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["  threadpoolctl not installed: BLAS unknown"]
    lines = []
    for pool in threadpool_info():
        lines.append(f"  {pool.get('user_api')}: {pool.get('internal_api')} {pool.get('version')} "
                     f"({pool.get('architecture', '-')}, {pool.get('num_threads')} threads, "
                     f"{pool.get('threading_layer', '-')}) {str(pool.get('filepath', '')).rsplit('/', 1)[-1]}")
    return lines


def main(argv=None):
    """Run the rsvd benchmark; returns the :class:`harness.BenchResults`."""
    parser = harness.make_parser(__doc__.splitlines()[0])
    parser.add_argument("--blas-threads", type=int, default=None, metavar="N",
                        help="limit BLAS (threadpoolctl) and dask workers to N threads (default: unchanged)")
    raw = parser.parse_args(argv)
    args = harness.parse_args(argv, parser=parser)
    if not args.quick:  # full sizes: fewer rounds and a larger per-problem budget unless given
        if raw.repeats is None:
            args.repeats = FULL_REPEATS
        if raw.budget is None:
            args.budget = FULL_BUDGET
    if args.quick and args.blas_threads is None:
        args.blas_threads = 1
    limits = contextlib.nullcontext()
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=args.blas_threads)
    with limits:
        return _run(args)


def _run(args):
    start = time.perf_counter()
    print("BLAS (threadpoolctl):")
    for line in blas_lines():
        print(line)
    print(flush=True)
    ctx = Context(args.quick, args.seed, args.blas_threads)
    cfg = ctx.cfg

    def extra():
        return {"notes": ctx.notes, "tol_runs": ctx.tol_runs, "blas": blas_lines(),
                "blas_threads": args.blas_threads, "sizes": cfg}

    results = harness.run_benchmark(NAME, make_cases(ctx), args, plot_kind="tradeoff",
                                    plot_metric="spec_ratio-1", extra=extra)
    print("\nnotes:")
    for note in ctx.notes:
        print(f"  {note}")
    print("\ntol mode runs (seed, rank, err/tol, seconds):")
    for name, runs in ctx.tol_runs.items():
        print(f"  {name}: " + "; ".join(f"{s}: r={r} {e:.6f}" + (f" {t:.2f}s" if t == t else "")
                                        for s, r, e, t in runs))
    print("\nkey numbers (t/sk: median over sklearn's median; spec, fro: error / optimal):")
    for line in key_table(results):
        print(line)
    targets = evaluate_targets(results, cfg)
    print("\ntargets (informational; the exit status reflects the accuracy of ours only):")
    for line in target_lines(targets):
        print(line)
    print("\nBLAS that ran (threadpoolctl):")
    for line in blas_lines():
        print(line)
    results.extra["targets"] = targets
    results.extra["total_s"] = time.perf_counter() - start
    print(f"\ntotal {results.extra['total_s']:.1f} s")
    if args.out is not None:  # run_benchmark wrote the files before the targets were known
        from pathlib import Path

        stem = Path(args.out) / NAME
        harness.write_json(results, stem.with_suffix(".json"))
        harness.write_markdown(results, stem.with_suffix(".md"))
    return results


if __name__ == "__main__":
    sys.exit(harness.exit_code(main()))

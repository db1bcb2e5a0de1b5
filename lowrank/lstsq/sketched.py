r"""Overdetermined least squares through a sketch: sketch-and-solve with an ℓ∞ guarantee,
and sketch-and-precondition to full accuracy.

Notation: ``A`` is n × d (n ≥ d), ``b`` has n rows, x* = A⁺b is the minimum-norm
least-squares solution and r* = b − Ax* its residual. ``S`` is an m × n sketch from
:func:`lowrank.make_sketch` (E[SᵀS] = I).
"""

import math

import numpy as np
import scipy.linalg
import scipy.linalg.blas  # noqa: F401  (dnrm2)

from .._linalg import mm
from .._operators import as_operator
from .._random import as_generator
from .._results import LstsqResult
from .._validate import as_float_array, check_choice, check_float, check_int
from ..sketching import KINDS, make_sketch

__all__ = ["sketched_lstsq", "solve_sketch_size"]

_METHODS = ("solve", "precondition")
# Rows of the preconditioner's sketch, m = c d. The SRHT and sparse-sign sketches cost the
# same whatever m is, and m = 8d (distortion ~ 1/sqrt(8)) took 40 LSQR iterations where
# 4d took 60 (100000 x 200 and 20000 x 500, float64 working precision); a dense sketch
# costs O(m n d), so it keeps 4d (as Blendenpik).
_PRECONDITION_ROWS = {"srht": 8, "sparse_sign": 8, "gaussian": 4, "rademacher": 4}
_DEFAULT_MAXITER = 200
_RESTARTS = 1  # one restart from the recomputed residual (the first run's rounding is then corrected)


def solve_sketch_size(d, eps, delta=0.01):
    r"""Rows m of the sketch for ``method="solve"``: the ℓ∞ rule.

    .. math::
        m = \max\Big(\Big\lceil \frac{4\, d \ln(4d/δ)}{ε^2} \Big\rceil,\;
                     \big\lceil 11.7\,(\sqrt d + \sqrt{2\ln(2/δ)})^2 \big\rceil\Big).

    Derivation, for a Gaussian S with N(0, 1/m) entries. The sketched solution is
    x = (SA)⁺Sb, so x − x* = (SA)⁺ S r*. Since r* ⊥ range(A), S r* is independent
    of SA and N(0, ‖r*‖²/m) in each entry, so each coordinate of x − x* is, given SA,
    normal with standard deviation at most ‖(SA)⁺‖ ‖r*‖ / √m. The second term of m
    makes σ_min(SA) ≥ σ_min(A)/√2 with probability ≥ 1 − δ/2 (Davidson–Szarek:
    σ_min ≥ 1 − √(d/m) − t/√m), so that ‖(SA)⁺‖ ≤ √2 ‖A⁺‖. A union bound over the
    d coordinates at level δ/2 then gives, with probability ≥ 1 − δ,
    |x_i − x*_i| ≤ √2 ‖A⁺‖ ‖r*‖ √(2 ln(4d/δ)/m) ≤ ε/√d · ‖r*‖ ‖A⁺‖, the first term of
    m. For the SRHT the same guarantee holds up to logarithmic factors in m (Price,
    Song & Woodruff, "Fast regression with an ℓ∞ guarantee", ICALP 2017); the same m
    is used.

    Parameters
    ----------
    d : int
        Number of unknowns, >= 1.
    eps : float
        Accuracy, 0 < eps <= 1.
    delta : float, optional
        Failure probability, 0 < delta < 1.

    Returns
    -------
    int
    """
    d = check_int(d, "d", low=1)
    eps = check_float(eps, "eps", low=0, high=1, low_open=True)
    delta = check_float(delta, "delta", low=0, high=1, low_open=True, high_open=True)
    coordinates = 4.0 * d * math.log(4.0 * d / delta) / eps**2
    embedding = 11.7 * (math.sqrt(d) + math.sqrt(2.0 * math.log(2.0 / delta))) ** 2
    return int(math.ceil(max(coordinates, embedding)))


def sketched_lstsq(A, b, *, method="precondition", sketch="srht", sketch_size=None, eps=0.1,
                   tol=None, maxiter=None, rng=None, delta=0.01):
    r"""Least squares ``min_x ||A x - b||_2`` for a tall ``A`` through a random sketch.

    Parameters
    ----------
    A : array_like, sparse matrix, LinearOperator or dask array, shape (n, d), n >= d
        Real; integers become float64, float32 stays float32.
    b : array_like, shape (n,) or (n, k)
        Real right-hand side(s).
    method : {"precondition", "solve"}, optional
        - "solve": one sketch-and-solve, x = (SA)⁺ Sb, with the ℓ∞ guarantee
          ``||x - x*||_inf <= eps / sqrt(d) * ||A x* - b||_2 * ||A^+||_2`` with
          probability >= 1 - `delta` for the dense kinds "gaussian" and "srht" (the
          sketch size from :func:`solve_sketch_size` unless `sketch_size` is given;
          when it reaches n, the problem is solved exactly by a dense least-squares
          solve). "sparse_sign" and "rademacher" give the usual subspace-embedding
          guarantee ``||A x - b|| <= (1 + O(sqrt(d/m))) ||A x* - b||`` but no proven
          ℓ∞ bound.
        - "precondition": sketch-and-precondition (Rokhlin & Tygert 2008; Blendenpik,
          Avron, Maymounkov & Toledo 2010; LSRN, Meng, Saunders & Mahoney 2014): the
          SVD SA = UΣVᵀ (m = 8d rows by default for "srht" and "sparse_sign", 4d for
          the dense kinds) gives the right preconditioner
          N = V_r Σ_r⁻¹ on the numerical rank r of SA; LSQR on A N, warm-started from
          the sketch-and-solve y0 = U_rᵀ Sb, converges in iterations independent of
          cond(A) (cond(AN) <= (1 + η)/(1 - η) for a sketch of distortion η), to the
          least-squares solution as accurately as a dense QR solve; for rank-deficient
          A to the minimum-norm one (x = N y lies in the row space of A).
    sketch : {"srht", "gaussian", "rademacher", "sparse_sign"}, optional
        Kind of :func:`lowrank.sketch`.
    sketch_size : int, optional
        Rows m of the sketch (>= d for "precondition").
    eps : float, optional
        Accuracy of "solve", 0 < eps <= 1.
    tol : float, optional
        LSQR's relative stopping tolerance (``atol = btol = tol``), 0 < tol < 1; None:
        working precision (10 eps of the dtype).
    maxiter : int, optional
        Most LSQR iterations per column (default 200).
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7).
    delta : float, optional
        Failure probability of the "solve" guarantee (0 < delta < 1).

    Returns
    -------
    LstsqResult
        ``x`` (d,) or (d, k) in the dtype of A and b; ``residual_norm`` = ||A x - b||_2
        (a float for 1-D b, (k,) for 2-D b); ``iterations`` (the maximum over columns;
        0 for "solve").

    Raises
    ------
    ValueError
        For n < d, mismatched or non-finite `b`, a bad `method`, `sketch`,
        `sketch_size`, `eps`, `tol`, `maxiter` or `delta`, an empty or non-finite `A`.
    TypeError
        For complex or non-numeric input, or a bad `rng`.

    Notes
    -----
    Cost. "solve": one sketch of [A, b] (``O(nd log n)`` for the SRHT) and an m × d
    SVD. "precondition": a sketch of A, an ``O(md²)`` SVD, and two products with A per
    LSQR iteration (``O(nd)`` each for dense A); the iteration count depends only on the
    requested accuracy (about 40 for float64 working precision, including one restart
    from the recomputed residual, which brings the normal-equations residual
    ||Aᵀr|| to that of a dense QR solve at cond(A) up to 1e12). Against LAPACK's dense
    solve (``numpy.linalg.lstsq``, gelsd) on 2 cores it took 1.04-1.47x its time with
    ``sketch="sparse_sign"`` and 1.2-2.1x with the SRHT (20000 x 80 to 100000 x 200,
    benchmarks/bench_lstsq.py): it pays off for larger d, or when A is sparse or
    matrix-free. b = 0
    gives x = 0; A = 0 gives x = 0 (the minimum-norm solution).

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.lstsq import sketched_lstsq
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((2000, 20)); b = rng.standard_normal(2000)
    >>> x, res, its = sketched_lstsq(A, b, rng=0)
    >>> bool(np.allclose(x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10, atol=1e-12))
    True
    """
    gen = as_generator(rng)
    method = check_choice(method, "method", _METHODS)
    kind = check_choice(sketch, "sketch", KINDS)
    eps = check_float(eps, "eps", low=0, high=1, low_open=True)
    delta = check_float(delta, "delta", low=0, high=1, low_open=True, high_open=True)
    if tol is not None:
        tol = check_float(tol, "tol", low=0, high=1, low_open=True, high_open=True)
    maxiter = _DEFAULT_MAXITER if maxiter is None else check_int(maxiter, "maxiter", low=1)
    op = as_operator(A, "A", allow_complex=False, allow_dask=True)
    n, d = op.shape
    if n < d:
        raise ValueError(f"`A` must have at least as many rows as columns (n >= d); got shape {op.shape}.")
    b2, vector = _right_hand_sides(b, n)
    dtype = np.result_type(op.dtype, b2.dtype)
    if sketch_size is not None:
        sketch_size = check_int(sketch_size, "sketch_size", low=d if method == "precondition" else 1)
    if method == "solve":
        m = solve_sketch_size(d, eps, delta) if sketch_size is None else sketch_size
        x, iterations = _solve(op, b2, kind, m, gen, dtype), 0
    else:
        m = min(n, _PRECONDITION_ROWS[kind] * d) if sketch_size is None else sketch_size
        x, iterations = _precondition(op, b2, kind, max(m, 1), gen, dtype, tol, maxiter)
    x = x.astype(dtype, copy=False)
    residual = _residual_norms(op, x, b2)
    if vector:
        return LstsqResult(x[:, 0], float(residual[0]), iterations)
    return LstsqResult(x, residual, iterations)


def _right_hand_sides(b, n):
    """b as a finite (n, k) float array, and whether it was 1-D."""
    b2 = as_float_array(b, "b")
    if b2.ndim not in (1, 2):
        raise ValueError(f"`b` must be 1-D or 2-D; got shape {b2.shape}.")
    if b2.shape[0] != n:
        raise ValueError(f"`b` must have n = {n} rows (A has shape (n, d)); got shape {b2.shape}.")
    return (b2[:, None], True) if b2.ndim == 1 else (b2, False)


def _products(op, X):
    """A @ X as a NumPy array, whatever the input kind."""
    Y = op.matmat(X)
    return np.asarray(Y.compute() if hasattr(Y, "compute") else Y)


def _residual_norms(op, x, b2):
    """||A x_j - b_j||_2 per column, scaled so that no square overflows."""
    R = _products(op, x.astype(op.dtype, copy=False)).astype(np.float64) - b2
    scale = np.max(np.abs(R), axis=0)
    scale[scale == 0] = 1.0
    return scale * np.linalg.norm(R / scale, axis=0)


def _scaled_rhs(b2):
    """b / beta with beta = max|b| (1 for b = 0): keeps every square in range."""
    beta = float(np.max(np.abs(b2))) if b2.size else 0.0
    return (b2 / beta, beta) if beta > 0 else (b2, 0.0)


# ------------------------------------------------------------------ sketch-and-solve


def _solve(op, b2, kind, m, gen, dtype):
    n, d = op.shape
    if m >= n:
        return _exact(op, b2, dtype)
    S = make_sketch(kind, m, n, rng=gen)
    SA = np.asarray(S @ op.A, dtype=np.float64)
    Sb = np.asarray(S @ b2.astype(dtype, copy=False), dtype=np.float64)
    return _min_norm_solve(SA, Sb, op.shape)


def _numerical_rank(s, n, d):
    """Singular values above max(n, d) eps s_1 count (numpy.linalg.lstsq's default rcond)."""
    return int(np.sum(s > max(n, d) * np.finfo(np.float64).eps * s[0])) if s.size and s[0] > 0 else 0


def _min_norm_solve(M, B, shape=None):
    """Minimum-norm least-squares solution of M X = B by the SVD, both scaled to max 1
    (`shape`: that of the A whose rank cutoff applies, default M's)."""
    alpha = float(np.max(np.abs(M))) if M.size else 0.0
    Bs, beta = _scaled_rhs(B)
    if alpha == 0.0 or beta == 0.0:
        return np.zeros((M.shape[1], B.shape[1]))
    U, s, Vt = scipy.linalg.svd(M / alpha, full_matrices=False, check_finite=False)
    r = _numerical_rank(s, *(shape or M.shape))
    X = mm(Vt[:r].T, mm(U[:, :r], Bs, "T") / s[:r, None])
    return X * (beta / alpha)


def _exact(op, b2, dtype):
    """The sketch would be as tall as A: solve densely (dask: dask's TSQR least squares)."""
    if op.kind == "dask":  # A = QR by TSQR (blockwise), then the small min-norm problem on R
        import dask.array as da

        Q, R = da.linalg.tsqr(op.A.astype(np.float64))
        QtB = np.asarray((Q.T @ b2.astype(np.float64)).compute())
        return _min_norm_solve(np.asarray(R.compute()), QtB, op.shape)
    if op.kind == "dense":
        Ad = op.A
    elif op.kind == "sparse":
        Ad = op.A.toarray()
    else:
        Ad = _products(op, np.eye(op.shape[1], dtype=op.dtype))
    return _min_norm_solve(np.asarray(Ad, dtype=np.float64), b2.astype(np.float64))


# ------------------------------------------------------------------ sketch-and-precondition


def _precondition(op, b2, kind, m, gen, dtype, tol, maxiter):
    n, d = op.shape
    Bs, beta = _scaled_rhs(b2.astype(np.float64))
    S = make_sketch(kind, m, n, rng=gen)
    SA = np.asarray(S @ op.A, dtype=np.float64)
    alpha = float(np.max(np.abs(SA))) if SA.size else 0.0
    if beta == 0.0 or alpha == 0.0:
        return np.zeros((d, b2.shape[1])), 0
    U, s, Vt = scipy.linalg.svd(SA / alpha, full_matrices=False, check_finite=False)
    r = _numerical_rank(s, n, d)
    N = Vt[:r].T / (alpha * s[:r])  # A N has orthonormal-ish columns: cond <= (1+η)/(1-η)
    SB = np.asarray(S @ Bs.astype(dtype, copy=False), dtype=np.float64)
    Y0 = mm(U[:, :r], SB, "T")  # sketch-and-solve in the preconditioned variables
    matvec, rmatvec = _preconditioned_products(op, N)
    work_tol = 10 * np.finfo(dtype).eps if tol is None else tol
    X = np.empty((d, b2.shape[1]))
    iterations = 0
    for j in range(b2.shape[1]):
        y = Y0[:, j]
        used = 0
        for _ in range(_RESTARTS + 1):  # LSQR on the current residual, then once more from its end
            dy, itn = _lsqr(matvec, rmatvec, Bs[:, j] - matvec(y), r, work_tol, maxiter - used)
            y = y + dy
            used += itn
            if used >= maxiter:
                break
        X[:, j] = mm(N, y[:, None])[:, 0]
        iterations = max(iterations, used)
    return X * beta, iterations


def _lsqr(matvec, rmatvec, b, size, tol, iter_lim):
    r"""LSQR (Paige & Saunders, ACM TOMS 8, 1982) for min ||M y - b|| from y = 0, with
    the products given as functions; stops when ||M^T r|| <= tol ||M|| ||r|| or
    ||r|| <= tol (||b|| + ||M|| ||y||) (its rules 1-2 with atol = btol = tol), or after
    `iter_lim` iterations; y has `size` entries. Returns (y, iterations).

    Written here rather than called from scipy.sparse.linalg so that every vector
    operation stays on SciPy's BLAS: scipy's lsqr takes its norms through NumPy's BLAS,
    whose spinning threads slowed the products with A 2.5x on 2 cores.
    """
    y = np.zeros(size)
    u = np.array(b, dtype=np.float64)
    beta = _nrm2(u)
    if beta == 0.0 or iter_lim <= 0:
        return y, 0
    u /= beta
    v = rmatvec(u)
    alpha = _nrm2(v)
    if alpha == 0.0:  # b is orthogonal to the range of M: y = 0 is the solution
        return y, 0
    v /= alpha
    w = v.copy()
    phibar, rhobar = beta, alpha
    norm_b, norm_m_sq = beta, 0.0
    for itn in range(1, iter_lim + 1):
        # bidiagonalisation: beta u = M v - alpha u, alpha v = M^T u - beta v
        u = matvec(v) - alpha * u
        beta = _nrm2(u)
        if beta > 0.0:
            u /= beta
            norm_m_sq += alpha * alpha + beta * beta
            v = rmatvec(u) - beta * v
            alpha = _nrm2(v)
            if alpha > 0.0:
                v /= alpha
        # plane rotation eliminating beta; update y and the search direction w
        rho = math.hypot(rhobar, beta)
        c, s = rhobar / rho, beta / rho
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar = s * phibar
        y += (phi / rho) * w
        w = v - (theta / rho) * w
        norm_r = phibar  # ||b - M y||
        norm_mtr = phibar * alpha * abs(c)  # ||M^T (b - M y)||
        norm_m = math.sqrt(norm_m_sq)
        if norm_mtr <= tol * norm_m * norm_r or norm_r <= tol * (norm_b + norm_m * _nrm2(y)):
            return y, itn
        if alpha == 0.0 or beta == 0.0:
            return y, itn
    return y, iter_lim


def _nrm2(x):
    return float(scipy.linalg.blas.dnrm2(x))


def _preconditioned_products(op, N):
    """y -> A N y and z -> N^T A^T z in float64 (products with A in A's dtype, on SciPy's BLAS)."""

    def matvec(y):
        v = mm(N, y[:, None]).astype(op.dtype, copy=False)
        return _products(op, v)[:, 0].astype(np.float64, copy=False)

    def rmatvec(z):
        v = np.asarray(op.rmatmat(z.astype(op.dtype, copy=False)[:, None]), dtype=np.float64)
        return mm(N, v, "T")[:, 0]

    return matvec, rmatvec

"""CUR and interpolative decompositions: select actual columns (and rows) of A."""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._linalg import mm
from .._operators import as_operator
from .._random import as_generator
from .._results import CURResult, IDResult
from .._validate import check_choice, check_int, check_rank
from .range_finder import gaussian_test_matrix, orth
from .rsvd import rsvd

__all__ = ["cur", "column_id"]

_CUR_METHODS = ("deim", "leverage", "qr")


def _matrix(A, name="A"):
    op = as_operator(A, name, allow_complex=False, allow_linop=False)
    if op.max_abs() == 0.0:
        raise ValueError(f"`{name}` is all zero; it has no columns or rows worth selecting.")
    return op


def column_id(A, rank, *, oversample=None, n_iter=1, swaps=16, rng=None):
    r"""Randomized interpolative decomposition ``A ≈ A[:, cols] @ X`` with ``X[:, cols] == I``.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (m, n)
        Real; integers become float64, float32 stays float32.
    rank : int
        Number of columns to select, ``1 <= rank <= min(m, n)``.
    oversample : int or None, optional
        Extra rows p >= 0 of the sketch, ℓ = min(rank + p, m). None (default) takes
        p = rank: the column exchanges (`swaps`) judge a choice by the part of A it
        misses, which the sketch must see beyond the leading `rank` directions.
    n_iter : int, optional
        Power iterations q >= 0 applied to the sketch (``S (A A^T)^q A``).
    swaps : int, optional
        Most column exchanges s >= 0 after the pivoted QR (0: the pivoted-QR choice as it
        is). See Notes.
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7).

    Returns
    -------
    IDResult
        ``cols`` (rank,) distinct int64 column indices; ``X`` (rank, n) in the dtype of `A`.

    Raises
    ------
    ValueError
        For a bad `rank`, `oversample`, `n_iter` or `swaps`, or an empty, non-finite or
        all-zero `A`.
    TypeError
        For complex or non-numeric `A`, or a bad `rng`.

    Notes
    -----
    1. Sketch: :math:`Y = Q^T A` (ℓ × n) with Q an orthonormal basis of
       :math:`(AA^T)^q A\Omega`, Ω Gaussian: Y sees the row space of A as A does
       (Martinsson, Rokhlin & Tygert 2011; Halko, Martinsson & Tropp 2011, §5.2).
    2. Pivots: the first `rank` pivots of a column-pivoted QR of Y.
    3. Exchanges: pivoted QR is greedy, and its spectral error on slowly decaying
       spectra is typically about 2 σ_{k+1}. Each exchange takes the top left singular
       vector u of the sketched residual :math:`(I - P_S)Y` (P_S: projector onto the
       selected columns of Y), brings in the unselected column whose residual is most
       aligned with u, and drops the selected column whose removal adds the least
       (the rank-one term ‖x_i‖ · dist(y_i, span of the others)); a swap is kept only
       if it lowers :math:`\|(I - P_S)Y\|_2` by 0.1% — a few candidate pairs are
       tried per step. Everything runs on the ℓ × ℓ Gram matrix :math:`YY^T`, so a
       trial costs :math:`O(\ell^3)`, a step :math:`O(\ell\,rank\,n)`. On
       s_i = 1/(i+1) (3000 × 3000, rank 50, four matrices) this lowered the spectral
       error from 1.78–2.03 to 1.76–1.84 times the optimum, and on 0.9^i from
       1.68–1.85 to 1.68–1.80; never higher in the seeds tried. Skipped where the residual is at rounding level
       (exact rank: nothing to improve).
    4. Coefficients: the least-squares ones, :math:`X = C^+ A` with
       :math:`C = A_{:,cols}` (QR of C; never an explicit inverse), so the error is the
       smallest possible for the chosen columns, :math:`\|(I - P_C)A\|`.

    Cost: 2q + 2 products of width ℓ, :math:`O(n\ell^2)` for the pivoted QR,
    :math:`O(s\,\ell\,rank\,n)` for the exchanges, :math:`O(mn\,rank)` for X.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import column_id
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 20))
    >>> cols, X = column_id(A, 3, rng=0)
    >>> bool(np.allclose(A[:, cols] @ X, A)), bool(np.all(X[:, cols] == np.eye(3)))
    (True, True)
    """
    gen = as_generator(rng)
    op = _matrix(A)
    rank = check_rank(rank, min(op.shape))
    oversample = rank if oversample is None else check_int(oversample, "oversample", low=0)
    n_iter = check_int(n_iter, "n_iter", low=0)
    swaps = check_int(swaps, "swaps", low=0)
    cols = _pivot_columns(op, rank, oversample, n_iter, gen, swaps=swaps)
    return IDResult(cols, _coefficients(op, cols))


def _pivot_columns(op, rank, oversample, n_iter, gen, swaps=0):
    """Indices of `rank` columns: pivoted QR of a row sketch of A, then `swaps` exchanges."""
    m, n = op.shape
    ell = min(rank + oversample, m)
    Z = op.matmat(gaussian_test_matrix(gen, n, ell, op.dtype))  # A Omega, (m, ell)
    for _ in range(n_iter):
        Z = op.matmat(orth(op.rmatmat(orth(Z))))
    Y = op.rmatmat(orth(Z)).T  # (ell, n): the row space of A, sketched
    _, piv = scipy.linalg.qr(Y, mode="r", pivoting=True, check_finite=False)
    cols = np.asarray(piv[:rank], dtype=np.int64)
    if swaps and rank < min(ell, n):
        cols = _exchange_columns(np.asarray(Y, dtype=np.float64), cols, swaps, op.dtype)
    return cols


_TRIALS = 3  # candidate columns to bring in, and to drop, per exchange step


def _exchange_columns(Y, cols, swaps, dtype):
    """Swap selected columns of Y (ℓ × n) while the spectral residual ‖(I - P_S)Y‖₂ drops."""
    scale = np.abs(Y).max() if Y.size else 0.0
    if not (np.isfinite(scale) and scale > 0.0):
        return cols
    Y = Y / scale  # the choice is scale-free; this keeps Y Y^T clear of overflow and underflow
    M = mm(Y, Y, "N", "T")  # ℓ × ℓ Gram: every trial is O(ℓ^3)
    ell = M.shape[0]
    lam_max = float(scipy.linalg.eigvalsh(M, subset_by_index=[ell - 1, ell - 1], check_finite=False)[0])
    eps = float(np.finfo(dtype).eps)
    best, u, Q = _top_residual(M, Y[:, cols], eps)
    # Rounding level of the squared residual: the Gram matrix (float64) and Y itself (input dtype).
    floor = lam_max * max(1e4 * np.finfo(np.float64).eps, (1e3 * np.finfo(dtype).eps) ** 2)
    if not best > floor:
        return cols
    col_sq = np.einsum("ij,ij->j", Y, Y)
    S = [int(c) for c in cols]
    for _ in range(swaps):
        swap = _improving_swap(Y, M, S, best, u, Q, col_sq, eps)
        if swap is None:
            break
        S, best, u, Q = swap
    return np.asarray(S, dtype=np.int64)


def _top_residual(M, YS, eps=np.finfo(np.float64).eps):
    """Largest eigenpair of (I - P) M (I - P), P the projector onto range(YS), and P's basis.

    The basis keeps only the columns of a pivoted QR with |R_jj| above rounding level:
    a set with dependent columns spans less, and its residual must show it (the spurious
    columns Householder QR adds would hide it, and the exchange would pick such a set)."""
    Q, R, _ = scipy.linalg.qr(YS, mode="economic", pivoting=True, check_finite=False)
    d = np.abs(np.diag(R))
    Q = Q[:, : int(np.sum(d > max(YS.shape) * eps * (d[0] if d.size else 0.0)))]  # eps: of A's dtype
    G = M - mm(mm(M, Q), Q, "N", "T")
    G = G - mm(Q, mm(Q, G, "T"))
    ell = M.shape[0]
    w, V = scipy.linalg.eigh((G + G.T) * 0.5, subset_by_index=[ell - 1, ell - 1], check_finite=False)
    return float(w[0]), V[:, 0], Q


def _improving_swap(Y, M, S, best, u, Q, col_sq, eps):
    """The first of a few (in, out) pairs that lowers the residual by 0.1%, or None."""
    uY = mm(u[None, :], Y)[0]
    QtY = mm(Q, Y, "T")
    res_sq = col_sq - np.einsum("ij,ij->j", QtY, QtY)  # squared residual norms of the columns
    score = np.zeros_like(uY)
    ok = res_sq > 0.0
    score[ok] = uY[ok] ** 2 / res_sq[ok]
    score[S] = -1.0
    for j in np.argsort(score)[::-1][:_TRIALS]:
        if score[j] <= 0.0:
            break
        grown = S + [int(j)]
        for i in _cheapest_drops(Y[:, grown], M):
            trial = grown[:i] + grown[i + 1:]
            val, u_new, Q_new = _top_residual(M, Y[:, trial], eps)
            if val < best * (1.0 - 1e-3):
                return trial, val, u_new, Q_new
    return None


def _cheapest_drops(YS, M):
    """Positions (never the newcomer, the last) whose removal adds the smallest rank-one
    term ‖x_i‖ · dist(y_i, span of the others), with X = YS^+ Y (computed from M = Y Y^T)."""
    Q, R = scipy.linalg.qr(YS, mode="economic", check_finite=False)
    d = np.abs(np.diag(R))
    if d.size == 0 or d.min() <= np.finfo(np.float64).eps * d.max() * R.shape[0]:
        return []
    Rinv = scipy.linalg.solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
    W = mm(Rinv, Q, "N", "T")  # X = W Y, so ‖x_i‖² = w_i M w_iᵀ
    x_sq = np.einsum("ij,ij->i", mm(W, M), W)
    cost = np.sqrt(np.maximum(x_sq, 0.0)) / np.linalg.norm(Rinv, axis=1)
    return list(np.argsort(cost[:-1])[:_TRIALS])


def _dense_columns(op, cols):
    C = op.A[:, cols]
    return C.toarray() if sp.issparse(C) else np.asarray(C)


def _coefficients(op, cols):
    """X = C^+ A for C = A[:, cols], through the QR of C, with X[:, cols] = I exactly."""
    C = _dense_columns(op, cols)
    Q, R = scipy.linalg.qr(C, mode="economic", check_finite=False)
    QtA = op.rmatmat(Q).T  # (rank, n)
    X = _triangular_or_lstsq(R, QtA)
    X[:, cols] = np.eye(len(cols), dtype=X.dtype)
    return X.astype(op.dtype, copy=False)


def _triangular_or_lstsq(R, B):
    """Solve R X = B for upper-triangular R; least squares (minimum norm) when R is
    numerically singular (duplicated or dependent columns were selected)."""
    d = np.abs(np.diag(R))
    if d.size and d.min() > np.finfo(R.dtype).eps * d.max() * R.shape[0] * 10:
        return scipy.linalg.solve_triangular(R, B, check_finite=False)
    # the same cutoff as the test above, so that a pivot at rounding level is dropped
    X, *_ = scipy.linalg.lstsq(R, B, cond=np.finfo(R.dtype).eps * R.shape[0] * 10, check_finite=False)
    return X


def cur(A, rank, *, method="deim", rng=None):
    r"""CUR decomposition ``A ≈ C @ U @ R`` from actual columns and rows of ``A``.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (m, n)
        Real; integers become float64, float32 stays float32.
    rank : int
        Number of columns and of rows, ``1 <= rank <= min(m, n)``.
    method : {"deim", "leverage", "qr"}, optional
        - "deim": discrete empirical interpolation on the leading singular vectors
          from :func:`rsvd`, in its pivoted-QR form (Q-DEIM, Drmač & Gugercin 2016)
          applied to the singular-value-weighted vectors — deterministic given them
          (see Notes);
        - "leverage": rows and columns drawn *without replacement* with probabilities
          proportional to their rank-`rank` leverage scores (squared row norms of the
          singular vectors; Mahoney & Drineas 2009);
        - "qr": randomized interpolative decompositions of A and of Aᵀ (column-pivoted
          QR of sketches, as in :func:`column_id`).
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7).

    Returns
    -------
    CURResult
        ``C = A[:, cols]`` and ``R = A[rows, :]`` (sparse slices for sparse `A`), the
        dense middle factor ``U`` (rank, rank), and the int64 indices ``cols``, ``rows``.

    Raises
    ------
    ValueError
        For a bad `rank` or `method`, or an empty, non-finite or all-zero `A`.
    TypeError
        For complex or non-numeric `A`, or a bad `rng`.

    Notes
    -----
    The middle factor is the Frobenius-optimal :math:`U = C^+ A R^+`, computed from
    thin QR factorisations :math:`C = Q_C T_C`, :math:`R^T = Q_R T_R` as
    :math:`U = T_C^{-1} (Q_C^T A Q_R) T_R^{-T}` (least squares when a factor is
    singular) — never by inverting ``A[rows, cols]``. The error then satisfies
    :math:`\|A - CUR\| \le \|(I-P_C)A\| + \|A(I-P_R)\|`; with DEIM each term is within
    :math:`\eta \sigma_{k+1}` of optimal, η growing slowly with k (Sorensen & Embree
    2016, Thm. 4.1). Cost: one rsvd (or two sketches) plus :math:`O(mn\,rank)`.

    DEIM indices: with :math:`A \approx U_k\Sigma_k V_k^T` from :func:`rsvd`, the
    columns are the first k pivots of a column-pivoted QR of :math:`\Sigma_k V_k^T`
    (rows: of :math:`\Sigma_k U_k^T`). On :math:`V_k^T` alone this is Q-DEIM, whose
    factor η is at most :math:`\sqrt{n-k+1}\,O(2^k)` and in practice smaller than
    greedy DEIM's (Drmač & Gugercin, SISC 38(2), 2016); the weights Σ_k make the pivots
    those of the truncation :math:`A_k` itself, so a direction counts by its
    singular value. On 3000 × 3000 test matrices (k = 50, s_i = 0.9^i and 1/(i+1))
    this gave spectral errors 1.96–2.16 × optimal against 2.16–2.52 for greedy DEIM
    on the unweighted vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import cur
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 4)) @ rng.standard_normal((4, 30))
    >>> C, U, R, cols, rows = cur(A, 4, rng=0)
    >>> bool(np.allclose(C @ U @ R, A))
    True
    """
    gen = as_generator(rng)
    op = _matrix(A)
    rank = check_rank(rank, min(op.shape))
    method = check_choice(method, "method", _CUR_METHODS)
    if method == "qr":
        cols = _pivot_columns(op, rank, 10, 1, gen)
        rows = _pivot_columns(as_operator(op.A.T, "A", allow_complex=False), rank, 10, 1, gen)
    else:
        # the indices need the dominant subspaces, not converged singular values: q = 2
        U_k, S_k, Vh_k = rsvd(op.A, rank, n_iter=2, rng=gen)
        if method == "deim":
            cols, rows = _deim(Vh_k.T, S_k), _deim(U_k, S_k)
        else:
            cols, rows = _leverage(Vh_k.T, rank, gen), _leverage(U_k, rank, gen)
    C = op.A[:, cols]
    R = op.A[rows, :]
    return CURResult(C, _middle(op, cols, rows), R, cols, rows)


def _deim(V, S):
    """DEIM (Q-DEIM form) indices of the k = len(S) leading singular vectors V (n, k)
    weighted by the singular values S: the first k pivots of a column-pivoted QR of
    diag(S) V^T (one O(n k²) LAPACK call)."""
    W = np.ascontiguousarray((V * S.astype(V.dtype)).T)  # (k, n)
    _, piv = scipy.linalg.qr(W, mode="r", pivoting=True, check_finite=False)
    return np.asarray(piv[: S.size], dtype=np.int64)


def _leverage(V, count, gen):
    """`count` distinct indices drawn with probability ∝ the leverage scores ||V_i||²."""
    scores = np.sum(np.abs(V.astype(np.float64)) ** 2, axis=1)
    positive = np.count_nonzero(scores)
    if positive < count:  # pad with uniform picks among the zero-score indices
        scores = scores + (scores.sum() or 1.0) * 1e-12
    p = scores / scores.sum()
    return np.asarray(gen.choice(V.shape[0], size=count, replace=False, p=p), dtype=np.int64)


def _middle(op, cols, rows):
    """U = C^+ A R^+ through thin QRs of C and R^T."""
    C = _dense_columns(op, cols)
    Rt = _dense_columns(as_operator(op.A.T, "A", allow_complex=False), rows)  # = A[rows, :].T
    Qc, Tc = scipy.linalg.qr(C, mode="economic", check_finite=False)
    Qr, Tr = scipy.linalg.qr(Rt, mode="economic", check_finite=False)
    core = mm(Qc, op.matmat(Qr), "T")  # Q_C^T A Q_R, (rank, rank)
    left = _triangular_or_lstsq(Tc, core)  # T_C^{-1} core
    U = _triangular_or_lstsq(Tr, left.T).T  # (.) T_R^{-T}
    return U.astype(op.dtype, copy=False)

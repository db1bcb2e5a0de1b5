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


def column_id(A, rank, *, oversample=10, n_iter=1, rng=None):
    r"""Randomized interpolative decomposition ``A ≈ A[:, cols] @ X`` with ``X[:, cols] == I``.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (m, n)
        Real; integers become float64, float32 stays float32.
    rank : int
        Number of columns to select, ``1 <= rank <= min(m, n)``.
    oversample : int, optional
        Extra rows p >= 0 of the sketch (ℓ = min(rank + p, m)).
    n_iter : int, optional
        Power iterations q >= 0 applied to the sketch (``S (A A^T)^q A``).
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7).

    Returns
    -------
    IDResult
        ``cols`` (rank,) distinct int64 column indices; ``X`` (rank, n) in the dtype of `A`.

    Raises
    ------
    ValueError
        For a bad `rank`, `oversample` or `n_iter`, or an empty, non-finite or all-zero `A`.
    TypeError
        For complex or non-numeric `A`, or a bad `rng`.

    Notes
    -----
    The column choice is that of a column-pivoted QR of the Gaussian sketch
    :math:`Y = \Omega^T (AA^T)^q A` (ℓ × n), which sees the row space of A as A does
    (Martinsson, Rokhlin & Tygert 2011; Halko, Martinsson & Tropp 2011, §5.2). The
    coefficients are then the least-squares ones, :math:`X = C^+ A` with
    :math:`C = A_{:,cols}` (QR of C; never an explicit inverse), so the error is the
    smallest possible for the chosen columns, :math:`\|(I - P_C)A\|`. Cost: 2q + 2
    products of width ℓ, :math:`O(n\ell^2)` for the pivoted QR, :math:`O(mn\,rank)` for X.

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
    oversample = check_int(oversample, "oversample", low=0)
    n_iter = check_int(n_iter, "n_iter", low=0)
    cols = _pivot_columns(op, rank, oversample, n_iter, gen)
    return IDResult(cols, _coefficients(op, cols))


def _pivot_columns(op, rank, oversample, n_iter, gen):
    """Indices of the first `rank` pivots of a column-pivoted QR of a row sketch of A."""
    m, n = op.shape
    ell = min(rank + oversample, m)
    Z = op.matmat(gaussian_test_matrix(gen, n, ell, op.dtype))  # A Omega, (m, ell)
    for _ in range(n_iter):
        Z = op.matmat(orth(op.rmatmat(orth(Z))))
    Y = op.rmatmat(orth(Z)).T  # (ell, n): the row space of A, sketched
    _, piv = scipy.linalg.qr(Y, mode="r", pivoting=True, check_finite=False)
    return np.asarray(piv[:rank], dtype=np.int64)


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
    X, *_ = scipy.linalg.lstsq(R, B, check_finite=False)
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

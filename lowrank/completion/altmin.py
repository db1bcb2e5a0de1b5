r"""Matrix completion by alternating minimisation.

Given observed entries M_ij for (i, j) in Ω, find U (m × k) and V (n × k) minimising

.. math::
    \sum_{(i,j)\in Ω} (U_i \cdot V_j - M_{ij})^2 + \mathrm{reg}\,(\|U\|_F^2 + \|V\|_F^2).

With V fixed this splits into one ridge regression per row of U (over that row's
observed columns), and likewise for V. Alternating minimisation (Jain, Netrapalli &
Sanghavi, STOC 2013) solves them in turn, starting from the spectral initialisation:
the rank-k SVD of the zero-filled observations scaled by mn/|Ω| (:func:`lowrank.rsvd`).
"""

import math
import numbers
import warnings

import numpy as np
import scipy.sparse as sp

from .._random import as_generator
from .._results import CompletionResult
from .._validate import as_float_array, check_choice, check_float, check_int, check_rank
from . import _kernels

__all__ = ["altmin_complete", "CompletionWarning"]

_METHODS = ("exact", "sketch")
_CG_STEPS = 3  # conjugate-gradient steps per row and half-sweep for method="sketch"


class CompletionWarning(RuntimeWarning):
    """`altmin_complete` stopped after `n_iter` sweeps without reaching `tol`."""


def altmin_complete(rows, cols, values, shape, rank, *, n_iter=50, tol=1e-6, reg=0.0,
                    method="sketch", rng=None):
    r"""Complete a low-rank matrix from observed entries: ``M ≈ U @ V.T``.

    Parameters
    ----------
    rows, cols : array_like of int, shape (N,)
        Positions of the observed entries (no duplicate pairs).
    values : array_like, shape (N,)
        The observed entries (finite).
    shape : (int, int)
        (m, n) of M.
    rank : int
        k, ``1 <= k <= min(m, n)``.
    n_iter : int, optional
        Most sweeps (>= 1). One sweep updates U, then V.
    tol : float, optional
        Stop at the first sweep with ``residual <= tol`` (> 0).
    reg : float, optional
        Ridge weight (>= 0). With reg > 0 the residual cannot reach 0.
    method : {"sketch", "exact"}, optional
        - "exact": each row's k × k normal equations formed and solved by Cholesky:
          O(|Ω| k² + (m + n) k³) per sweep.
        - "sketch": each row's regression solved approximately by 3 conjugate-gradient
          steps warm-started from the previous sweep, without forming a Gram matrix:
          O(|Ω| k) per sweep. This is the inexact-solve scheme that the robust
          alternating minimisation analysis allows (Gu, Song, Yin & Zhang, "Low rank
          matrix completion via robust alternating minimization in nearly linear
          time", 2023). There the row regressions are solved by a sketch-preconditioned
          iteration; here the rows are k-dimensional, so plain CG from a warm start is
          already well conditioned. Each step lowers the same objective, so both
          methods reach the same solutions; "sketch" may take more sweeps.
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator for the spectral initialisation (SPEC 7).

    Returns
    -------
    CompletionResult
        ``U`` (m, k), ``V`` (n, k), ``n_iter`` (sweeps done), ``residual`` =
        ``||P_Ω(U Vᵀ) - values||_2 / ||values||_2``, ``converged`` (residual <= tol).
        float32 values give float32 factors.

    Raises
    ------
    ValueError
        For duplicate, out-of-range or non-integer indices, NaN/inf values, mismatched
        lengths, a bad `shape`, `rank`, `n_iter`, `tol`, `reg` or `method`.
    TypeError
        For non-numeric input or a bad `rng`.

    Warns
    -----
    CompletionWarning
        (a RuntimeWarning) when `n_iter` sweeps end without reaching `tol`.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.completion import altmin_complete
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 50))
    >>> mask = rng.random(M.shape) < 0.4
    >>> i, j = np.nonzero(mask)
    >>> res = altmin_complete(i, j, M[i, j], M.shape, 3, tol=1e-8, rng=0)
    >>> bool(res.converged and np.allclose(res.U @ res.V.T, M, atol=1e-5))
    True
    """
    gen = as_generator(rng)
    m, n = _check_shape(shape)
    rank = check_rank(rank, min(m, n), bound_text="min(shape)")
    n_iter = check_int(n_iter, "n_iter", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    reg = check_float(reg, "reg", low=0)
    method = check_choice(method, "method", _METHODS)
    r_idx = _indices(rows, "rows", m)
    c_idx = _indices(cols, "cols", n)
    vals = as_float_array(values, "values", ndim=1)
    if not (r_idx.shape[0] == c_idx.shape[0] == vals.shape[0]):
        raise ValueError(f"`rows`, `cols` and `values` must have the same length; got "
                         f"{r_idx.shape[0]}, {c_idx.shape[0]} and {vals.shape[0]}.")
    linear = r_idx * n + c_idx
    if np.unique(linear).shape[0] != linear.shape[0]:
        raise ValueError("`rows`/`cols` hold duplicate (row, col) pairs; each entry may be observed once.")
    dtype = vals.dtype
    scale = float(np.max(np.abs(vals))) if vals.size else 0.0
    if scale == 0.0:  # nothing (or only zeros) observed: M = 0 fits exactly
        return CompletionResult(np.zeros((m, rank), dtype), np.zeros((n, rank), dtype), 0, 0.0, True)
    v64 = vals.astype(np.float64) / scale  # work at unit scale: no square overflows
    reg_s = reg / scale  # ||U||^2 + ||V||^2 scale like |M|, the data term like |M|^2
    by_row = _pattern(r_idx, c_idx, v64, m, n)  # row i of U: the entries of row i of M
    by_col = _pattern(c_idx, r_idx, v64, n, m)  # row j of V: the entries of column j
    U, V = _spectral_start(by_row, n, rank, len(vals), gen)
    norm_v = math.sqrt(float(v64 @ v64))
    residual = math.inf
    done = 0
    converged = False
    for sweep in range(1, n_iter + 1):
        _half_sweep(by_row, V, U, reg_s, method)
        _half_sweep(by_col, U, V, reg_s, method)
        done = sweep
        residual = math.sqrt(_kernels.observed_residual(r_idx, c_idx, v64, U, V)) / norm_v
        if residual <= tol:
            converged = True
            break
    if not converged:
        warnings.warn(f"altmin_complete: {done} sweeps ended at residual {residual:.3g} > tol = {tol:g}; "
                      "pass a larger n_iter or tol (with reg > 0 the residual cannot reach 0).",
                      CompletionWarning, stacklevel=2)
    root = math.sqrt(scale)  # U V^T carries scale: split it evenly between the factors
    return CompletionResult((U * root).astype(dtype), (V * root).astype(dtype), done, float(residual), converged)


def _pattern(first, second, vals, n_first, n_second):
    """(indptr, indices, data) of the CSR matrix with entries vals at (first, second)."""
    A = sp.csr_matrix((vals, (first, second)), shape=(n_first, n_second))
    return A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data


def _half_sweep(pattern, fixed, out, reg, method):
    """Solve each row of `out` against `fixed` over its observed entries (`pattern`)."""
    indptr, idx, data = pattern
    if method == "exact":
        _kernels.solve_rows_exact(indptr, idx, data, fixed, out, reg)
    else:
        _kernels.solve_rows_cg(indptr, idx, data, fixed, out, reg, _CG_STEPS)


def _spectral_start(by_row, shape_n, rank, count, gen):
    """U S^{1/2}, V S^{1/2} from the rank-k SVD of the zero-filled observations times mn/|Ω|."""
    from ..factor import rsvd

    indptr, idx, data = by_row
    m, n = len(indptr) - 1, shape_n
    A = sp.csr_matrix((data * (m * n / count), idx, indptr), shape=(m, n))
    U, S, Vh = rsvd(A, rank, rng=gen)
    root = np.sqrt(S)
    return np.ascontiguousarray(U * root), np.ascontiguousarray(Vh.T * root)


def _check_shape(shape):
    try:
        m, n = shape
    except (TypeError, ValueError):
        raise ValueError(f"`shape` must be a pair (m, n); got {shape!r}.") from None
    return check_int(m, "shape[0]", low=1), check_int(n, "shape[1]", low=1)


def _indices(x, name, bound):
    """Integer indices in [0, bound) as int64; anything else is a ValueError naming `name`."""
    if isinstance(x, (str, bytes)):
        raise ValueError(f"`{name}` must hold integer indices; got a string.")
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D; got shape {arr.shape}.")
    if arr.dtype.kind == "b" or (arr.dtype.kind not in "iuf" and arr.size):
        raise ValueError(f"`{name}` must hold integer indices; got dtype {arr.dtype}.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"`{name}` must hold integer indices; got non-integer values.")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= bound):
        raise ValueError(f"`{name}` has indices outside [0, {bound}).")
    return arr

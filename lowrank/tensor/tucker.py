r"""Tucker decomposition: truncated HOSVD, refined by HOOI.

For a tensor T of order N with modes of sizes n_0, ..., n_{N-1}, the Tucker form is
T ≈ G ×_0 U_0 ×_1 U_1 ... ×_{N-1} U_{N-1}, with U_k (n_k × r_k) orthonormal and the
core G = T ×_0 U_0ᵀ ... (r_0 × ... × r_{N-1}); ×_k multiplies mode k by a matrix.

- **HOSVD** (De Lathauwer, De Moor & Vandewalle, SIMAX 2000): U_k = the leading r_k
  left singular vectors of the mode-k unfolding T_(k). Its error satisfies
  ‖T − T̂‖² ≤ Σ_k (tail energy of T_(k) beyond r_k), which gives the `tol` rule below.
- **HOOI** (higher-order orthogonal iteration; De Lathauwer et al., SIMAX 2000b): for
  each mode in turn, U_k = the leading r_k left singular vectors of
  (T ×_{j≠k} U_jᵀ)_(k). This is an alternating maximisation of ‖G‖, so the error
  ‖T − T̂‖² = ‖T‖² − ‖G‖² does not increase from sweep to sweep.
"""


import numpy as np
import scipy.linalg

from .._linalg import mm
from .._random import as_generator
from .._results import TuckerResult
from .._validate import as_float_array, check_float, check_int, check_rank, per_axis

__all__ = ["tucker", "tucker_to_tensor"]

_STALL = 1e-12  # relative change of ||G||^2 below which HOOI stops early


def tucker(T, ranks=None, *, tol=None, n_iter=20, rng=None):
    r"""Tucker decomposition of a tensor: truncated HOSVD, then HOOI sweeps.

    Parameters
    ----------
    T : array_like, at least 1-D
        Real tensor; integers become float64, float32 stays float32.
    ranks : int or sequence of int, optional
        Tucker rank per mode (an int: the same in every mode), each
        ``1 <= ranks[k] <= T.shape[k]``. With `tol`, upper bounds.
    tol : float, optional
        Relative Frobenius accuracy, ``0 < tol < 1``: the ranks are the smallest with
        per-mode tail energy ``<= tol^2 ||T||^2 / N`` (N the order), which makes the
        HOSVD, and so the result, meet ``||T - T_hat||_F <= tol ||T||_F``.
    n_iter : int, optional
        Most HOOI sweeps (0: the truncated HOSVD). Sweeps stop early once ``||G||^2``
        changes by less than 1e-12 relatively.
    rng : {None, int, numpy.random.Generator}, optional
        Validated (SPEC 7); every step here is deterministic.

    Returns
    -------
    TuckerResult
        ``core`` (r_0, ..., r_{N-1}) and ``factors`` (a list of (n_k, r_k) arrays with
        orthonormal columns), in the dtype of T. ``T ≈ tucker_to_tensor(core, factors)``.

    Raises
    ------
    ValueError
        With neither `ranks` nor `tol`; for ranks out of range or of the wrong length, a
        bad `tol` or `n_iter`, an empty, 0-d or non-finite `T`.
    TypeError
        For complex or non-numeric `T`, non-integer ranks, or a bad `rng`.

    Notes
    -----
    Cost: an SVD of each unfolding for the HOSVD, O(n_k · prod(n)) each (through the
    n_k × n_k Gram matrix when the unfolding is wide), then per sweep the projections
    T ×_{j≠k} U_jᵀ and SVDs of their much smaller unfoldings. The error is never worse
    than the truncated HOSVD's: sweeps can only lower it, and the best of the two is
    returned. The computation runs on T / max|T_ijk| (1e±300 scales are safe).

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.tensor import tucker, tucker_to_tensor
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((2, 3, 2))
    >>> U = [np.linalg.qr(rng.standard_normal((n, r)))[0] for n, r in ((6, 2), (7, 3), (5, 2))]
    >>> T = tucker_to_tensor(G, U)
    >>> core, factors = tucker(T, (2, 3, 2))
    >>> bool(np.allclose(tucker_to_tensor(core, factors), T))
    True
    """
    as_generator(rng)
    X = as_float_array(T, "T", allow_empty=False)
    if X.ndim == 0:
        raise ValueError("`T` must have at least one mode; got a scalar.")
    n_iter = check_int(n_iter, "n_iter", low=0)
    if ranks is None and tol is None:
        raise ValueError("Pass `ranks` (Tucker ranks per mode) or `tol` (a relative accuracy); got neither.")
    bounds = _check_ranks(ranks, X.shape)
    if tol is not None:
        tol = check_float(tol, "tol", low=0, high=1, low_open=True, high_open=True)
    scale = float(np.max(np.abs(X)))
    Y = X / X.dtype.type(scale) if scale > 0 else X
    factors, tails = zip(*[_leading_vectors(_unfold(Y, k), bounds[k]) for k in range(X.ndim)])
    factors = list(factors)
    if tol is not None:
        total = float(np.sum(Y.astype(np.float64) ** 2))
        budget = tol * tol * total / X.ndim
        factors = [U[:, :_smallest_rank(tail, budget)] for U, tail in zip(factors, tails)]
    core = _project(Y, factors)
    best = (_sq_norm(core), factors, core)
    for _ in range(n_iter if X.ndim > 1 else 0):
        factors = _hooi_sweep(Y, factors)
        core = _project(Y, factors)
        energy = _sq_norm(core)
        improved = energy > best[0]
        stalled = energy - best[0] <= _STALL * max(best[0], np.finfo(np.float64).tiny)
        if improved:
            best = (energy, factors, core)
        if stalled:
            break
    _, factors, core = best
    core = core * core.dtype.type(scale) if scale > 0 else core
    return TuckerResult(np.ascontiguousarray(core), [np.ascontiguousarray(U) for U in factors])


def tucker_to_tensor(core, factors):
    """The full tensor ``core ×_0 factors[0] ×_1 factors[1] ...``.

    Parameters
    ----------
    core : array_like, shape (r_0, ..., r_{N-1})
    factors : sequence of N arrays, factors[k] of shape (n_k, r_k)

    Returns
    -------
    ndarray, shape (n_0, ..., n_{N-1})

    Raises
    ------
    ValueError
        For a number of factors other than core.ndim or mismatched shapes.
    """
    G = as_float_array(core, "core")
    factors = list(factors)
    if len(factors) != G.ndim:
        raise ValueError(f"`factors` must hold one matrix per mode of `core` ({G.ndim}); got {len(factors)}.")
    out = G
    for k, U in enumerate(factors):
        U = as_float_array(U, f"factors[{k}]", ndim=2)
        if U.shape[1] != G.shape[k]:
            raise ValueError(f"`factors[{k}]` must have {G.shape[k]} columns (core.shape[{k}]); got {U.shape}.")
        out = _mode_product(out, U, k)
    return out


# ------------------------------------------------------------------ helpers


def _check_ranks(ranks, shape):
    """Per-mode ranks (upper bounds with tol): validated, or the mode sizes when None."""
    if ranks is None:
        return list(shape)
    ranks = per_axis(ranks, "ranks", len(shape), "mode of `T`")
    return [check_rank(r, n, name=f"ranks[{k}]", bound_text=f"T.shape[{k}]") for k, (r, n) in enumerate(zip(ranks, shape))]


def _unfold(X, k):
    """Mode-k unfolding (n_k × prod of the other sizes)."""
    return np.moveaxis(X, k, 0).reshape(X.shape[k], -1)


def _mode_product(X, M, k):
    """X ×_k M: mode k of X multiplied by M (p × n_k)."""
    Xk = np.ascontiguousarray(_unfold(X, k))
    Yk = mm(M, Xk) if M.dtype == Xk.dtype else np.asarray(M) @ Xk
    rest = [n for j, n in enumerate(X.shape) if j != k]
    return np.moveaxis(Yk.reshape([M.shape[0]] + rest), 0, k)


def _project(X, factors):
    """X ×_0 U_0ᵀ ×_1 U_1ᵀ ... (the core)."""
    for k, U in enumerate(factors):
        X = _mode_product(X, U.T, k)
    return X


def _leading_vectors(M, r):
    """The leading r left singular vectors of M, and the tail energies
    tail[j] = sum_{i >= j} s_i^2 (j = 0..len(s)), in float64."""
    n, p = M.shape
    if p >= n:  # wide: through the n × n Gram matrix (float64 for the eigenvalues)
        K = mm(np.ascontiguousarray(M), np.ascontiguousarray(M), "N", "T").astype(np.float64)
        w, V = scipy.linalg.eigh((K + K.T) * 0.5, check_finite=False)
        w, V = np.maximum(w[::-1], 0.0), V[:, ::-1]
        U = V[:, :r].astype(M.dtype)
        s_sq = w
    else:  # tall: a rank above p needs the completed basis of the full SVD
        U, s, _ = scipy.linalg.svd(M, full_matrices=r > p, check_finite=False)
        U = U[:, :r]
        s_sq = s.astype(np.float64) ** 2
    tail = np.append(np.cumsum(s_sq[::-1])[::-1], 0.0)
    return U, tail


def _smallest_rank(tail, budget):
    """Smallest r >= 1 with tail[r] <= budget (tail[j]: energy beyond the first j)."""
    ok = np.nonzero(tail[1:] <= budget)[0]
    return int(ok[0]) + 1 if ok.size else len(tail) - 1


def _hooi_sweep(X, factors):
    factors = list(factors)
    for k in range(X.ndim):
        Y = X
        for j, U in enumerate(factors):
            if j != k:
                Y = _mode_product(Y, U.T, j)
        factors[k], _ = _leading_vectors(_unfold(Y, k), factors[k].shape[1])
    return factors


def _sq_norm(X):
    return float(np.sum(np.asarray(X, dtype=np.float64) ** 2))

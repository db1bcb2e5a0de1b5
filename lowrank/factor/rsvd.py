"""Randomized SVD: fixed rank (subspace iteration or block Krylov) and fixed accuracy."""

import math
import warnings

import numpy as np
import scipy.linalg

from .._linalg import mm
from .._operators import as_operator, sq_norm
from .._random import as_generator
from .._results import SVDResult
from .._validate import check_choice, check_float, check_int, check_rank
from .range_finder import _cholesky_qr, gaussian_test_matrix, orth

__all__ = ["rsvd"]

_METHODS = ("power", "krylov")
_MIN_POWER_ITER = 1  # the adaptive rule (n_iter=None) always does at least this many
_MAX_POWER_ITER = 4  # ... and at most this many power iterations
_GAP_TARGET = 0.05  # stop iterating once (sigma_l / sigma_k)^(2q+1) is below this
_KRYLOV_DEFAULT_ITER = 3
_TOL_BLOCK = 16  # block width of the fixed-accuracy scheme


def rsvd(A, rank=None, *, tol=None, oversample=10, n_iter=None, method="power", rng=None,
         block_size=None):
    r"""Randomized truncated SVD, ``A ≈ U @ diag(S) @ Vh``.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Real or complex; integers/bool become float64, float32 stays float32. A
        LinearOperator is only used through ``matmat`` and ``rmatmat``.
    rank : int, optional
        Number of components, ``1 <= rank <= min(m, n)``. Required unless `tol` is
        given; with `tol` it is an upper bound (default ``min(m, n)``).
    tol : float, optional
        Relative Frobenius accuracy, ``0 < tol < 1``: the rank is chosen adaptively so
        that ``||A - U diag(S) Vh||_F <= tol * ||A||_F``.
    oversample : int, optional
        Extra basis vectors p >= 0 beyond `rank` (fixed-rank mode).
    n_iter : int, optional
        Power iterations q (``"power"``), Krylov iterations (``"krylov"``), or power
        iterations per block (`tol` mode). ``None`` chooses (see Notes).
    method : {"power", "krylov"}, optional
        Subspace iteration with re-orthonormalisation (HMT) or randomized block
        Krylov (Musco & Musco) — better for slowly decaying spectra.
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7); the same seed gives bitwise-identical results.
    block_size : int, optional
        Block width of the fixed-accuracy scheme (default 16).

    Returns
    -------
    SVDResult
        ``U`` (m, k) orthonormal columns, ``S`` (k,) non-negative descending, ``Vh``
        (k, n) orthonormal rows, in the dtype of `A` (real S). Each column of ``U`` has
        its largest-magnitude entry real and positive (first one on ties), and ``Vh``'s
        rows match, so results are reproducible.

    Raises
    ------
    ValueError
        Bad `rank`, `tol`, `oversample`, `n_iter`, `method`, `block_size`; an empty,
        1-D or non-finite `A`; neither `rank` nor `tol` given.
    TypeError
        Non-numeric `A`, bad `rng`.

    Warns
    -----
    RuntimeWarning
        In `tol` mode, when `tol` cannot be met within `rank` components.

    Notes
    -----
    *Power method* (Halko, Martinsson & Tropp 2011, Alg. 4.4 and 5.1): with
    :math:`\ell = \min(rank + p, m, n)` and a Gaussian :math:`\Omega \in R^{n\times\ell}`,
    :math:`Q = \mathrm{orth}((AA^H)^q A\Omega)` (QR after every product), then the SVD
    of :math:`B = Q^H A`. Costs :math:`2q + 2` products with width-ℓ blocks plus
    :math:`O((m + n)\ell^2)`. With ``n_iter=None``, q is chosen from the spectrum: after
    one iteration, iterations continue (up to q = 4) while the sketch's own singular
    values :math:`\hat\sigma` say the subspace has not converged, i.e. until
    :math:`(\hat\sigma_\ell/\hat\sigma_{rank})^{2q+1} \le 0.05` — the factor by which
    subspace iteration reduces the error beyond the optimum (HMT 2011, Cor. 10.10).
    A fast-decaying spectrum (e.g. 0.9^i at rank 50, oversampling 10) stops at q = 1;
    slowly decaying spectra get q = 4, where ``method="krylov"`` is the better choice.
    No iteration is needed (q = 0) when ℓ = min(m, n).

    *Block Krylov* (Musco & Musco, NeurIPS 2015, Alg. 2): the orthonormal basis of
    :math:`[A\Omega, (AA^H)A\Omega, \dots, (AA^H)^q A\Omega]`, each block
    re-orthogonalised against all previous ones (two Gram–Schmidt passes — without
    this, orthogonality is lost in float32), then Rayleigh–Ritz on it. ``n_iter=None``
    means q = 3 (capped so that (q+1)ℓ <= min(m, n); when not even 2ℓ fits, the
    power method runs instead). Costs 2q + 2 products of width ℓ, the same as the
    power method: the products :math:`A^H Y_i` that drive the iteration are also the
    blocks of :math:`B^H = A^H K` for the final Rayleigh–Ritz step.

    *Fixed accuracy* (randQB_EI, Yu, Gu & Li, SIMAX 39(3), 2018): the basis grows by
    blocks of `block_size` columns (each with q power iterations, q = 1 by default,
    projected against the basis so far) and stops when the exact-in-arithmetic
    indicator :math:`\|A\|_F^2 - \|B\|_F^2 = \|A - QB\|_F^2` drops below
    :math:`tol^2\|A\|_F^2`; when that difference would be lost to cancellation
    (:math:`tol^2 < 10^3\,\epsilon`), the true residual is computed instead. The SVD of
    B is then truncated to the smallest rank meeting `tol`.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import rsvd
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((200, 5)) @ rng.standard_normal((5, 100))
    >>> U, S, Vh = rsvd(A, 5, rng=0)
    >>> bool(np.allclose(U * S @ Vh, A))
    True
    >>> rsvd(A, tol=1e-6, rng=0).S.shape
    (5,)
    """
    gen = as_generator(rng)
    op = as_operator(A, "A", allow_dask=True)
    kmax = min(op.shape)
    method = check_choice(method, "method", _METHODS)
    oversample = check_int(oversample, "oversample", low=0)
    block = _TOL_BLOCK if block_size is None else check_int(block_size, "block_size", low=1)
    if n_iter is not None:
        n_iter = check_int(n_iter, "n_iter", low=0)
    if tol is None:
        if rank is None:
            raise ValueError("Pass `rank` (the number of components) or `tol` (a relative accuracy); got neither.")
        rank = check_rank(rank, kmax)
        if method == "krylov":
            U, S, Vh = _krylov(op, rank, oversample, n_iter, gen)
        else:
            U, S, Vh = _power(op, rank, oversample, n_iter, gen)
    else:
        tol = check_float(tol, "tol", low=0, high=1, low_open=True, high_open=True)
        rank = kmax if rank is None else check_rank(rank, kmax)
        U, S, Vh = _fixed_accuracy(op, tol, rank, block, 1 if n_iter is None else n_iter, gen)
    return SVDResult(*_fix_signs(U, S, Vh, op))


# ------------------------------------------------------------------ fixed rank


def _power(op, rank, oversample, n_iter, gen):
    m, n = op.shape
    ell = min(rank + oversample, m, n)
    Q = op.orth(op.matmat(gaussian_test_matrix(gen, n, ell, op.dtype)))
    if ell == min(m, n):
        q_min, q_max = 0, 0 if n_iter is None else n_iter
    elif n_iter is None:
        q_min, q_max = _MIN_POWER_ITER, _MAX_POWER_ITER
    else:
        q_min = q_max = n_iter
    for _ in range(q_min):
        Q = op.orth(op.matmat(orth(op.rmatmat(Q))))
    W = op.rmatmat(Q)  # = B^H, also the first half of the next iteration
    q = q_min
    while q < q_max and not _converged(W, rank, ell, q):
        Q = op.orth(op.matmat(orth(W)))
        W = op.rmatmat(Q)
        q += 1
    return _project_svd(op, Q, W, rank)


def _converged(W, rank, ell, q):
    """The adaptive rule: the estimated gap ratio (sigma_l / sigma_rank)^(2q+1) is small."""
    s = scipy.linalg.svd(W, compute_uv=False, check_finite=False)
    if s[rank - 1] == 0.0 or ell == rank:
        return True
    return (s[ell - 1] / s[rank - 1]) ** (2 * q + 1) <= _GAP_TARGET


def _project_svd(op, Q, W, rank):
    """SVD of B = Q^H A from W = A^H Q: B = W^H = (V S Ub^H)^H, so U = Q Ub."""
    V, S, UbH = _thin_svd(W)
    U = op.times(Q, np.ascontiguousarray(UbH[:rank].conj().T))
    return U, S[:rank], V[:, :rank].conj().T


def _thin_svd(W):
    """Thin SVD of a tall W through W = Q_W R (Cholesky QR, BLAS-3) and the SVD of the
    small R; plain LAPACK SVD when W is not tall or is numerically rank-deficient."""
    n, width = W.shape
    if n >= 4 * width:
        QR = _cholesky_qr(W)
        if QR is not None:
            Ur, S, Vh = scipy.linalg.svd(QR[1], check_finite=False)
            return mm(QR[0], Ur), S, Vh
    return scipy.linalg.svd(W, full_matrices=False, check_finite=False)


def _krylov(op, rank, oversample, n_iter, gen):
    m, n = op.shape
    ell = min(rank + oversample, m, n)
    q = _KRYLOV_DEFAULT_ITER if n_iter is None else n_iter
    if q > 0 and 2 * ell > min(m, n):
        # not even one Krylov block fits beside the first: subspace iteration instead
        return _power(op, rank, oversample, n_iter, gen)
    q = min(q, min(m, n) // ell - 1)
    block = op.orth(op.matmat(gaussian_test_matrix(gen, n, ell, op.dtype)))
    basis, images = [block], []
    K = block
    for _ in range(q):
        W = op.rmatmat(block)  # A^H Y_i: kept, it is a block of B^H = A^H K
        images.append(W)
        block = op.reorth(op.matmat(orth(W)), K)
        basis.append(block)
        K = op.hstack(basis)
    images.append(op.rmatmat(block))
    return _project_svd(op, K, np.hstack(images), rank)


# ------------------------------------------------------------------ fixed accuracy


def _fixed_accuracy(op, tol, rank_max, block, n_iter, gen):
    m, n = op.shape
    norm_a = op.fro_norm()
    if norm_a == 0.0:  # every rank meets tol; return one (zero) component
        return _power(op, 1, 0, 0, gen)
    # work with A / ||A||_F so squared norms can neither overflow nor underflow
    scale = 1.0 / norm_a
    target = tol * tol
    # The indicator ||A||^2 - ||B||^2 loses its digits to cancellation below ~1e3 eps
    # (relative): there, decide from the true residual instead.
    noise = 1e3 * np.finfo(op.dtype).eps
    Q = op.empty_block()
    Bh = np.zeros((n, 0), dtype=op.dtype)  # B^H = A^H Q, unscaled
    energy = 1.0  # ||A - QB||_F^2 / ||A||_F^2
    while Q.shape[1] < rank_max:
        b = min(block, rank_max - Q.shape[1])
        Qi = _next_block(op, Q, Bh, gaussian_test_matrix(gen, n, b, op.dtype), n_iter)
        Wi = op.rmatmat(Qi)
        Q = op.hstack([Q, Qi])
        Bh = np.hstack([Bh, Wi])
        energy -= sq_norm(Wi, scale)
        if energy <= target and target >= noise:
            break
        if energy <= noise:
            energy = op.residual_sq(Q, Bh, scale)
            if energy <= target:
                break
    return _truncate(op, Q, Bh, scale, target, max(energy, 0.0))


def _next_block(op, Q, Bh, Omega, n_iter):
    """A new orthonormal block of the range of (I - QQ^H) A, with power iterations."""
    Y = op.matmat(Omega) - op.times(Q, mm(Bh, Omega, "H"))
    Qi = op.reorth(Y, Q)
    for _ in range(n_iter):
        Z = orth(op.rmatmat(Qi) - mm(Bh, op.inner(Q, Qi)))
        Qi = op.reorth(op.matmat(Z) - op.times(Q, mm(Bh, Z, "H")), Q)
    return Qi


def _truncate(op, Q, Bh, scale, target, energy):
    """Smallest rank r of the SVD of B with energy + sum_{i>r} S_i^2 <= target."""
    U, S, Vh = _project_svd(op, Q, Bh, Q.shape[1])
    tail = np.cumsum(((S.astype(np.float64) * scale) ** 2)[::-1])[::-1]  # tail[r] = sum_{i>=r}
    tail = np.append(tail, 0.0)
    ok = np.nonzero(energy + tail <= target)[0]
    if ok.size == 0:
        warnings.warn(
            f"`tol` = {math.sqrt(target):.3g} cannot be met within `rank` = {Q.shape[1]} components; "
            f"returning {Q.shape[1]} (relative error about {math.sqrt(max(energy, 0.0)):.3g}). "
            "Pass a larger `rank` or a larger `tol`.",
            RuntimeWarning,
            stacklevel=4,
        )
        r = Q.shape[1]
    else:
        r = max(1, int(ok[0]))
    return U[:, :r], S[:r], Vh[:r]


# ------------------------------------------------------------------ signs


def _fix_signs(U, S, Vh, op):
    """Make each column of U have its largest-|entry| real positive; rotate Vh to match."""
    if op.kind == "dask":
        U = U.persist()  # computed once, for the pivots and the rotation
    pivot = op.max_abs_entries(U)
    mag = np.abs(pivot)
    phase = np.where(mag > 0, pivot / np.where(mag > 0, mag, 1), 1).astype(U.dtype)
    U = U * phase.conj()[None, :]
    Vh = Vh * phase[:, None]
    real = np.finfo(U.dtype).dtype
    if op.kind == "dask":
        return U.persist(), np.asarray(S, dtype=real), np.ascontiguousarray(Vh)
    return np.ascontiguousarray(U), np.asarray(S, dtype=real), np.ascontiguousarray(Vh)

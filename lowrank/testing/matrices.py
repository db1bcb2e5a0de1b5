"""Deterministic test matrices with a known spectrum (no hypothesis needed).

Every constructor builds its matrix from orthonormal factors drawn from
``rng`` and the singular values (or eigenvalues) the caller chose, so the
optimal low-rank errors are known exactly without an SVD (Eckart–Young–Mirsky,
:func:`optimal_error`). The factors are computed in float64 (complex128) and
the matrix is rounded to the requested dtype once at the end, so a float32
matrix has the chosen spectrum up to one rounding of its entries
(a relative perturbation of at most ``eps(float32) / 2`` per entry).

These functions serve the hypothesis strategies of
:mod:`lowrank.testing.strategies` and, being plain functions of a seed, the
benchmarks and examples as well.
"""

from typing import NamedTuple

import numpy as np

from .._random import as_generator
from .._validate import (
    as_float_array,
    check_axis,
    check_choice,
    check_float,
    check_int,
    check_power_of_two,
)

__all__ = [
    "SPECTRUM_KINDS",
    "SpectralCase",
    "random_orthonormal",
    "spectrum",
    "matrix_with_spectrum",
    "optimal_error",
    "psd_matrix",
    "power_of_two_signal",
]

#: The spectrum shapes understood by :func:`spectrum`.
SPECTRUM_KINDS = ("fast", "slow", "sqrt", "exact_rank", "geometric_cond", "flat", "zero")

_NORMS = ("fro", "spectral", "nuclear")


class SpectralCase(NamedTuple):
    """A matrix with a known SVD: ``A == U @ diag(s) @ V^H`` up to one rounding to ``A.dtype``.

    ``A`` has the requested dtype; ``U`` (m, k) and ``V`` (n, k) have orthonormal
    columns in float64 (complex128 for complex ``A``); ``s`` (k,) is float64.
    """

    A: np.ndarray
    U: np.ndarray
    s: np.ndarray
    V: np.ndarray


def _work_dtypes(dtype, complex_):
    """(dtype of the result, float64/complex128 dtype it is built in)."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        raise TypeError(f"`dtype` must be a float or complex dtype; got {dtype}.")
    if complex_ and dtype.kind == "f":
        dtype = np.result_type(dtype, np.complex64)
    work = np.dtype(np.complex128) if dtype.kind == "c" else np.dtype(np.float64)
    return dtype, work


def _gaussian(gen, shape, work):
    if work.kind == "c":
        return (gen.standard_normal(shape) + 1j * gen.standard_normal(shape)) / np.sqrt(2.0)
    return gen.standard_normal(shape)


def _orthonormal(gen, m, k, work):
    """Haar-distributed (m, k) orthonormal columns in ``work``: QR with the signs of diag(R) fixed."""
    if k == 0:
        return np.zeros((m, 0), dtype=work)
    Q, R = np.linalg.qr(_gaussian(gen, (m, k), work))
    d = np.diagonal(R).copy()
    mag = np.abs(d)
    phase = np.where(mag > 0, d / np.where(mag > 0, mag, 1), 1)
    return Q * phase


def random_orthonormal(m, k, *, rng=None, dtype=np.float64, complex=False):
    """Draw an ``(m, k)`` matrix with orthonormal columns, uniformly (Haar) distributed.

    Parameters
    ----------
    m, k : int
        Shape, ``0 <= k <= m``.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7); an int seed gives bitwise-repeatable draws.
    dtype : dtype, optional
        Result dtype (float32, float64, complex64 or complex128).
    complex : bool, optional
        Draw complex columns; a real `dtype` becomes its complex counterpart.

    Returns
    -------
    ndarray, shape (m, k)
        ``Q^H Q = I_k`` to the rounding of one cast from float64 to `dtype`.

    Notes
    -----
    ``Q, R = qr(G)`` of a Gaussian ``G`` (complex Gaussian when complex), with each
    column multiplied by the phase of ``R[j, j]`` so that ``R`` has a positive diagonal;
    this makes ``Q`` exactly Haar distributed (and not dependent on the LAPACK sign
    convention). Computed in float64/complex128, then cast.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import random_orthonormal
    >>> Q = random_orthonormal(5, 3, rng=0)
    >>> Q.shape, bool(np.allclose(Q.T @ Q, np.eye(3)))
    ((5, 3), True)
    """
    m = check_int(m, "m", low=0)
    k = check_int(k, "k", low=0, high=m)
    dtype, work = _work_dtypes(dtype, complex)
    gen = as_generator(rng)
    return _orthonormal(gen, m, k, work).astype(dtype, copy=False)


def spectrum(kind, k, *, rank=None, cond=None, rate=0.9):
    """A descending non-negative float64 vector of ``k`` singular values of a chosen shape.

    Parameters
    ----------
    kind : {"fast", "slow", "sqrt", "exact_rank", "geometric_cond", "flat", "zero"}
        ``"fast"``: ``rate**i``; ``"slow"``: ``1 / (i + 1)``; ``"sqrt"``:
        ``(i + 1)**-0.5``; ``"exact_rank"``: ``rank`` ones then zeros;
        ``"geometric_cond"``: log-spaced from 1 down to ``1 / cond`` (so the
        ratio of the largest to the smallest is `cond`); ``"flat"``: all ones;
        ``"zero"``: all zeros. ``i = 0, ..., k - 1``.
    k : int
        Length, ``k >= 0``.
    rank : int, optional
        Required for ``"exact_rank"``: ``0 <= rank <= k``.
    cond : float, optional
        Required for ``"geometric_cond"``: ``cond >= 1``.
    rate : float, optional
        Decay rate of ``"fast"``, ``0 < rate <= 1``.

    Returns
    -------
    ndarray of float64, shape (k,)
        Non-increasing and non-negative; ``s[0] == 1`` unless the kind is
        ``"zero"`` (or ``"exact_rank"`` with ``rank == 0``) or ``k == 0``.

    Raises
    ------
    ValueError
        For an unknown `kind`, a negative `k`, or a missing or out-of-range
        `rank`, `cond` or `rate`.

    Examples
    --------
    >>> from lowrank.testing import spectrum
    >>> spectrum("exact_rank", 4, rank=2)
    array([1., 1., 0., 0.])
    >>> spectrum("geometric_cond", 3, cond=100.0)
    array([1.  , 0.1 , 0.01])
    """
    kind = check_choice(kind, "kind", SPECTRUM_KINDS)
    k = check_int(k, "k", low=0)
    rate = check_float(rate, "rate", low=0.0, low_open=True, high=1.0)
    i = np.arange(k, dtype=np.float64)
    if kind == "fast":
        return rate**i
    if kind == "slow":
        return 1.0 / (i + 1.0)
    if kind == "sqrt":
        return (i + 1.0) ** -0.5
    if kind == "flat":
        return np.ones(k)
    if kind == "zero":
        return np.zeros(k)
    if kind == "exact_rank":
        if rank is None:
            raise ValueError('`rank` must be given for kind="exact_rank"; got None.')
        rank = check_int(rank, "rank", low=0, high=k)
        return np.concatenate([np.ones(rank), np.zeros(k - rank)])
    if cond is None:
        raise ValueError('`cond` must be given for kind="geometric_cond"; got None.')
    cond = check_float(cond, "cond", low=1.0)
    if k == 0:
        return np.zeros(0)
    s = np.geomspace(1.0, 1.0 / cond, k)
    return np.minimum.accumulate(s)  # guard monotonicity against rounding


def _check_values(s, name):
    s = as_float_array(s, name, ndim=1)
    if s.dtype.kind != "f":  # pragma: no cover - as_float_array rejects complex
        raise TypeError(f"`{name}` must be real; got dtype {s.dtype}.")
    s = s.astype(np.float64, copy=True)
    if s.size and s.min() < 0:
        raise ValueError(f"`{name}` must be non-negative; got a minimum of {s.min()!r}.")
    return s


def matrix_with_spectrum(m, n, s, *, rng=None, dtype=np.float64, complex=False):
    """Build ``A = U diag(s) V^H`` with random orthonormal ``U``, ``V`` and the given ``s``.

    Parameters
    ----------
    m, n : int
        Shape of `A`, both ``>= 0``.
    s : array_like, shape (k,)
        Non-negative singular values, ``k <= min(m, n)`` (``k < min(m, n)``
        means the remaining singular values are zero). The columns of `U`, `V`
        follow the order of `s`; pass it descending for an ordered SVD.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7); `U` is drawn first, then `V`.
    dtype : dtype, optional
        Dtype of `A` (float32, float64, complex64, complex128).
    complex : bool, optional
        Complex factors; a real `dtype` becomes its complex counterpart.

    Returns
    -------
    SpectralCase
        ``(A, U, s, V)``: `A` (m, n) in `dtype`; `U` (m, k), `V` (n, k) with
        orthonormal columns and `s` (k,), all in float64 (complex128).

    Notes
    -----
    The product is formed in float64/complex128 and rounded to `dtype` once, so
    ``A`` equals the exact ``U diag(s) V^H`` up to a relative perturbation of
    ``eps(dtype) / 2`` per entry (plus float64 rounding), and the optimal rank-r
    errors are ``optimal_error(s, r, norm)`` up to ``eps(dtype) * ||A||``.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import matrix_with_spectrum, spectrum
    >>> A, U, s, V = matrix_with_spectrum(6, 4, spectrum("slow", 4), rng=0)
    >>> bool(np.allclose(np.linalg.svd(A, compute_uv=False), s))
    True
    """
    m = check_int(m, "m", low=0)
    n = check_int(n, "n", low=0)
    s = _check_values(s, "s")
    if s.size > min(m, n):
        raise ValueError(f"`s` must have at most min(m, n) = {min(m, n)} entries; got {s.size}.")
    dtype, work = _work_dtypes(dtype, complex)
    gen = as_generator(rng)
    U = _orthonormal(gen, m, s.size, work)
    V = _orthonormal(gen, n, s.size, work)
    A = (U * s) @ V.conj().T
    return SpectralCase(A.astype(dtype), U, s, V)


def optimal_error(s, r, norm="fro"):
    """The optimal rank-``r`` approximation error of a matrix with singular values ``s``.

    Parameters
    ----------
    s : array_like, shape (k,)
        Non-negative singular values (any order; they are sorted here).
    r : int
        Rank of the approximation, ``r >= 0``.
    norm : {"fro", "spectral", "nuclear"}, optional
        Unitarily invariant norm of the error.

    Returns
    -------
    float
        ``sqrt(sum(s[r:]**2))`` (Frobenius), ``s[r]`` (spectral; 0 when
        ``r >= k``) or ``sum(s[r:])`` (nuclear), ``s`` sorted descending.

    Notes
    -----
    By the Eckart–Young–Mirsky theorem the truncated SVD attains these minima
    over all matrices of rank at most ``r``. The Frobenius sum is scaled by
    ``max(s[r:])`` before squaring, so it neither overflows nor underflows.

    Examples
    --------
    >>> from lowrank.testing import optimal_error
    >>> optimal_error([4.0, 3.0, 0.0], 0)
    5.0
    >>> optimal_error([4.0, 3.0, 1.0], 1, norm="spectral")
    3.0
    """
    s = _check_values(s, "s")
    r = check_int(r, "r", low=0)
    norm = check_choice(norm, "norm", _NORMS)
    tail = np.sort(s)[::-1][r:]
    if tail.size == 0:
        return 0.0
    if norm == "spectral":
        return float(tail[0])
    if norm == "nuclear":
        return float(np.sum(tail))
    top = tail[0]
    if top == 0:
        return 0.0
    return float(top * np.sqrt(np.sum((tail / top) ** 2)))


def psd_matrix(n, eigenvalues, *, rng=None, dtype=np.float64):
    """Build a symmetric positive semidefinite ``A = V diag(w) V^T`` with known eigenvalues.

    Parameters
    ----------
    n : int
        Order of `A`, ``n >= 0``.
    eigenvalues : array_like, shape (k,)
        Non-negative eigenvalues ``w``, ``k <= n`` (the other ``n - k`` are zero).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).
    dtype : dtype, optional
        Real dtype of `A` (float32 or float64).

    Returns
    -------
    A : ndarray, shape (n, n)
        Exactly symmetric (``A == A.T`` bitwise), in `dtype`.
    V : ndarray of float64, shape (n, k)
        Orthonormal eigenvectors, column ``j`` for ``eigenvalues[j]``.

    Notes
    -----
    Formed in float64, symmetrized as ``(A + A.T) / 2`` (exactly symmetric since
    floating-point addition commutes), then rounded to `dtype` entrywise, which
    keeps the symmetry. The eigenvalues hold up to ``eps(dtype) * max(w)``.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import psd_matrix
    >>> A, V = psd_matrix(4, [3.0, 1.0], rng=0)
    >>> bool(np.array_equal(A, A.T)), np.round(np.linalg.eigvalsh(A)[::-1], 12) + 0.0
    (True, array([3., 1., 0., 0.]))
    """
    n = check_int(n, "n", low=0)
    w = _check_values(eigenvalues, "eigenvalues")
    if w.size > n:
        raise ValueError(f"`eigenvalues` must have at most n = {n} entries; got {w.size}.")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"`dtype` must be a real float dtype; got {dtype}.")
    V = _orthonormal(as_generator(rng), n, w.size, np.dtype(np.float64))
    A = (V * w) @ V.T
    A = (A + A.T) / 2.0
    return A.astype(dtype), V


def power_of_two_signal(shape, *, rng=None, dtype=np.float64, complex=False, axis=-1):
    """Standard normal signals whose length along ``axis`` is a power of two.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the result; ``shape[axis]`` must be a power of two (1 allowed).
        Other sides may be 0 (a batch of no signals).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).
    dtype : dtype, optional
        Result dtype (float32, float64, complex64, complex128).
    complex : bool, optional
        Complex entries ``(g1 + i g2) / sqrt(2)``; a real `dtype` becomes its
        complex counterpart.
    axis : int, optional
        The transform axis whose length is checked.

    Returns
    -------
    ndarray
        Drawn in float64/complex128, then cast to `dtype`.

    Raises
    ------
    ValueError
        If ``shape[axis]`` is not a power of two or `axis` is out of range.

    Examples
    --------
    >>> from lowrank.testing import power_of_two_signal
    >>> x = power_of_two_signal((3, 8), rng=0, dtype="float32")
    >>> x.shape, x.dtype
    ((3, 8), dtype('float32'))
    """
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    shape = tuple(check_int(side, "shape", low=0, what="a tuple of non-negative ints") for side in shape)
    if not shape:
        raise ValueError("`shape` must have at least one dimension; got ().")
    axis = check_axis(axis, len(shape))
    check_power_of_two(shape[axis], what=f"`shape[{axis}]`")
    dtype, work = _work_dtypes(dtype, complex)
    return _gaussian(as_generator(rng), shape, work).astype(dtype)

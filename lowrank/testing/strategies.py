"""Hypothesis strategies for property tests of randomized linear algebra.

Each strategy draws sizes, a dtype and a spectrum through hypothesis and an
integer seed from which the random factors are built (by the constructors of
:mod:`lowrank.testing.matrices`), so every example is reproducible and shrinks
through hypothesis alone: no global random state is used. Arguments are
checked when a strategy is built (a ``ValueError`` naming the argument), not
when it is first drawn from. The matrices come
with their exact SVD or eigendecomposition, so tests can compare against the
known optimum instead of a reference SVD.

Importing this module needs ``hypothesis`` (``pip install lowrank[test]``).
"""

from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .._validate import check_float, check_int
from .matrices import (
    SPECTRUM_KINDS,
    matrix_with_spectrum,
    power_of_two_signal,
    psd_matrix,
    spectrum,
)

__all__ = [
    "PSDCase",
    "dtypes",
    "spectra",
    "matrices_with_spectrum",
    "low_rank_matrices",
    "psd_matrices",
    "power_of_two_signals",
    "matrices",
    "finite_matrices",
]

_REAL = (np.float32, np.float64)
_COMPLEX = (np.complex64, np.complex128)
_SEEDS = st.integers(0, 2**32 - 1)


class PSDCase(NamedTuple):
    """A symmetric PSD matrix ``A == V @ diag(eigenvalues) @ V.T`` up to one rounding to ``A.dtype``."""

    A: np.ndarray
    eigenvalues: np.ndarray
    V: np.ndarray


def _dtype_list(values, name):
    out = tuple(np.dtype(d) for d in values)
    if not out:
        raise ValueError(f"`{name}` must name at least one dtype; got {values!r}.")
    return out


def _kind_list(kinds):
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in SPECTRUM_KINDS]
    if not kinds or bad:
        raise ValueError(f"`kinds` must be a non-empty subset of {list(SPECTRUM_KINDS)}; got {kinds!r}.")
    return kinds


def dtypes(real=True, complex=False):
    """Strategy for a NumPy dtype: float32/float64 and/or complex64/complex128.

    Parameters
    ----------
    real : bool, optional
        Include float32 and float64.
    complex : bool, optional
        Include complex64 and complex128.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of numpy.dtype
        Draws one of the selected dtypes.

    Raises
    ------
    ValueError
        If both `real` and `complex` are false.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import dtypes
    >>> @settings(max_examples=5, database=None)
    ... @given(dtypes(complex=True))
    ... def check(dtype):
    ...     assert dtype in (np.float32, np.float64, np.complex64, np.complex128)
    >>> check()
    """
    choices = (_REAL if real else ()) + (_COMPLEX if complex else ())
    if not choices:
        raise ValueError("At least one of `real` and `complex` must be true; got both False.")
    return st.sampled_from([np.dtype(d) for d in choices])


def spectra(k, kinds=SPECTRUM_KINDS):
    """Strategy for a descending non-negative float64 spectrum of length ``k``.

    Parameters
    ----------
    k : int
        Length, ``k >= 0``.
    kinds : sequence of str, optional
        Kinds of :func:`lowrank.testing.spectrum` to draw from; the parameters
        are drawn too: ``rate`` in [0.5, 0.95] ("fast"), ``rank`` in [0, k]
        ("exact_rank"), ``cond`` log-uniform in [1e1, 1e8] ("geometric_cond").

    Returns
    -------
    hypothesis.strategies.SearchStrategy of ndarray, shape (k,)
        Non-increasing, non-negative float64 values, at most 1.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import spectra
    >>> @settings(max_examples=5, database=None)
    ... @given(spectra(6))
    ... def check(s):
    ...     assert s.shape == (6,) and np.all(np.diff(s) <= 0) and np.all(s >= 0)
    >>> check()
    """
    return _spectra(check_int(k, "k", low=0), _kind_list(kinds))


@st.composite
def _spectra(draw, k, kinds):
    kind = draw(st.sampled_from(kinds))
    if kind == "fast":
        return spectrum(kind, k, rate=draw(st.floats(0.5, 0.95)))
    if kind == "exact_rank":
        return spectrum(kind, k, rank=draw(st.integers(0, k)))
    if kind == "geometric_cond":
        return spectrum(kind, k, cond=10.0 ** draw(st.floats(1.0, 8.0)))
    return spectrum(kind, k)


def matrices_with_spectrum(min_side=1, max_side=40, dtypes=_REAL, kinds=SPECTRUM_KINDS,
                           complex=False):
    """Strategy for a matrix with a known SVD: a :class:`~lowrank.testing.SpectralCase`.

    Parameters
    ----------
    min_side, max_side : int, optional
        Bounds on each of ``m`` and ``n`` (drawn independently), ``0 <= min_side <= max_side``.
    dtypes : sequence of dtype, optional
        Dtypes of ``A`` to draw from (complex ones give complex factors).
    kinds : sequence of str, optional
        Spectrum kinds, as for :func:`spectra`, drawn with ``k = min(m, n)``.
    complex : bool, optional
        Draw complex matrices (a real dtype becomes its complex counterpart).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of SpectralCase
        ``(A, U, s, V)`` with ``A = U diag(s) V^H`` rounded once to the drawn dtype;
        ``s`` float64 descending, ``U`` (m, k) and ``V`` (n, k) float64/complex128.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import matrices_with_spectrum
    >>> @settings(max_examples=5, database=None)
    ... @given(matrices_with_spectrum(max_side=8))
    ... def check(case):
    ...     assert case.s.shape == (min(case.A.shape),)
    >>> check()
    """
    min_side = check_int(min_side, "min_side", low=0)
    max_side = check_int(max_side, "max_side", low=min_side)
    return _matrices_with_spectrum(min_side, max_side, _dtype_list(dtypes, "dtypes"), _kind_list(kinds),
                                   bool(complex))


@st.composite
def _matrices_with_spectrum(draw, min_side, max_side, dtypes, kinds, complex):
    dtype = draw(st.sampled_from(dtypes))
    m = draw(st.integers(min_side, max_side))
    n = draw(st.integers(min_side, max_side))
    s = draw(_spectra(min(m, n), kinds))
    seed = draw(_SEEDS)
    return matrix_with_spectrum(m, n, s, rng=seed, dtype=dtype, complex=complex)


def low_rank_matrices(max_side=40, max_rank=None, dtypes=_REAL, min_side=1, complex=False):
    """Strategy for an exactly rank-``r`` matrix with its SVD, as a :class:`~lowrank.testing.SpectralCase`.

    Parameters
    ----------
    max_side : int, optional
        Upper bound on ``m`` and ``n`` (each drawn in ``[min_side, max_side]``).
    max_rank : int, optional
        Upper bound on the drawn rank ``r`` (``1 <= r <= min(m, n, max_rank)``).
    dtypes : sequence of dtype, optional
        Dtypes of ``A`` to draw from.
    min_side : int, optional
        Lower bound on ``m`` and ``n``, at least 1.
    complex : bool, optional
        Draw complex matrices.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of SpectralCase
        ``s`` has length ``min(m, n)``: ``r`` values drawn log-uniformly in
        [1e-2, 1e2] sorted descending, then zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import low_rank_matrices
    >>> @settings(max_examples=5, database=None)
    ... @given(low_rank_matrices(max_side=8, max_rank=3))
    ... def check(case):
    ...     assert 1 <= np.count_nonzero(case.s) <= 3
    >>> check()
    """
    min_side = check_int(min_side, "min_side", low=1)
    max_side = check_int(max_side, "max_side", low=min_side)
    if max_rank is not None:
        max_rank = check_int(max_rank, "max_rank", low=1)
    return _low_rank_matrices(min_side, max_side, max_rank, _dtype_list(dtypes, "dtypes"), bool(complex))


@st.composite
def _low_rank_matrices(draw, min_side, max_side, max_rank, dtypes, complex):
    dtype = draw(st.sampled_from(dtypes))
    m = draw(st.integers(min_side, max_side))
    n = draw(st.integers(min_side, max_side))
    k = min(m, n)
    r = draw(st.integers(1, k if max_rank is None else min(k, max_rank)))
    logs = draw(st.lists(st.floats(-2.0, 2.0), min_size=r, max_size=r))
    s = np.zeros(k)
    s[:r] = np.sort(10.0 ** np.array(logs))[::-1]
    seed = draw(_SEEDS)
    return matrix_with_spectrum(m, n, s, rng=seed, dtype=dtype, complex=complex)


def psd_matrices(max_n=40, dtypes=_REAL, kinds=SPECTRUM_KINDS, min_n=1):
    """Strategy for a symmetric PSD matrix with known eigenvalues: a :class:`PSDCase`.

    Parameters
    ----------
    max_n : int, optional
        Upper bound on the order ``n``.
    dtypes : sequence of dtype, optional
        Real dtypes of ``A`` to draw from.
    kinds : sequence of str, optional
        Spectrum kinds for the ``n`` eigenvalues, as for :func:`spectra`.
    min_n : int, optional
        Lower bound on ``n``.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of PSDCase
        ``(A, eigenvalues, V)``: ``A`` exactly symmetric in the drawn dtype,
        ``eigenvalues`` float64 descending, ``V`` (n, n) float64 orthonormal.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import psd_matrices
    >>> @settings(max_examples=5, database=None)
    ... @given(psd_matrices(max_n=8))
    ... def check(case):
    ...     assert np.array_equal(case.A, case.A.T)
    >>> check()
    """
    min_n = check_int(min_n, "min_n", low=0)
    max_n = check_int(max_n, "max_n", low=min_n)
    dtypes = _dtype_list(dtypes, "dtypes")
    bad = [d for d in dtypes if d.kind != "f"]
    if bad:
        raise ValueError(f"`dtypes` must be real float dtypes; got {bad}.")
    return _psd_matrices(min_n, max_n, dtypes, _kind_list(kinds))


@st.composite
def _psd_matrices(draw, min_n, max_n, dtypes, kinds):
    dtype = draw(st.sampled_from(dtypes))
    n = draw(st.integers(min_n, max_n))
    w = draw(_spectra(n, kinds))
    A, V = psd_matrix(n, w, rng=draw(_SEEDS), dtype=dtype)
    return PSDCase(A, w, V)


def power_of_two_signals(max_log2=10, dtypes=None, batch_dims=(0, 2), complex=True,
                         max_batch_side=4, min_batch_side=1):
    """Strategy for ``(x, axis)``: signals whose length along ``axis`` is a power of two.

    Parameters
    ----------
    max_log2 : int, optional
        The length along `axis` is ``2**j`` with ``0 <= j <= max_log2``.
    dtypes : sequence of dtype, optional
        Dtypes to draw from; default float32, float64 and, when `complex`,
        complex64 and complex128.
    batch_dims : (int, int), optional
        Inclusive range of the number of batch axes around the signal axis.
    complex : bool, optional
        Include complex dtypes in the default `dtypes`.
    max_batch_side, min_batch_side : int, optional
        Bounds on the length of each batch axis (``min_batch_side=0`` allows
        batches of no signals).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of (ndarray, int)
        Standard normal entries (complex ones ``(g1 + i g2) / sqrt(2)``), and the
        axis, drawn as a non-negative or an equivalent negative index.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import power_of_two_signals
    >>> @settings(max_examples=5, database=None)
    ... @given(power_of_two_signals(max_log2=4))
    ... def check(case):
    ...     x, axis = case
    ...     n = x.shape[axis]
    ...     assert n & (n - 1) == 0
    >>> check()
    """
    max_log2 = check_int(max_log2, "max_log2", low=0, high=30)
    if np.ndim(batch_dims) != 1 or len(batch_dims) != 2:
        raise ValueError(f"`batch_dims` must be a pair (low, high); got {batch_dims!r}.")
    lo, hi = (check_int(b, "batch_dims", low=0) for b in batch_dims)
    if lo > hi:
        raise ValueError(f"`batch_dims` must be an increasing pair (low, high); got {batch_dims!r}.")
    min_batch_side = check_int(min_batch_side, "min_batch_side", low=0)
    max_batch_side = check_int(max_batch_side, "max_batch_side", low=min_batch_side)
    if dtypes is None:
        dtypes = _REAL + (_COMPLEX if complex else ())
    return _power_of_two_signals(max_log2, _dtype_list(dtypes, "dtypes"), lo, hi, min_batch_side, max_batch_side)


@st.composite
def _power_of_two_signals(draw, max_log2, dtypes, lo, hi, min_batch_side, max_batch_side):
    dtype = draw(st.sampled_from(dtypes))
    n_batch = draw(st.integers(lo, hi))
    shape = draw(st.lists(st.integers(min_batch_side, max_batch_side), min_size=n_batch, max_size=n_batch))
    axis = draw(st.integers(0, n_batch))
    shape.insert(axis, 2 ** draw(st.integers(0, max_log2)))
    if draw(st.booleans()):
        axis -= len(shape)
    x = power_of_two_signal(tuple(shape), rng=draw(_SEEDS), dtype=dtype, axis=axis)
    return x, axis


def matrices(dtypes=_REAL, min_side=1, max_side=12, bound=1e3):
    """Strategy for a generic finite matrix with entries in ``[-bound, bound]``.

    Entries are drawn element by element by hypothesis (so it finds zeros,
    repeated values and duplicated columns), without subnormals, NaN or inf.

    Parameters
    ----------
    dtypes : sequence of dtype, optional
        Dtypes to draw from; complex dtypes draw entries of modulus <= `bound`.
    min_side, max_side : int, optional
        Bounds on each side of the shape.
    bound : float, optional
        Largest magnitude of an entry.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of ndarray, 2-D
        Matrices of the drawn dtype and shape.

    Notes
    -----
    Also exported as ``lowrank.testing.finite_matrices`` (the name
    ``lowrank.testing.matrices`` is the module of deterministic constructors).

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from lowrank.testing.strategies import matrices
    >>> @settings(max_examples=5, database=None)
    ... @given(matrices())
    ... def check(A):
    ...     assert A.ndim == 2 and np.all(np.abs(A) <= 1e3)
    >>> check()
    """
    min_side = check_int(min_side, "min_side", low=0)
    max_side = check_int(max_side, "max_side", low=min_side)
    bound = check_float(bound, "bound", low=0.0)
    return _matrices(_dtype_list(dtypes, "dtypes"), min_side, max_side, bound)


@st.composite
def _matrices(draw, dtypes, min_side, max_side, bound):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=min_side, max_side=max_side))
    if dtype.kind == "c":
        elems = st.complex_numbers(max_magnitude=bound, allow_nan=False, allow_infinity=False,
                                   allow_subnormal=False, width=8 * dtype.itemsize)
    else:
        elems = st.floats(-bound, bound, width=8 * dtype.itemsize, allow_subnormal=False)
    return draw(hnp.arrays(dtype, shape, elements=elems))


finite_matrices = matrices

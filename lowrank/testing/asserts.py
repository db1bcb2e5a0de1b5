"""Assertion helpers whose tolerances come from the dtype's machine epsilon.

Every tolerance here is a multiple of ``eps(dtype)`` (:func:`tolerance`) with the
multiple stated in the docstring, never a fixed number of decimals, so one test
serves float32 and float64 alike. All norms and Gram matrices are formed in
float64 (complex128) after scaling by a power of two near the largest entry, so
the checks themselves neither overflow nor underflow (matrices scaled by 1e±300
work) and add only float64 rounding.

A failed check raises ``AssertionError`` with the worst deviation and the
tolerance it was held to; a bad argument to the helper itself (an unknown
`norm`, a negative `rtol`) is a ``ValueError``.
"""

import numpy as np
import scipy.linalg
import scipy.sparse

from .._validate import check_choice, check_float, result_float_dtype

__all__ = [
    "tolerance",
    "assert_orthonormal",
    "assert_descending",
    "assert_nonnegative",
    "assert_allclose_dtype",
    "assert_dtype",
    "assert_lowrank_error",
    "relative_error",
]

_NORMS = ("fro", "spectral", "nuclear")
_AXES = {"columns": "columns", 0: "columns", "rows": "rows", 1: "rows"}


def _dtype_of(x):
    if isinstance(x, (np.dtype, type, str)):
        return np.dtype(x)
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(x).dtype


def tolerance(dtype, factor=1.0):
    """Return ``factor * eps`` for ``dtype`` (the real part's eps for complex dtypes).

    Parameters
    ----------
    dtype : dtype or array_like
        A dtype, or an array whose dtype is used. Integers and bool count as
        float64 (what lowrank computes them in), float16 as float32.
    factor : float, optional
        Non-negative multiple of the machine epsilon.

    Returns
    -------
    float
        ``factor * numpy.finfo(dtype).eps``: ``factor * 2**-23`` for float32 and
        complex64, ``factor * 2**-52`` for float64 and complex128.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import tolerance
    >>> tolerance(np.float32) == 2.0**-23, tolerance(np.complex128, 4) == 4 * 2.0**-52
    (True, True)
    """
    factor = check_float(factor, "factor", low=0.0)
    dtype = result_float_dtype(_dtype_of(dtype), allow_complex=True, name="dtype")
    return factor * float(np.finfo(dtype).eps)


def _numeric(x, name):
    """``x`` as an ndarray of numbers (sparse densified), or AssertionError."""
    if scipy.sparse.issparse(x):
        x = x.toarray()
    arr = np.asarray(x)
    if arr.dtype.kind not in "biufc":
        raise AssertionError(f"`{name}` must be an array of numbers; got dtype {arr.dtype}.")
    return arr


def _approximation(approx, name="approx"):
    """An array, or the product of factors ``(U, S, Vh)`` formed in float64/complex128."""
    if isinstance(approx, tuple) and len(approx) == 3:
        U, S, Vh = (_numeric(f, name) for f in approx)
        if U.ndim == 2 and S.ndim == 1 and Vh.ndim == 2:
            dtype = np.result_type(U, S, Vh)
            work = _work_dtype(dtype)
            return (U.astype(work) * S.astype(work)) @ Vh.astype(work), dtype
    arr = _numeric(approx, name)
    return arr, arr.dtype


def _work_dtype(dtype):
    return np.dtype(np.complex128) if np.dtype(dtype).kind == "c" else np.dtype(np.float64)


def _work(arr):
    return np.asarray(arr, dtype=_work_dtype(arr.dtype))


def _pow2_scale(*arrays):
    """A power of two near the largest magnitude (division by it is exact); 0 if all zero."""
    top = max((float(np.max(np.abs(a))) if a.size else 0.0) for a in arrays)
    if top == 0.0 or not np.isfinite(top):
        return top
    return float(np.ldexp(1.0, int(np.frexp(top)[1])))


def _norm(D, norm):
    """Norm of a float64/complex128 array, scaled so that squaring cannot over/underflow."""
    scale = _pow2_scale(D)
    if scale == 0.0 or not np.isfinite(scale):
        return scale
    D = D / scale
    if norm == "fro":
        return scale * float(np.linalg.norm(D.ravel()))
    if D.ndim != 2:
        raise ValueError(f"`norm` {norm!r} needs 2-D arrays; got shape {D.shape}.")
    if norm == "spectral":
        return scale * float(scipy.linalg.norm(D, 2)) if D.size else 0.0
    return scale * float(np.sum(scipy.linalg.svdvals(D))) if D.size else 0.0


def _check_same_shape(actual, desired, names=("actual", "desired")):
    if actual.shape != desired.shape:
        raise AssertionError(
            f"`{names[0]}` has shape {actual.shape} but `{names[1]}` has shape {desired.shape}."
        )


def _check_finite(arr, name):
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        raise AssertionError(
            f"`{name}` has {len(bad)} non-finite entries (first at index {tuple(int(i) for i in bad[0])})."
        )


def relative_error(A, B, norm="fro"):
    """The relative error ``||A - B|| / ||A||``, computed without over- or underflow.

    Parameters
    ----------
    A : array_like or sparse matrix
        The reference.
    B : array_like, sparse matrix, or tuple ``(U, S, Vh)``
        The approximation, or factors whose product ``U @ diag(S) @ Vh`` is formed
        in float64/complex128.
    norm : {"fro", "spectral", "nuclear"}, optional
        ``"fro"`` works for any number of dimensions (the 2-norm of the flattened
        array); ``"spectral"`` and ``"nuclear"`` need matrices.

    Returns
    -------
    float
        0.0 when ``A == B == 0``; inf when ``A == 0 != B``.

    Notes
    -----
    Both arrays are divided by a power of two near ``max|A|`` (an exact scaling)
    before the difference is squared, and the spectral norm is
    ``scipy.linalg.norm(D, 2)`` of that scaled difference, so matrices scaled by
    1e±300 give the same answer as unscaled ones.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import relative_error
    >>> A = np.array([[3.0, 0.0], [0.0, 4.0]]) * 1e300
    >>> relative_error(A, np.zeros((2, 2)))
    1.0
    """
    norm = check_choice(norm, "norm", _NORMS)
    A = _numeric(A, "A")
    B, _ = _approximation(B, "B")
    _check_same_shape(A, B, ("A", "B"))
    scale = _pow2_scale(A)
    if not np.isfinite(scale):
        return float("nan")
    if scale == 0.0:
        return 0.0 if not np.any(B) else float("inf")
    A = _work(A) / scale
    with np.errstate(over="ignore", invalid="ignore"):
        D = A - _work(B) / scale
    return _norm(D, norm) / _norm(A, norm)


def assert_orthonormal(Q, *, axis="columns", rtol=None, name="Q"):
    r"""Assert that the columns (or rows) of ``Q`` are orthonormal.

    Parameters
    ----------
    Q : array_like, shape (m, k)
        The matrix to check; it must be 2-D and finite.
    axis : {"columns", "rows", 0, 1}, optional
        ``"columns"`` (or 0, the vectors run along axis 0): :math:`Q^H Q = I_k`;
        ``"rows"`` (or 1): :math:`Q Q^H = I_m`.
    rtol : float, optional
        Bound on :math:`\max_{ij} |(Q^H Q - I)_{ij}|`. Default
        ``10 * (sqrt(m) + k) * eps(Q.dtype)`` for ``k`` vectors of length ``m``.
    name : str, optional
        Name of `Q` in the message.

    Raises
    ------
    AssertionError
        If `Q` is not 2-D, has non-finite entries, has more vectors than their
        length, or the largest deviation of the Gram matrix from the identity
        exceeds `rtol` (the message gives the deviation, where, and `rtol`).

    Notes
    -----
    The Gram matrix is formed in float64/complex128, so the check itself adds
    at most about ``sqrt(m) * eps(float64)`` to each entry. The default covers
    one rounding of exactly orthonormal vectors to ``Q.dtype`` (at most ``eps`` per
    Gram entry), the ``sqrt(m) * eps`` typical rounding of an ``m``-term inner
    product when `Q` was computed in ``Q.dtype``, and the ``O(k * eps)`` loss of
    orthogonality of Householder QR or re-orthogonalized Gram–Schmidt on ``k``
    vectors, with a safety factor of 10. Pass `rtol` for methods with weaker
    guarantees (e.g. unre-orthogonalized Cholesky QR).

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import assert_orthonormal
    >>> assert_orthonormal(np.eye(4)[:, :2])
    >>> assert_orthonormal(np.eye(4)[:2], axis="rows")
    """
    try:
        which = None if isinstance(axis, (bool, np.bool_)) else _AXES.get(axis)
    except TypeError:  # unhashable
        which = None
    if which is None:
        raise ValueError(f"`axis` must be one of 'columns', 'rows', 0 or 1; got {axis!r}.")
    Q = _numeric(Q, name)
    if Q.ndim != 2:
        raise AssertionError(f"`{name}` must be 2-D; got shape {Q.shape}.")
    _check_finite(Q, name)
    W = Q if which == "columns" else Q.T
    m, k = W.shape
    if k > m:
        raise AssertionError(
            f"`{name}` has {k} {which} of length {m}; more than {m} vectors cannot be orthonormal."
        )
    if rtol is None:
        rtol = tolerance(Q.dtype, 10.0 * (np.sqrt(m) + k))
    rtol = check_float(rtol, "rtol", low=0.0)
    W = _work(W)
    with np.errstate(over="ignore", invalid="ignore"):
        G = W.conj().T @ W
    G[np.diag_indices(k)] -= 1.0
    dev = np.abs(G)
    if k and not np.all(np.isfinite(dev)):
        raise AssertionError(f"The {which} of `{name}` are far from orthonormal: their Gram matrix overflows.")
    worst = float(dev.max()) if k else 0.0
    if worst > rtol:
        i, j = np.unravel_index(np.argmax(dev), dev.shape)
        raise AssertionError(
            f"The {which} of `{name}` (shape {Q.shape}, {Q.dtype}) are not orthonormal: "
            f"max |{name}^H {name} - I| = {worst:.3e} at entry ({i}, {j}) exceeds rtol = {rtol:.3e} "
            f"({worst / tolerance(Q.dtype):.1f} eps)."
        )


def _real_vector(s, name):
    s = _numeric(s, name)
    if s.ndim != 1:
        raise AssertionError(f"`{name}` must be 1-D; got shape {s.shape}.")
    if s.dtype.kind == "c":
        raise AssertionError(f"`{name}` must be real; got dtype {s.dtype}.")
    _check_finite(s, name)
    return s


def assert_descending(s, *, rtol=0.0, name="s"):
    """Assert that the 1-D real array ``s`` is non-increasing (and finite).

    Parameters
    ----------
    s : array_like, shape (k,)
        Values to check, e.g. singular values or eigenvalues.
    rtol : float, optional
        Allowed increase between neighbours relative to ``max|s|``: passes when
        ``s[i + 1] <= s[i] + rtol * max|s|``. Default 0 (exact order, which sorted
        output satisfies); ``k * eps`` suits values recomputed after sorting.
    name : str, optional
        Name of `s` in the message.

    Raises
    ------
    AssertionError
        If `s` is not 1-D, real and finite, or some neighbour increases by more
        than the tolerance (the message gives the first such index).

    Examples
    --------
    >>> from lowrank.testing import assert_descending
    >>> assert_descending([3.0, 2.0, 2.0, 0.0])
    """
    s = _real_vector(s, name)
    rtol = check_float(rtol, "rtol", low=0.0)
    if s.size < 2:
        return
    s64 = s.astype(np.float64)
    allowance = rtol * float(np.max(np.abs(s64)))
    rise = s64[1:] - s64[:-1]
    bad = np.flatnonzero(rise > allowance)
    if bad.size:
        i = int(bad[0])
        raise AssertionError(
            f"`{name}` is not descending: {name}[{i}] = {s[i].item()!r} < {name}[{i + 1}] = {s[i + 1].item()!r} "
            f"({bad.size} increase(s) above the allowance {allowance:.3e})."
        )


def assert_nonnegative(s, *, atol=0.0, name="s"):
    """Assert that every entry of the real array ``s`` is finite and ``>= -atol``.

    Parameters
    ----------
    s : array_like, shape (k,)
        Values to check.
    atol : float, optional
        Allowed negative excursion, default 0 (singular values must be exactly
        non-negative; computed eigenvalues of a PSD matrix may need
        ``atol = c * n * eps * max|s|``).
    name : str, optional
        Name of `s` in the message.

    Raises
    ------
    AssertionError
        If `s` is not 1-D, real and finite, or some entry is below ``-atol``.

    Examples
    --------
    >>> from lowrank.testing import assert_nonnegative
    >>> assert_nonnegative([1.0, 0.0])
    """
    s = _real_vector(s, name)
    atol = check_float(atol, "atol", low=0.0)
    if s.size and s.min() < -atol:
        i = int(np.argmin(s))
        raise AssertionError(f"`{name}` has negative entries: {name}[{i}] = {s[i].item()!r} < -atol = {-atol!r}.")


def assert_allclose_dtype(actual, desired, *, factor=10.0, scale=None):
    """Assert ``max|actual - desired| <= factor * eps(actual.dtype) * scale`` (norm-wise).

    Parameters
    ----------
    actual : array_like
        Computed values; their dtype sets ``eps`` (integers count as float64).
    desired : array_like
        Reference values of the same shape (typically float64).
    factor : float, optional
        Multiple of ``eps``, default 10: state the rounding analysis behind a
        larger one next to the call.
    scale : float, optional
        Magnitude the error is measured against; default ``max|desired|`` over
        its finite entries.

    Raises
    ------
    AssertionError
        On a shape mismatch, non-finite entries that differ (NaN must meet NaN,
        ±inf the same inf), or a largest finite error above the tolerance (the
        message gives the error, its index, the tolerance and the error in ulps
        of `scale`).

    Notes
    -----
    The test is norm-wise, not element-wise: every entry is held to the same
    absolute tolerance relative to the largest desired value, which is what
    backward-stable algorithms guarantee (small entries of a result carry the
    absolute error of the large ones). With ``desired == 0`` the default scale
    is 0 and `actual` must be exactly zero; pass `scale` then. Differences are
    formed in float64/complex128 after an exact power-of-two rescaling.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import assert_allclose_dtype
    >>> x = np.array([1.0, 1e-8], dtype=np.float32)
    >>> assert_allclose_dtype(x, np.array([1.0, 0.0]))  # 1e-8 << eps32 * 1
    """
    factor = check_float(factor, "factor", low=0.0)
    actual, desired = _numeric(actual, "actual"), _numeric(desired, "desired")
    _check_same_shape(actual, desired)
    a, d = _work(actual), _work(desired)
    fin_a, fin_d = np.isfinite(a), np.isfinite(d)
    mismatch = (fin_a != fin_d) | (~fin_d & ~((a == d) | (np.isnan(a) & np.isnan(d))))
    if np.any(mismatch):
        idx = tuple(int(i) for i in np.argwhere(mismatch)[0])
        raise AssertionError(
            f"Non-finite entries differ: actual{list(idx)} = {a[idx].item()!r}, desired{list(idx)} = {d[idx].item()!r} "
            f"({int(mismatch.sum())} mismatch(es))."
        )
    a, d = a[fin_d], d[fin_d]
    if scale is None:
        scale = float(np.max(np.abs(d))) if d.size else 0.0
    scale = check_float(scale, "scale", low=0.0)
    eps = tolerance(actual.dtype)
    tol = factor * eps * scale
    if d.size == 0:
        return
    s = _pow2_scale(a, d)
    err_all = np.abs(a / s - d / s) * s if s > 0 else np.abs(a - d)
    worst = float(err_all.max())
    if worst > tol:
        flat = int(np.argmax(err_all))
        idx = tuple(int(i) for i in np.argwhere(fin_d)[flat])
        ulps = worst / (eps * scale) if scale > 0 else float("inf")
        raise AssertionError(
            f"max |actual - desired| = {worst:.3e} at index {list(idx)} exceeds "
            f"factor * eps * scale = {factor} * {eps:.3e} * {scale:.3e} = {tol:.3e} "
            f"(error = {ulps:.1f} eps * scale; actual dtype {actual.dtype})."
        )


def assert_dtype(x, dtype):
    """Assert that ``x`` (an array) has exactly the dtype ``dtype``.

    Parameters
    ----------
    x : array_like
        Anything with a ``dtype`` (ndarray, NumPy scalar, sparse matrix).
    dtype : dtype
        The expected dtype.

    Raises
    ------
    AssertionError
        If the dtypes differ (the message names both).

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import assert_dtype
    >>> assert_dtype(np.zeros(2, np.float32), "float32")
    """
    expected = np.dtype(dtype)
    got = _dtype_of(x)
    if got != expected:
        raise AssertionError(f"Expected dtype {expected}; got {got}.")


def assert_lowrank_error(A, approx, optimal, *, factor, norm="fro", rounding=None):
    r"""Assert ``||A - approx|| <= factor * optimal + rounding * eps * ||A||_F``.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (m, n)
        The matrix that was approximated.
    approx : array_like, shape (m, n), or tuple ``(U, S, Vh)``
        The approximation, or factors whose product is formed in float64/complex128
        (so the check adds no rounding in the precision of the factors).
    optimal : float
        The optimal error in `norm` for the rank used, e.g. from
        :func:`lowrank.testing.optimal_error`.
    factor : float
        Allowed ratio to the optimum (``>= 0``), e.g. 1.05 for "within 5 %".
    norm : {"fro", "spectral", "nuclear"}, optional
        Norm of the error.
    rounding : float, optional
        Multiple of ``eps * ||A||_F`` added to the bound. Default
        ``10 * sqrt(m + n)`` for "fro" and "spectral", times a further
        ``sqrt(min(m, n))`` for "nuclear". ``eps`` is that of the less precise
        of ``A.dtype`` and the approximation's dtype.

    Raises
    ------
    AssertionError
        If `approx` has the wrong shape or non-finite entries, or the error
        exceeds the bound (the message gives the error, the bound and the ratio
        error / optimal).

    Notes
    -----
    Rounding `A` to its dtype moves every singular value by at most
    :math:`\|\delta A\|_2 \le \tfrac{1}{2}\epsilon \|A\|_F` (Weyl), and a
    backward-stable factorization computed in that dtype adds
    :math:`O(\sqrt{m + n}\,\epsilon\|A\|_F)`; the default allowance is ten times
    that, so an exact-rank matrix (``optimal == 0``) passes with its
    rounding-level residual. The nuclear norm of an error is at most
    :math:`\sqrt{\min(m, n)}` times its Frobenius norm, hence the extra factor.
    All norms are computed in float64 after an exact power-of-two rescaling.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.testing import assert_lowrank_error, matrix_with_spectrum, optimal_error
    >>> A, U, s, V = matrix_with_spectrum(8, 6, [3.0, 2.0, 1.0], rng=0)
    >>> assert_lowrank_error(A, (U[:, :2], s[:2], V[:, :2].T), optimal_error(s, 2), factor=1.0)
    """
    norm = check_choice(norm, "norm", _NORMS)
    optimal = check_float(optimal, "optimal", low=0.0)
    factor = check_float(factor, "factor", low=0.0)
    A = _numeric(A, "A")
    if A.ndim != 2:
        raise ValueError(f"`A` must be 2-D; got shape {A.shape}.")
    B, approx_dtype = _approximation(approx)
    _check_same_shape(B, A, ("approx", "A"))
    _check_finite(B, "approx")
    m, n = A.shape
    if rounding is None:
        rounding = 10.0 * np.sqrt(m + n) * (np.sqrt(min(m, n)) if norm == "nuclear" else 1.0)
    rounding = check_float(rounding, "rounding", low=0.0)
    eps = max(tolerance(A.dtype), tolerance(approx_dtype))
    scale = _pow2_scale(A)
    if not np.isfinite(scale):
        raise ValueError("`A` must contain only finite values.")
    scale = scale or 1.0
    A64 = _work(A) / scale
    err = _norm(A64 - _work(B) / scale, norm) * scale
    allowance = rounding * eps * _norm(A64, "fro") * scale
    bound = factor * optimal + allowance
    if not err <= bound:
        ratio = err / optimal if optimal > 0 else float("inf")
        raise AssertionError(
            f"||A - approx||_{norm} = {err:.6e} exceeds factor * optimal + rounding allowance = "
            f"{factor} * {optimal:.6e} + {allowance:.3e} = {bound:.6e}; error / optimal = {ratio:.4f}."
        )

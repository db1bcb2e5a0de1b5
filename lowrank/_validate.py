"""Argument checks shared by every routine: the one place for their messages.

Every public routine normalises its arguments here before any heavy work, so a
problem is worded the same way everywhere: "`name` must <requirement>; got <value>."

Wrong *types* for integer or float arguments (a bool or a float rank, a numeric
string) raise :class:`ArgumentTypeError`, which is both a ``TypeError`` and a
``ValueError``: whichever a caller expects, they catch it.
"""

import numbers
import operator
import sys

import numpy as np

__all__ = [
    "ArgumentTypeError",
    "per_axis",
    "as_float_array",
    "check_finite",
    "check_int",
    "check_rank",
    "check_float",
    "check_choice",
    "check_axis",
    "check_power_of_two",
    "result_float_dtype",
]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (both a ``TypeError`` and a ``ValueError``)."""


_STRINGY = ("U", "S", "O", "V", "M", "m")


def _describe(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def result_float_dtype(dtype, *, allow_complex=False, name="A"):
    """The floating dtype lowrank computes in for inputs of ``dtype``.

    float32/float64 (and complex64/complex128 when allowed) are kept; integers and
    bool become float64; float16 becomes float32; longdouble becomes float64.
    """
    dtype = np.dtype(dtype)
    kind = dtype.kind
    if kind in "biu":
        return np.dtype(np.float64)
    if kind == "f":
        return np.dtype(np.float32) if dtype.itemsize <= 4 else np.dtype(np.float64)
    if kind == "c":
        if not allow_complex:
            raise TypeError(f"`{name}` must be real (float32, float64 or integer); got dtype {dtype}.")
        return np.dtype(np.complex64) if dtype.itemsize <= 8 else np.dtype(np.complex128)
    raise TypeError(f"`{name}` must hold numbers (float32, float64 or integer); got dtype {dtype}.")


def as_float_array(x, name="A", *, ndim=None, min_ndim=None, allow_complex=False,
                   finite=True, allow_empty=True, copy=False):
    """Convert ``x`` to an ndarray of a floating dtype lowrank computes in.

    Lists work; strings, objects and numeric strings are rejected with a
    ``TypeError`` (never silently converted). The input is never modified; with
    ``copy=True`` the result never shares memory with it.

    Parameters
    ----------
    x : array_like
    name : str
        Argument name used in messages.
    ndim, min_ndim : int, optional
        Required exact / minimal number of dimensions (``ValueError`` otherwise).
    allow_complex : bool
        Complex input is a ``TypeError`` unless this is set.
    finite : bool
        Check that every entry is finite (``ValueError`` otherwise).
    allow_empty : bool
        An array with no entries is a ``ValueError`` unless this is set.
    copy : bool
        Return a private copy.
    """
    if isinstance(x, (str, bytes)):
        raise ArgumentTypeError(f"`{name}` must be an array of numbers; got the string {_describe(x)}.")
    if _is_sparse(x):
        raise TypeError(f"`{name}` must be a dense array here; got a sparse {type(x).__name__}.")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged lists
        raise ValueError(f"`{name}` must be a rectangular array of numbers; got {_describe(x)} ({exc}).") from None
    if arr.dtype.kind in _STRINGY:
        raise ArgumentTypeError(
            f"`{name}` must be an array of numbers; got dtype {arr.dtype} "
            f"(strings and objects are not converted)."
        )
    dtype = result_float_dtype(arr.dtype, allow_complex=allow_complex, name=name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-D; got an array of shape {arr.shape}.")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"`{name}` must have at least {min_ndim} dimension(s); got shape {arr.shape}.")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}.")
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    elif copy:
        arr = arr.copy()
    if finite:
        check_finite(arr, name)
    return arr


def check_finite(arr, name="A"):
    """Raise ``ValueError`` unless every entry of the float array ``arr`` is finite.

    Uses min/max reductions (NaN propagates, ±inf is an extreme), so no temporary
    boolean array of the input's size is allocated.
    """
    if arr.size == 0:
        return
    parts = (arr.real, arr.imag) if np.iscomplexobj(arr) else (arr,)
    if not all(np.isfinite(np.min(p)) and np.isfinite(np.max(p)) for p in parts):
        raise ValueError(f"`{name}` must contain only finite values; it has NaN or inf entries.")


def _is_sparse(x):
    # A scipy.sparse object can only exist once scipy.sparse was imported: do not pay
    # for that import (~0.2 s) on the way to a transform of a plain array.
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(x)


def check_int(value, name, *, low=None, high=None, what="an integer"):
    """Return ``value`` as a Python int after checking its type and range.

    Bools, floats (even ``3.0``) and strings are an :class:`ArgumentTypeError`;
    out-of-range values a ``ValueError`` quoting the range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"`{name}` must be {what}; got {_describe(value)} of type {type(value).__name__}.")
    value = operator.index(value)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            requirement = f"{name} >= {low}"
        elif low is None:
            requirement = f"{name} <= {high}"
        else:
            requirement = f"{low} <= {name} <= {high}"
        raise ValueError(f"`{name}` must satisfy {requirement}; got {value}.")
    return value


def per_axis(value, name, count, what="mode"):
    """``value`` as a list of `count` entries: an int is repeated, a sequence must have
    exactly `count` entries (``ValueError`` otherwise); anything else (strings, bools,
    scalars of other types) is an :class:`ArgumentTypeError`. Entries are not checked."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return [value] * count
    if isinstance(value, (str, bytes, bool, np.bool_)) or not hasattr(value, "__len__"):
        raise ArgumentTypeError(f"`{name}` must be an int or one int per {what}; got {_describe(value)}.")
    values = list(value)
    if len(values) != count:
        raise ValueError(f"`{name}` must give one value per {what} ({count}); got {len(values)}.")
    return values


def check_rank(rank, upper, *, name="rank", bound_text="min(A.shape)"):
    """Check ``1 <= rank <= upper`` for an integer rank; return it as an int."""
    if isinstance(rank, (bool, np.bool_)) or not isinstance(rank, numbers.Integral):
        raise ArgumentTypeError(
            f"`{name}` must be an integer with 1 <= {name} <= {bound_text} = {upper}; "
            f"got {_describe(rank)} of type {type(rank).__name__}."
        )
    rank = operator.index(rank)
    if not 1 <= rank <= upper:
        raise ValueError(f"`{name}` must satisfy 1 <= {name} <= {bound_text} = {upper}; got {rank}.")
    return rank


def check_float(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a finite Python float within the given bounds.

    Bools and strings are an :class:`ArgumentTypeError`; NaN, inf and
    out-of-range values a ``ValueError``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"`{name}` must be a real number; got {_describe(value)} of type {type(value).__name__}.")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        left = "" if low is None else f"{low} {'<' if low_open else '<='} "
        right = "" if high is None else f" {'<' if high_open else '<='} {high}"
        raise ValueError(f"`{name}` must be a finite number with {left}{name}{right}; got {value!r}.")
    return value


def check_choice(value, name, choices):
    """Return ``value`` if it is one of the strings ``choices``; ``ValueError`` otherwise."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"`{name}` must be one of {sorted(choices)}; got {_describe(value)}.")
    return value


def check_axis(axis, ndim, name="axis"):
    """Normalise an integer ``axis`` for an array of ``ndim`` dimensions.

    Out of range is a ``ValueError`` (never numpy's ``AxisError``, an ``IndexError``).
    """
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ArgumentTypeError(f"`{name}` must be an integer; got {_describe(axis)} of type {type(axis).__name__}.")
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"`{name}` must satisfy {-ndim} <= {name} < {ndim} for a {ndim}-D array; got {axis}.")
    return axis % ndim


def check_power_of_two(n, name="n", *, what=None):
    """Raise ``ValueError`` unless the int ``n`` is a power of two (1 included)."""
    if n < 1 or n & (n - 1):
        label = what or f"`{name}`"
        raise ValueError(f"{label} must be a power of two (1, 2, 4, ...); got {n}.")
    return n

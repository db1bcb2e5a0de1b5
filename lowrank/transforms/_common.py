"""Argument handling shared by the transforms (norm, axis, power-of-two length)."""

import math

import numpy as np

from .._validate import as_float_array, check_axis, check_choice, check_power_of_two

_NORMS = ("backward", "ortho", "forward")
_NATIVE = tuple(np.dtype(t) for t in (np.float64, np.complex128, np.float32, np.complex64))


def prepare(x, axis, norm, name="x"):
    """Validate a transform's arguments.

    Returns ``(x, axis, n, pre, post, norm)`` with ``x`` a float/complex ndarray,
    ``axis`` normalised, ``n`` the power-of-two length along it and ``pre``/``post`` the
    sizes of the batch axes before and after it.
    """
    if (type(x) is np.ndarray and x.dtype in _NATIVE and type(axis) is int
            and (norm is None or (type(norm) is str and norm in _NORMS))
            and -x.ndim <= axis < x.ndim):
        # the common call, already in canonical form: a transform of 2^10 entries
        # takes ~10 us, so the general path's ~3 us of checks would be felt
        axis %= x.ndim
        n = x.shape[axis]
        if n & (n - 1) == 0 and n:
            pre = math.prod(x.shape[:axis])
            post = math.prod(x.shape[axis + 1:])
            return x, axis, n, pre, post, norm or "backward"
    norm = "backward" if norm is None else check_choice(norm, "norm", _NORMS)
    x = as_float_array(x, name, allow_complex=True, finite=False)
    if x.ndim == 0:
        raise ValueError(f"`{name}` must have at least one dimension to transform along; got a scalar.")
    axis = check_axis(axis, x.ndim)
    n = x.shape[axis]
    check_power_of_two(n, what=f"The length of `{name}` along axis {axis}")
    pre = math.prod(x.shape[:axis])
    post = math.prod(x.shape[axis + 1:])
    return x, axis, n, pre, post, norm


def scale_factor(n, norm, inverse):
    """The factor a (forward or inverse) unnormalised transform is multiplied by."""
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    if (norm == "forward") != inverse:
        return 1.0 / n
    return 1.0


def real_scalar(dtype, value):
    """``value`` in the real precision matching ``dtype`` (keeps kernels single-precision)."""
    return np.dtype(dtype).type(0).real.dtype.type(value)

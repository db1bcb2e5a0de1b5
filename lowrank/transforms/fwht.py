"""Fast Walsh–Hadamard transform in natural (Sylvester) order."""

import numpy as np

from . import _kernels
from ._common import prepare, real_scalar, scale_factor

__all__ = ["fwht", "ifwht"]

# Cache budgets (bytes). A row pass keeps one length-ROW vector in L1/L2; a column pass
# keeps an (n, width) panel in L2. Past ROW, a vector of length n = n1 * n2 is done as a
# row pass of length n2 followed by a column pass of length n1 (H_n = H_n1 ⊗ H_n2).
_ROW_BYTES = 1 << 16
_PANEL_BYTES = 1 << 19
_MIN_WIDTH_BYTES = 64
# Below this many entries a transform runs on one thread: starting (or, on a busy
# machine, waiting for) a second thread costs more than it saves.
_PARALLEL_MIN = 1 << 15


def _kernel(name, size):
    return getattr(_kernels, name if size >= _PARALLEL_MIN else name + "_serial")


def fwht(x, axis=-1, norm="backward"):
    r"""Walsh–Hadamard transform in natural (Sylvester) order.

    Along `axis`, ``fwht(x) == x @ scipy.linalg.hadamard(n)``; the Sylvester matrix
    :math:`H_{2n} = \begin{pmatrix} H_n & H_n \\ H_n & -H_n \end{pmatrix}` is symmetric
    and :math:`H_n^2 = n I`.

    Parameters
    ----------
    x : array_like
        Real or complex signals; the length along `axis` must be a power of two
        (1 allowed). Integers and bool become float64; float32 stays float32.
    axis : int, optional
        Axis to transform along; all other axes are batch axes.
    norm : {"backward", "ortho", "forward"}, optional
        ``scipy.fft``'s meaning: "backward" (default) leaves the forward transform
        unscaled, "ortho" scales by :math:`1/\sqrt{n}` (then ``fwht`` is QMCPy's
        ``fwht`` and its own inverse), "forward" by :math:`1/n`. ``None`` means "backward".

    Returns
    -------
    y : ndarray
        Same shape and dtype as `x` (after integer promotion).

    Raises
    ------
    ValueError
        If the length along `axis` is not a power of two, `axis` is out of range or
        `norm` is unknown.
    TypeError
        If `x` does not hold numbers.

    Notes
    -----
    :math:`O(n \log n)` additions per signal, in two passes over memory: since
    :math:`H_{n_1 n_2} = H_{n_1} \otimes H_{n_2}`, a long signal viewed as an
    :math:`n_1 \times n_2` matrix is transformed along its rows (each row in cache),
    then down its columns in cache-sized panels, with radix-8/4 butterflies inside
    each pass. Signals of a batch run in parallel (Numba threads). NaN/inf spread
    only within the signal that holds them.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import fwht
    >>> fwht(np.array([1.0, 0.0, 0.0, 0.0]))
    array([1., 1., 1., 1.])
    >>> fwht(np.array([1.0, 2.0]), norm="ortho") * np.sqrt(2)
    array([ 3., -1.])
    """
    return _transform(x, axis, norm, inverse=False)


def ifwht(y, axis=-1, norm="backward"):
    r"""Inverse of :func:`fwht`: ``ifwht(fwht(x, axis, norm), axis, norm) == x``.

    Since :math:`H_n^{-1} = H_n / n`, this is the same butterflies with the inverse
    scaling of `norm` ("backward": :math:`1/n`, "ortho": :math:`1/\sqrt{n}`,
    "forward": none). Arguments, result and errors as for :func:`fwht`.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import fwht, ifwht
    >>> x = np.arange(8.0)
    >>> np.allclose(ifwht(fwht(x)), x)
    True
    """
    return _transform(y, axis, norm, inverse=True, name="y")


def _transform(x, axis, norm, inverse, name="x"):
    x, axis, n, pre, post, norm = prepare(x, axis, norm, name)
    out = np.empty(x.shape, dtype=x.dtype)
    if out.size == 0:
        return out
    scale = scale_factor(n, norm, inverse)
    apply_scale = scale != 1.0
    scale = real_scalar(x.dtype, scale)
    out3 = out.reshape(pre, n, post)
    if post == 1:
        src = np.ascontiguousarray(x).reshape(pre, n)
        _vector_pass(src, out3, scale, apply_scale)
    else:
        out3[...] = x.reshape(pre, n, post)
        _column_pass(out3, scale, apply_scale)
    return out


def _vector_pass(src, out3, scale, apply_scale):
    """out3[:, :, 0] = scale * H_n src for contiguous (pre, n) signals."""
    pre, n, _ = out3.shape
    row = max(8, _ROW_BYTES // out3.itemsize)
    rows = _kernel("fwht_rows", src.size)
    if n <= row:
        rows(src, out3.reshape(pre, n), scale, apply_scale)
        return
    n1 = n // row
    rows(src.reshape(pre * n1, row), out3.reshape(pre * n1, row), scale, False)
    _column_pass(out3.reshape(pre, n1, row), scale, apply_scale)


def _column_pass(x3, scale, apply_scale):
    """In place along axis 1 of a contiguous (pre, n, post) array, in cache-sized panels."""
    pre, n, post = x3.shape
    min_width = max(1, _MIN_WIDTH_BYTES // x3.itemsize)
    if n * min(post, min_width) * x3.itemsize > _PANEL_BYTES and n > 2:
        # H_n = H_n1 ⊗ H_n2 again: the panel would not fit, so split the length.
        n2 = 1 << (max(1, (_PANEL_BYTES // (min_width * x3.itemsize)).bit_length() - 1))
        n2 = min(n2, n // 2)
        n1 = n // n2
        _column_pass(x3.reshape(pre * n1, n2, post), scale, False)
        _column_pass(x3.reshape(pre, n1, n2 * post), scale, apply_scale)
        return
    width = max(min_width, _PANEL_BYTES // (n * x3.itemsize))
    _kernel("fwht_cols", x3.size)(x3, min(width, post), scale, apply_scale)

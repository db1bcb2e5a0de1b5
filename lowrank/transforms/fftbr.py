"""FFT of signals stored in bit-reversed order, and its inverse (QMCPy's FFTBR/IFFTBR)."""

import functools

import numba
import numpy as np

from .._validate import check_int, check_power_of_two
from . import _kernels
from ._common import prepare

__all__ = ["bitrev", "fftbr", "ifftbr"]

# Inputs with fewer entries than this are permuted by fancy indexing, larger ones by the
# tiled kernel on all threads (where it won clearly in two runs here: from 2^15 entries
# of 4 bytes, 2^16 of 8 or 16 bytes; a one-thread tiled kernel never beat the gather).
_SMALL = {4: 1 << 15, 8: 1 << 16, 16: 1 << 16}
_TILE_BYTES = 256  # tile rows of at least this many bytes (whole cache lines)


def bitrev(n):
    """The bit-reversal permutation of ``range(n)``.

    Entry ``i`` is ``i`` with its ``log2(n)`` binary digits in reverse order; the
    permutation is its own inverse.

    Parameters
    ----------
    n : int
        A power of two, at least 1.

    Returns
    -------
    perm : ndarray of int64, shape (n,)

    Raises
    ------
    TypeError
        If `n` is not an integer (bools and floats included).
    ValueError
        If `n` is not a power of two >= 1.

    Examples
    --------
    >>> from lowrank import bitrev
    >>> bitrev(8)
    array([0, 4, 2, 6, 1, 5, 3, 7])
    """
    n = check_int(n, "n", what="an integer power of two >= 1")
    check_power_of_two(n, "n")
    return _kernels.bitrev_table(n)


def fftbr(x, axis=-1, norm="backward"):
    r"""DFT of a signal supplied in bit-reversed order.

    ``fftbr(x, axis, norm) == scipy.fft.fft(np.take(x, bitrev(n), axis), axis=axis, norm=norm)``.
    Kernel matrices of rank-1 lattice points in radical-inverse order are diagonalised
    by this transform, and along the last axis ``fftbr(x, norm="ortho")`` is QMCPy's
    ``fftbr(x)``.

    Parameters
    ----------
    x : array_like
        Real or complex; the length along `axis` must be a power of two (1 allowed).
    axis : int, optional
        Axis to transform along; the others are batch axes.
    norm : {"backward", "ortho", "forward"}, optional
        As in ``scipy.fft``; ``None`` means "backward".

    Returns
    -------
    y : ndarray
        complex64 for float32/complex64 input, complex128 otherwise; shape of `x`.

    Raises
    ------
    ValueError
        If the length along `axis` is not a power of two, `axis` is out of range or
        `norm` is unknown.
    TypeError
        If `x` does not hold numbers.

    Notes
    -----
    The permutation is fused with the conversion to the complex output buffer (one
    pass, in 16 x 16 tiles so that both the reads and the writes stay in cache), and
    the buffer is then transformed in place by ``scipy.fft.fft`` (pocketfft,
    :math:`O(n \log n)`). No FFT of our own. A batch of 4 MiB or more is split between
    Numba's threads (``numba.get_num_threads()``) by pocketfft itself; every
    transform, and so the result, is the same as on one thread.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import fftbr, bitrev
    >>> x = np.arange(8.0)
    >>> bool(np.allclose(fftbr(x), np.fft.fft(x[bitrev(8)])))
    True
    """
    x, axis, n, pre, post, norm = prepare(x, axis, norm)
    if x.size == 0:
        return np.empty(x.shape, dtype=_complex_dtype(x.dtype))
    # Real input stays real through the permutation, so pocketfft can use its
    # real-to-complex path (half the work) exactly as scipy.fft.fft(x) would.
    buf = _permuted(x, axis, n, pre, post)
    return _dft(buf, axis, norm, forward=True, overwrite=True)


def ifftbr(y, axis=-1, norm="backward"):
    r"""Inverse DFT with the output in bit-reversed order.

    ``ifftbr(y) == np.take(scipy.fft.ifft(y, norm=norm), bitrev(n), axis)``, so that
    ``ifftbr(fftbr(x)) == x``; along the last axis ``ifftbr(y, norm="ortho")`` is
    QMCPy's ``ifftbr(y)``. Arguments, result and errors as for :func:`fftbr`.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import fftbr, ifftbr
    >>> x = np.arange(8.0)
    >>> bool(np.allclose(ifftbr(fftbr(x)), x))
    True
    """
    y, axis, n, pre, post, norm = prepare(y, axis, norm, name="y")
    if y.size == 0:
        return np.empty(y.shape, dtype=_complex_dtype(y.dtype))
    z = _dft(y, axis, norm, forward=False, overwrite=False)
    return _permuted(z, axis, n, pre, post)


# pocketfft's ``inorm`` codes: 0 no scaling, 1 by 1/sqrt(n), 2 by 1/n
_INORM = {("backward", True): 0, ("ortho", True): 1, ("forward", True): 2,
          ("backward", False): 2, ("ortho", False): 1, ("forward", False): 0}


def _dft(x, axis, norm, *, forward, overwrite):
    """``scipy.fft.fft``/``ifft`` of ``x`` along ``axis`` (in place when allowed and complex).

    It calls the pocketfft kernel behind ``scipy.fft`` directly when that private
    entry point is present and behaves as expected (checked once): ``scipy.fft.fft``'s
    backend dispatch and argument handling cost ~4 us a call, 40% of a 2^10-point
    transform. Otherwise, through ``scipy.fft`` itself. Either way the result is
    pocketfft's, bit for bit; a backend set with ``scipy.fft.set_backend`` is not
    consulted.
    """
    c2c = _pocketfft_c2c()
    workers = _workers(x, axis)
    if c2c is not None:
        out = x if overwrite and x.dtype.kind == "c" else None
        return c2c(x, (axis,), forward, _INORM[norm, forward], out, workers)
    import scipy.fft

    transform = scipy.fft.fft if forward else scipy.fft.ifft
    return transform(x, axis=axis, norm=norm, overwrite_x=overwrite, workers=workers)


_THREADED_BYTES = 1 << 22  # batches at least this large are transformed on all threads


def _workers(x, axis):
    """pocketfft threads: 1, or for a large batch (4 MiB and up) Numba's thread count —
    pocketfft splits the batch's transforms between threads (1.5-1.8x here on 2 cores;
    each transform and so the result is the same), while on small batches its thread
    start-up (~0.1 ms) costs more than it saves. One long transform is never split."""
    batch = x.size // max(x.shape[axis], 1)
    if batch < 2 or x.nbytes < _THREADED_BYTES:
        return 1
    return max(1, min(numba.get_num_threads(), batch))


@functools.lru_cache(maxsize=1)
def _pocketfft_c2c():
    """scipy's ``pypocketfft.c2c``, or None if it is absent or answers unexpectedly.

    Imported on first use: scipy.fft costs ~0.2 s to import, which `import lowrank`
    should not pay.
    """
    try:
        from scipy.fft._pocketfft.pypocketfft import c2c

        probe = np.array([1.0, 2.0, 0.0, -1.0])
        want = np.fft.fft(probe)
        ok = all(
            np.allclose(c2c(v, (0,), True, 0, None, 1), want) for v in (probe, probe + 0j)
        ) and np.allclose(c2c(want, (0,), False, 2, None, 1), probe)
    except Exception:  # a private module: any change of name or signature means fall back
        return None
    return c2c if ok else None


@functools.lru_cache(maxsize=32)
def _table(n):
    """Read-only bit-reversal table, cached: small transforms should not rebuild it."""
    rev = _kernels.bitrev_table(n)
    rev.flags.writeable = False
    return rev


def _complex_dtype(dtype):
    return np.dtype(np.complex64) if dtype in (np.float32, np.complex64) else np.dtype(np.complex128)


def _permuted(x, axis, n, pre, post):
    """A new array equal to ``np.take(x, bitrev(n), axis)``."""
    if x.size < _SMALL.get(x.itemsize, 1 << 16):  # below: the kernel launch costs more than the gather
        return x[(slice(None),) * axis + (_table(n),)]  # 2x faster than np.take here
    out = np.empty(x.shape, dtype=x.dtype)
    _permute(np.ascontiguousarray(x).reshape(pre, n, post), out.reshape(pre, n, post))
    return out


def _permute(src3, dst3):
    """dst3[:, bitrev(i), :] = src3[:, i, :] (on all threads: above the crossovers of
    ``_SMALL`` the tiled kernel on two threads beats the gather, 1.2-3x, launch included)."""
    pre, n, post = src3.shape
    m = n.bit_length() - 1
    q = max(1, (_TILE_BYTES // src3.itemsize).bit_length() - 1)
    if post == 1 and m >= 2 * q:
        _kernels.permute_tiled(src3.reshape(pre, n), dst3.reshape(pre, n), _table(1 << q), _table(1 << (m - 2 * q)))
    else:
        _kernels.permute_rows(src3, dst3, _table(n))

"""FFT of signals stored in bit-reversed order, and its inverse (QMCPy's FFTBR/IFFTBR)."""

import functools

import numba
import numpy as np

from .._validate import check_int, check_power_of_two
from . import _kernels
from ._common import prepare

__all__ = ["bitrev", "fftbr", "ifftbr"]

# How a bit reversal is done (crossovers measured here, AMD EPYC, 2 vCPUs): a single
# signal with fewer entries than _SMALL[itemsize] by fancy indexing (a kernel call
# costs more than it saves); a batch of rows of at most _SHORT_ROW entries one row per
# job (1.1-2x faster than tiles there); anything else by the tiled kernel. Kernels run
# on one thread below _PARALLEL_BYTES and on all threads from there.
_SMALL = {4: 1 << 14, 8: 1 << 13, 16: 1 << 14}
_PARALLEL_BYTES = 1 << 18
_TILE_BYTES = 256  # tile rows of at least this many bytes (whole cache lines)
_SHORT_ROW = 1 << 12  # rows this short are scattered whole (they stay in L1/L2)


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
    Three passes over memory, as many as ``scipy.fft.fft`` makes on its own. (1) The
    bit reversal writes a new array (Numba: a batch of short rows one row per job, a
    long signal in :math:`2^q \times 2^q` tiles so that reads and writes both stay
    in cache; small signals by fancy indexing). (2) pocketfft, the FFT behind
    ``scipy.fft``, transforms it in place, :math:`O(n \log n)`; for real input by its
    real transform in FFTPACK's halfcomplex layout. (3) For real input, one compiled
    pass unpacks the halfcomplex spectrum and its conjugate half into the complex
    result. No FFT of our own: the result is ``scipy.fft.fft`` of the permuted input
    bit for bit. A batch of 4 MiB or more is split between Numba's threads
    (``numba.get_num_threads()``) by pocketfft itself; each transform, and so the
    result, is the same as on one thread.

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
        return np.empty(x.shape, dtype=_COMPLEX[x.dtype])
    buf = _permuted(x, axis, n, pre, post)  # a new array: ours to overwrite
    if buf.dtype.kind == "f":
        y = _real_dft(buf, axis, n, pre, post, norm)
        if y is not None:
            return y
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
        return np.empty(y.shape, dtype=_COMPLEX[y.dtype])
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


def _real_dft(buf, axis, n, pre, post, norm):
    """``scipy.fft.fft(buf)`` of real ``buf``, the halfcomplex way; None if unavailable.

    scipy.fft.fft of a real array copies it into a work buffer, runs pocketfft's real
    transform there, copies the n/2 + 1 spectrum out and then fills the conjugate half
    in a second pass. Here the (already permuted, owned) buffer is transformed in place
    by the same real transform (``r2r_fftpack``: FFTPACK's halfcomplex layout) and one
    compiled pass writes the whole spectrum, so the bit reversal costs no more than the
    copy it replaces. pocketfft computes the same numbers either way: the result is
    scipy.fft's bit for bit.
    """
    r2r = _pocketfft_r2r()
    if r2r is None:
        return None
    r2r(buf, (axis,), True, True, _INORM[norm, True], buf, _workers(buf, axis))
    out = np.empty(buf.shape, dtype=_COMPLEX[buf.dtype])
    if out.nbytes < _THREADED_BYTES or numba.get_num_threads() < 2:
        if post == 1:  # the common layout, and a cheaper kernel call (~0.5 us of 8 at n = 2^10)
            _kernels.hermitian_unpack_rows(buf.reshape(pre, n), out.reshape(pre, n))
        else:
            _kernels.hermitian_unpack(buf.reshape(pre, n, post), out.reshape(pre, n, post))
    else:  # a long spectrum is split into spans, a small batch into its spectra
        chunks = max(1, -(-2 * numba.get_num_threads() // pre))
        _kernels.hermitian_unpack_parallel(buf.reshape(pre, n, post), out.reshape(pre, n, post), chunks)
    return out


_THREADED_BYTES = 1 << 22  # batches at least this large are transformed on all threads


def _workers(x, axis):
    """pocketfft threads: 1, or for a large batch (4 MiB and up) Numba's thread count —
    pocketfft splits the batch's transforms between threads (1.5-1.8x here on 2 cores;
    each transform and so the result is the same), while on small batches its thread
    start-up (~0.1 ms) costs more than it saves. One long transform is never split."""
    if x.nbytes < _THREADED_BYTES:
        return 1
    batch = x.size // max(x.shape[axis], 1)
    if batch < 2:
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


@functools.lru_cache(maxsize=1)
def _pocketfft_r2r():
    """scipy's ``pypocketfft.r2r_fftpack`` if it transforms in place as expected, else None."""
    try:
        from scipy.fft._pocketfft.pypocketfft import r2r_fftpack

        probe = np.array([1.0, 2.0, 0.0, -1.0, 3.0, 0.5, -2.0, 1.0])
        spectrum = np.fft.rfft(probe)
        want = np.concatenate([[spectrum[0].real], np.column_stack([spectrum[1:-1].real, spectrum[1:-1].imag]).ravel(),
                               [spectrum[-1].real]])
        buf = probe.copy()
        ok = r2r_fftpack(buf, (0,), True, True, 0, buf, 1) is buf and np.allclose(buf, want)
    except Exception:  # a private module: any change of name or signature means fall back
        return None
    return r2r_fftpack if ok else None


@functools.lru_cache(maxsize=32)
def _table(n):
    """Read-only bit-reversal table, cached: small transforms should not rebuild it."""
    rev = _kernels.bitrev_table(n)
    rev.flags.writeable = False
    return rev


_COMPLEX = {np.dtype(t): np.dtype(c) for t, c in ((np.float32, np.complex64), (np.complex64, np.complex64),
                                                   (np.float64, np.complex128), (np.complex128, np.complex128))}


def _permuted(x, axis, n, pre, post):
    """A new array equal to ``np.take(x, bitrev(n), axis)``."""
    if pre == 1 and x.size < _SMALL.get(x.itemsize, 1 << 16):  # a kernel call costs more than it saves
        return x[_table(n)] if axis == 0 else x[(slice(None),) * axis + (_table(n),)]  # faster than np.take
    out = np.empty(x.shape, dtype=x.dtype)
    src3, dst3 = np.ascontiguousarray(x).reshape(pre, n, post), out.reshape(pre, n, post)
    parallel = x.nbytes >= _PARALLEL_BYTES
    m = n.bit_length() - 1
    q = max(2, (_TILE_BYTES // x.itemsize).bit_length() - 1)
    if post > 1:  # whole rows of the batch axes after `axis` move together
        _kernels.permute_rows(src3, dst3, _table(n))
    elif (pre > 1 and n <= _SHORT_ROW) or m < 2 * q:
        permute = _kernels.permute_short_rows if parallel and pre > 1 else _kernels.permute_short_rows_serial
        permute(src3.reshape(pre, n), dst3.reshape(pre, n), _table(n))
    else:
        permute = _kernels.permute_tiled if parallel else _kernels.permute_tiled_serial
        permute(src3.reshape(pre, n), dst3.reshape(pre, n), _table(1 << q), _table(1 << (m - 2 * q)))
    return out

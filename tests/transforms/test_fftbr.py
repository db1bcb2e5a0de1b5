import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings

from lowrank.transforms import bitrev, fftbr, ifftbr

from .naive import bitrev_naive, fftbr_dense
from .test_fwht import NORMS, signals


def _out_dtype(dtype):
    return np.complex64 if np.dtype(dtype) in (np.float32, np.complex64) else np.complex128


def _tol(x, n):
    eps = np.finfo(np.dtype(x.dtype)).eps
    return 8 * max(1, n.bit_length()) * eps * max(1.0, float(np.abs(x).max()) * np.sqrt(n))


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 256, 1024, 2**15])
def test_bitrev_matches_string_reversal(n):
    perm = bitrev(n)
    assert perm.dtype == np.int64
    np.testing.assert_array_equal(perm, bitrev_naive(n) if n <= 1024 else perm)
    np.testing.assert_array_equal(perm[perm], np.arange(n))  # an involution
    perm[0] = 5  # callers own the array: the cached table is not shared
    assert bitrev(n)[0] == 0


def test_bitrev_bad_input():
    for bad in (0, 3, -4, 12):
        with pytest.raises(ValueError, match="power of two"):
            bitrev(bad)
    for bad in (4.0, "4", True, None):
        with pytest.raises(TypeError, match="n"):
            bitrev(bad)


@settings(deadline=None)
@given(signals(max_log2=10), st.sampled_from(NORMS))
def test_fftbr_matches_fft_of_permuted(case, norm):
    x, axis = case
    n = x.shape[axis]
    y = fftbr(x, axis=axis, norm=norm)
    assert y.dtype == _out_dtype(x.dtype) and y.shape == x.shape
    ref = fftbr_dense(x, axis, "backward" if norm is None else norm)
    scale = {"ortho": 1 / np.sqrt(n), "forward": 1.0 / n}.get(norm, 1.0)
    np.testing.assert_allclose(y, ref, atol=_tol(x, n) * scale)


@settings(deadline=None)
@given(signals(max_log2=10), st.sampled_from(NORMS))
def test_ifftbr_inverts_fftbr(case, norm):
    x, axis = case
    n = x.shape[axis]
    z = ifftbr(fftbr(x, axis=axis, norm=norm), axis=axis, norm=norm)
    assert z.dtype == _out_dtype(x.dtype)
    np.testing.assert_allclose(z, x, atol=_tol(x, n))
    # definition: ifftbr(y) == take(ifft(y), bitrev)
    y = x.astype(z.dtype)
    ref = np.take(scipy.fft.ifft(y, axis=axis, norm=norm), bitrev(n), axis=axis)
    np.testing.assert_allclose(ifftbr(y, axis=axis, norm=norm), ref, atol=_tol(x, n))


@pytest.mark.parametrize("log2n", [13, 14, 15, 18])
@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_large_lengths_tiled_permutation(log2n, dtype):
    n = 2**log2n
    x = np.random.default_rng(log2n).standard_normal((2, n)).astype(dtype)
    ref = scipy.fft.fft(x[:, bitrev(n)])
    np.testing.assert_allclose(fftbr(x), ref, atol=_tol(x, n))
    np.testing.assert_allclose(ifftbr(fftbr(x)), x, atol=_tol(x, n))
    xt = np.ascontiguousarray(x.T)  # permutation of whole rows (post > 1)
    np.testing.assert_allclose(fftbr(xt, axis=0), ref.T, atol=_tol(x, n))


def test_qmcpy_agrees_with_ortho():
    qmcpy = pytest.importorskip("qmcpy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 64)) + 1j * rng.standard_normal((3, 64))
    np.testing.assert_allclose(fftbr(x, norm="ortho"), qmcpy.fftbr(x), atol=1e-12)
    np.testing.assert_allclose(ifftbr(x, norm="ortho"), qmcpy.ifftbr(x), atol=1e-12)


def test_doubling_identity():
    # In bit-reversed order the first half of x holds the even-index samples of the
    # natural-order signal: y[k] = A[k] + w^k B[k], y[k + n] = A[k] - w^k B[k].
    rng = np.random.default_rng(1)
    for n in [1, 8, 512, 2**14]:
        x = rng.standard_normal(2 * n) + 1j * rng.standard_normal(2 * n)
        a, b = fftbr(x[:n]), fftbr(x[n:])
        w = np.exp(-2j * np.pi * np.arange(n) / (2 * n))
        np.testing.assert_allclose(fftbr(x), np.concatenate([a + w * b, a - w * b]), atol=1e-9 * np.sqrt(n))


def test_nan_and_empty_and_lists():
    x = np.random.default_rng(0).standard_normal((3, 8))
    x[0, 1] = np.nan
    y = fftbr(x)
    assert np.all(np.isnan(y[0])) and np.all(np.isfinite(y[1:]))
    assert fftbr(np.zeros((0, 4))).shape == (0, 4)
    assert fftbr(np.zeros((0, 4))).dtype == np.complex128
    assert ifftbr(np.zeros((2, 0, 4), np.float32), axis=-1).dtype == np.complex64
    np.testing.assert_allclose(fftbr([1, 2]), [3, -1])
    np.testing.assert_allclose(fftbr(np.array([True, False, False, False])), np.ones(4))


def test_input_not_modified():
    x = np.random.default_rng(0).standard_normal(2**15) + 0j
    x0 = x.copy()
    fftbr(x)
    ifftbr(x)
    np.testing.assert_array_equal(x, x0)


def test_errors():
    with pytest.raises(ValueError, match="power of two"):
        fftbr(np.ones(6))
    with pytest.raises(ValueError, match="power of two"):
        ifftbr(np.ones((3, 2)), axis=0)
    with pytest.raises(ValueError, match="axis"):
        fftbr(np.ones(4), axis=1)
    with pytest.raises(ValueError, match="norm"):
        ifftbr(np.ones(4), norm="Ortho")
    with pytest.raises(TypeError, match="y"):
        ifftbr(["1"])


@pytest.mark.parametrize("shape, axis", [((1024,), 0), ((3, 256), -1), ((64, 5), 0), ((2, 2**13), 1), ((2**13, 3), 0),
                                         ((300, 2**11), 1), ((2**12, 129), 0),  # threaded batches
                                         ((2**19,), 0), ((3, 2**18), 1)])  # spectra unpacked on all threads
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("norm", NORMS)
def test_direct_pocketfft_path_is_scipy_fft_bit_for_bit(shape, axis, dtype, norm, monkeypatch):
    """fftbr calls scipy's pocketfft kernels without scipy.fft's dispatch layer when it
    can (real input: pocketfft's real transform in place, then our unpacking of its
    halfcomplex output); the result must be exactly scipy.fft's, and so must the
    fallback's."""
    import importlib

    module = importlib.import_module("lowrank.transforms.fftbr")
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    x = x.astype(dtype)
    n = x.shape[axis]
    want = scipy.fft.fft(np.take(x, bitrev(n), axis=axis), axis=axis, norm=norm)
    want_inv = np.take(scipy.fft.ifft(want, axis=axis, norm=norm), bitrev(n), axis=axis)
    got, got_inv = fftbr(x, axis=axis, norm=norm), ifftbr(want, axis=axis, norm=norm)
    monkeypatch.setattr(module, "_pocketfft_c2c", lambda: None)  # force the scipy.fft route
    monkeypatch.setattr(module, "_pocketfft_r2r", lambda: None)
    for y, y_inv in ((got, got_inv), (fftbr(x, axis=axis, norm=norm), ifftbr(want, axis=axis, norm=norm))):
        assert y.dtype == want.dtype and y_inv.dtype == want_inv.dtype
        np.testing.assert_array_equal(y, want)
        np.testing.assert_array_equal(y_inv, want_inv)


_NONE = {4: 0, 8: 0, 16: 0}
_ROUTES = {  # thresholds of lowrank.transforms.fftbr that pick each bit-reversal kernel
    "fancy": {"_SMALL": {4: 1 << 62, 8: 1 << 62, 16: 1 << 62}},
    "kernels, one thread": {"_SMALL": _NONE, "_PARALLEL_BYTES": 1 << 62},
    "kernels, all threads": {"_SMALL": _NONE, "_PARALLEL_BYTES": 0},
    "tiles only, all threads": {"_SMALL": _NONE, "_PARALLEL_BYTES": 0, "_SHORT_ROW": 0},
}


@settings(max_examples=60, deadline=None)
@given(pre=st.integers(1, 4), log2n=st.integers(0, 13), post=st.sampled_from([1, 1, 2, 3]),
       dtype=st.sampled_from([np.float32, np.float64, np.complex64, np.complex128]),
       route=st.sampled_from(sorted(_ROUTES)))
def test_every_bit_reversal_route_is_exact(pre, log2n, post, dtype, route):
    """Fancy indexing, the short-row, tiled and whole-row kernels, on one thread or all:
    each gives exactly np.take(x, bitrev(n), axis) for every layout (pre, n, post)."""
    import importlib

    module = importlib.import_module("lowrank.transforms.fftbr")
    n = 2**log2n
    x = np.arange(pre * n * post).astype(dtype).reshape(pre, n, post)
    axis = 1
    if pre == 1:  # also the leading-axis layout
        x, axis = x[0], 0
    if post == 1:
        x = x[..., 0]
    before = x.copy()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in _ROUTES[route].items():
            mp.setattr(module, name, value)
        got = module._permuted(x, axis, n, pre, post)
    np.testing.assert_array_equal(got, np.take(x, bitrev(n), axis=axis))
    np.testing.assert_array_equal(x, before)
    assert got.dtype == x.dtype and got.shape == x.shape

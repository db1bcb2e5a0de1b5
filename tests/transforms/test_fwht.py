import importlib
import pickle
import threading

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import lowrank
from lowrank.transforms import fwht, ifwht

from .naive import fwht_dense

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
NORMS = ["backward", "ortho", "forward", None]


def _eps(dtype):
    return np.finfo(np.dtype(dtype)).eps


@st.composite
def signals(draw, max_log2=9, max_batch=3):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n = 2 ** draw(st.integers(0, max_log2))
    nbatch = draw(st.integers(0, 2))
    batch = draw(hnp.array_shapes(min_dims=nbatch, max_dims=nbatch, min_side=1, max_side=max_batch))
    axis = draw(st.integers(0, len(batch)))
    shape = batch[:axis] + (n,) + batch[axis:]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    axis = axis - len(shape) if draw(st.booleans()) else axis  # negative axes too
    return x.astype(dtype), axis


def _tol(x, n):
    # each output is a sum of n terms; rounding grows like log2(n) levels of eps*|x|_1
    level = max(1, n.bit_length())
    return 4 * level * _eps(x.dtype) * max(1.0, float(np.abs(x).sum(axis=None)))


@settings(deadline=None)
@given(signals(), st.sampled_from(NORMS))
def test_matches_dense_hadamard(case, norm):
    x, axis = case
    n = x.shape[axis]
    y = fwht(x, axis=axis, norm=norm)
    assert y.dtype == x.dtype and y.shape == x.shape
    scale = {"ortho": 1 / np.sqrt(n), "forward": 1.0 / n}.get(norm, 1.0)
    ref = scale * fwht_dense(x, axis)
    np.testing.assert_allclose(y, ref, atol=_tol(x, n) * scale)


@settings(deadline=None)
@given(signals(), st.sampled_from(NORMS))
def test_inverse_roundtrip(case, norm):
    x, axis = case
    n = x.shape[axis]
    back = ifwht(fwht(x, axis=axis, norm=norm), axis=axis, norm=norm)
    assert back.dtype == x.dtype
    np.testing.assert_allclose(back, x, atol=2 * _tol(x, n) / max(1, n) * n)


@settings(deadline=None)
@given(signals())
def test_parseval_ortho(case):
    x, axis = case
    n = x.shape[axis]
    y = fwht(x, axis=axis, norm="ortho")
    e_x = np.sum(np.abs(x.astype(np.complex128)) ** 2, axis=axis)
    e_y = np.sum(np.abs(y.astype(np.complex128)) ** 2, axis=axis)
    np.testing.assert_allclose(e_y, e_x, rtol=8 * max(1, n.bit_length()) * _eps(x.dtype), atol=1e-300)


@settings(deadline=None)
@given(signals(), st.integers(0, 2**32 - 1), st.floats(-3, 3), st.floats(-3, 3))
def test_linearity(case, seed, a, b):
    x, axis = case
    y = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    lhs = fwht(a * x + b * y, axis=axis)
    rhs = a * fwht(x, axis=axis) + b * fwht(y, axis=axis)
    n = x.shape[axis]
    np.testing.assert_allclose(lhs, rhs, atol=8 * _tol(x, n) + 8 * _tol(y, n))


@pytest.mark.parametrize("log2n", [12, 16, 17, 20])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_large_lengths_use_the_blocked_passes(log2n, dtype):
    # Lengths past the row block go through the row pass + column pass (and, for the
    # longest, the split column pass); check against the Kronecker identity
    # H_2n x = [H_n(x0 + x1), H_n(x0 - x1)] on halves, computed with the short path.
    n = 2**log2n
    rng = np.random.default_rng(log2n)
    x = rng.standard_normal(n).astype(dtype)
    y = fwht(x)
    h = n // 2
    expect = np.concatenate([fwht(x[:h] + x[h:]), fwht(x[:h] - x[h:])])
    tol = 8 * log2n * _eps(dtype) * np.abs(x).sum() ** 0.5 * np.sqrt(n)
    np.testing.assert_allclose(y, expect, atol=tol)
    np.testing.assert_allclose(ifwht(y), x, atol=tol / n * 4)


def test_qmcpy_agrees_with_ortho():
    qmcpy = pytest.importorskip("qmcpy")
    x = np.random.default_rng(0).standard_normal((3, 4, 64))
    np.testing.assert_allclose(fwht(x, norm="ortho"), qmcpy.fwht(x), rtol=1e-12, atol=1e-12)


def test_doubling_identity():
    # QMCPy's doubling: the transform of a length-2n signal from those of its halves.
    rng = np.random.default_rng(3)
    for n in [1, 4, 1024, 2**15]:
        x = rng.standard_normal(2 * n)
        a, b = fwht(x[:n]), fwht(x[n:])
        np.testing.assert_allclose(fwht(x), np.concatenate([a + b, a - b]), atol=1e-9 * np.sqrt(n))


def test_batch_and_axis_layouts():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 32, 5))
    for axis in (1, -2):
        ref = np.moveaxis(fwht(np.moveaxis(x, 1, -1)), -1, 1)
        np.testing.assert_allclose(fwht(x, axis=axis), ref, atol=1e-12)
    xf = np.asfortranarray(rng.standard_normal((64, 7)))
    np.testing.assert_allclose(fwht(xf, axis=0), fwht(xf.T.copy()).T, atol=1e-12)
    xs = rng.standard_normal((4, 128))[:, ::2]  # non-contiguous
    np.testing.assert_allclose(fwht(xs), fwht(xs.copy()), atol=0)


def test_lists_ints_bools_promote_to_float64():
    assert fwht([1, 0, 0, 0]).dtype == np.float64
    np.testing.assert_array_equal(fwht([1, 0, 0, 0]), [1, 1, 1, 1])
    assert fwht(np.array([1, 2], dtype=np.int8)).dtype == np.float64
    np.testing.assert_array_equal(fwht(np.array([True, False])), [1.0, 1.0])


def test_input_not_modified():
    x = np.random.default_rng(0).standard_normal((2, 2**14))
    x0 = x.copy()
    fwht(x)
    fwht(x, norm="ortho")
    ifwht(x)
    np.testing.assert_array_equal(x, x0)


def test_nan_stays_in_its_signal():
    x = np.random.default_rng(0).standard_normal((3, 16))
    x[1, 3] = np.nan
    y = fwht(x)
    assert np.all(np.isnan(y[1]))
    np.testing.assert_allclose(y[[0, 2]], fwht(x[[0, 2]]), atol=0)
    x[1, 3] = np.inf
    assert not np.all(np.isfinite(fwht(x)[1]))


def test_empty_batch_and_length_one():
    assert fwht(np.zeros((0, 8))).shape == (0, 8)
    assert fwht(np.zeros((8, 0)), axis=0).shape == (8, 0)
    with pytest.raises(ValueError, match="power of two"):
        fwht(np.zeros((0, 8)), axis=0)
    np.testing.assert_array_equal(fwht(np.array([2.5])), [2.5])
    np.testing.assert_array_equal(fwht(np.array([[2.5]]), norm="forward"), [[2.5]])


def test_extreme_scales():
    x = np.array([1e300, 1e300, -1e300, 1e300])
    np.testing.assert_allclose(fwht(x, norm="ortho"), fwht(x / 1e300, norm="ortho") * 1e300, rtol=1e-15)
    x = np.array([1e-300, 3e-300])
    np.testing.assert_allclose(fwht(x), [4e-300, -2e-300], rtol=1e-15)


@pytest.mark.parametrize("n", [0, 3, 6, 12, 1000])
def test_non_power_of_two_length(n):
    with pytest.raises(ValueError, match="power of two"):
        fwht(np.ones(n))
    with pytest.raises(ValueError, match="power of two"):
        ifwht(np.ones((2, n)), axis=1)


def test_bad_axis_norm_and_types():
    with pytest.raises(ValueError, match="axis"):
        fwht(np.ones((2, 4)), axis=2)
    with pytest.raises(ValueError, match="axis"):
        fwht(np.ones((2, 4)), axis=-3)
    with pytest.raises(TypeError, match="axis"):
        fwht(np.ones(4), axis=1.0)
    with pytest.raises(ValueError, match="norm"):
        fwht(np.ones(4), norm="unitary")
    with pytest.raises(ValueError, match="norm"):
        ifwht(np.ones(4), norm=1)
    with pytest.raises(TypeError, match="x"):
        fwht(["1.0", "2.0"])
    with pytest.raises(TypeError, match="x"):
        fwht("1")
    with pytest.raises(ValueError, match="x"):
        fwht(3.0)
    with pytest.raises(TypeError, match="x"):
        fwht(np.array([object(), object()]))


def test_threads_give_serial_results():
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((4, 2**12)) for _ in range(6)]
    expect = [fwht(x) for x in xs]
    got = [None] * len(xs)

    def work(i):
        got[i] = fwht(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, e in zip(got, expect):
        np.testing.assert_array_equal(g, e)


def test_reexports_and_pickle_of_results():
    assert lowrank.fwht is fwht and lowrank.transforms.ifwht is ifwht
    y = fwht(np.arange(8.0))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(y)), y)
    assert importlib.import_module("lowrank.transforms.fwht").fwht is fwht

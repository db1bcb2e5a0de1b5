"""Tests for lowrank.curvature (M-FAC).

Reference: the dense F = damping I + G^T G / m, inverted by numpy.linalg.solve in
float64. Tolerances: F^{-1} x is computed as (x - B B^T x) / damping with
B B^T = G^T (m damping I + G G^T)^{-1} G, whose eigenvalues lie in [0, 1). Rounding is
therefore a few eps(dtype) ||x|| / damping in absolute terms, while ||F^{-1} x|| can be as
small as ||x|| / lambda_max(F). Relative to the result, that is
eps(dtype) lambda_max(F) / damping: the subtraction cancels along the gradients. This
exceeds cond(F) when the gradients span R^d. The dense reference is accurate to about
eps64 cond(F). Asserted: 100 eps(dtype) lambda_max(F) / damping, relative to
max|F^{-1} x|.
"""

import pickle

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import lowrank
from lowrank.curvature import InverseFisher, SlidingInverseFisher


def _dense(G, damping):
    G = np.asarray(G, dtype=np.float64)
    m, d = G.shape
    return damping * np.eye(d) + (G.T @ G / m if m else 0.0)


def _tol(F, dtype, damping):
    return 100 * np.finfo(dtype).eps * np.linalg.eigvalsh(F)[-1] / damping


@settings(max_examples=30, deadline=None)
@given(m=st.integers(0, 12), d=st.integers(1, 40), log_damping=st.integers(-6, 1),
       dtype=st.sampled_from([np.float32, np.float64]), collinear=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_inverse_fisher_matches_the_dense_inverse(m, d, log_damping, dtype, collinear, seed):
    gen = np.random.default_rng(seed)
    G = gen.standard_normal((m, d))
    if collinear and m > 1:
        G[1:] = G[0] * gen.standard_normal((m - 1, 1))  # rank one
    G = G.astype(dtype)
    damping = 10.0**log_damping
    F = _dense(G, damping)
    f = InverseFisher(G, damping)
    X = gen.standard_normal((3, d)).astype(dtype)
    want = np.linalg.solve(F, X.astype(np.float64).T).T
    got = f.ihvp(X)
    assert got.shape == (3, d) and got.dtype == dtype
    tol = _tol(F, dtype, damping) * np.abs(want).max()
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    np.testing.assert_allclose(f.ihvp(X[0]), want[0], rtol=0, atol=tol)
    Fi = np.linalg.inv(F)
    np.testing.assert_allclose(f.diagonal(), np.diag(Fi), rtol=0, atol=_tol(F, dtype, damping) * np.abs(Fi).max())
    i, j = int(gen.integers(d)), int(gen.integers(d))
    assert abs(f.entry(i, j) - Fi[i, j]) <= _tol(F, dtype, damping) * np.abs(Fi).max()


def test_result_dtype_and_copies():
    G = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    G0 = G.copy()
    f = InverseFisher(G, 1e-2)
    G[:] = 0  # the object kept its own data
    assert np.allclose(f.ihvp(np.ones(6, np.float32)), InverseFisher(G0, 1e-2).ihvp(np.ones(6, np.float32)))
    assert f.ihvp(np.ones(6, np.float32)).dtype == np.float32
    assert f.ihvp(np.ones(6)).dtype == np.float64
    assert f.ihvp(np.arange(6)).dtype == np.float64
    assert f.diagonal().dtype == np.float32
    assert InverseFisher(np.arange(12).reshape(2, 6), 1.0).ihvp(np.ones(6)).dtype == np.float64
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g.ihvp(np.ones(6)), f.ihvp(np.ones(6)))


def test_tiny_damping_and_repeated_gradients_never_nan():
    g = np.random.default_rng(1).standard_normal(100).astype(np.float32)
    G = np.tile(g, (16, 1))
    for damping in (1e-30, 1e-12, 1e-6):
        f = InverseFisher(G, damping)
        for out in (f.ihvp(np.ones(100, np.float32)), f.diagonal(), np.array(f.entry(0, 1))):
            assert np.all(np.isfinite(out))
    # along g: F g = (damping + |g|^2) g; across it: F x = damping x (rank one)
    g64 = g.astype(np.float64)
    f = InverseFisher(G.astype(np.float64), 1e-8)
    rtol = 100 * np.finfo(np.float64).eps * (1e-8 + g64 @ g64) / 1e-8  # the cancellation (module docstring)
    np.testing.assert_allclose(f.ihvp(g64), g64 / (1e-8 + g64 @ g64), rtol=rtol)
    x = np.random.default_rng(2).standard_normal(100)
    x -= (x @ g64) / (g64 @ g64) * g64
    np.testing.assert_allclose(f.ihvp(x), x / 1e-8, rtol=rtol)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_extreme_gradient_scales(scale):
    G = np.random.default_rng(3).standard_normal((5, 8))
    x = np.random.default_rng(4).standard_normal(8)
    damping = 1e-3 * scale**2 if 1e-150 <= scale <= 1e150 else 1e-3
    F = _dense(G * scale, damping) if 1e-150 <= scale <= 1e150 else None
    got = InverseFisher(G * scale, damping).ihvp(x)
    assert np.all(np.isfinite(got))
    if F is not None:  # damping scaled with the gradients: a well-posed problem at any scale
        want = np.linalg.solve(F / scale**2, x) / scale**2
        np.testing.assert_allclose(got, want, rtol=1e-8)
    elif scale < 1:  # gradients negligible against the damping: F = damping I
        np.testing.assert_allclose(got, x / damping, rtol=1e-12)
    else:  # gradients dominate: x is projected onto their orthogonal complement, over damping
        Q, _ = np.linalg.qr(G.T)
        np.testing.assert_allclose(got, (x - Q @ (Q.T @ x)) / damping, rtol=1e-6, atol=1e-9 / damping)


def test_empty_gradients_are_damping_identity():
    f = InverseFisher(np.zeros((0, 5)), 0.5)
    np.testing.assert_array_equal(f.ihvp(np.ones(5)), 2.0 * np.ones(5))
    np.testing.assert_array_equal(f.diagonal(), 2.0 * np.ones(5))


def test_bad_arguments():
    G = np.ones((3, 4))
    for damping in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="damping"):
            InverseFisher(G, damping)
    with pytest.raises(TypeError, match="damping"):
        InverseFisher(G, "1e-3")
    with pytest.raises(ValueError, match="grads"):
        InverseFisher(np.ones(4))
    with pytest.raises(ValueError, match="grads"):
        InverseFisher(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="grads"):
        InverseFisher([["a", "b"]])
    f = InverseFisher(G, 1.0)
    for x in (np.ones(3), np.ones((2, 3)), np.ones((2, 2, 4))):
        with pytest.raises(ValueError, match="x"):
            f.ihvp(x)
    with pytest.raises(ValueError, match="x"):
        f.ihvp(np.array([1.0, np.inf, 0.0, 0.0]))
    for i in (4, -5, 100):
        with pytest.raises(ValueError, match="i"):
            f.entry(i, 0)
    with pytest.raises(ValueError, match="j"):
        f.entry(0, 4)
    for i in (1.0, True, "1"):
        with pytest.raises(TypeError, match="i"):
            f.entry(i, 0)
    assert f.entry(-1, -1) == f.entry(3, 3)


def test_sliding_window_matches_static_on_the_last_gradients():
    gen = np.random.default_rng(2)
    s = SlidingInverseFisher(20, 4, damping=1e-3)
    x = gen.standard_normal(20)
    np.testing.assert_array_equal(s.ihvp(x), x / 1e-3)  # before any update
    assert s.grads.shape == (0, 20)
    rows = [gen.standard_normal(20) for _ in range(9)]
    for t, g in enumerate(rows, 1):
        s.update(g)
        held = np.array(rows[max(0, t - 4):t])
        np.testing.assert_array_equal(s.grads, held)  # oldest first
        want = InverseFisher(held, 1e-3).ihvp(x)
        np.testing.assert_allclose(s.ihvp(x), want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    g = rows[-1].copy()
    s.update(g)
    g[:] = 0.0
    assert np.all(s.grads[-1] == rows[-1])  # copied


def test_sliding_dtypes_and_errors():
    s = SlidingInverseFisher(3, 2)
    s.update(np.ones(3, np.float32))
    assert s.grads.dtype == np.float32
    assert s.ihvp(np.ones(3, np.float32)).dtype == np.float32
    t = SlidingInverseFisher(3, 2)
    t.update([1, 2, 3])
    assert t.grads.dtype == np.float64
    for bad in ({"dim": 0, "window": 2}, {"dim": 3, "window": 0}, {"dim": 3, "window": 2, "damping": 0.0}):
        with pytest.raises(ValueError):
            SlidingInverseFisher(**bad)
    with pytest.raises(TypeError, match="dim"):
        SlidingInverseFisher(2.5, 2)
    with pytest.raises(ValueError, match="g"):
        s.update(np.ones(4))
    with pytest.raises(ValueError, match="g"):
        s.update(np.array([np.nan, 0.0, 0.0]))
    assert lowrank.InverseFisher is InverseFisher and lowrank.SlidingInverseFisher is SlidingInverseFisher

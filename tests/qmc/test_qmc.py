"""Tests for lowrank.qmc: point structure, kernels against QMCPy and closed forms, and
FastGram against the dense Gram matrix (tolerance: c log2(n) eps cond(K) relative, the
rounding of two O(n log n) transforms; worst seen c < 1, asserted c = 100)."""

import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import lowrank
from lowrank.qmc import DigitalShiftInvariantKernel, FastGram, ShiftInvariantKernel, digital_net, lattice
from lowrank.qmc.points import to_bits


@pytest.mark.parametrize("maker", [lattice, digital_net])
def test_points_structure(maker):
    x = maker(64, 5, randomize=False)
    assert x.shape == (64, 5) and x.dtype == np.float64
    assert np.all(x[0] == 0) and np.all((0 <= x) & (x < 1))
    np.testing.assert_array_equal(maker(128, 5, randomize=False)[:64], x)  # extensible prefix
    for j in range(5):  # every 1-D projection is the full set {0, 1/n, ...}
        np.testing.assert_array_equal(np.sort(x[:, j]), np.arange(64) / 64)
    y, z = maker(64, 5, rng=3), maker(64, 5, rng=3)
    np.testing.assert_array_equal(y, z)
    assert np.all((0 <= y) & (y < 1)) and not np.all(y[0] == 0)


def test_lattice_is_radical_inverse_order_and_net_is_gf2_linear():
    x = lattice(16, 3, randomize=False)
    z = np.rint(x[8] * 16).astype(int)
    rev = np.array([int(format(i, "04b")[::-1], 2) for i in range(16)])
    np.testing.assert_allclose(x, (rev[:, None] * z[None, :] % 16) / 16)
    b = to_bits(digital_net(16, 3, rng=1))
    b ^= b[:1]
    for i in range(16):
        for j in range(16):
            assert np.array_equal(b[i] ^ b[j], b[i ^ j])


@pytest.mark.parametrize("alpha", [1, 2, 3, 4, 5])
def test_shift_invariant_kernel_matches_qmcpy(alpha):
    qmcpy = pytest.importorskip("qmcpy")
    gen = np.random.default_rng(alpha)
    x, z, w = gen.random((7, 3)), gen.random((5, 3)), gen.random(3)
    ours = ShiftInvariantKernel(3, alpha=alpha, weights=w, scale=1.7)(x[:, None], z[None, :])
    ref = np.asarray(qmcpy.KernelShiftInvar(3, scale=1.7, lengthscales=w, alpha=alpha)(x[:, None, :], z[None, :, :]))
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-13 * np.abs(ref).max())  # entries near 0 cancel


@pytest.mark.parametrize("alpha", [1, 2, 3, 4])
def test_digital_kernel_matches_qmcpy(alpha):
    qmcpy = pytest.importorskip("qmcpy")
    gen = np.random.default_rng(alpha)
    x, z, w = digital_net(8, 3, rng=1), digital_net(8, 3, rng=2), gen.random(3)
    ours = DigitalShiftInvariantKernel(3, alpha=alpha, weights=w, scale=1.7)(x[:, None], z[None, :])
    k = qmcpy.KernelDigShiftInvar(3, t=52, scale=1.7, lengthscales=w, alpha=alpha)
    ref = np.asarray(k(to_bits(x)[:, None, :].astype(np.uint64), to_bits(z)[None, :, :].astype(np.uint64)))
    rtol = 1e-13 if alpha < 4 else 1e-8  # QMCPy truncates S at 1e-8
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * np.abs(ref).max())


def test_kernel_limits_and_series():
    k = DigitalShiftInvariantKernel(1, alpha=[1], weights=[1.0], scale=1.0)
    for a, limit in ((1, 1.0), (2, 1.5), (3, 25 / 18), (4, 407 / 294)):
        assert DigitalShiftInvariantKernel.univariate_bits(np.array([0]), a)[0] == limit
    assert k(np.zeros(1), np.zeros(1)) == 2.0
    s = ShiftInvariantKernel(1, alpha=1, weights=[1.0])
    t = np.linspace(0, 0.9, 7)
    h = np.arange(1, 20001)
    series = 2 * np.sum(np.cos(2 * np.pi * h[None, :] * t[:, None]) / h**2, axis=1)
    np.testing.assert_allclose(s.univariate(t, 0), series, atol=1e-3)  # sum over h != 0 of e^{2 pi i h t}/h^2


@settings(max_examples=15, deadline=None)
@given(m=st.integers(0, 7), d=st.integers(1, 4), alpha=st.integers(1, 4), noise=st.sampled_from([0.0, 1e-4, 1.0]),
       net=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_fast_gram_agrees_with_dense(m, d, alpha, noise, net, seed):
    n = 1 << m
    gen = np.random.default_rng(seed)
    w = gen.random(d) + 0.1
    if net:
        x, k = digital_net(n, d, rng=seed), DigitalShiftInvariantKernel(d, alpha=alpha, weights=w)
    else:
        x, k = lattice(n, d, rng=seed), ShiftInvariantKernel(d, alpha=alpha, weights=w)
    D = k(x[:, None], x[None, :]) + noise * np.eye(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ill-conditioned draws warn by design
        G = FastGram(x, k, noise=noise)
    ev = np.linalg.eigvalsh(D)
    tol = 100 * max(m, 1) * np.finfo(float).eps * max(ev[-1], 1e-300)
    np.testing.assert_allclose(np.sort(G.eigenvalues), ev, atol=tol)
    Y = gen.standard_normal((n, 2))
    np.testing.assert_allclose(G.matvec(Y), D @ Y, atol=tol * np.abs(Y).max() * n)
    if ev[0] > 1e-8 * ev[-1]:
        X = G.solve(Y)
        np.testing.assert_allclose(D @ X, Y, atol=100 * max(m, 1) * np.finfo(float).eps * ev[-1] / ev[0] * n * np.abs(Y).max())
        np.testing.assert_allclose(G.logdet(), np.linalg.slogdet(D)[1], atol=1e-8 * n)
        np.testing.assert_allclose(G.solve(Y[:, 0]), X[:, 0], rtol=1e-12, atol=1e-300)


def test_fast_gram_structure_and_errors():
    x = lattice(16, 2, rng=0)
    with pytest.raises(ValueError, match="lattice"):
        FastGram(np.random.default_rng(0).random((16, 2)), ShiftInvariantKernel(2))
    with pytest.raises(ValueError, match="digital net"):
        FastGram(x, DigitalShiftInvariantKernel(2))
    with pytest.raises(ValueError, match="power-of-two"):
        FastGram(x[:12], ShiftInvariantKernel(2))
    with pytest.raises(ValueError, match="kernel"):
        FastGram(x, ShiftInvariantKernel(3))
    with pytest.raises(ValueError, match="noise"):
        FastGram(x, ShiftInvariantKernel(2), noise=-1.0)
    G = FastGram(x, ShiftInvariantKernel(2), noise=0.1)
    with pytest.raises(ValueError, match="y"):
        G.matvec(np.ones(15))
    # singular: zero weights give the all-ones (rank-one) kernel
    with pytest.warns(RuntimeWarning):
        S = FastGram(x, ShiftInvariantKernel(2, weights=[0.0, 0.0]))
    with pytest.raises(ValueError, match="singular"):
        S.solve(np.ones(16))
    with pytest.raises(ValueError, match="singular"):
        S.logdet()
    np.testing.assert_allclose(S.matvec(np.ones(16)), 16 * np.ones(16))


def test_kernel_and_point_arguments():
    for bad in (3, 0, 2.0, True):
        with pytest.raises((ValueError, TypeError), match="n"):
            lattice(bad, 2)
    with pytest.raises(ValueError, match="d"):
        digital_net(8, 0)
    with pytest.raises(ValueError, match="alpha"):
        ShiftInvariantKernel(2, alpha=6)
    with pytest.raises(ValueError, match="alpha"):
        DigitalShiftInvariantKernel(2, alpha=5)
    with pytest.raises(ValueError, match="alpha"):
        ShiftInvariantKernel(2, alpha=[1, 2, 3])
    with pytest.raises(ValueError, match="weights"):
        ShiftInvariantKernel(2, weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        ShiftInvariantKernel(2, weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="scale"):
        ShiftInvariantKernel(2, scale=0.0)
    k = ShiftInvariantKernel(2)
    np.testing.assert_allclose(k.weights, 2 ** 0.5 - 1)
    with pytest.raises(ValueError, match="x"):
        k(np.ones((3, 3)), np.ones((3, 2)))
    assert k(np.zeros((4, 1, 2)), np.zeros((1, 5, 2))).shape == (4, 5)
    assert lowrank.FastGram is FastGram

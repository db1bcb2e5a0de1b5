"""Tests for lowrank.tucker / tucker_to_tensor.

Properties: exact recovery of exact-Tucker-rank tensors (to rounding: c eps ||T|| with
c = 100 sqrt(size), the HOSVD's projections being backward stable); orthonormal factors;
HOOI never worse than the truncated HOSVD (asserted against our HOSVD, n_iter=0, and an
independent one from numpy's SVD); the tol rule meets tol; the HOSVD error bound
||T - T_hat||^2 <= sum_k tail_k (De Lathauwer et al. 2000).
"""

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import lowrank
from lowrank.tensor import tucker, tucker_to_tensor


def _eps(dtype):
    return float(np.finfo(np.dtype(dtype)).eps)


def _random_tucker(gen, shape, ranks, dtype=np.float64):
    core = gen.standard_normal(ranks)
    factors = [np.linalg.qr(gen.standard_normal((n, r)))[0] for n, r in zip(shape, ranks)]
    return tucker_to_tensor(core, factors).astype(dtype)


def _numpy_hosvd_error(T, ranks):
    factors = []
    for k, r in enumerate(ranks):
        M = np.moveaxis(T, k, 0).reshape(T.shape[k], -1)
        factors.append(np.linalg.svd(M, full_matrices=False)[0][:, :r])
    core = T
    for k, U in enumerate(factors):
        core = np.moveaxis(np.tensordot(U.T, np.moveaxis(core, k, 0), axes=1), 0, k)
    return np.linalg.norm(tucker_to_tensor(core, factors) - T)


def _check_orthonormal(factors, shape, ranks, dtype):
    for U, n, r in zip(factors, shape, ranks):
        assert U.shape == (n, r) and U.dtype == dtype
        assert np.abs(U.T.astype(np.float64) @ U - np.eye(r)).max() <= 100 * n * _eps(dtype)


@settings(max_examples=25, deadline=None)
@given(order=st.integers(1, 4), data=st.data(), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**32 - 1))
def test_exact_tucker_rank_is_recovered(order, data, dtype, seed):
    gen = np.random.default_rng(seed)
    shape = tuple(data.draw(st.integers(1, 7)) for _ in range(order))
    ranks = tuple(data.draw(st.integers(1, n)) for n in shape)
    ranks = tuple(min(r, int(np.prod(ranks)) // r) if order > 1 else r for r in ranks)  # a realisable multilinear rank
    ranks = tuple(max(1, r) for r in ranks)
    T = _random_tucker(gen, shape, ranks, dtype)
    core, factors = tucker(T, ranks)
    assert core.shape == ranks and core.dtype == dtype
    _check_orthonormal(factors, shape, ranks, dtype)
    err = np.linalg.norm(tucker_to_tensor(core, factors).astype(np.float64) - T)
    assert err <= 100 * np.sqrt(T.size) * _eps(dtype) * max(np.linalg.norm(T), 1e-300)


@settings(max_examples=20, deadline=None)
@given(shape=st.tuples(st.integers(2, 8), st.integers(2, 8), st.integers(2, 8)), r=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_hooi_is_never_worse_than_hosvd(shape, r, seed):
    T = np.random.default_rng(seed).standard_normal(shape)
    ranks = tuple(min(r, n) for n in shape)
    err = np.linalg.norm(tucker_to_tensor(*tucker(T, ranks)) - T)
    err0 = np.linalg.norm(tucker_to_tensor(*tucker(T, ranks, n_iter=0)) - T)
    ref = _numpy_hosvd_error(T, ranks)
    assert err <= err0 * (1 + 1e-12) + 1e-13 and err <= ref * (1 + 1e-10) + 1e-13
    np.testing.assert_allclose(err0, ref, rtol=1e-10, atol=1e-13)  # our HOSVD is the HOSVD
    # the HOSVD bound: err^2 <= sum of the per-mode tail energies
    tails = 0.0
    for k, rk in enumerate(ranks):
        s = np.linalg.svd(np.moveaxis(T, k, 0).reshape(shape[k], -1), compute_uv=False)
        tails += float(np.sum(s[rk:] ** 2))
    assert err0**2 <= tails * (1 + 1e-10) + 1e-24


@pytest.mark.parametrize("tol", [0.5, 0.1, 1e-3, 1e-8])
def test_tol_mode_meets_tol_with_small_ranks(tol):
    gen = np.random.default_rng(4)
    T = _random_tucker(gen, (12, 10, 9), (3, 2, 4)) + 1e-6 * gen.standard_normal((12, 10, 9))
    core, factors = tucker(T, tol=tol)
    err = np.linalg.norm(tucker_to_tensor(core, factors) - T) / np.linalg.norm(T)
    assert err <= tol
    if tol >= 1e-3:
        assert all(r <= t for r, t in zip(core.shape, (3, 2, 4)))
    capped, _ = tucker(T, ranks=2, tol=1e-8)  # ranks as upper bounds
    assert all(r <= 2 for r in capped.shape)


def test_degenerate_and_extreme_inputs():
    core, factors = tucker(np.zeros((3, 4, 5)), 2)
    assert np.all(core == 0)
    _check_orthonormal(factors, (3, 4, 5), (2, 2, 2), np.float64)
    gen = np.random.default_rng(0)
    T = _random_tucker(gen, (6, 5, 4), (2, 2, 2))
    for scale in (1e-300, 1e300):
        core, factors = tucker(T * scale, (2, 2, 2))
        assert np.all(np.isfinite(core))
        np.testing.assert_allclose(tucker_to_tensor(core / scale, factors), T, atol=1e-12)
    core, factors = tucker([[1.0, 2.0], [2.0, 4.0]], 1)  # lists; a 2-D tensor is a matrix
    np.testing.assert_allclose(tucker_to_tensor(core, factors), [[1, 2], [2, 4]], atol=1e-14)
    core, factors = tucker(np.arange(24, dtype=np.int8).reshape(2, 3, 4), (2, 3, 4))
    assert core.dtype == np.float64
    core, factors = tucker(np.ones((10, 2, 2)), (10, 2, 2))  # rank above the other modes' product
    _check_orthonormal(factors, (10, 2, 2), (10, 2, 2), np.float64)
    T0 = T.copy()
    tucker(T, (2, 2, 2))
    np.testing.assert_array_equal(T, T0)


def test_bad_arguments():
    T = np.ones((3, 4, 5))
    with pytest.raises(ValueError, match="ranks.*tol|neither"):
        tucker(T)
    for ranks in (0, (1, 2), (1, 2, 6), (1, 5, 1), -1):
        with pytest.raises(ValueError, match="ranks"):
            tucker(T, ranks)
    for ranks in (1.5, True, "2", (1, 2.0, 1), None.__class__):
        with pytest.raises(TypeError, match="ranks"):
            tucker(T, ranks)
    for tol in (0.0, 1.0, -0.1, np.nan):
        with pytest.raises(ValueError, match="tol"):
            tucker(T, tol=tol)
    with pytest.raises(ValueError, match="n_iter"):
        tucker(T, 1, n_iter=-1)
    with pytest.raises(ValueError, match="T"):
        tucker(np.ones((0, 3)), 1)
    with pytest.raises(ValueError, match="T"):
        tucker(np.float64(3.0), 1)
    bad = T.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="T"):
        tucker(bad, 1)
    with pytest.raises(TypeError, match="T"):
        tucker(T + 1j, 1)
    with pytest.raises(TypeError, match="rng"):
        tucker(T, 1, rng="x")
    with pytest.raises(ValueError, match="factors"):
        tucker_to_tensor(np.ones((2, 2)), [np.eye(2)])
    with pytest.raises(ValueError, match="factors"):
        tucker_to_tensor(np.ones((2, 2)), [np.eye(2), np.ones((3, 3))])
    assert lowrank.tucker is tucker

"""Tests for lowrank.sketched_lstsq.

Reference: the dense least-squares solve (LAPACK gelsd through numpy.linalg.lstsq, the
same rank cutoff max(n, d) eps). Accuracy criteria, as for a backward-stable solver
(Higham, Accuracy and Stability of Numerical Algorithms, §20):
- residual: ||r|| <= ||r_qr|| + c eps kappa ||b|| (worst seen over 30 random problems
  with kappa up to 1e9: c = 0.09; asserted c = 10);
- normal equations: ||A^T r|| <= 10 ||A^T r_qr|| + c eps ||A|| (||A|| ||x|| + ||b||) with
  c = 10 d (worst seen: ||A^T r|| / ||A^T r_qr|| = 3.8).
The ℓ∞ guarantee of method="solve" is checked against its own bound on 10 seeds: the
worst ratio seen over 20 seeds was 0.22 (the bound's constants are conservative, so a
failure is far rarer than delta = 0.01 per seed).
"""

import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given, settings

import lowrank
from lowrank.lstsq import sketched_lstsq, solve_sketch_size
from lowrank.testing import matrix_with_spectrum

KINDS = ("srht", "gaussian", "rademacher", "sparse_sign")


def _eps(dtype):
    return float(np.finfo(np.dtype(dtype)).eps)


def _problem(n, d, cond, noise, seed, dtype=np.float64):
    gen = np.random.default_rng(seed)
    A = matrix_with_spectrum(n, d, np.logspace(0, -np.log10(cond), d), rng=seed, dtype=dtype).A
    b = (A.astype(np.float64) @ gen.standard_normal(d) + noise * gen.standard_normal(n)).astype(dtype)
    return A, b


def _reference(A, b):
    A64, b64 = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.linalg.lstsq(A64, b64, rcond=None)[0]


def _assert_as_accurate_as_qr(A, b, x, kappa):
    A64, b64 = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    eps = _eps(np.float64)
    xq = _reference(A64, b64)
    rq, r = A64 @ xq - b64, A64 @ np.asarray(x, dtype=np.float64) - b64
    norm_a, norm_b = np.linalg.norm(A64, 2), np.linalg.norm(b64)
    assert np.linalg.norm(r) <= np.linalg.norm(rq) + 10 * eps * kappa * norm_b + 1e-300
    ne_limit = 10 * np.linalg.norm(A64.T @ rq) + 10 * A64.shape[1] * eps * norm_a * (norm_a * np.linalg.norm(xq) + norm_b)
    assert np.linalg.norm(A64.T @ r) <= ne_limit


@settings(max_examples=20, deadline=None)
@given(n=st.integers(30, 600), d=st.integers(1, 30), log_cond=st.integers(0, 9),
       noise=st.sampled_from([0.0, 1e-6, 1.0]), kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_precondition_is_as_accurate_as_dense_qr(n, d, log_cond, noise, kind, seed):
    d = min(d, n)
    A, b = _problem(n, d, 10.0**log_cond, noise, seed % 1000)
    res = sketched_lstsq(A, b, sketch=kind, rng=seed)
    assert isinstance(res, lowrank.LstsqResult)
    assert res.x.shape == (d,) and res.x.dtype == np.float64 and isinstance(res.residual_norm, float)
    assert 0 <= res.iterations <= 200
    _assert_as_accurate_as_qr(A, b, res.x, 10.0**log_cond)
    # both computed in float64: they differ by the rounding of A x - b
    rounding = 10 * n * _eps(np.float64) * (np.linalg.norm(A, 2) * np.linalg.norm(res.x) + np.linalg.norm(b))
    np.testing.assert_allclose(res.residual_norm, np.linalg.norm(A @ res.x - b), rtol=1e-12, atol=rounding)


def test_iterations_do_not_grow_with_the_condition_number():
    counts = []
    for log_cond in (0, 4, 8, 12):
        A, b = _problem(3000, 40, 10.0**log_cond, 1e-3, 0)
        counts.append(sketched_lstsq(A, b, rng=0).iterations)
    # the preconditioned matrix has cond <= (1 + eta) / (1 - eta) whatever cond(A) is
    assert max(counts) <= 2 * min(counts) + 10 and max(counts) <= 100


def test_rank_deficient_gives_the_minimum_norm_solution():
    gen = np.random.default_rng(3)
    A = gen.standard_normal((400, 6)) @ gen.standard_normal((6, 25))  # rank 6, 25 columns
    b = gen.standard_normal(400)
    x_min = np.linalg.pinv(A) @ b
    for method in ("precondition", "solve"):
        x = sketched_lstsq(A, b, method=method, sketch_size=400 if method == "solve" else None, rng=1).x
        np.testing.assert_allclose(x, x_min, rtol=0, atol=1e-10 * np.linalg.norm(x_min))
    dup = np.hstack([A[:, :5], A[:, :5]])
    x = sketched_lstsq(dup, b, rng=2).x
    np.testing.assert_allclose(x, np.linalg.pinv(dup) @ b, atol=1e-10 * np.linalg.norm(x))


@pytest.mark.parametrize("kind", ["gaussian", "srht"])
def test_solve_meets_the_l_infinity_guarantee(kind):
    n, d, eps = 4000, 10, 0.5
    A, b = _problem(n, d, 1e3, 1.0, 1)
    xs = _reference(A, b)
    bound = eps / np.sqrt(d) * np.linalg.norm(A @ xs - b) / np.linalg.svd(A, compute_uv=False)[-1]
    for seed in range(10):
        res = sketched_lstsq(A, b, method="solve", sketch=kind, eps=eps, rng=seed)
        assert res.iterations == 0
        assert np.max(np.abs(res.x - xs)) <= bound


def test_solve_sketch_size_rule():
    assert solve_sketch_size(10, 0.5) == int(np.ceil(4 * 10 * np.log(4 * 10 / 0.01) / 0.25))
    assert solve_sketch_size(10, 0.5, delta=0.1) < solve_sketch_size(10, 0.5)
    assert solve_sketch_size(1, 1.0) >= 1
    # large eps: the embedding term takes over
    d = 200
    assert solve_sketch_size(d, 1.0) >= 11.7 * d
    with pytest.raises(ValueError, match="eps"):
        solve_sketch_size(3, 0.0)


def test_solve_is_exact_when_the_sketch_would_reach_n():
    A, b = _problem(200, 10, 1e4, 1.0, 5)  # the default eps = 0.1 asks for ~17000 rows
    res = sketched_lstsq(A, b, method="solve", rng=0)
    np.testing.assert_allclose(res.x, _reference(A, b), rtol=1e-10, atol=0)


def test_two_dimensional_b_matches_column_by_column():
    A, b = _problem(500, 12, 1e5, 1e-2, 7)
    B = np.column_stack([b, 2 * b + 1, np.zeros(500)])
    for method in ("precondition", "solve"):
        res = sketched_lstsq(A, B, method=method, eps=0.5, rng=4)
        assert res.x.shape == (12, 3) and res.residual_norm.shape == (3,)
        np.testing.assert_array_equal(res.x[:, 2], 0.0)
        if method == "precondition":
            for j in range(2):
                _assert_as_accurate_as_qr(A, B[:, j], res.x[:, j], 1e5)
        np.testing.assert_allclose(res.residual_norm, np.linalg.norm(A @ res.x - B, axis=0), rtol=1e-12)


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_array"])
def test_sparse_and_linear_operator_inputs_agree_with_dense(fmt):
    gen = np.random.default_rng(0)
    S = sp.random(800, 20, density=0.2, random_state=gen, format="csr") + sp.eye(800, 20)
    D = S.toarray()
    b = gen.standard_normal(800)
    ref = sketched_lstsq(D, b, rng=1)
    for A in (getattr(sp, fmt)(S), spla.aslinearoperator(D)):
        res = sketched_lstsq(A, b, rng=1)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-9, atol=1e-12)


def test_float32_stays_float32_and_is_accurate():
    A, b = _problem(2000, 20, 1e3, 1e-2, 2, dtype=np.float32)
    res = sketched_lstsq(A, b, rng=0)
    assert res.x.dtype == np.float32
    xq = _reference(A, b)
    assert np.linalg.norm(res.x - xq) <= 1e3 * 1e3 * _eps(np.float32) * np.linalg.norm(xq)
    assert sketched_lstsq(A, b, method="solve", eps=1.0, rng=0).x.dtype == np.float32
    assert sketched_lstsq(A, b.astype(np.float64), rng=0).x.dtype == np.float64


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_extreme_scales(scale):
    A, b = _problem(300, 8, 1e2, 1e-3, 3)
    ref = _reference(A, b)
    for method in ("precondition", "solve"):
        res = sketched_lstsq(A * scale, b * scale, method=method, eps=1.0, rng=0)
        np.testing.assert_allclose(res.x, ref, rtol=1e-8 if method == "precondition" else 1.0)
        assert np.isfinite(res.residual_norm)


def test_zero_right_hand_side_and_zero_matrix():
    A, b = _problem(100, 5, 10.0, 1.0, 0)
    for method in ("precondition", "solve"):
        res = sketched_lstsq(A, np.zeros(100), method=method, rng=0)
        np.testing.assert_array_equal(res.x, 0.0)
        assert res.residual_norm == 0.0
        res = sketched_lstsq(np.zeros((100, 5)), b, method=method, rng=0)
        np.testing.assert_array_equal(res.x, 0.0)
        np.testing.assert_allclose(res.residual_norm, np.linalg.norm(b))


def test_small_shapes_integer_and_list_inputs():
    res = sketched_lstsq([[2.0]], [4.0], rng=0)
    np.testing.assert_allclose(res.x, [2.0])
    A = np.arange(12, dtype=np.int8).reshape(6, 2) % 5
    b = np.arange(6) % 3
    np.testing.assert_allclose(sketched_lstsq(A, b, rng=0).x, _reference(A, b), rtol=1e-10)
    B = np.eye(4, 3, dtype=bool)
    np.testing.assert_allclose(sketched_lstsq(B, [1, 2, 3, 4], rng=0).x, [1.0, 2.0, 3.0])


def test_inputs_not_modified_and_deterministic():
    A, b = _problem(300, 10, 1e3, 1.0, 9)
    A.setflags(write=False)
    b.setflags(write=False)
    A0, b0 = A.copy(), b.copy()
    r1, r2 = sketched_lstsq(A, b, rng=5), sketched_lstsq(A, b, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(r1.x, r2.x)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)


def test_bad_arguments():
    A, b = _problem(50, 4, 10.0, 1.0, 0)
    with pytest.raises(ValueError, match="rows"):
        sketched_lstsq(A.T, b[:4])
    with pytest.raises(ValueError, match="`b`"):
        sketched_lstsq(A, b[:-1])
    with pytest.raises(ValueError, match="`b`"):
        sketched_lstsq(A, np.ones((50, 2, 2)))
    bad_b = b.copy()
    bad_b[3] = np.nan
    with pytest.raises(ValueError, match="`b`"):
        sketched_lstsq(A, bad_b)
    bad_a = A.copy()
    bad_a[0, 0] = np.inf
    with pytest.raises(ValueError, match="`A`"):
        sketched_lstsq(bad_a, b)
    with pytest.raises(ValueError, match="method"):
        sketched_lstsq(A, b, method="qr")
    with pytest.raises(ValueError, match="sketch"):
        sketched_lstsq(A, b, sketch="count")
    for size in (0, -1):
        with pytest.raises(ValueError, match="sketch_size"):
            sketched_lstsq(A, b, sketch_size=size)
    with pytest.raises(ValueError, match="sketch_size"):
        sketched_lstsq(A, b, sketch_size=3)  # < d for the preconditioner
    for size in (2.5, True, "10"):
        with pytest.raises(TypeError, match="sketch_size"):
            sketched_lstsq(A, b, sketch_size=size)
    for eps in (0.0, -1.0, 2.0, np.nan):
        with pytest.raises(ValueError, match="eps"):
            sketched_lstsq(A, b, eps=eps)
    for tol in (0.0, 1.0, np.inf):
        with pytest.raises(ValueError, match="tol"):
            sketched_lstsq(A, b, tol=tol)
    with pytest.raises(ValueError, match="maxiter"):
        sketched_lstsq(A, b, maxiter=0)
    with pytest.raises(ValueError, match="delta"):
        sketched_lstsq(A, b, delta=1.0)
    with pytest.raises(TypeError, match="`A`"):
        sketched_lstsq(A + 1j, b)
    with pytest.raises(TypeError, match="`b`"):
        sketched_lstsq(A, b + 1j)
    with pytest.raises(TypeError, match="`A`"):
        sketched_lstsq([["1", "2"]], [1.0])
    with pytest.raises(ValueError, match="empty"):
        sketched_lstsq(np.ones((0, 3)), np.ones(0))
    with pytest.raises(TypeError, match="rng"):
        sketched_lstsq(A, b, rng="seed")


def test_tol_and_maxiter_are_honoured():
    A, b = _problem(2000, 30, 1e6, 1e-3, 4)
    loose = sketched_lstsq(A, b, tol=1e-3, rng=0)
    tight = sketched_lstsq(A, b, rng=0)
    assert loose.iterations < tight.iterations
    assert sketched_lstsq(A, b, maxiter=3, rng=0).iterations <= 3


def test_dask_input():
    da = pytest.importorskip("dask.array")
    A, b = _problem(1200, 15, 1e4, 1e-2, 6)
    D = da.from_array(A, chunks=(200, 15))
    for method, kw in (("precondition", {}), ("solve", {"eps": 1.0}), ("solve", {})):  # the last: exact (TSQR)
        ref = sketched_lstsq(A, b, method=method, rng=3, **kw)
        res = sketched_lstsq(D, b, method=method, rng=3, **kw)
        assert isinstance(res.x, np.ndarray)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(res.residual_norm, ref.residual_norm, rtol=1e-10)

"""Tests for lowrank.altmin_complete.

Exact-rank matrices sampled well above the information limit (|Ω| >= 4 (m + n) k) are
recovered to the requested residual; the recovered U Vᵀ then matches M to about
cond(M) times the residual (asserted with a factor 1e3). Both methods minimise the same
objective and must reach the same completion. Per-row solves are checked against
NumPy's least squares.
"""

import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import lowrank
from lowrank.completion import CompletionWarning, altmin_complete
from lowrank.completion import _kernels


def _problem(m, n, k, frac, seed, dtype=np.float64):
    gen = np.random.default_rng(seed)
    M = gen.standard_normal((m, k)) @ gen.standard_normal((k, n))
    mask = gen.random((m, n)) < frac
    i, j = np.nonzero(mask)
    return M.astype(dtype), i, j


@settings(max_examples=8, deadline=None)
@given(m=st.integers(30, 80), n=st.integers(30, 80), k=st.integers(1, 3),
       method=st.sampled_from(["exact", "sketch"]), seed=st.integers(0, 2**32 - 1))
def test_exact_rank_matrices_are_completed(m, n, k, method, seed):
    M, i, j = _problem(m, n, k, 0.5, seed % 10000)
    res = altmin_complete(i, j, M[i, j], M.shape, k, tol=1e-9, n_iter=500, method=method, rng=seed)
    assert isinstance(res, lowrank.CompletionResult)
    assert res.U.shape == (m, k) and res.V.shape == (n, k)
    assert res.converged and res.residual <= 1e-9 and 1 <= res.n_iter <= 500
    s = np.linalg.svd(M, compute_uv=False)
    err = np.linalg.norm(res.U @ res.V.T - M) / np.linalg.norm(M)
    assert err <= 1e3 * (s[0] / s[k - 1]) * 1e-9


def test_both_methods_reach_the_same_completion():
    M, i, j = _problem(120, 90, 4, 0.3, 1)
    a = altmin_complete(i, j, M[i, j], M.shape, 4, tol=1e-11, n_iter=500, method="exact", rng=0)
    b = altmin_complete(i, j, M[i, j], M.shape, 4, tol=1e-11, n_iter=500, method="sketch", rng=0)
    assert a.converged and b.converged
    np.testing.assert_allclose(a.U @ a.V.T, b.U @ b.V.T, atol=1e-7 * np.abs(M).max())


def test_row_solves_match_numpy_least_squares():
    gen = np.random.default_rng(2)
    F = gen.standard_normal((12, 3))
    idx = np.array([0, 3, 4, 7, 1, 2, 5, 6, 8, 9, 11], dtype=np.int64)
    indptr = np.array([0, 4, 4, 11], dtype=np.int64)  # row 1 observes nothing
    vals = gen.standard_normal(11)
    for reg in (0.0, 0.5):
        out = np.zeros((3, 3))
        _kernels.solve_rows_exact(indptr, idx, vals, F, out, reg)
        for r in (0, 2):
            sel = idx[indptr[r]:indptr[r + 1]]
            A = np.vstack([F[sel], np.sqrt(reg) * np.eye(3)])
            y = np.concatenate([vals[indptr[r]:indptr[r + 1]], np.zeros(3)])
            np.testing.assert_allclose(out[r], np.linalg.lstsq(A, y, rcond=None)[0], atol=1e-12)
        np.testing.assert_array_equal(out[1], 0.0)
        cg = np.zeros((3, 3))
        _kernels.solve_rows_cg(indptr, idx, vals, F, cg, reg, 3)  # 3 steps: exact in 3-D
        np.testing.assert_allclose(cg, out, atol=1e-10)


def test_regularisation_warns_and_reports_not_converged():
    M, i, j = _problem(40, 30, 2, 0.5, 3)
    with pytest.warns(CompletionWarning) as record:
        res = altmin_complete(i, j, M[i, j], M.shape, 2, reg=1.0, tol=1e-12, n_iter=5, rng=0)
    assert issubclass(record[0].category, RuntimeWarning)
    assert not res.converged and res.n_iter == 5 and 0 < res.residual < 1


def test_dtypes_scales_and_degenerate_input():
    M, i, j = _problem(50, 40, 2, 0.5, 4)
    res = altmin_complete(i, j, M[i, j].astype(np.float32), M.shape, 2, tol=1e-5, n_iter=300, rng=0)
    assert res.U.dtype == np.float32 and res.V.dtype == np.float32 and res.converged
    for scale in (1e-300, 1e300):
        r = altmin_complete(i, j, M[i, j] * scale, M.shape, 2, tol=1e-8, n_iter=300, rng=0)
        assert r.converged and np.all(np.isfinite(r.U)) and np.all(np.isfinite(r.V))
    empty = altmin_complete([], [], [], (4, 5), 2, rng=0)
    assert empty.converged and np.all(empty.U == 0) and empty.U.shape == (4, 2)
    zeros = altmin_complete([0, 1], [1, 2], [0.0, 0.0], (3, 3), 1, rng=0)
    assert zeros.converged and np.all(zeros.U @ zeros.V.T == 0)
    r = altmin_complete(np.array([0.0, 1.0]), [0, 1], [1.0, 2.0], (2, 2), 1, tol=1e-8, rng=0)
    assert r.U.shape == (2, 1)


def test_inputs_are_not_modified_and_results_deterministic():
    M, i, j = _problem(40, 30, 2, 0.5, 5)
    v = M[i, j].copy()
    i0, j0, v0 = i.copy(), j.copy(), v.copy()
    a = altmin_complete(i, j, v, M.shape, 2, rng=3)
    b = altmin_complete(i, j, v, M.shape, 2, rng=3)
    np.testing.assert_array_equal(a.U, b.U)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_array_equal(j, j0)
    np.testing.assert_array_equal(v, v0)


def test_bad_arguments():
    rows, cols, vals = [0, 1, 2], [0, 1, 2], [1.0, 2.0, 3.0]
    shape = (3, 4)
    cases = [
        ({"rows": [0, 0, 1], "cols": [1, 1, 2]}, "duplicate"),
        ({"rows": [0, 1, 3]}, "rows"),
        ({"cols": [0, 1, 4]}, "cols"),
        ({"rows": [0, -1, 2]}, "rows"),
        ({"rows": [0, 1.5, 2]}, "rows"),
        ({"cols": [True, False, True]}, "cols"),
        ({"rows": ["0", "1", "2"]}, "rows"),
        ({"values": [1.0, np.nan, 2.0]}, "values"),
        ({"values": [1.0, 2.0]}, "length"),
        ({"rows": [[0, 1, 2]]}, "rows"),
    ]
    for change, match in cases:
        kw = {"rows": rows, "cols": cols, "values": vals, **change}
        with pytest.raises(ValueError, match=match):
            altmin_complete(kw["rows"], kw["cols"], kw["values"], shape, 1, rng=0)
    for bad_shape in ((3,), (0, 4), "34", None):
        with pytest.raises((ValueError, TypeError), match="shape"):
            altmin_complete(rows, cols, vals, bad_shape, 1)
    for rank, exc in ((0, ValueError), (4, ValueError), (1.0, TypeError), (True, TypeError)):
        with pytest.raises(exc, match="rank"):
            altmin_complete(rows, cols, vals, shape, rank)
    with pytest.raises(ValueError, match="method"):
        altmin_complete(rows, cols, vals, shape, 1, method="als")
    with pytest.raises(ValueError, match="tol"):
        altmin_complete(rows, cols, vals, shape, 1, tol=0.0)
    with pytest.raises(ValueError, match="reg"):
        altmin_complete(rows, cols, vals, shape, 1, reg=-1.0)
    with pytest.raises(ValueError, match="n_iter"):
        altmin_complete(rows, cols, vals, shape, 1, n_iter=0)
    with pytest.raises(TypeError, match="values"):
        altmin_complete(rows, cols, ["a", "b", "c"], shape, 1)
    with pytest.raises(TypeError, match="rng"):
        altmin_complete(rows, cols, vals, shape, 1, rng="x")

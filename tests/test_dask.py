"""dask.array input for `rsvd` and `sketch` (API.md, "Scale-out").

Reference: the same call on the NumPy array. The same seed draws the same test matrix /
sketch for both, so the results differ only by rounding: the dask route orthonormalises
with TSQR and sums the row blocks' products in another order. With singular values
0.8^i (gaps of 20%) the factors are well determined: |S - S_ref| <= c eps sigma_1 and the
entries of U and Vh agree to c eps (worst seen over 60 random cases like those below:
c = 8.3 for float64, 22 for float32); the tests allow c = 1000.
"""

import threading

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import lowrank
from lowrank.testing import matrix_with_spectrum

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

KINDS = ("gaussian", "rademacher", "srht", "sparse_sign")


def _eps(dtype):
    return float(np.finfo(np.dtype(dtype)).eps)


def _fast_decay(m, n, dtype=np.float64, seed=0, complex=False):
    s = 0.8 ** np.arange(min(m, n))
    return matrix_with_spectrum(m, n, s, rng=seed, dtype=dtype, complex=complex).A


def _assert_same_svd(res, ref, chunks):
    U, S, Vh = res
    assert isinstance(U, da.Array) and U.chunks[0] == chunks
    assert isinstance(S, np.ndarray) and isinstance(Vh, np.ndarray)
    assert U.dtype == ref.U.dtype and S.dtype == ref.S.dtype and Vh.dtype == ref.Vh.dtype
    tol = 1e3 * _eps(ref.U.dtype) * ref.S[0]
    np.testing.assert_allclose(S, ref.S, rtol=0, atol=tol)
    np.testing.assert_allclose(U.compute(), ref.U, rtol=0, atol=1e3 * _eps(ref.U.dtype))
    np.testing.assert_allclose(Vh, ref.Vh, rtol=0, atol=1e3 * _eps(ref.U.dtype))


@settings(max_examples=12, deadline=None)
@given(m=st.integers(40, 400), n=st.integers(20, 60), rows=st.integers(7, 200), rank=st.integers(1, 8),
       dtype=st.sampled_from([np.float32, np.float64]), method=st.sampled_from(["power", "krylov"]),
       seed=st.integers(0, 2**32 - 1))
def test_rsvd_on_dask_matches_numpy(m, n, rows, rank, dtype, method, seed):
    A = _fast_decay(m, n, dtype)
    D = da.from_array(A, chunks=(rows, n))
    ref = lowrank.rsvd(A, rank, method=method, rng=seed)
    _assert_same_svd(lowrank.rsvd(D, rank, method=method, rng=seed), ref, D.chunks[0])


@pytest.mark.parametrize("n_iter", [0, 1, 3, None])
def test_rsvd_on_dask_every_n_iter_and_complex(n_iter):
    A = _fast_decay(300, 40, complex=True)
    D = da.from_array(A, chunks=(64, 20))  # two column chunks: rechunked to whole rows
    ref = lowrank.rsvd(A, 6, n_iter=n_iter, rng=2)
    _assert_same_svd(lowrank.rsvd(D, 6, n_iter=n_iter, rng=2), ref, (64, 64, 64, 64, 44))


@pytest.mark.parametrize(("dtype", "tol"), [(np.float32, 0.3), (np.float32, 1e-3), (np.float64, 0.3),
                                          (np.float64, 1e-3), (np.float64, 1e-6)])
def test_rsvd_tol_on_dask_meets_tol_like_numpy(dtype, tol):
    s = 1.0 / np.arange(1.0, 61.0) ** 2
    A = matrix_with_spectrum(500, 60, s, rng=3, dtype=dtype).A
    D = da.from_array(A, chunks=(70, 60))
    ref = lowrank.rsvd(A, tol=tol, rng=5)
    U, S, Vh = lowrank.rsvd(D, tol=tol, rng=5)
    assert S.shape == ref.S.shape  # the same rank: the same draws and stopping decisions
    A64 = A.astype(np.float64)
    err = np.linalg.norm(A64 - (U.compute() * S) @ Vh, "fro") / np.linalg.norm(A64, "fro")
    assert err <= tol
    np.testing.assert_allclose(S, ref.S, rtol=0, atol=1e3 * _eps(dtype) * ref.S[0])


def test_rsvd_tol_on_dask_near_rounding_uses_the_true_residual():
    # tol^2 below 1e3 eps: the stopping test recomputes ||A - QB||_F blockwise
    A = _fast_decay(300, 40)
    D = da.from_array(A, chunks=(50, 40))
    ref = lowrank.rsvd(A, tol=1e-7, rng=1)
    res = lowrank.rsvd(D, tol=1e-7, rng=1)
    assert res.S.shape == ref.S.shape
    err = np.linalg.norm(A - (res.U.compute() * res.S) @ res.Vh) / np.linalg.norm(A)
    assert err <= 1e-7


def test_rsvd_on_dask_generates_each_block_once():
    # A lazily generated A: the blocks are produced once (persisted), not once per pass.
    calls = {}
    lock = threading.Lock()
    base = _fast_decay(500, 30)

    def block(x, block_info=None):
        loc = block_info[None]["array-location"][0]
        with lock:
            calls[loc] = calls.get(loc, 0) + 1
        return base[loc[0]:loc[1]]

    D = da.zeros((500, 30), chunks=(100, 30)).map_blocks(block, dtype=np.float64)
    res = lowrank.rsvd(D, 5, n_iter=3, rng=0)
    ref = lowrank.rsvd(base, 5, n_iter=3, rng=0)
    np.testing.assert_allclose(res.S, ref.S, rtol=0, atol=1e3 * _eps(np.float64))
    assert sorted(calls) == [(i, i + 100) for i in range(0, 500, 100)]
    assert set(calls.values()) == {1}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sketch_on_dask_matches_numpy(kind, dtype):
    A = np.random.default_rng(0).standard_normal((700, 13)).astype(dtype)
    D = da.from_array(A, chunks=(96, 13))
    for size in (5, 64, 900):
        left = lowrank.sketch(D, size, kind=kind, axis=0, rng=4)
        assert isinstance(left, np.ndarray) and left.dtype == dtype and left.shape == (size, 13)
        ref = lowrank.sketch(A, size, kind=kind, axis=0, rng=4)
        np.testing.assert_allclose(left, ref, rtol=0, atol=50 * _eps(dtype) * np.abs(ref).max())
        right = lowrank.sketch(D.T.rechunk((13, 96)).T, size, kind=kind, axis=1, rng=4)  # (700, size)
        assert isinstance(right, da.Array) and right.chunks[0] == D.chunks[0]
        ref = lowrank.sketch(A, size, kind=kind, axis=1, rng=4)
        np.testing.assert_allclose(right.compute(), ref, rtol=0, atol=50 * _eps(dtype) * np.abs(ref).max())


def test_sketch_operator_applies_to_dask():
    A = np.random.default_rng(1).standard_normal((300, 9))
    D = da.from_array(A, chunks=(50, 9))
    for kind in KINDS:
        S = lowrank.make_sketch(kind, 16, 300, rng=3)
        np.testing.assert_allclose(np.asarray(S @ D), S @ A, rtol=0, atol=1e-13)
        T = lowrank.make_sketch(kind, 4, 9, rng=3)
        np.testing.assert_allclose((D @ T.T).compute(), A @ T.T, rtol=0, atol=1e-13)


def test_dask_integer_input_becomes_float64():
    A = np.arange(200 * 6).reshape(200, 6) % 7
    D = da.from_array(A, chunks=(50, 6))
    res = lowrank.rsvd(D, 2, rng=0)
    assert res.U.dtype == np.float64
    ref = lowrank.rsvd(A, 2, rng=0)
    np.testing.assert_allclose(res.S, ref.S, rtol=1e-12)
    assert lowrank.sketch(D, 3, rng=0).dtype == np.float64


def test_rsvd_and_sketch_under_a_distributed_client():
    distributed = pytest.importorskip("distributed")
    A = _fast_decay(400, 30)
    D = da.from_array(A, chunks=(90, 30))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None):
        res = lowrank.rsvd(D, 4, rng=0)
        SA = lowrank.sketch(D, 20, kind="srht", rng=0)
        AS = lowrank.sketch(D, 10, axis=1, rng=0).compute()
        _assert_same_svd(res, lowrank.rsvd(A, 4, rng=0), D.chunks[0])  # U lives on the client
    np.testing.assert_allclose(SA, lowrank.sketch(A, 20, kind="srht", rng=0), rtol=0, atol=1e-13)
    np.testing.assert_allclose(AS, lowrank.sketch(A, 10, axis=1, rng=0), rtol=0, atol=1e-13)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_dask_non_finite_input_is_rejected(bad):
    A = np.ones((40, 5))
    A[33, 2] = bad
    D = da.from_array(A, chunks=(10, 5))
    with pytest.raises(ValueError, match="`A`"):
        lowrank.rsvd(D, 2, rng=0)
    with pytest.raises(ValueError, match="`A`"):
        lowrank.sketch(D, 2, rng=0)


def test_dask_bad_shapes_and_unsupported_modes():
    with pytest.raises(ValueError, match="2-D"):
        lowrank.rsvd(da.ones(10, chunks=5), 1)
    with pytest.raises(ValueError, match="empty"):
        lowrank.rsvd(da.ones((0, 3), chunks=(1, 3)), 1)
    D = da.ones((20, 4), chunks=(5, 4))
    with pytest.raises(ValueError, match="rank"):
        lowrank.rsvd(D, 5)
    with pytest.raises(TypeError, match="complex"):
        lowrank.sketch(D.astype(np.complex128), 2)
    with pytest.raises(TypeError, match="dask"):
        lowrank.nystrom(da.eye(10, chunks=5), 2)
    with pytest.raises(TypeError, match="dask"):
        lowrank.column_id(D, 2)
    E = D[D[:, 0] > 0]  # unknown chunk sizes
    with pytest.raises(ValueError, match="chunk"):
        lowrank.rsvd(E, 1)


def test_dask_all_zero_matrix():
    D = da.zeros((30, 6), chunks=(8, 6))
    U, S, Vh = lowrank.rsvd(D, 3, rng=0)
    np.testing.assert_array_equal(S, np.zeros(3))
    Uc = U.compute()
    np.testing.assert_allclose(Uc.T @ Uc, np.eye(3), atol=1e-14)
    np.testing.assert_array_equal(lowrank.sketch(D, 4, rng=0), np.zeros((4, 6)))

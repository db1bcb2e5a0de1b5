"""Tests for lowrank.range_finder: shape, dtype, orthonormality, capture of the range.

Tolerances. ``Q`` comes from Householder QR (one per product), so its columns are
orthonormal to ``O((sqrt(m) + size) eps)``: the default of `assert_orthonormal`
(10x that). For an exactly rank-r matrix and ``size >= r``, ``Q Q^H A`` reproduces
``A`` up to a backward error of the products and QRs, ``O(sqrt(m + n) eps ||A||_F)``:
the default rounding allowance of `assert_lowrank_error` (10x that) with optimum 0.
Every property must hold for any seed, so seeds are drawn by hypothesis.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given
from hypothesis import strategies as st

import lowrank
from lowrank.factor import range_finder
from lowrank.testing import (
    assert_lowrank_error,
    assert_orthonormal,
    matrix_with_spectrum,
    spectrum,
    tolerance,
)
from lowrank.testing.strategies import low_rank_matrices, matrices_with_spectrum

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is a test dependency
    threadpool_limits = None

SEEDS = st.integers(0, 2**32 - 1)
ALL_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _projection(Q, A):
    """Q Q^H A in float64/complex128 (the check adds no rounding in Q's precision)."""
    work = np.complex128 if np.iscomplexobj(Q) or np.iscomplexobj(A) else np.float64
    Q = Q.astype(work)
    return Q @ (Q.conj().T @ np.asarray(A, dtype=work))


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small matrices: a multithreaded BLAS only spins (and slows loaded CI cores)."""
    if threadpool_limits is None:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def test_is_exported_from_the_top_level():
    assert lowrank.range_finder is range_finder


# ------------------------------------------------------------------ properties


@given(low_rank_matrices(max_side=60, dtypes=ALL_DTYPES), st.data())
def test_orthonormal_basis_captures_an_exact_rank_range(case, data):
    A = case.A
    m, n = A.shape
    r = int(np.count_nonzero(case.s))
    # size <= min(m, n): the case n < size <= m is test_size_above_n_keeps_the_shape
    size = data.draw(st.integers(r, min(m, n)), label="size")
    n_iter = data.draw(st.integers(0, 3), label="n_iter")
    Q = range_finder(A, size, n_iter=n_iter, rng=data.draw(SEEDS, label="seed"))
    assert type(Q) is np.ndarray
    assert Q.shape == (m, size)
    assert Q.dtype == A.dtype
    assert_orthonormal(Q)
    assert_lowrank_error(A, _projection(Q, A), 0.0, factor=1.0)


@given(matrices_with_spectrum(max_side=60, dtypes=ALL_DTYPES), st.data())
def test_any_matrix_and_size_up_to_min_side_gives_an_orthonormal_basis(case, data):
    A = case.A
    m, n = A.shape
    size = data.draw(st.integers(1, min(m, n)), label="size")
    Q = range_finder(A, size, n_iter=data.draw(st.integers(0, 3)), rng=data.draw(SEEDS))
    assert Q.shape == (m, size) and Q.dtype == A.dtype
    assert_orthonormal(Q)
    # ||A - QQ^H A||_F >= the optimal rank-size error, and <= ||A||_F (a projection)
    D = np.asarray(A, dtype=np.complex128) - _projection(Q, A)
    normA = np.linalg.norm(np.asarray(A, dtype=np.complex128))
    assert np.linalg.norm(D) <= normA * (1 + tolerance(A.dtype, 10 * np.sqrt(m + n)))


@pytest.mark.parametrize("n_iter", [0, 1, 2])
def test_size_up_to_m_completes_a_basis_for_a_rank_deficient_matrix(n_iter):
    # m <= n: size = m is a full orthogonal basis even though rank(A) = 3
    A = matrix_with_spectrum(30, 45, spectrum("exact_rank", 30, rank=3), rng=4).A
    for size in (3, 10, 30):
        Q = range_finder(A, size, n_iter=n_iter, rng=5)
        assert Q.shape == (30, size)
        assert_orthonormal(Q)
        assert_lowrank_error(A, _projection(Q, A), 0.0, factor=1.0)


@pytest.mark.parametrize("n_iter", [1, 2])
def test_size_above_n_keeps_the_shape(n_iter):
    A = np.random.default_rng(0).standard_normal((20, 5))
    Q = range_finder(A, 10, n_iter=n_iter, rng=0)
    assert Q.shape == (20, 10)
    assert_orthonormal(Q)


def test_size_above_n_without_iterations_completes_a_basis():
    A = np.random.default_rng(0).standard_normal((20, 5))
    Q = range_finder(A, 20, n_iter=0, rng=0)
    assert Q.shape == (20, 20)
    assert_orthonormal(Q)
    assert_lowrank_error(A, _projection(Q, A), 0.0, factor=1.0)


def test_power_iterations_improve_a_slowly_decaying_range():
    # the HMT bound shrinks like (sigma_{size+1}/sigma_size)^(2q+1): more passes, closer
    # to the optimum (averaged over seeds, as a single draw can be lucky)
    case = matrix_with_spectrum(120, 100, spectrum("slow", 100), rng=1)
    errs = []
    for n_iter in (0, 2):
        e = [np.linalg.norm(case.A - _projection(range_finder(case.A, 10, n_iter=n_iter, rng=s), case.A))
             for s in range(5)]
        errs.append(np.mean(e))
    assert errs[1] < errs[0]


@pytest.mark.parametrize("size", [1, 7])
def test_all_zero_matrix_gives_an_orthonormal_basis(size):
    for n_iter in (0, 2):
        Q = range_finder(np.zeros((12, 9)), size, n_iter=n_iter, rng=0)
        assert Q.shape == (12, size)
        assert_orthonormal(Q)


# ------------------------------------------------------------------ dtypes and inputs


@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.complex64, np.complex64),
    (np.complex128, np.complex128), (np.int8, np.float64), (np.int64, np.float64),
    (np.uint16, np.float64), (np.bool_, np.float64),
])
def test_dtype(dtype, expected):
    A = matrix_with_spectrum(15, 11, spectrum("fast", 11, rate=0.5), rng=2,
                             dtype=np.complex128 if np.dtype(dtype).kind == "c" else np.float64).A
    A = (A > 0) if dtype is np.bool_ else (A * 50).astype(dtype)
    for n_iter in (0, 2):
        Q = range_finder(A, 4, n_iter=n_iter, rng=1)
        assert Q.dtype == np.dtype(expected)
        assert_orthonormal(Q)


def test_list_input_is_float64():
    Q = range_finder([[1, 2, 3], [4, 5, 6], [7, 8, 10]], 2, rng=0)
    assert Q.dtype == np.float64 and Q.shape == (3, 2)


def _formats(A):
    yield "fortran", np.asfortranarray(A)
    yield "non-contiguous", np.repeat(np.repeat(A, 2, axis=0), 3, axis=1)[::2, ::3]
    yield "csr", sp.csr_matrix(A)
    yield "csc", sp.csc_matrix(A)
    yield "coo", sp.coo_matrix(A)
    yield "csr_array", sp.csr_array(A)
    yield "aslinearoperator", spla.aslinearoperator(A)
    yield "matvec-only", spla.LinearOperator(A.shape, matvec=lambda x: A @ x, rmatvec=lambda y: A.T @ y)


def test_every_input_kind_gives_the_dense_basis():
    # Q = orth(A orth(A^T A Omega)) for a slowly decaying spectrum: the products differ
    # by O(n eps ||A||) between formats, and Q's columns move by that over the conditioning
    # of the blocks (~ (sigma_1 / sigma_size)^2 kappa(Omega) ~ 1e3), hence 1e4 * n * eps.
    A = matrix_with_spectrum(40, 30, spectrum("slow", 30), rng=3).A
    ref = range_finder(A, 5, n_iter=1, rng=9)
    for name, X in _formats(A):
        Q = range_finder(X, 5, n_iter=1, rng=9)
        assert type(Q) is np.ndarray and Q.dtype == np.float64, name
        np.testing.assert_allclose(Q, ref, rtol=0, atol=1e4 * 30 * tolerance(np.float64), err_msg=name)


def test_input_is_not_modified():
    A = matrix_with_spectrum(20, 15, spectrum("slow", 15), rng=0).A
    for X in (A.copy(), np.asfortranarray(A), sp.csr_matrix(A), sp.coo_matrix(A)):
        before = X.copy()
        range_finder(X, 4, rng=0)
        if sp.issparse(X):
            assert (X != before).nnz == 0
        else:
            assert np.array_equal(X, before)


def test_same_seed_is_bitwise_repeatable_and_a_generator_advances():
    A = matrix_with_spectrum(25, 20, spectrum("slow", 20), rng=0).A
    assert np.array_equal(range_finder(A, 5, rng=11), range_finder(A, 5, rng=11))
    assert np.array_equal(range_finder(A, 5, rng=np.random.default_rng(11)), range_finder(A, 5, rng=11))
    gen = np.random.default_rng(3)
    state = gen.bit_generator.state
    Q1 = range_finder(A, 5, rng=gen)
    assert gen.bit_generator.state != state
    assert not np.array_equal(Q1, range_finder(A, 5, rng=gen))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(size=0), ValueError, "size"),
    (dict(size=-2), ValueError, "size"),
    (dict(size=13), ValueError, "size"),  # size > m = 12
    (dict(size=2.0), TypeError, "size"),
    (dict(size=True), TypeError, "size"),
    (dict(size="3"), TypeError, "size"),
    (dict(size=3, n_iter=-1), ValueError, "n_iter"),
    (dict(size=3, n_iter=1.5), TypeError, "n_iter"),
    (dict(size=3, rng="x"), TypeError, "rng"),
    (dict(size=3, rng=-1), ValueError, "rng"),
    (dict(size=3, rng=1.5), TypeError, "rng"),
])
def test_bad_arguments_name_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        range_finder(np.ones((12, 15)), **kwargs)


@pytest.mark.parametrize("A, exc", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError),
    (np.ones(4), ValueError),
    (np.zeros((0, 5)), ValueError),
    (np.array([["1", "2"], ["3", "4"]]), TypeError),
    (sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0]])), ValueError),
])
def test_bad_matrices_name_a(A, exc):
    with pytest.raises(exc, match="`A`"):
        range_finder(A, 1, rng=0)


def test_linear_operator_with_nan_products_is_a_value_error():
    L = spla.LinearOperator((6, 4), matvec=lambda x: np.full(6, np.nan), rmatvec=lambda y: np.zeros(4),
                            dtype=np.float64)
    with pytest.raises(ValueError, match="`A`"):
        range_finder(L, 2, rng=0)

"""Tests for lowrank.rsvd: invariants, accuracy against Eckart-Young, tol mode, inputs.

Tolerances (every one a multiple of eps(dtype) or a ratio to the known optimum):

- orthonormality: U = Q Ub and Vh come from Householder QR and LAPACK SVDs, so
  ``|U^H U - I| = O((sqrt(m) + k) eps)``: the default of `assert_orthonormal` (10x).
- reconstruction of an exact-rank matrix: backward error of the products, QRs and the
  small SVD, ``O(sqrt(m + n) eps ||A||_F)``: `assert_lowrank_error`'s default allowance
  (10x) with optimum 0; the same allowance is added to every ratio test below, so
  spectra that reach the rounding floor are handled.
- accuracy ratios (error / optimal rank-k error, Frobenius and spectral): HMT 2011
  Thm. 10.7/10.8 bounds the excess by ``C (sigma_{k+p+1} / sigma_k)^(2q+1)`` with
  Gaussian-tail constants, so for fast decay (rate <= 0.8, p = 10, q >= 2:
  ``0.8^(10*5) ~ 1e-5``) the ratio is 1 to far better than 1 % for any seed; for slow
  decay 1/(i+1) the documented factors 1.1 (Frobenius) and 1.5 (spectral) hold with
  a wide margin (observed <= 1.0001 over 400 random sizes and seeds). Krylov on slow
  decay: 1.05 when it runs at least one iteration.
- same-seed comparisons between input kinds: products differ by ``O(n eps ||A||)``, and
  singular vectors move by that over the relative gap (Wedin), so
  ``100 sqrt(m + n) eps / gap``.
- tol mode: the true error ``||A - U diag(S) Vh||_F / ||A||_F`` (computed in float64)
  must be <= tol exactly, and the rank <= 2 r_opt(tol) + 10 (API.md).

Bugs found earlier (Krylov basis exhaustion, tiny-tol indicator, range_finder shape,
complex strided validation) have regression tests here.
"""

import math
import pickle
import threading
import warnings
from contextlib import nullcontext

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given
from hypothesis import strategies as st

import lowrank
from lowrank import SVDResult
from lowrank.factor import rsvd
from lowrank.testing import (
    assert_descending,
    assert_lowrank_error,
    assert_nonnegative,
    assert_orthonormal,
    matrix_with_spectrum,
    optimal_error,
    relative_error,
    spectrum,
    tolerance,
)
from lowrank.testing.strategies import low_rank_matrices, matrices_with_spectrum

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is a test dependency
    threadpool_info = threadpool_limits = None

# the BLAS thread count before the fixture below limits it (the thread test restores it)
BLAS_THREADS = max([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] or [1]) \
    if threadpool_info is not None else 1

SEEDS = st.integers(0, 2**32 - 1)
ALL_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
METHODS = ("power", "krylov")


# ------------------------------------------------------------------ helpers


def _real_dtype(dtype):
    return np.finfo(np.dtype(dtype)).dtype


def check_svd(res, A, k):
    """Shapes, dtypes, orthonormal U columns and Vh rows, S non-negative descending."""
    A = np.asarray(A)
    m, n = A.shape
    assert isinstance(res, SVDResult)
    U, S, Vh = res
    assert type(U) is np.ndarray and type(S) is np.ndarray and type(Vh) is np.ndarray
    assert U.shape == (m, k) and S.shape == (k,) and Vh.shape == (k, n)
    assert U.dtype == A.dtype and Vh.dtype == A.dtype, (U.dtype, Vh.dtype, A.dtype)
    assert S.dtype == _real_dtype(A.dtype)
    assert_orthonormal(U, name="U")
    assert_orthonormal(Vh, axis="rows", name="Vh")
    assert_nonnegative(S, name="S")
    assert_descending(S, name="S")


def check_signs(U):
    """Each column's largest-|entry| is real and positive."""
    idx = np.argmax(np.abs(U), axis=0)
    piv = U[idx, np.arange(U.shape[1])]
    assert np.all(piv.real > 0), piv
    assert np.all(np.abs(piv.imag) <= tolerance(U.dtype, 4) * np.abs(piv)), piv


def optimal_rank(s, tol):
    """Smallest r with ||A - A_r||_F <= tol ||A||_F (Eckart-Young)."""
    total = optimal_error(s, 0)
    return next(r for r in range(len(s) + 1) if optimal_error(s, r) <= tol * total)


def true_error(A, res):
    return relative_error(A, tuple(res))


def assert_close_results(got, ref, s, k, what=""):
    """Same-seed results from different input kinds agree (rounding over the gap)."""
    m, n = got.U.shape[0], got.Vh.shape[1]
    rel = 100 * math.sqrt(m + n) * tolerance(got.U.dtype)
    sk = np.asarray(s[: k + 1], dtype=np.float64)
    gap = np.min(-np.diff(sk)) / sk[0]
    np.testing.assert_allclose(got.S, ref.S, rtol=0, atol=rel * sk[0], err_msg=what)
    np.testing.assert_allclose(got.U, ref.U, rtol=0, atol=rel / gap, err_msg=what)
    np.testing.assert_allclose(got.Vh, ref.Vh, rtol=0, atol=rel / gap, err_msg=what)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The matrices here are small: a multithreaded BLAS only spins (and, on loaded shared
    CI cores, slows these tests down by 10-50x)."""
    if threadpool_limits is None:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def test_is_exported_from_the_top_level():
    assert lowrank.rsvd is rsvd


# ------------------------------------------------------------------ invariants


@given(matrices_with_spectrum(max_side=60, dtypes=ALL_DTYPES), st.data())
def test_fixed_rank_invariants_power(case, data):
    A = case.A
    k = data.draw(st.integers(1, min(A.shape)), label="rank")
    res = rsvd(A, k, oversample=data.draw(st.integers(0, 12), label="oversample"),
               n_iter=data.draw(st.none() | st.integers(0, 3), label="n_iter"),
               rng=data.draw(SEEDS, label="seed"))
    check_svd(res, A, k)
    check_signs(res.U)
    # never worse than the zero approximation, never better than Eckart-Young
    err = relative_error(A, tuple(res)) * np.linalg.norm(A.astype(np.complex128))
    allowance = tolerance(A.dtype, 10 * np.sqrt(sum(A.shape))) * np.linalg.norm(case.s)
    assert optimal_error(case.s, k) - allowance <= err <= np.linalg.norm(case.s) + allowance


# Every spectrum kind: exact rank, fast decay and flat spectra exhaust the Krylov space
# numerically, which the re-orthogonalisation must survive (test_krylov_exhausted_space_*).
@given(matrices_with_spectrum(max_side=60, dtypes=ALL_DTYPES), st.data())
def test_fixed_rank_invariants_krylov(case, data):
    A = case.A
    k = data.draw(st.integers(1, min(A.shape)), label="rank")
    res = rsvd(A, k, method="krylov", oversample=data.draw(st.integers(0, 12), label="oversample"),
               n_iter=data.draw(st.none() | st.integers(0, 3), label="n_iter"),
               rng=data.draw(SEEDS, label="seed"))
    check_svd(res, A, k)
    check_signs(res.U)


@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.complex64, np.complex64),
    (np.complex128, np.complex128), (np.int8, np.float64), (np.int64, np.float64),
    (np.uint8, np.float64), (np.bool_, np.float64),
])
@pytest.mark.parametrize("mode", ["power", "krylov", "tol"])
def test_dtype_is_preserved_or_promoted(dtype, expected, mode):
    kind = np.dtype(dtype).kind
    base = matrix_with_spectrum(40, 30, spectrum("slow", 30), rng=0,
                                dtype=np.complex128 if kind == "c" else np.float64).A
    if kind == "b":
        A = base > 0
    elif kind in "iu":  # entries ~0.1: scaled so that they round to small nonzero integers
        A = (np.abs(base) if kind == "u" else base) * 40
        A = A.astype(dtype)
    else:
        A = base.astype(dtype)
    kw = dict(tol=0.3) if mode == "tol" else dict(rank=4, method=mode)
    res = rsvd(A, rng=1, **kw)
    assert res.U.dtype == np.dtype(expected) and res.Vh.dtype == np.dtype(expected)
    assert res.S.dtype == _real_dtype(expected)
    check_svd(res, np.asarray(A, dtype=expected), res.S.size)
    if mode == "tol":
        assert true_error(A, res) <= 0.3


def test_list_input_is_float64():
    A = [[1, 2, 3], [4, 5, 6], [7, 8, 10], [1, 0, 1]]
    res = rsvd(A, 2, rng=0)
    assert res.U.dtype == np.float64 and res.S.dtype == np.float64
    check_svd(res, np.asarray(A, dtype=np.float64), 2)


def test_result_is_an_unpackable_named_tuple():
    res = rsvd(np.diag([3.0, 2.0, 1.0]), 2, rng=0)
    U, S, Vh = res
    assert res._fields == ("U", "S", "Vh")
    assert U is res.U and S is res.S and Vh is res.Vh


# ------------------------------------------------------------------ accuracy


@st.composite
def decaying_cases(draw, kind, dtypes=(np.float64,), min_side=20, max_side=200, max_rank=30,
                   rates=(0.5, 0.65, 0.8)):
    m = draw(st.integers(min_side, max_side), label="m")
    n = draw(st.integers(min_side, max_side), label="n")
    k = draw(st.integers(1, min(max_rank, min(m, n) - 1)), label="rank")
    rate = draw(st.sampled_from(rates), label="rate") if kind == "fast" else 0.9
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    case = matrix_with_spectrum(m, n, spectrum(kind, min(m, n), rate=rate), rng=draw(SEEDS),
                                dtype=dtype)
    return case, k


def assert_ratios(case, res, k, fro, spec):
    assert_lowrank_error(case.A, tuple(res), optimal_error(case.s, k), factor=fro)
    assert_lowrank_error(case.A, tuple(res), optimal_error(case.s, k, "spectral"), factor=spec,
                         norm="spectral")


@given(decaying_cases("fast", dtypes=ALL_DTYPES), SEEDS)
def test_fast_decay_is_within_one_percent_of_optimal_with_defaults(ck, seed):
    case, k = ck
    res = rsvd(case.A, k, rng=seed)
    check_svd(res, case.A, k)
    assert_ratios(case, res, k, 1.01, 1.01)


@given(decaying_cases("slow", dtypes=ALL_DTYPES), SEEDS)
def test_slow_decay_is_within_the_documented_factor_with_defaults(ck, seed):
    case, k = ck
    res = rsvd(case.A, k, rng=seed)
    assert_ratios(case, res, k, 1.1, 1.5)


def _krylov_iterations(m, n, k, oversample=10):
    ell = min(k + oversample, m, n)
    return max(0, min(3, min(m, n) // ell - 1))


@given(decaying_cases("slow", dtypes=ALL_DTYPES, min_side=22), SEEDS)
def test_krylov_is_tighter_on_slow_decay(ck, seed):
    case, k = ck
    m, n = case.A.shape
    # with 2 l > min(m, n) the default q drops to 0: test_krylov_default_without_iterations_*;
    # there, take the largest rank with q >= 1 (min(m, n) >= 22 makes it >= 1)
    if _krylov_iterations(m, n, k) == 0:
        k = min(m, n) // 2 - 10
    assert _krylov_iterations(m, n, k) >= 1
    res = rsvd(case.A, k, method="krylov", rng=seed)
    check_svd(res, case.A, k)
    assert_ratios(case, res, k, 1.05, 1.05)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_fixed_cases_fast_and_slow_decay(method, dtype):
    cases = [("slow", 0.9, 10, (200, 150), (1.1, 1.5) if method == "power" else (1.05, 1.05))]
    if method == "power" or _real_dtype(dtype) == np.float64:  # else test_krylov_exhausted_space_fast_decay
        cases += [("fast", 0.8, 10, (150, 100), (1.01, 1.01)), ("fast", 0.8, 20, (100, 150), (1.01, 1.01))]
    for kind, rate, k, (m, n), (fro, spec) in cases:
        for seed in range(3):
            case = matrix_with_spectrum(m, n, spectrum(kind, min(m, n), rate=rate), rng=seed, dtype=dtype)
            res = rsvd(case.A, k, method=method, rng=100 + seed)
            check_svd(res, case.A, k)
            assert_ratios(case, res, k, fro, spec)


@pytest.mark.parametrize("dtype, rate, k", [(np.float64, 0.5, 10), (np.float32, 0.8, 20),
                                            (np.complex64, 0.8, 20)])
def test_krylov_exhausted_space_fast_decay(dtype, rate, k):
    for seed in range(3):
        case = matrix_with_spectrum(150, 100, spectrum("fast", 100, rate=rate), rng=seed, dtype=dtype)
        res = rsvd(case.A, k, method="krylov", rng=seed)
        check_svd(res, case.A, k)
        assert_ratios(case, res, k, 1.01, 1.01)


def test_krylov_default_without_iterations_on_slow_decay():
    worst = 0.0
    for seed in range(5):
        case = matrix_with_spectrum(60, 60, spectrum("slow", 60), rng=seed)
        res = rsvd(case.A, 30, method="krylov", rng=seed)
        D = case.A - (res.U * res.S) @ res.Vh
        worst = max(worst, scipy.linalg.norm(D, 2) / optimal_error(case.s, 30, "spectral"))
    assert worst <= 1.05, worst


# ------------------------------------------------------------------ exact rank


@given(low_rank_matrices(max_side=80, dtypes=ALL_DTYPES), st.data())
def test_exact_rank_is_recovered_power(case, data):
    r = int(np.count_nonzero(case.s))
    k = data.draw(st.integers(r, min(case.A.shape)), label="rank")
    res = rsvd(case.A, k, rng=data.draw(SEEDS, label="seed"))
    check_svd(res, case.A, k)
    assert_lowrank_error(case.A, tuple(res), 0.0, factor=1.0)
    # the leading r singular values are those of A (Weyl: eps-level perturbation)
    atol = tolerance(case.A.dtype, 10 * np.sqrt(sum(case.A.shape))) * np.linalg.norm(case.s)
    np.testing.assert_allclose(res.S[:r], case.s[:r], rtol=0, atol=atol)


@pytest.mark.parametrize("method", METHODS)
def test_rank_equal_to_min_side_is_exact(method):
    for (m, n) in [(30, 20), (20, 30), (25, 25)]:
        for dtype in ALL_DTYPES:
            case = matrix_with_spectrum(m, n, spectrum("geometric_cond", min(m, n), cond=1e3), rng=m,
                                        dtype=dtype)
            res = rsvd(case.A, min(m, n), method=method, rng=0)
            check_svd(res, case.A, min(m, n))
            assert_lowrank_error(case.A, tuple(res), 0.0, factor=1.0)


def _zero_padded_low_rank():
    B = np.zeros((60, 50))
    g = np.random.default_rng(1)
    B[:10, :10] = g.standard_normal((10, 3)) @ g.standard_normal((3, 10))
    return B


@pytest.mark.parametrize("A, k", [
    (np.diag(np.r_[3.0, 2.0, 1.0, np.zeros(57)]), 3),
    (np.diag(np.r_[1.0, np.zeros(59)]), 1),
    (_zero_padded_low_rank(), 5),
])
def test_krylov_exhausted_space_zero_rows(A, k):
    res = rsvd(A, k, method="krylov", rng=0)
    check_svd(res, A, k)
    assert_lowrank_error(A, tuple(res), optimal_error(np.linalg.svd(A, compute_uv=False), k), factor=1.0)


def test_krylov_exhausted_space_exact_rank():
    for seed in range(20):
        for (m, n, r, k) in [(80, 80, 2, 4), (100, 80, 5, 5), (200, 150, 5, 10)]:
            case = matrix_with_spectrum(m, n, spectrum("exact_rank", min(m, n), rank=r), rng=seed)
            res = rsvd(case.A, k, method="krylov", rng=seed)
            check_svd(res, case.A, k)
            assert_lowrank_error(case.A, tuple(res), 0.0, factor=1.0)


def test_krylov_exact_rank_when_the_space_is_not_exhausted():
    # rank(A) >= (q+1) l: the Krylov basis never runs out of directions
    case = matrix_with_spectrum(120, 100, spectrum("exact_rank", 100, rank=90), rng=2)
    res = rsvd(case.A, 90, method="krylov", oversample=0, rng=2)
    check_svd(res, case.A, 90)
    assert_lowrank_error(case.A, tuple(res), 0.0, factor=1.0)


@pytest.mark.parametrize("method", METHODS)
def test_duplicated_columns_and_rank_deficiency(method):
    g = np.random.default_rng(7)
    B = g.standard_normal((30, 4))
    A = np.hstack([B, B, B[:, :2], np.zeros((30, 2))])  # rank 4, 12 columns
    for k in (2, 4):
        res = rsvd(A, k, method=method, rng=1)
        check_svd(res, A, k)
        assert_lowrank_error(A, tuple(res), optimal_error(np.linalg.svd(A, compute_uv=False), k),
                             factor=1.0 + 1e-6)
    res = rsvd(A, 9, rng=1)  # above the rank (power): still orthonormal and exact
    check_svd(res, A, 9)
    assert_lowrank_error(A, tuple(res), 0.0, factor=1.0)


# ------------------------------------------------------------------ tol mode


@st.composite
def tol_cases(draw, dtypes=(np.float64, np.complex128), max_side=120):
    m = draw(st.integers(1, max_side), label="m")
    n = draw(st.integers(1, max_side), label="n")
    kind = draw(st.sampled_from(["exact_rank", "fast", "slow"]), label="kind")
    k = min(m, n)
    s = spectrum(kind, k, rank=draw(st.integers(1, k)) if kind == "exact_rank" else None,
                 rate=draw(st.sampled_from([0.5, 0.8, 0.95])))
    dtype = draw(st.sampled_from(dtypes))
    return matrix_with_spectrum(m, n, s, rng=draw(SEEDS), dtype=dtype)


@given(tol_cases(), st.sampled_from([1e-1, 1e-2, 1e-4]), SEEDS)
def test_tol_mode_meets_tol_near_the_optimal_rank(case, tol, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no spurious "cannot be met"
        res = rsvd(case.A, tol=tol, rng=seed)
    check_svd(res, case.A, res.S.size)
    assert true_error(case.A, res) <= tol
    assert 1 <= res.S.size <= 2 * optimal_rank(case.s, tol) + 10


@given(tol_cases(), SEEDS)
def test_tol_mode_meets_a_tol_below_the_cancellation_limit(case, seed):
    # tol^2 < 1e3 eps: the exact-residual path; the true error must still be <= tol
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # see test_tol_mode_tiny_tol_*
        res = rsvd(case.A, tol=1e-9, rng=seed)
    k = res.S.size
    assert res.U.shape == (case.A.shape[0], k) and res.Vh.shape == (k, case.A.shape[1])
    for X, axis in ((res.U, "columns"), (res.Vh, "rows")):
        assert_orthonormal(X, axis=axis)
    assert_nonnegative(res.S)
    assert_descending(res.S)
    assert true_error(case.A, res) <= 1e-9


def test_tol_mode_tiny_tol_rank_and_no_spurious_warning():
    for seed in range(10):
        for kind, kw in [("exact_rank", dict(rank=5)), ("fast", dict(rate=0.5))]:
            case = matrix_with_spectrum(60, 50, spectrum(kind, 50, **kw), rng=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                res = rsvd(case.A, tol=1e-9, rng=seed)
            assert res.S.size <= 2 * optimal_rank(case.s, 1e-9) + 10, (kind, seed, res.S.size)


def test_tol_mode_tiny_tol_on_a_vector_does_not_warn():
    # about a third of these (random 1x1, 1x9, 9x1, real and complex) warn today
    for seed in range(10):
        for shape in [(1, 1), (1, 9), (9, 1)]:
            for dtype in (np.float64, np.complex128):
                g = np.random.default_rng(seed)
                A = g.standard_normal(shape) + (1j * g.standard_normal(shape) if dtype is np.complex128 else 0)
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)
                    res = rsvd(A, tol=1e-9, rng=0)
                assert true_error(A, res) <= 1e-9


def test_tol_mode_tiny_tol_on_a_matrix_with_zero_rows():
    A = np.diag(np.r_[3.0, 2.0, 1.0, np.zeros(57)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = rsvd(A, tol=1e-9, rng=0)
    check_svd(res, A, res.S.size)
    assert true_error(A, res) <= 1e-9


@given(tol_cases(dtypes=(np.float32, np.complex64), max_side=80), SEEDS)
def test_tol_mode_single_precision(case, seed):
    # tol = 1e-2 is well above the float32 rounding floor sqrt(size) eps32 ~ 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = rsvd(case.A, tol=1e-2, rng=seed)
    check_svd(res, case.A, res.S.size)
    assert true_error(case.A, res) <= 1e-2
    assert res.S.size <= 2 * optimal_rank(case.s, 1e-2) + 10


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tol_mode_fixed_cases(dtype):
    tols = [1e-1, 1e-2] + ([1e-4] if _real_dtype(dtype) == np.float64 else [])
    for kind, kw in [("exact_rank", dict(rank=7)), ("fast", dict(rate=0.8)), ("slow", {})]:
        for (m, n) in [(80, 60), (50, 90)]:
            s = spectrum(kind, min(m, n), **kw)
            for seed in range(3):
                case = matrix_with_spectrum(m, n, s, rng=seed, dtype=dtype)
                for tol in tols:
                    res = rsvd(case.A, tol=tol, rng=seed)
                    assert true_error(case.A, res) <= tol, (kind, m, n, seed, tol)
                    assert res.S.size <= 2 * optimal_rank(s, tol) + 10


@pytest.mark.parametrize("block_size", [None, 1, 5])
def test_tol_mode_rank_bound_too_small_warns_and_returns_rank(block_size):
    case = matrix_with_spectrum(50, 40, spectrum("slow", 40), rng=0)
    with pytest.warns(RuntimeWarning, match="rank"):
        res = rsvd(case.A, rank=3, tol=1e-3, block_size=block_size, rng=0)
    check_svd(res, case.A, 3)
    assert_lowrank_error(case.A, tuple(res), optimal_error(case.s, 3), factor=1.1)


def test_tol_mode_rank_bound_that_suffices_does_not_warn():
    case = matrix_with_spectrum(50, 40, spectrum("exact_rank", 40, rank=4), rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = rsvd(case.A, rank=10, tol=1e-3, rng=0)
    assert res.S.size <= 10 and true_error(case.A, res) <= 1e-3


def test_tol_mode_warning_points_at_the_caller():
    case = matrix_with_spectrum(50, 40, spectrum("slow", 40), rng=0)
    with pytest.warns(RuntimeWarning) as record:
        rsvd(case.A, rank=3, tol=1e-3, rng=0)
    assert record[0].filename == __file__


# ------------------------------------------------------------------ input kinds


def _custom_linop(A, with_matmat=False):
    kw = dict(matmat=lambda X: A @ X) if with_matmat else {}
    return spla.LinearOperator(A.shape, matvec=lambda x: A @ x, rmatvec=lambda y: A.conj().T @ y,
                               dtype=A.dtype, **kw)


def _strided_layouts(A):
    yield "fortran", np.asfortranarray(A)
    yield "non-contiguous", np.repeat(np.repeat(A, 2, axis=0), 3, axis=1)[::2, ::3]
    yield "transposed view", np.ascontiguousarray(A.T).T


def _input_kinds(A):
    if not np.iscomplexobj(A):  # complex: test_complex_strided_input_is_accepted
        yield from _strided_layouts(A)
    yield "row-strided", np.repeat(A, 2, axis=0)[::2]
    yield "csr", sp.csr_matrix(A)
    yield "csc", sp.csc_matrix(A)
    yield "coo", sp.coo_matrix(A)
    yield "csr_array", sp.csr_array(A)
    yield "aslinearoperator", spla.aslinearoperator(A)
    yield "matvec/rmatvec", _custom_linop(A)
    yield "matvec/rmatvec/matmat", _custom_linop(A, with_matmat=True)
    if not np.iscomplexobj(A):  # dtype inferred from a matvec
        yield "no dtype", spla.LinearOperator(A.shape, matvec=lambda x: A @ x, rmatvec=lambda y: A.T @ y)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_every_input_kind_gives_the_ndarray_result(method, dtype):
    case = matrix_with_spectrum(80, 60, spectrum("fast", 60, rate=0.8), rng=0, dtype=dtype)
    ref = rsvd(case.A, 8, method=method, rng=1)
    for name, X in _input_kinds(case.A):
        res = rsvd(X, 8, method=method, rng=1)
        assert res.U.dtype == ref.U.dtype, name
        assert_close_results(res, ref, case.s, 8, what=name)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_every_input_kind_meets_tol(dtype):
    case = matrix_with_spectrum(70, 50, spectrum("fast", 50, rate=0.8), rng=0, dtype=dtype)
    ref = rsvd(case.A, tol=1e-2, rng=3)
    for name, X in _input_kinds(case.A):
        res = rsvd(X, tol=1e-2, rng=3)
        assert true_error(case.A, res) <= 1e-2, name
        assert res.S.size == ref.S.size, name


def test_linear_operator_in_tol_mode_meets_tol_for_slow_decay():
    case = matrix_with_spectrum(90, 70, spectrum("slow", 70), rng=5)
    for tol in (0.3, 0.1, 1e-2):
        res = rsvd(_custom_linop(case.A), tol=tol, rng=0)
        assert true_error(case.A, res) <= tol
        assert res.S.size <= 2 * optimal_rank(case.s, tol) + 10


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("layout", ["fortran", "non-contiguous", "transposed view"])
def test_complex_strided_input_is_accepted(dtype, layout):
    case = matrix_with_spectrum(40, 30, spectrum("fast", 30, rate=0.8), rng=0, dtype=dtype)
    X = dict(_strided_layouts(case.A))[layout]
    ref = rsvd(case.A, 5, rng=1)
    assert_close_results(rsvd(X, 5, rng=1), ref, case.s, 5, what=layout)


def test_float32_sparse_and_linear_operator_stay_float32():
    A = matrix_with_spectrum(30, 20, spectrum("fast", 20), rng=0, dtype=np.float32).A
    for X in (sp.csr_matrix(A), spla.aslinearoperator(A)):
        res = rsvd(X, 3, rng=0)
        assert res.U.dtype == np.float32 and res.S.dtype == np.float32 and res.Vh.dtype == np.float32
    assert rsvd(sp.csr_matrix(A.astype(np.int16)), 3, rng=0).U.dtype == np.float64


def test_input_is_not_modified():
    A = matrix_with_spectrum(40, 30, spectrum("slow", 30), rng=0).A
    for X in (A.copy(), np.asfortranarray(A), A.astype(np.float32), sp.csr_matrix(A), sp.coo_matrix(A),
              sp.csr_matrix(A.astype(np.int64))):
        before = X.copy() if sp.issparse(X) else X.copy(order="K")
        for kw in (dict(rank=4), dict(rank=4, method="krylov"), dict(tol=1e-2), dict(tol=1e-9)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                rsvd(X, rng=0, **kw)
        if sp.issparse(X):
            assert X.format == before.format and (X != before).nnz == 0
        else:
            assert np.array_equal(X, before) and X.flags.f_contiguous == before.flags.f_contiguous


# ------------------------------------------------------------------ complex


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("method", METHODS)
def test_complex_fixed_rank(dtype, method):
    case = matrix_with_spectrum(70, 50, spectrum("slow", 50), rng=1, dtype=dtype)
    res = rsvd(case.A, 6, method=method, rng=2)
    check_svd(res, case.A, 6)
    check_signs(res.U)
    assert_ratios(case, res, 6, 1.1, 1.5)
    real = rsvd(case.A.real.copy(), 6, method=method, rng=2)  # a genuinely complex A differs
    assert not np.allclose(np.abs(res.U), np.abs(real.U))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_tol_mode(dtype):
    case = matrix_with_spectrum(60, 45, spectrum("fast", 45, rate=0.8), rng=3, dtype=dtype)
    res = rsvd(case.A, tol=1e-2, rng=4)
    check_svd(res, case.A, res.S.size)
    assert true_error(case.A, res) <= 1e-2
    assert res.S.size <= 2 * optimal_rank(case.s, 1e-2) + 10


# ------------------------------------------------------------------ determinism and signs


@pytest.mark.parametrize("kw", [dict(rank=5), dict(rank=5, method="krylov"), dict(rank=5, n_iter=0),
                                dict(tol=1e-2), dict(tol=1e-9)])
def test_same_int_seed_is_bitwise_identical(kw):
    A = matrix_with_spectrum(50, 40, spectrum("fast", 40, rate=0.7), rng=0).A
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r1, r2 = rsvd(A, rng=123, **kw), rsvd(A, rng=123, **kw)
        r3 = rsvd(A, rng=np.random.default_rng(123), **kw)
    for a, b, c in zip(r1, r2, r3):
        assert np.array_equal(a, b) and np.array_equal(a, c)


def test_generator_advances_and_global_state_is_untouched():
    A = matrix_with_spectrum(30, 25, spectrum("slow", 25), rng=0).A
    legacy = np.random.get_state()[1].copy()
    gen = np.random.default_rng(5)
    state = gen.bit_generator.state
    r1 = rsvd(A, 3, rng=gen)
    assert gen.bit_generator.state != state
    r2 = rsvd(A, 3, rng=gen)
    assert not np.array_equal(r1.U, r2.U)  # a fresh draw (results agree only to rounding)
    rsvd(A, 3, rng=None)
    assert np.array_equal(np.random.get_state()[1], legacy)


@given(low_rank_matrices(max_side=50, max_rank=6, dtypes=ALL_DTYPES), SEEDS, SEEDS)
def test_sign_convention_makes_factors_seed_independent(case, seed1, seed2):
    # distinct singular values: the SVD is unique up to one phase per triplet, which the
    # convention fixes; so two seeds agree to rounding over the relative gap
    s = case.s
    r = int(np.count_nonzero(s))
    gaps = -np.diff(np.r_[s[:r], 0.0]) / s[0]
    if np.min(gaps) < 1e-2:
        return
    r1, r2 = rsvd(case.A, r, rng=seed1), rsvd(case.A, r, rng=seed2)
    for res in (r1, r2):
        check_signs(res.U)
        assert_lowrank_error(case.A, tuple(res), 0.0, factor=1.0)  # U diag(S) Vh is unchanged
    tol = tolerance(case.A.dtype, 100 * np.sqrt(sum(case.A.shape))) * s[0] / (np.min(gaps) * s[0])
    np.testing.assert_allclose(r1.U, r2.U, rtol=0, atol=tol)
    np.testing.assert_allclose(r1.Vh, r2.Vh, rtol=0, atol=tol)


@pytest.mark.parametrize("method", ["power", "krylov"])
def test_sign_convention_on_a_known_svd(method):
    # A = diag(3, 2, 1) padded: U's columns are -/+ unit vectors; the convention makes them +
    A = np.zeros((8, 6))
    A[[0, 1, 2], [0, 1, 2]] = [-3.0, 2.0, -1.0]
    res = rsvd(A, 3, method=method, oversample=0, rng=0)
    # singular vectors to rounding over the relative gap 1/3: 100 eps
    np.testing.assert_allclose(res.S, [3.0, 2.0, 1.0], rtol=10 * tolerance(np.float64))
    np.testing.assert_allclose(res.U, np.eye(8)[:, :3], atol=100 * tolerance(np.float64))
    np.testing.assert_allclose(res.Vh, np.diag([-1.0, 1.0, -1.0, 0, 0, 0])[:3], atol=100 * tolerance(np.float64))


# ------------------------------------------------------------------ degenerate input


@pytest.mark.parametrize("shape", [(1, 1), (12, 9), (9, 12), (40, 30)])
@pytest.mark.parametrize("method", METHODS)
def test_all_zero_matrix_fixed_rank(shape, method):
    A = np.zeros(shape)
    for k in sorted({1, min(shape) // 2 or 1, min(shape)}):
        res = rsvd(A, k, method=method, rng=0)
        check_svd(res, A, k)
        assert np.all(res.S == 0)


@pytest.mark.parametrize("shape", [(1, 1), (12, 9), (40, 30)])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_all_zero_matrix_tol_mode(shape, dtype):
    A = np.zeros(shape, dtype=dtype)
    for X in (A, sp.csr_matrix(A), spla.aslinearoperator(A)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = rsvd(X, tol=0.1, rng=0)
        assert res.S.size >= 1
        check_svd(res, A, res.S.size)
        assert np.all(res.S == 0)


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1)])
@pytest.mark.parametrize("kw", [dict(rank=1), dict(rank=1, method="krylov"), dict(tol=0.5), dict(tol=1e-9)])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_vectors_and_scalars(shape, kw, dtype):
    g = np.random.default_rng(sum(shape))
    A = g.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * g.standard_normal(shape)
    A = A.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # tol=1e-9: test_tol_mode_tiny_tol_*
        res = rsvd(A, rng=0, **kw)
    check_svd(res, A, 1)
    check_signs(res.U)
    np.testing.assert_allclose(res.S[0], np.linalg.norm(A.astype(np.complex128)),
                               rtol=tolerance(dtype, 4 * math.sqrt(A.size)))
    assert_lowrank_error(A, tuple(res), 0.0, factor=1.0)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
@pytest.mark.parametrize("kw", [dict(rank=6), dict(rank=6, method="krylov"), dict(tol=1e-2), dict(tol=1e-9)])
def test_extreme_scales_match_the_scaled_unscaled_result(scale, kw):
    case = matrix_with_spectrum(60, 45, spectrum("fast", 45, rate=0.8), rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = rsvd(case.A, rng=4, **kw)
        for X in (case.A * scale, sp.csr_matrix(case.A * scale)):
            with np.errstate(over="raise", invalid="raise"):  # underflow to zero is harmless
                try:
                    res = rsvd(X, rng=4, **kw)
                except FloatingPointError as exc:  # pragma: no cover - reported as a failure
                    pytest.fail(f"floating-point exception at scale {scale}: {exc}")
            assert res.S.size == ref.S.size
            assert np.all(np.isfinite(res.S)) and np.all(np.isfinite(res.U)) and np.all(np.isfinite(res.Vh))
            # multiplying by 1e+-300 rounds each entry (eps/2); the algorithm's rounding
            # is the same multiple of eps at both scales
            rel = 100 * math.sqrt(sum(case.A.shape)) * tolerance(np.float64)
            np.testing.assert_allclose(res.S / scale, ref.S, rtol=0, atol=rel * ref.S[0])
            k = min(ref.S.size, 6)  # leading, well-separated components (gap 20 %)
            gap = 0.2 * 0.8 ** (k - 1)
            np.testing.assert_allclose(res.U[:, :k], ref.U[:, :k], rtol=0, atol=rel / gap)
            np.testing.assert_allclose(res.Vh[:k], ref.Vh[:k], rtol=0, atol=rel / gap)
            if "tol" in kw:
                assert true_error(case.A * scale, res) <= kw["tol"]


def test_numpy_integer_rank_is_accepted():
    A = matrix_with_spectrum(20, 15, spectrum("fast", 15), rng=0).A
    for k in (np.int64(3), np.int32(3), np.uint8(3)):
        assert rsvd(A, k, rng=0).S.shape == (3,)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(rank=0), ValueError, r"`rank`.*min\(A.shape\)"),
    (dict(rank=-1), ValueError, r"`rank`.*min\(A.shape\)"),
    (dict(rank=11), ValueError, r"`rank`.*min\(A.shape\) = 10"),
    (dict(rank=2.5), TypeError, "`rank`"),
    (dict(rank=3.0), TypeError, "`rank`"),
    (dict(rank=True), TypeError, "`rank`"),
    (dict(rank="3"), TypeError, "`rank`"),
    (dict(), ValueError, "`rank`.*`tol`"),
    (dict(rank=None, tol=None), ValueError, "`rank`.*`tol`"),
    (dict(tol=0), ValueError, "`tol`"),
    (dict(tol=1), ValueError, "`tol`"),
    (dict(tol=-0.1), ValueError, "`tol`"),
    (dict(tol=np.nan), ValueError, "`tol`"),
    (dict(tol=np.inf), ValueError, "`tol`"),
    (dict(tol="0.1"), TypeError, "`tol`"),
    (dict(tol=0.1, rank=11), ValueError, "`rank`"),
    (dict(tol=0.1, rank=0), ValueError, "`rank`"),
    (dict(rank=2, oversample=-1), ValueError, "`oversample`"),
    (dict(rank=2, oversample=1.0), TypeError, "`oversample`"),
    (dict(rank=2, n_iter=-1), ValueError, "`n_iter`"),
    (dict(rank=2, n_iter=1.5), TypeError, "`n_iter`"),
    (dict(tol=0.1, n_iter=-1), ValueError, "`n_iter`"),
    (dict(rank=2, method="lanczos"), ValueError, "`method`"),
    (dict(rank=2, method=None), ValueError, "`method`"),
    (dict(rank=2, rng="x"), TypeError, "`rng`"),
    (dict(rank=2, rng=-1), ValueError, "`rng`"),
    (dict(rank=2, rng=1.5), TypeError, "`rng`"),
    (dict(rank=2, rng=True), TypeError, "`rng`"),
    (dict(rank=2, rng=np.random.RandomState(0)), TypeError, "`rng`"),
    (dict(tol=0.1, block_size=0), ValueError, "`block_size`"),
])
def test_bad_arguments_name_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rsvd(np.ones((10, 12)), **kwargs)


def test_bad_block_size_in_fixed_rank_mode():
    with pytest.raises(ValueError, match="`block_size`"):
        rsvd(np.ones((10, 12)), 2, block_size=0)


@pytest.mark.parametrize("A, exc", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError),
    (np.array([[1.0, 0.0], [-np.inf, 1.0]], dtype=np.float32), ValueError),
    (np.array([[1.0, 1j * np.nan], [0.0, 1.0]]), ValueError),
    (sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0]])), ValueError),
    (np.ones(4), ValueError),
    (np.ones((2, 2, 2)), ValueError),
    (np.zeros((0, 5)), ValueError),
    (np.zeros((5, 0)), ValueError),
    (sp.csr_matrix((0, 5)), ValueError),
    (np.array([["a", "b"], ["c", "d"]]), TypeError),
    ([["1.0", "2"], ["3", "4"]], TypeError),
    (np.array([[1, 2], [3, 4]], dtype=object), TypeError),
    ("abc", TypeError),
])
@pytest.mark.parametrize("kw", [dict(rank=1), dict(tol=0.5)])
def test_bad_matrices_name_a(A, exc, kw):
    with pytest.raises(exc, match="`A`"):
        rsvd(A, rng=0, **kw)


@pytest.mark.parametrize("where", ["matvec", "rmatvec"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("kw", [dict(rank=2), dict(rank=2, method="krylov"), dict(tol=0.1)])
def test_linear_operator_with_non_finite_products_is_a_value_error(where, bad, kw):
    A = np.arange(1.0, 49.0).reshape(8, 6)

    def matvec(x):
        y = A @ x
        return np.full_like(y, bad) if where == "matvec" else y

    def rmatvec(y):
        x = A.T @ y
        return np.full_like(x, bad) if where == "rmatvec" else x

    L = spla.LinearOperator(A.shape, matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
    with pytest.raises(ValueError, match="`A`"):
        rsvd(L, rng=0, **kw)


# ------------------------------------------------------------------ pickling and threads


def test_result_pickles():
    A = matrix_with_spectrum(20, 15, spectrum("fast", 15), rng=0, dtype=np.complex64).A
    res = rsvd(A, 4, rng=0)
    back = pickle.loads(pickle.dumps(res))
    assert type(back) is type(res) and back._fields == res._fields
    for a, b in zip(res, back):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("kw", [dict(rank=5), dict(rank=5, method="krylov"), dict(tol=1e-2)])
def test_threads_sharing_a_matrix_give_the_serial_result(kw):
    A = matrix_with_spectrum(80, 60, spectrum("slow", 60), rng=0).A
    X = sp.csr_matrix(A)
    # serial reference under the same BLAS thread count: LAPACK's SVD may round
    # differently with 1 and 2 threads, which is not a thread-safety matter
    with (threadpool_limits(limits=BLAS_THREADS, user_api="blas") if threadpool_limits else nullcontext()):
        serial = [rsvd(M, rng=7, **kw) for M in (A, X)]
    results = [None] * 8
    barrier = threading.Barrier(4)

    def work(i):
        barrier.wait()
        for j in range(i, 8, 4):
            results[j] = rsvd((A, X)[j % 2], rng=7, **kw)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    # concurrent calls into a multithreaded BLAS, as users get them by default
    with (threadpool_limits(limits=BLAS_THREADS, user_api="blas") if threadpool_limits else nullcontext()):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for j, res in enumerate(results):
        for a, b in zip(res, serial[j % 2]):
            assert np.array_equal(a, b)

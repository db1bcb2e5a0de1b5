"""Tests of lowrank.testing: the constructors, strategies and assertions themselves."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lowrank.testing as lt
from lowrank.testing import (
    SPECTRUM_KINDS,
    assert_allclose_dtype,
    assert_descending,
    assert_dtype,
    assert_lowrank_error,
    assert_nonnegative,
    assert_orthonormal,
    matrix_with_spectrum,
    optimal_error,
    power_of_two_signal,
    psd_matrix,
    random_orthonormal,
    relative_error,
    spectrum,
    tolerance,
)
from lowrank.testing import strategies as lst

EPS64 = np.finfo(np.float64).eps
ALL_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _spectral_tol(A, s):
    """|sigma_i(A) - s_i| bound for A = U diag(s) V^H rounded once to A.dtype.

    Weyl: |sigma_i(A + dA) - s_i| <= ||dA||_2 <= ||dA||_F <= eps(A.dtype)/2 * ||A||_F
    for the final cast, plus float64 rounding of forming the product and of the
    reference SVD (~ (m + n) * eps64 * ||A||_2), with a safety factor.
    """
    m, n = A.shape
    norm_f = float(np.sqrt(np.sum(s**2)))
    return (tolerance(A.dtype) + 10 * (m + n) * EPS64) * norm_f


# ----------------------------------------------------------------- matrices


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_random_orthonormal_shape_dtype_and_orthonormality(dtype):
    Q = random_orthonormal(30, 7, rng=1, dtype=dtype)
    assert Q.shape == (30, 7)
    assert_dtype(Q, dtype)
    assert_orthonormal(Q)


def test_random_orthonormal_complex_flag_and_reproducibility():
    Q = random_orthonormal(6, 3, rng=5, complex=True)
    assert Q.dtype == np.complex128 and np.any(Q.imag != 0)
    assert random_orthonormal(6, 3, rng=5, dtype=np.float32, complex=True).dtype == np.complex64
    np.testing.assert_array_equal(random_orthonormal(6, 3, rng=5), random_orthonormal(6, 3, rng=5))
    gen = np.random.default_rng(0)
    assert not np.array_equal(random_orthonormal(6, 3, rng=gen), random_orthonormal(6, 3, rng=gen))
    assert random_orthonormal(4, 0, rng=0).shape == (4, 0)


def test_random_orthonormal_sign_is_fixed():
    # The QR sign fix makes R = Q^T G have a positive diagonal for the Gaussian G drawn.
    G = np.random.default_rng(3).standard_normal((8, 4))
    Q = random_orthonormal(8, 4, rng=3)
    assert np.all(np.diag(Q.T @ G) > 0)


def test_random_orthonormal_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`k` must satisfy 0 <= k <= 3"):
        random_orthonormal(3, 4)
    with pytest.raises(TypeError, match="`rng`"):
        random_orthonormal(3, 2, rng="seed")
    with pytest.raises(TypeError, match="`dtype` must be a float or complex dtype"):
        random_orthonormal(3, 2, dtype=np.int64)


def test_spectrum_kinds():
    np.testing.assert_allclose(spectrum("fast", 3, rate=0.5), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(spectrum("slow", 3), [1.0, 1 / 2, 1 / 3])
    np.testing.assert_allclose(spectrum("sqrt", 2), [1.0, 2**-0.5])
    np.testing.assert_array_equal(spectrum("exact_rank", 3, rank=0), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(spectrum("flat", 2), [1.0, 1.0])
    np.testing.assert_array_equal(spectrum("zero", 2), [0.0, 0.0])
    s = spectrum("geometric_cond", 9, cond=1e8)
    assert s[0] == 1.0 and s[-1] == pytest.approx(1e-8, rel=1e-12)
    for kind in SPECTRUM_KINDS:
        s = spectrum(kind, 11, rank=4, cond=1e3)
        assert s.dtype == np.float64 and s.shape == (11,)
        assert_descending(s)
        assert_nonnegative(s)
        assert spectrum(kind, 0, rank=0, cond=10.0).shape == (0,)


def test_spectrum_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`kind` must be one of"):
        spectrum("steep", 3)
    with pytest.raises(ValueError, match="`rank` must be given"):
        spectrum("exact_rank", 3)
    with pytest.raises(ValueError, match="`rank` must satisfy 0 <= rank <= 3"):
        spectrum("exact_rank", 3, rank=4)
    with pytest.raises(ValueError, match="`cond` must be given"):
        spectrum("geometric_cond", 3)
    with pytest.raises(ValueError, match="`cond` must be a finite number with 1.0 <= cond"):
        spectrum("geometric_cond", 3, cond=0.5)
    with pytest.raises(ValueError, match="`rate`"):
        spectrum("fast", 3, rate=1.5)
    with pytest.raises(ValueError, match="`k` must satisfy k >= 0"):
        spectrum("flat", -1)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_matrix_with_spectrum_has_that_spectrum(dtype):
    s = spectrum("fast", 5, rate=0.6)
    A, U, s_out, V = matrix_with_spectrum(12, 9, s, rng=2, dtype=dtype)
    assert A.shape == (12, 9) and A.dtype == dtype
    assert U.shape == (12, 5) and V.shape == (9, 5)
    np.testing.assert_array_equal(s_out, s)
    assert_orthonormal(U)
    assert_orthonormal(V)
    sv = np.linalg.svd(A.astype(np.complex128), compute_uv=False)
    expected = np.concatenate([s, np.zeros(4)])
    np.testing.assert_allclose(sv, expected, rtol=0, atol=_spectral_tol(A, s))


def test_matrix_with_spectrum_product_and_errors():
    A, U, s, V = matrix_with_spectrum(5, 7, [2.0, 1.0], rng=0, complex=True)
    assert A.dtype == np.complex128
    np.testing.assert_allclose(A, (U * s) @ V.conj().T, rtol=0, atol=0)
    A0 = matrix_with_spectrum(3, 4, [], rng=0).A
    np.testing.assert_array_equal(A0, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"at most min\(m, n\) = 3 entries; got 4"):
        matrix_with_spectrum(3, 5, [1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="`s` must be non-negative"):
        matrix_with_spectrum(3, 3, [1.0, -1.0])
    with pytest.raises(ValueError, match="`s` must contain only finite values"):
        matrix_with_spectrum(3, 3, [np.nan])


@pytest.mark.parametrize("norm", ["fro", "spectral", "nuclear"])
def test_optimal_error_matches_truncated_svd(norm):
    A, U, s, V = matrix_with_spectrum(10, 8, spectrum("slow", 8), rng=4)
    u, sv, vh = np.linalg.svd(A, full_matrices=False)
    ord_ = {"fro": "fro", "spectral": 2, "nuclear": "nuc"}[norm]
    for r in range(0, 10):
        best = (u[:, :r] * sv[:r]) @ vh[:r]
        assert optimal_error(s, r, norm) == pytest.approx(np.linalg.norm(A - best, ord_), rel=1e-12, abs=1e-14)


def test_optimal_error_edge_cases():
    assert optimal_error([3.0, 4.0], 0) == 5.0  # sorts its input
    assert optimal_error([1.0], 3, "spectral") == 0.0
    assert optimal_error([0.0, 0.0], 0) == 0.0
    assert optimal_error([3e300, 4e300], 0) == pytest.approx(5e300)  # no overflow
    assert optimal_error([3e-300, 4e-300], 0) == pytest.approx(5e-300)  # no underflow
    with pytest.raises(ValueError, match="`norm` must be one of"):
        optimal_error([1.0], 0, norm="max")
    with pytest.raises(ValueError, match="`r` must satisfy r >= 0"):
        optimal_error([1.0], -1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_psd_matrix(dtype):
    w = np.array([5.0, 2.0, 1e-3])
    A, V = psd_matrix(7, w, rng=0, dtype=dtype)
    assert A.dtype == dtype and V.shape == (7, 3)
    np.testing.assert_array_equal(A, A.T)
    assert_orthonormal(V)
    ev = np.linalg.eigvalsh(A.astype(np.float64))[::-1]
    atol = (tolerance(dtype) + 100 * EPS64) * np.linalg.norm(w)
    np.testing.assert_allclose(ev, np.concatenate([w, np.zeros(4)]), rtol=0, atol=atol)
    with pytest.raises(ValueError, match="at most n = 2 entries"):
        psd_matrix(2, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="`eigenvalues` must be non-negative"):
        psd_matrix(2, [1.0, -1.0])
    with pytest.raises(TypeError, match="real float dtype"):
        psd_matrix(2, [1.0], dtype=np.complex128)


def test_power_of_two_signal():
    x = power_of_two_signal((3, 16, 0), rng=0, axis=1)
    assert x.shape == (3, 16, 0) and x.dtype == np.float64
    z = power_of_two_signal(8, rng=0, dtype=np.float32, complex=True)
    assert z.dtype == np.complex64 and z.shape == (8,)
    np.testing.assert_array_equal(power_of_two_signal(4, rng=9), power_of_two_signal(4, rng=9))
    with pytest.raises(ValueError, match=r"`shape\[1\]` must be a power of two.*got 6"):
        power_of_two_signal((2, 6), rng=0)
    with pytest.raises(ValueError, match="got 0"):
        power_of_two_signal((0,), rng=0)
    with pytest.raises(ValueError, match="`axis` must satisfy"):
        power_of_two_signal((4,), rng=0, axis=1)


# --------------------------------------------------------------- strategies


def test_dtypes_strategy_choices():
    with pytest.raises(ValueError, match="At least one of `real` and `complex`"):
        lst.dtypes(real=False, complex=False)

    @given(lst.dtypes(real=False, complex=True))
    def check(dtype):
        assert dtype.kind == "c"

    check()


@given(st.integers(0, 30).flatmap(lambda k: st.tuples(st.just(k), lst.spectra(k))))
def test_spectra_are_descending_nonnegative(case):
    k, s = case
    assert s.shape == (k,) and s.dtype == np.float64
    assert_descending(s)
    assert_nonnegative(s)
    assert np.all(s <= 1.0)


def test_strategies_check_their_arguments_when_built():
    with pytest.raises(ValueError, match="`kinds` must be a non-empty subset"):
        lst.spectra(3, kinds=("steep",))
    with pytest.raises(ValueError, match="`kinds` must be a non-empty subset"):
        lst.matrices_with_spectrum(kinds=())
    with pytest.raises(ValueError, match="`max_side` must satisfy max_side >= 3"):
        lst.matrices_with_spectrum(min_side=3, max_side=2)
    with pytest.raises(ValueError, match="`max_rank` must satisfy max_rank >= 1"):
        lst.low_rank_matrices(max_rank=0)
    with pytest.raises(ValueError, match="`dtypes` must be real float dtypes"):
        lst.psd_matrices(dtypes=(np.complex128,))
    with pytest.raises(ValueError, match="`dtypes` must name at least one dtype"):
        lst.matrices(dtypes=())
    with pytest.raises(ValueError, match="`batch_dims` must be a pair"):
        lst.power_of_two_signals(batch_dims=3)
    with pytest.raises(ValueError, match="`batch_dims` must be an increasing pair"):
        lst.power_of_two_signals(batch_dims=(2, 1))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lst.matrices_with_spectrum(min_side=1, max_side=25, dtypes=ALL_DTYPES))
def test_matrices_with_spectrum_promise(case):
    A, U, s, V = case
    m, n = A.shape
    assert 1 <= m <= 25 and 1 <= n <= 25
    assert A.dtype in ALL_DTYPES
    assert s.shape == (min(m, n),) and U.shape == (m, s.size) and V.shape == (n, s.size)
    assert_descending(s)
    assert_nonnegative(s)
    assert_orthonormal(U)
    assert_orthonormal(V)
    sv = np.linalg.svd(A.astype(np.complex128), compute_uv=False)
    np.testing.assert_allclose(sv, s, rtol=0, atol=_spectral_tol(A, s))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lst.matrices_with_spectrum(max_side=20, complex=True), st.data())
def test_known_optimum_is_attained_by_the_exact_truncation(case, data):
    A, U, s, V = case
    assert A.dtype.kind == "c"
    r = data.draw(st.integers(0, s.size), label="r")
    for norm in ("fro", "spectral", "nuclear"):
        approx = (U[:, :r], s[:r], V[:, :r].conj().T)
        assert_lowrank_error(A, approx, optimal_error(s, r, norm), factor=1.0, norm=norm)


@settings(deadline=None)
@given(lst.low_rank_matrices(max_side=30, max_rank=5))
def test_low_rank_matrices_have_exact_rank(case):
    A, U, s, V = case
    k = min(A.shape)
    r = np.count_nonzero(s)
    assert s.shape == (k,) and 1 <= r <= min(k, 5)
    assert np.all(s[:r] >= 1e-2) and np.all(s[:r] <= 1e2)
    assert_descending(s)
    sv = np.linalg.svd(A.astype(np.float64), compute_uv=False)
    # The zero singular values of A rise only to eps32/2 * ||A||_F <= 6e-8 * 100 * sqrt(5) < 1e-4,
    # while the nonzero ones move by as little and are >= 1e-2: 1e-3 separates them.
    assert np.count_nonzero(sv > 1e-3) == r


@settings(deadline=None)
@given(lst.psd_matrices(max_n=25))
def test_psd_matrices_promise(case):
    A, w, V = case
    n = A.shape[0]
    assert A.shape == (n, n) and w.shape == (n,) and V.shape == (n, n)
    assert A.dtype in (np.float32, np.float64)
    np.testing.assert_array_equal(A, A.T)
    assert_descending(w)
    ev = np.linalg.eigvalsh(A.astype(np.float64))[::-1]
    np.testing.assert_allclose(ev, w, rtol=0, atol=_spectral_tol(A, w))


@settings(deadline=None)
@given(lst.power_of_two_signals(max_log2=8, batch_dims=(0, 2)))
def test_power_of_two_signals_promise(case):
    x, axis = case
    assert 1 <= x.ndim <= 3 and -x.ndim <= axis < x.ndim
    n = x.shape[axis]
    assert 1 <= n <= 2**8 and n & (n - 1) == 0
    assert x.dtype in ALL_DTYPES
    assert np.all(np.isfinite(x))


@settings(deadline=None)
@given(lst.power_of_two_signals(max_log2=3, complex=False, batch_dims=(1, 1), min_batch_side=0))
def test_power_of_two_signals_real_and_empty_batches(case):
    x, axis = case
    assert x.ndim == 2 and x.dtype.kind == "f"


@given(lst.matrices(dtypes=ALL_DTYPES, max_side=6))
def test_generic_matrices(A):
    assert A.ndim == 2 and 1 <= min(A.shape) and max(A.shape) <= 6
    assert A.dtype in ALL_DTYPES
    assert np.all(np.isfinite(A)) and np.all(np.abs(A) <= 1e3 * (1 + tolerance(A.dtype)))
    tiny = np.finfo(A.dtype).tiny
    mags = np.abs(np.concatenate([A.real.ravel(), A.imag.ravel()]) if A.dtype.kind == "c" else A.ravel())
    assert not np.any((mags > 0) & (mags < tiny))  # no subnormals


def test_lazy_exports():
    assert lt.finite_matrices is lst.matrices
    assert lt.low_rank_matrices is lst.low_rank_matrices
    assert lt.strategies is lst
    assert "psd_matrices" in dir(lt)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lt.nope  # noqa: B018


def test_import_does_not_need_hypothesis():
    code = (
        "import sys, lowrank, lowrank.testing\n"
        "from lowrank.testing import *\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def test_hypothesis_profiles_are_registered():
    assert settings.get_profile("ci").max_examples == 25
    assert settings.get_profile("ci").derandomize
    assert settings.get_profile("dev").max_examples == 50
    assert settings.get_profile("thorough").max_examples == 500


# ------------------------------------------------------------------ asserts


def test_tolerance():
    assert tolerance(np.float32) == 2.0**-23
    assert tolerance(np.complex64, 3) == 3 * 2.0**-23
    assert tolerance(np.zeros(2), 2) == 2 * EPS64
    assert tolerance(np.int32) == EPS64
    with pytest.raises(ValueError, match="`factor`"):
        tolerance(np.float64, -1)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_assert_orthonormal_passes_on_qr_output(dtype):
    G = np.random.default_rng(0).standard_normal((200, 30)).astype(dtype)
    Q = np.linalg.qr(G)[0]
    assert_orthonormal(Q)
    assert_orthonormal(Q.T, axis="rows")
    assert_orthonormal(Q.T, axis=1)
    assert_orthonormal(Q, axis=0)
    assert_orthonormal(np.zeros((3, 0), dtype))


def test_assert_orthonormal_raises_on_bad_input():
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((20, 4)))[0]
    with pytest.raises(AssertionError, match=r"not orthonormal: max \|Q\^H Q - I\| = .* exceeds rtol"):
        assert_orthonormal(2 * Q)
    P = Q.copy()
    P[0, 0] += 1e-10  # ~4e5 eps64: far above the default, below a loose rtol
    with pytest.raises(AssertionError, match="not orthonormal"):
        assert_orthonormal(P)
    assert_orthonormal(P, rtol=1e-8)
    with pytest.raises(AssertionError, match="20 rows of length 4; .* cannot be orthonormal"):
        assert_orthonormal(Q, axis="rows")
    with pytest.raises(AssertionError, match="The rows of `Q`"):
        assert_orthonormal(np.ones((2, 3)), axis="rows")
    with pytest.raises(AssertionError, match="cannot be orthonormal"):
        assert_orthonormal(np.ones((2, 3)))
    with pytest.raises(AssertionError, match="non-finite"):
        assert_orthonormal(np.full((2, 1), np.nan))
    with pytest.raises(AssertionError, match="must be 2-D"):
        assert_orthonormal(np.ones(3))
    with pytest.raises(AssertionError, match="Gram matrix overflows"):
        assert_orthonormal(np.full((3, 2), 1e200))
    with pytest.raises(ValueError, match="`axis` must be one of"):
        assert_orthonormal(Q, axis=2)
    with pytest.raises(ValueError, match="`axis` must be one of"):
        assert_orthonormal(Q, axis=[0])
    with pytest.raises(ValueError, match="`rtol`"):
        assert_orthonormal(Q, rtol=-1.0)


def test_assert_descending_and_nonnegative():
    assert_descending([2.0, 2.0, 1.0, -1.0])
    assert_descending(np.array([], np.float32))
    with pytest.raises(AssertionError, match=r"not descending: s\[1\] = 1.0 < s\[2\] = 2.0"):
        assert_descending([3.0, 1.0, 2.0])
    assert_descending([1.0, 1.0 + 1e-15], rtol=10 * EPS64)
    with pytest.raises(AssertionError, match="must be 1-D"):
        assert_descending(np.ones((2, 2)))
    with pytest.raises(AssertionError, match="non-finite"):
        assert_descending([np.nan, 1.0])
    with pytest.raises(AssertionError, match="must be real"):
        assert_descending([1j])
    assert_nonnegative([0.0, 3.0])
    with pytest.raises(AssertionError, match=r"negative entries: s\[1\] = -1e-300"):
        assert_nonnegative([1.0, -1e-300])
    assert_nonnegative([1.0, -1e-12], atol=1e-10)
    with pytest.raises(AssertionError, match="non-finite"):
        assert_nonnegative([np.inf])


def test_assert_allclose_dtype():
    desired = np.linspace(-1, 3, 7)
    # One rounding to float32 moves each entry by <= eps32/2 * |x| <= eps32/2 * max|x|.
    assert_allclose_dtype(desired.astype(np.float32), desired, factor=0.5)
    # Norm-wise: a small entry may carry the absolute error of the large ones.
    assert_allclose_dtype(np.array([1.0, 1e-30]), np.array([1.0, 1e-16 * 0.5]), factor=1)
    with pytest.raises(AssertionError, match=r"max \|actual - desired\| = .* at index \[3\] exceeds"):
        bad = desired.copy()
        bad[3] += 1000 * EPS64 * 3
        assert_allclose_dtype(bad, desired)
    with pytest.raises(AssertionError, match="shape"):
        assert_allclose_dtype(np.ones(2), np.ones(3))
    assert_allclose_dtype(np.array([np.nan, np.inf, 1.0]), np.array([np.nan, np.inf, 1.0]))
    with pytest.raises(AssertionError, match="Non-finite entries differ"):
        assert_allclose_dtype(np.array([np.nan, 1.0]), np.array([1.0, 1.0]))
    with pytest.raises(AssertionError, match="Non-finite entries differ"):
        assert_allclose_dtype(np.array([-np.inf]), np.array([np.inf]))
    assert_allclose_dtype(1e300 * desired, 1e300 * desired * (1 + EPS64))
    assert_allclose_dtype(np.zeros(3), np.zeros(3))
    with pytest.raises(AssertionError, match="exceeds"):
        assert_allclose_dtype(np.array([1e-300]), np.zeros(1))
    assert_allclose_dtype(np.array([1e-300]), np.zeros(1), scale=1.0)
    z = np.array([1 + 1j, 2 - 1j], np.complex64)
    assert_allclose_dtype(z, z.astype(np.complex128))
    with pytest.raises(ValueError, match="`scale`"):
        assert_allclose_dtype(z, z, scale=-1.0)


def test_assert_dtype():
    assert_dtype(np.zeros(1, np.float32), np.float32)
    assert_dtype(np.float64(1.0), "float64")
    assert_dtype(scipy.sparse.eye(2, dtype=np.float32, format="csr"), np.float32)
    with pytest.raises(AssertionError, match="Expected dtype float32; got float64"):
        assert_dtype(np.zeros(1), np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("norm", ["fro", "spectral", "nuclear"])
def test_assert_lowrank_error_with_a_computed_svd(dtype, norm):
    A, U, s, V = matrix_with_spectrum(30, 20, spectrum("fast", 20, rate=0.7), rng=0, dtype=dtype)
    u, sv, vh = np.linalg.svd(A, full_matrices=False)  # computed in A.dtype
    r = 5
    assert_lowrank_error(A, (u[:, :r], sv[:r], vh[:r]), optimal_error(s, r, norm), factor=1.0, norm=norm)
    assert_lowrank_error(A, (u[:, :r] * sv[:r]) @ vh[:r], optimal_error(s, r, norm), factor=1.0, norm=norm)
    worse = (u[:, : r - 1], sv[: r - 1], vh[: r - 1])
    with pytest.raises(AssertionError, match=r"exceeds factor \* optimal .* error / optimal = 1\.\d+"):
        assert_lowrank_error(A, worse, optimal_error(s, r, norm), factor=1.0, norm=norm)


def test_assert_lowrank_error_edge_cases():
    A, U, s, V = matrix_with_spectrum(6, 5, [1.0, 0.5], rng=0)
    assert_lowrank_error(A, (U, s, V.T), 0.0, factor=1.0)  # exact rank: rounding allowance only
    assert_lowrank_error(scipy.sparse.csr_matrix(A), A, 0.0, factor=1.0)
    with pytest.raises(AssertionError, match="error / optimal = inf"):
        assert_lowrank_error(A, np.zeros_like(A), 0.0, factor=1.0)
    with pytest.raises(AssertionError, match="shape"):
        assert_lowrank_error(A, A.T, 1.0, factor=1.0)
    with pytest.raises(AssertionError, match="non-finite"):
        assert_lowrank_error(A, np.full_like(A, np.nan), 1.0, factor=1.0)
    with pytest.raises(ValueError, match="`norm` must be one of"):
        assert_lowrank_error(A, A, 1.0, factor=1.0, norm="max")
    with pytest.raises(ValueError, match="`optimal`"):
        assert_lowrank_error(A, A, -1.0, factor=1.0)
    big = 1e300 * A  # no overflow while forming the norms
    assert_lowrank_error(big, 1e300 * (U[:, :1] * s[:1]) @ V[:, :1].T, 0.5e300, factor=1.0)


def test_relative_error():
    A = np.array([[3.0, 0.0], [0.0, 4.0]])
    B = np.array([[3.0, 0.0], [0.0, 0.0]])
    assert relative_error(A, B) == pytest.approx(4 / 5)
    assert relative_error(A, B, norm="spectral") == pytest.approx(1.0)
    assert relative_error(A, B, norm="nuclear") == pytest.approx(4 / 7)
    for scale in (1e300, 1e-300, 3e-310):
        assert relative_error(A * scale, B * scale) == pytest.approx(4 / 5, rel=1e-6)
    assert relative_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert relative_error(np.zeros((2, 2)), np.eye(2)) == np.inf
    assert np.isnan(relative_error(np.full((1, 1), np.inf), np.ones((1, 1))))
    assert relative_error(A, (np.eye(2), np.array([3.0, 4.0]), np.eye(2))) == 0.0
    assert relative_error(np.ones(4), np.zeros(4)) == 1.0  # "fro" works on vectors
    with pytest.raises(ValueError, match="needs 2-D arrays"):
        relative_error(np.ones(4), np.zeros(4), norm="spectral")
    with pytest.raises(ValueError, match="`norm` must be one of"):
        relative_error(A, B, norm=2)


@given(st.integers(-300, 300), st.integers(0, 2**32 - 1))
def test_relative_error_is_scale_invariant(exponent, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((5, 4))
    B = A + 1e-3 * rng.standard_normal((5, 4))
    scale = 10.0**exponent
    for norm in ("fro", "spectral"):
        assert relative_error(scale * A, scale * B, norm) == pytest.approx(relative_error(A, B, norm), rel=1e-10)

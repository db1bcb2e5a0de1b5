"""Tests for lowrank.sketching: products, draws, entry statistics, validation, kernels.

Rounding tolerances. A product entry sum_j S_ij A_jk computed in dtype (BLAS, a
Walsh-Hadamard butterfly of depth log2 N, or a scatter loop) differs from the exact
sum of the same (rounded) S and A by at most about (terms + log2 N + 2) * eps *
(|S| |A|)_ik, with terms <= max(n, size). ``_factor`` doubles that; every bound below
is "factor * eps * (|S| |A|)", computed in float64 from the operands actually used.

Statistical tolerances are 6 standard errors (a two-sided normal tail of 2e-9), so
they hold for any seed with overwhelming probability.
"""

import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given, settings

import lowrank
from lowrank.sketching import KINDS, SketchOperator, make_sketch, sketch
from lowrank.sketching import _kernels

from . import naive

F64 = np.float64
DTYPES = (np.float32, np.float64)
SEEDS = st.integers(0, 2**32 - 1)
FORMATS = ("dense", "fortran", "list", "csr_matrix", "csc_matrix", "coo_matrix",
           "csr_array", "csc_array", "linop")


def _eps(dtype):
    return float(np.finfo(np.dtype(dtype)).eps)


def _factor(n, size):
    log2N = max(1, (max(n, size) - 1).bit_length())
    return 2.0 * (max(n, size) + log2N + 4)


def _convert(A, fmt):
    if fmt == "dense":
        return A.copy()
    if fmt == "fortran":
        return np.asfortranarray(A)
    if fmt == "list":
        return A.tolist()
    if fmt == "linop":
        return spla.aslinearoperator(A)
    return getattr(sp, fmt)(A)


def _matrix(gen, shape, dtype, density=1.0):
    A = gen.standard_normal(shape) * 10.0 ** gen.uniform(-2, 2)
    A[gen.random(shape) >= density] = 0.0
    return A.astype(dtype)


def assert_product(got, S, A, dtype, factor, *, what=""):
    """got (in dtype) == S @ A (float64 operands) within factor * eps(dtype) * |S| |A|."""
    assert type(got) is np.ndarray, f"{what}: got {type(got).__name__}"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype} != {np.dtype(dtype)}"
    ref = S @ A
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    err = np.abs(got.astype(F64) - ref)
    tol = factor * _eps(dtype) * (np.abs(S) @ np.abs(A))
    bad = err > tol
    assert not np.any(bad), f"{what}: worst error {err[bad].max()} over tolerance {tol[bad].min()}"


# ------------------------------------------------------------------- products


@st.composite
def cases(draw, max_n=70, max_size=80, max_k=6):
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.integers(1, max_n))
    size = draw(st.integers(1, max_size))
    k = draw(st.integers(1, max_k))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    density = draw(st.sampled_from([1.0, 0.5, 0.1, 0.0]))
    return kind, n, size, k, dtype, draw(SEEDS), draw(SEEDS), density


@settings(deadline=None)
@given(cases())
def test_products_agree_with_to_dense_for_every_input_type(case):
    kind, n, size, k, dtype, seed, data_seed, density = case
    op = make_sketch(kind, size, n, rng=seed)
    assert isinstance(op, SketchOperator) and op.shape == (size, n) and op.T.shape == (n, size)
    S = op.to_dense(dtype).astype(F64)
    gen = np.random.default_rng(data_seed)
    A = _matrix(gen, (n, k), dtype, density)
    A64 = A.astype(F64)
    factor = _factor(n, size)
    for fmt in FORMATS:
        if fmt == "list" and dtype != F64:
            continue  # a list of Python floats is float64
        Af = _convert(A, fmt)
        At = A.T.tolist() if fmt == "list" else _convert(A, fmt).T
        left = sketch(Af, size, kind=kind, axis=0, rng=seed)
        right = sketch(At, size, kind=kind, axis=1, rng=seed)
        assert_product(left, S, A64, dtype, factor, what=f"sketch({fmt}, axis=0)")
        assert_product(right, A64.T, S.T, dtype, factor, what=f"sketch({fmt}.T, axis=1)")
        # the same seed is the same S: sketch() and make_sketch() agree bitwise
        np.testing.assert_array_equal(op @ Af, left)
        if fmt != "linop":  # LinearOperator.__matmul__ does not defer to S.T
            np.testing.assert_array_equal(At @ op.T, right)
    X = _matrix(gen, (k, size), dtype)
    Y = _matrix(gen, (size, k), dtype)
    assert_product(X @ op, X.astype(F64), S, dtype, factor, what="X @ op")
    assert_product(op.T @ Y, S.T, Y.astype(F64), dtype, factor, what="op.T @ Y")
    assert_product(X.tolist() @ op, X.astype(F64), op.to_dense(), F64, factor, what="list @ op")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int64, np.bool_])
def test_integer_and_bool_inputs_become_float64(kind, dtype):
    gen = np.random.default_rng(5)
    A = gen.integers(-3, 4, size=(9, 4)).astype(dtype)
    A64 = A.astype(F64)
    for fmt in ("dense", "list", "csr_matrix", "csc_array", "coo_matrix", "linop"):
        Af = _convert(A, fmt)
        for axis, B, B64 in ((0, Af, A64), (1, Af.T if fmt != "list" else A.T.tolist(), A64.T)):
            got = sketch(B, 5, kind=kind, axis=axis, rng=3)
            want = sketch(B64, 5, kind=kind, axis=axis, rng=3)
            assert got.dtype == F64
            S = make_sketch(kind, 5, 9, rng=3).to_dense()
            bound = np.abs(S) @ np.abs(A64) if axis == 0 else np.abs(A64.T) @ np.abs(S.T)
            assert np.all(np.abs(got - want) <= _factor(9, 5) * _eps(F64) * bound)
    op = make_sketch(kind, 5, 9, rng=3)
    assert (A[:5].T @ op).dtype == F64 and (op.T @ A[:5]).dtype == F64


@pytest.mark.parametrize("kind", KINDS)
def test_half_and_long_double_are_computed_in_float32_or_float64(kind):
    A = np.random.default_rng(0).standard_normal((7, 3))
    for dtype in (np.float16, np.longdouble):
        try:
            got = sketch(A.astype(dtype), 4, kind=kind, rng=1)
        except TypeError:
            continue  # rejecting them is allowed
        assert got.dtype in (np.float32, np.float64)
        assert np.all(np.isfinite(got))


# ---------------------------------------------------------------- the draw


@settings(deadline=None)
@given(st.sampled_from(KINDS), st.integers(1, 40), st.integers(1, 50), SEEDS)
def test_same_seed_gives_bitwise_identical_draws_and_results(kind, n, size, seed):
    A = np.random.default_rng(seed ^ 1).standard_normal((n, 3))
    op1, op2 = make_sketch(kind, size, n, rng=seed), make_sketch(kind, size, n, rng=np.int64(seed))
    np.testing.assert_array_equal(op1.to_dense(), op2.to_dense())
    op3 = make_sketch(kind, size, n, rng=np.random.default_rng(seed))  # SPEC 7: int -> default_rng
    np.testing.assert_array_equal(op1.to_dense(), op3.to_dense())
    np.testing.assert_array_equal(sketch(A, size, kind=kind, rng=seed), sketch(A, size, kind=kind, rng=seed))
    np.testing.assert_array_equal(sketch(A.T, size, kind=kind, axis=1, rng=seed),
                                  sketch(A.T, size, kind=kind, axis=-1, rng=seed))
    np.testing.assert_array_equal(op1 @ A, op2 @ A)
    # float32 sees the float64 draw rounded to float32
    np.testing.assert_array_equal(op1.to_dense(np.float32), op1.to_dense().astype(np.float32))
    A32 = A.astype(np.float32)
    got32 = sketch(A32, size, kind=kind, rng=seed)
    got64 = sketch(A32.astype(F64), size, kind=kind, rng=seed)
    S = op1.to_dense()
    # S rounded to float32 (eps32/2 per entry) plus float32 products
    tol = (_factor(n, size) + 1) * _eps(np.float32) * (np.abs(S) @ np.abs(A32.astype(F64)))
    assert got32.dtype == np.float32
    assert np.all(np.abs(got32.astype(F64) - got64) <= tol)


@pytest.mark.parametrize("kind", KINDS)
def test_rng_handling_never_touches_global_state(kind):
    A = np.random.default_rng(0).standard_normal((20, 3))
    before = np.random.get_state()[1].copy()
    fresh = [sketch(A, 10, kind=kind) for _ in range(2)]  # rng=None: fresh entropy
    sketch(A, 10, kind=kind, rng=7)
    make_sketch(kind, 10, 20, rng=None)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert not np.array_equal(fresh[0], fresh[1])  # equal with probability ~2^-200
    gen = np.random.default_rng(3)
    assert not np.array_equal(sketch(A, 10, kind=kind, rng=gen), sketch(A, 10, kind=kind, rng=gen))


# ------------------------------------------------------- entry structure


@settings(deadline=None, max_examples=3)
@given(SEEDS)
def test_gaussian_entries_are_standard_normal_over_size(seed):
    size, n = 300, 400
    z = make_sketch("gaussian", size, n, rng=seed).to_dense() * math.sqrt(size)
    N = z.size
    # sample moments of N(0, 1): SE of mean 1/sqrt(N), of mean z^2 sqrt(2/N), of mean z^4 sqrt(96/N)
    assert abs(z.mean()) <= 6 / math.sqrt(N)
    assert abs(np.mean(z**2) - 1) <= 6 * math.sqrt(2 / N)
    assert abs(np.mean(z**4) - 3) <= 6 * math.sqrt(96 / N)
    assert abs(np.mean(z[:, 1:] * z[:, :-1])) <= 6 / math.sqrt(z[:, 1:].size)  # neighbours uncorrelated
    assert abs(np.mean(z[1:] * z[:-1])) <= 6 / math.sqrt(z[1:].size)


@settings(deadline=None, max_examples=10)
@given(st.integers(1, 80), st.integers(1, 70), SEEDS)
def test_rademacher_entries_are_plus_minus_one_over_sqrt_size(size, n, seed):
    S = make_sketch("rademacher", size, n, rng=seed).to_dense()
    np.testing.assert_allclose(np.abs(S), 1 / math.sqrt(size), rtol=2 * _eps(F64), atol=0)
    assert np.unique(np.abs(S)).size == 1


@settings(deadline=None, max_examples=3)
@given(SEEDS)
def test_rademacher_signs_are_fair(seed):
    S = make_sketch("rademacher", 200, 300, rng=seed).to_dense()
    N = S.size
    assert abs(np.mean(S > 0) - 0.5) <= 6 * 0.5 / math.sqrt(N)
    z = np.sign(S)
    assert abs(np.mean(z[:, 1:] * z[:, :-1])) <= 6 / math.sqrt(z[:, 1:].size)


@settings(deadline=None)
@given(st.integers(1, 80), st.integers(1, 70), SEEDS)
def test_srht_entries_and_hadamard_structure(size, n, seed):
    S = make_sketch("srht", size, n, rng=seed).to_dense()
    np.testing.assert_allclose(np.abs(S), 1 / math.sqrt(size), rtol=2 * _eps(F64), atol=0)
    M = np.rint(S * math.sqrt(size))  # entries d_j H[R_i, j] = +-1
    # rows R_i are distinct rows of H_N: diag(S S^T) = n / size; for n = N, S S^T = (n / size) I
    G = M @ M.T
    np.testing.assert_array_equal(np.diag(G), n)
    N = 1 << max(0, (max(n, size) - 1).bit_length())
    if n == N:
        np.testing.assert_array_equal(G, n * np.eye(size))
    # Sylvester structure: H[r, j] H[r, k] = H[r, j ^ k], so M_j * M_k * M_{j^k} is constant over rows
    for j in range(1, min(n, 16)):
        for k in range(j + 1, min(n, 16)):
            if j ^ k < n:
                prod = M[:, j] * M[:, k] * M[:, j ^ k]
                assert np.all(prod == prod[0])


@settings(deadline=None)
@given(st.integers(1, 80), st.integers(1, 70), st.one_of(st.none(), st.integers(1, 80)), SEEDS)
def test_sparse_sign_columns_have_zeta_distinct_nonzeros(size, n, nnz, seed):
    nnz = None if nnz is None else max(min(nnz, size), min(2, size))
    op = make_sketch("sparse_sign", size, n, rng=seed, nnz_per_column=nnz)
    zeta = min(size, 8) if nnz is None else nnz
    S = op.to_dense()
    np.testing.assert_array_equal(np.count_nonzero(S, axis=0), zeta)
    np.testing.assert_allclose(np.abs(S[S != 0]), 1 / math.sqrt(zeta), rtol=2 * _eps(F64), atol=0)
    # the kernels agree with to_dense (repeated rows would add up there, not in to_dense)
    np.testing.assert_allclose(op @ np.eye(n), S, rtol=0, atol=2 * _eps(F64))
    np.testing.assert_allclose(np.eye(n) @ op.T, S.T, rtol=0, atol=2 * _eps(F64))


@settings(deadline=None, max_examples=3)
@given(SEEDS)
def test_sparse_sign_rows_and_row_subsets_are_uniform(seed):
    # each row is hit with probability zeta / size, independently per column
    size, zeta, n = 10, 3, 20000
    S = make_sketch("sparse_sign", size, n, rng=seed, nnz_per_column=zeta).to_dense()
    p = zeta / size
    counts = np.count_nonzero(S, axis=1)
    assert np.all(np.abs(counts - n * p) <= 6 * math.sqrt(n * p * (1 - p)))
    assert abs(np.mean(S[S != 0] > 0) - 0.5) <= 6 * 0.5 / math.sqrt(n * zeta)
    # the zeta-subsets of rows are uniform: 2 of 4 rows, 6 subsets of probability 1/6 each
    S = make_sketch("sparse_sign", 4, n, rng=seed, nnz_per_column=2).to_dense() != 0
    codes = S[0] * 1 + S[1] * 2 + S[2] * 4 + S[3] * 8
    freq = np.array([np.count_nonzero(codes == c) for c in (3, 5, 6, 9, 10, 12)])
    assert freq.sum() == n
    assert np.all(np.abs(freq - n / 6) <= 6 * math.sqrt(n * (1 / 6) * (5 / 6)))


# -------------------------------------------------------- expectations


@settings(deadline=None, max_examples=2)
@given(SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_unbiased_gram_over_many_draws(kind, seed):
    # E[S^T S] = I and E[(SA)^T SA] = A^T A: the mean of 400 independent draws lies within
    # 6 empirical standard errors plus the float64 rounding of the products. S comes from
    # to_dense (checked against every product path above) to keep the 400 draws cheap.
    draws, n, k, size = 400, 24, 4, 6
    seeds = np.random.SeedSequence(seed).spawn(draws)
    A = np.random.default_rng(seed).standard_normal((n, k))
    G, H = np.empty((draws, k, k)), np.empty((draws, n, n))
    bound_G, bound_H = np.zeros((k, k)), np.zeros((n, n))
    for t, ss in enumerate(seeds):
        S = make_sketch(kind, size, n, rng=np.random.default_rng(ss)).to_dense()
        if t < 5:
            got = sketch(A, size, kind=kind, rng=np.random.default_rng(ss))
            assert_product(got, S, A, F64, _factor(n, size))
        SA, P = S @ A, np.abs(S) @ np.abs(A)
        G[t], H[t] = SA.T @ SA, S.T @ S
        bound_G += P.T @ P
        bound_H += np.abs(S).T @ np.abs(S)
    for X, want, bound in ((G, A.T @ A, bound_G), (H, np.eye(n), bound_H)):
        se = X.std(axis=0, ddof=1) / math.sqrt(draws)
        rounding = 2 * _factor(n, size) * _eps(F64) * bound / draws
        assert np.all(np.abs(X.mean(axis=0) - want) <= 6 * se + rounding)


@pytest.fixture(scope="module")
def subspace():
    gen = np.random.default_rng(20240)
    return [np.linalg.qr(gen.standard_normal((2000, 20)))[0] for _ in range(2)]


@settings(deadline=None, max_examples=3)
@given(SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_subspace_embedding_of_a_20_dim_subspace(subspace, kind, seed):
    # size 4d = 80: the singular values of S U concentrate near [0.54, 1.44] with standard
    # deviations ~0.05 (over 1000 seeds, every kind); [0.2, 1.8] is >= 7 of them away.
    for U in subspace:
        s = np.linalg.svd(sketch(U, 80, kind=kind, rng=seed), compute_uv=False)
        assert s.min() >= 1 - 0.8 and s.max() <= 1 + 0.8, (s.min(), s.max())
        t = np.linalg.svd(U.T @ make_sketch(kind, 80, 2000, rng=seed).T, compute_uv=False)
        np.testing.assert_allclose(t, s, rtol=1e-10, atol=0)


@settings(deadline=None)
@given(st.sampled_from(KINDS), st.integers(1, 70), st.integers(1, 80), st.sampled_from(DTYPES), SEEDS)
def test_adjoint_dot_test(kind, n, size, dtype, seed):
    op = make_sketch(kind, size, n, rng=seed)
    gen = np.random.default_rng(seed)
    u = gen.standard_normal((n, 1)).astype(dtype)
    v = gen.standard_normal((size, 1)).astype(dtype)
    S = op.to_dense(dtype).astype(F64)
    scale = (np.abs(v.astype(F64)).T @ np.abs(S) @ np.abs(u.astype(F64))).item()
    tol = (_factor(n, size) + 4) * _eps(dtype) * scale
    lhs = float(np.vdot(op @ u, v))            # (S u) . v
    rhs = float(np.vdot(u, op.T @ v))          # u . (S^T v)
    assert abs(lhs - rhs) <= tol
    lhs2 = float(np.vdot(u.T @ op.T, v.T))     # (u^T S^T) . v
    rhs2 = float(np.vdot(u.T, v.T @ op))       # u . (v^T S)
    assert abs(lhs2 - rhs2) <= tol and abs(lhs - lhs2) <= tol


# ------------------------------------------------------------- bad input


A_OK = np.arange(12.0).reshape(4, 3)


@pytest.mark.parametrize("size", [0, -1, 2.0, 1.5, True, "3", None])
def test_bad_size(size):
    with pytest.raises((ValueError, TypeError), match="size"):
        sketch(A_OK, size)
    with pytest.raises((ValueError, TypeError), match="size"):
        make_sketch("gaussian", size, 4)


@pytest.mark.parametrize("kind", ["foo", "Gaussian", "", None, 1])
def test_bad_kind(kind):
    with pytest.raises(ValueError, match="kind"):
        sketch(A_OK, 2, kind=kind)
    with pytest.raises(ValueError, match="kind"):
        make_sketch(kind, 2, 4)


@pytest.mark.parametrize("axis", [2, -3, "0", None, True])
def test_bad_axis(axis):
    with pytest.raises((ValueError, TypeError), match="axis"):
        sketch(A_OK, 2, axis=axis)


@pytest.mark.parametrize("axis", [1.0, 0.0, np.float64(1.0)])
def test_bad_float_axis(axis):
    with pytest.raises((ValueError, TypeError), match="axis"):
        sketch(A_OK, 2, axis=axis)


@pytest.mark.parametrize("rng", ["a", 1.5, -1, True, np.random.RandomState(0), [1]])
def test_bad_rng(rng):
    with pytest.raises((ValueError, TypeError), match="rng"):
        sketch(A_OK, 2, rng=rng)
    with pytest.raises((ValueError, TypeError), match="rng"):
        make_sketch("srht", 2, 4, rng=rng)


@pytest.mark.parametrize("n", [0, -2, 3.0, False, "4"])
def test_bad_n(n):
    with pytest.raises((ValueError, TypeError), match="`n`"):
        make_sketch("gaussian", 2, n)


@pytest.mark.parametrize("nnz", [0, -1, 1, 5, 2.0, True])
def test_bad_nnz_per_column(nnz):  # API: zeta >= 2 (unless size == 1)
    with pytest.raises((ValueError, TypeError), match="nnz_per_column"):
        make_sketch("sparse_sign", 4, 6, nnz_per_column=nnz)


def _bad_A():
    nan = A_OK.copy()
    nan[1, 2] = np.nan
    inf = A_OK.copy()
    inf[0, 0] = -np.inf
    return [
        (nan, ValueError, "`A`"),
        (inf, ValueError, "`A`"),
        (sp.csr_matrix(nan), ValueError, "`A`"),
        (sp.coo_array(inf), ValueError, "`A`"),
        (spla.aslinearoperator(nan), ValueError, "`A`"),
        (A_OK + 1j, TypeError, "`A`"),
        (sp.csr_matrix(A_OK + 1j), TypeError, "`A`"),
        (spla.aslinearoperator(A_OK + 1j), TypeError, "`A`"),
        ([["1.0", "2.0", "3.0"]] * 4, TypeError, "`A`"),
        ("1.0", TypeError, "`A`"),
        (np.array([[1.0, 2.0, 3.0]] * 4, dtype=object), TypeError, "`A`"),
        (np.zeros((0, 3)), ValueError, "`A`"),
        (np.zeros((4, 0)), ValueError, "`A`"),
        (sp.csr_matrix((0, 3)), ValueError, "`A`"),
        (np.ones(4), ValueError, "`A`"),
        (np.ones((4, 3, 1)), ValueError, "`A`"),
        ([[1.0, 2.0], [3.0]], ValueError, "`A`"),
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", _bad_A(), ids=lambda b: type(b[0]).__name__)
def test_bad_A(kind, bad):
    A, exc, match = bad
    for axis in (0, 1):
        with pytest.raises(exc, match=match):
            sketch(A, 3, kind=kind, axis=axis, rng=0)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_operands_of_the_operator(kind):
    op = make_sketch(kind, 3, 4, rng=0)
    with pytest.raises(ValueError, match="`A`"):
        op @ np.ones((5, 2))  # needs 4 rows
    with pytest.raises(ValueError, match="`A`"):
        op @ sp.csr_matrix(np.ones((3, 2)))
    with pytest.raises(ValueError, match="`A`"):
        op @ spla.aslinearoperator(np.ones((5, 2)))
    with pytest.raises(ValueError, match="`A`"):
        np.ones((2, 5)) @ op.T  # needs 4 columns
    with pytest.raises(ValueError, match="`A`"):
        op @ np.ones(4)
    with pytest.raises(ValueError):
        np.ones((2, 4)) @ op  # X must have 3 columns
    with pytest.raises(ValueError):
        op.T @ np.ones((4, 2))  # Y must have 3 rows
    with pytest.raises(ValueError):
        np.ones(3) @ op
    with pytest.raises(ValueError):
        op.T @ np.ones(3)
    with pytest.raises(TypeError):
        op @ (np.ones((4, 2)) * 1j)
    with pytest.raises(TypeError):
        op.T @ (np.ones((3, 2)) * 1j)
    with pytest.raises(TypeError):
        op @ [["1.0", "2.0"]] * 4
    with pytest.raises(ValueError):
        np.full((2, 3), np.nan) @ op


# ------------------------------------------------------------- edge cases


@pytest.mark.parametrize("kind", KINDS)
def test_one_by_one_and_size_one(kind):
    for a in (3.0, -0.5):
        S = make_sketch(kind, 1, 1, rng=4).to_dense()
        got = sketch(np.array([[a]]), 1, kind=kind, rng=4)
        np.testing.assert_allclose(got, S * a, rtol=4 * _eps(F64))
        if kind != "gaussian":
            assert abs(S[0, 0]) == 1.0
    A = np.random.default_rng(1).standard_normal((30, 2))
    S = make_sketch(kind, 1, 30, rng=2).to_dense()
    assert_product(sketch(A, 1, kind=kind, rng=2), S, A, F64, _factor(30, 1))
    assert_product(sketch(A.T, 1, kind=kind, axis=1, rng=2), A.T, S.T, F64, _factor(30, 1))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_all_zero_input_gives_zeros(kind, dtype):
    Z = np.zeros((13, 4), dtype=dtype)
    for fmt in ("dense", "csr_matrix", "csc_array", "linop"):
        for axis, B in ((0, _convert(Z, fmt)), (1, _convert(Z, fmt).T)):
            got = sketch(B, 7, kind=kind, axis=axis, rng=0)
            assert got.dtype == dtype and got.shape == ((7, 4) if axis == 0 else (4, 7))
            assert np.all(got == 0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype,scales", [(np.float64, (1e300, 1e-300)), (np.float32, (1e30, 1e-30))])
def test_scaled_input_gives_the_scaled_result(kind, dtype, scales):
    n, size = 70, 80
    gen = np.random.default_rng(11)
    A = gen.standard_normal((n, 5)).astype(dtype)
    S = make_sketch(kind, size, n, rng=9).to_dense(dtype).astype(F64)
    bound = np.abs(S) @ np.abs(A.astype(F64))
    # two products (factor each) and the rounding of c*A and of the division by c (eps each)
    tol = (2 * _factor(n, size) + 4) * _eps(dtype) * bound
    for fmt in ("dense", "csr_matrix", "linop"):
        base = sketch(_convert(A, fmt), size, kind=kind, rng=9)
        base_r = sketch(_convert(A, fmt).T, size, kind=kind, axis=1, rng=9)
        for c in scales:
            cA = (A * dtype(c)).astype(dtype)
            got = sketch(_convert(cA, fmt), size, kind=kind, rng=9)
            got_r = sketch(_convert(cA, fmt).T, size, kind=kind, axis=1, rng=9)
            assert np.all(np.isfinite(got)) and np.all(np.isfinite(got_r))
            assert np.all(np.abs(got.astype(F64) / c - base) <= tol), (fmt, c)
            assert np.all(np.abs(got_r.astype(F64) / c - base_r) <= tol.T), (fmt, c)


@pytest.mark.parametrize("kind", ["rademacher", "srht"])
def test_entries_near_the_overflow_threshold(kind):
    # S @ A has entries (s1 + s2) * 1e308 / 4 in {0, +-5e307}: finite; the unscaled sum 2e308 is not.
    op = make_sketch(kind, 16, 2, rng=0)
    A = np.full((2, 1), 1e308)
    with np.errstate(over="ignore"):
        got = op @ A
    np.testing.assert_allclose(got, op.to_dense() @ A, rtol=4 * _eps(F64))


@pytest.mark.parametrize("kind", KINDS)
def test_inputs_are_never_modified(kind):
    gen = np.random.default_rng(2)
    A = gen.standard_normal((17, 5))
    A[A < 0.3] = 0
    op = make_sketch(kind, 6, 17, rng=1)
    X, Y = gen.standard_normal((3, 6)), gen.standard_normal((6, 3))
    for fmt in ("dense", "fortran", "csr_matrix", "csc_matrix", "coo_matrix", "csr_array"):
        Af, Bf = _convert(A, fmt), _convert(A.T.copy(), fmt)
        keep = [M.copy() if sp.issparse(M) else M.copy(order="K") for M in (Af, Bf)]
        op @ Af, Bf @ op.T, sketch(Af, 6, kind=kind, rng=1), sketch(Bf, 6, kind=kind, axis=1, rng=1)
        for new, old in zip((Af, Bf), keep):
            if sp.issparse(new):
                assert new.format == old.format and new.dtype == old.dtype
                for attr in ("data", "indices", "indptr", "row", "col"):
                    if hasattr(old, attr):
                        np.testing.assert_array_equal(getattr(new, attr), getattr(old, attr))
            else:
                np.testing.assert_array_equal(new, old)
                assert new.flags.f_contiguous == old.flags.f_contiguous
    keep = X.copy(), Y.copy()
    X @ op, op.T @ Y
    np.testing.assert_array_equal(X, keep[0])
    np.testing.assert_array_equal(Y, keep[1])
    # nor keeps state the caller can change: to_dense returns a private copy
    before = op @ A
    op.to_dense()[:] = 7.0
    op.to_dense(np.float32)[:] = 7.0
    np.testing.assert_array_equal(op @ A, before)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_fortran_and_read_only_inputs(kind, dtype):
    gen = np.random.default_rng(8)
    big = gen.standard_normal((40, 30)).astype(dtype)
    ro = big[:19, :7].copy()
    ro.flags.writeable = False
    views = [big[::2, ::4], big[::-2, 1::4], np.asfortranarray(big[:20, :8]), big[:20, :8].T.T, ro]
    for V in views:
        n = V.shape[0]
        S = make_sketch(kind, 9, n, rng=3).to_dense(dtype).astype(F64)
        factor = _factor(n, 9)
        V64 = V.astype(F64)
        assert_product(sketch(V, 9, kind=kind, rng=3), S, V64, dtype, factor)
        assert_product(sketch(V.T, 9, kind=kind, axis=1, rng=3), V64.T, S.T, dtype, factor)
    op = make_sketch(kind, 9, 20, rng=3)
    S = op.to_dense(dtype).astype(F64)
    Xv = big[:9, ::3].T  # (10, 9), non-contiguous
    assert_product(Xv @ op, Xv.astype(F64), S, dtype, _factor(20, 9))
    Yv = big[1:19:2, ::3]  # (9, 10)
    assert_product(op.T @ Yv, S.T, Yv.astype(F64), dtype, _factor(20, 9))


@pytest.mark.parametrize("kind", KINDS)
def test_pickled_operator_gives_identical_products(kind):
    gen = np.random.default_rng(4)
    op = make_sketch(kind, 12, 21, rng=6)
    op2 = pickle.loads(pickle.dumps(op))
    opT = pickle.loads(pickle.dumps(op.T))
    A = gen.standard_normal((21, 4))
    As = sp.csr_matrix(np.where(A > 0, A, 0))
    X, Y = gen.standard_normal((3, 12)), gen.standard_normal((12, 3))
    assert op2.shape == op.shape and op2.kind == op.kind and opT.shape == (21, 12)
    np.testing.assert_array_equal(op2.to_dense(), op.to_dense())
    for dtype in DTYPES:
        Ad = A.astype(dtype)
        np.testing.assert_array_equal(op2 @ Ad, op @ Ad)
        np.testing.assert_array_equal(Ad.T @ op2.T, Ad.T @ op.T)
        np.testing.assert_array_equal(Ad.T @ opT, Ad.T @ op.T)
    np.testing.assert_array_equal(op2 @ As, op @ As)
    np.testing.assert_array_equal(As.T @ op2.T, As.T @ op.T)
    np.testing.assert_array_equal(X @ op2, X @ op)
    np.testing.assert_array_equal(op2.T @ Y, op.T @ Y)
    np.testing.assert_array_equal(opT @ Y, op.T @ Y)


@pytest.mark.parametrize("kind", KINDS)
def test_threads_sharing_one_operator_give_the_serial_results(kind):
    gen = np.random.default_rng(12)
    op = make_sketch(kind, 40, 300, rng=5)
    A = gen.standard_normal((300, 64))
    A32 = A.astype(np.float32)
    As = sp.random(300, 64, density=0.1, random_state=gen, format="csr")
    Y = gen.standard_normal((40, 8))

    def work():
        return [op @ A, op @ A32, op @ As, A.T @ op.T, A32.T @ op.T, As.T @ op.T, Y.T @ op, op.T @ Y]

    serial = work()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: work(), range(8)))
    for res in results:
        for got, want in zip(res, serial):
            np.testing.assert_array_equal(got, want)


def test_public_names():
    assert lowrank.sketch is sketch and lowrank.make_sketch is make_sketch
    assert set(KINDS) == {"gaussian", "rademacher", "srht", "sparse_sign"}
    assert "sketch" in lowrank.sketching.__all__ and "make_sketch" in lowrank.sketching.__all__


# ------------------------------------------------ kernels vs plain NumPy


@st.composite
def kernel_cases(draw):
    size = draw(st.integers(1, 30))
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, 70))  # > 64 crosses left_dense's column blocks
    zeta = draw(st.integers(1, min(size, 8)))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    gen = np.random.default_rng(draw(SEEDS))
    rows = np.stack([gen.permutation(size)[:zeta] for _ in range(n)]).astype(np.int64)
    signs = ((2.0 * gen.integers(0, 2, (n, zeta)) - 1) / math.sqrt(zeta)).astype(dtype)
    return size, n, k, dtype, gen, rows, signs


def _random_compressed(gen, n_outer, n_inner, dtype):
    """indptr/indices/data with unsorted and repeated inner indices (both are valid sums)."""
    counts = gen.integers(0, 6, n_outer)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = gen.integers(0, n_inner, indptr[-1]).astype(np.int32)
    data = gen.standard_normal(indptr[-1]).astype(dtype)
    return indptr, indices, data


def _assert_kernel(out, ref, bound, dtype, terms):
    tol = 2 * (terms + 4) * _eps(dtype) * bound
    assert out.dtype == dtype
    assert np.all(np.abs(out.astype(F64) - ref) <= tol)


@settings(deadline=None)
@given(kernel_cases())
def test_dense_kernels_match_numpy_loops(case):
    size, n, k, dtype, gen, rows, signs = case
    A = gen.standard_normal((n, k)).astype(dtype)
    out0 = gen.standard_normal((size, k)).astype(dtype)  # kernels accumulate: out += S A
    out = out0.copy()
    _kernels.left_dense(rows, signs, A, out)
    S = naive.sparse_sign_dense(rows, signs, size)
    bound = np.abs(out0.astype(F64)) + np.abs(S) @ np.abs(A.astype(F64))
    _assert_kernel(out, naive.left_dense(rows, signs, A, out0), bound, dtype, n)

    B = gen.standard_normal((k, n)).astype(dtype)
    out0 = gen.standard_normal((k, size)).astype(dtype)
    out = out0.copy()
    _kernels.right_dense(rows, signs, B, out)
    bound = np.abs(out0.astype(F64)) + np.abs(B.astype(F64)) @ np.abs(S.T)
    _assert_kernel(out, naive.right_dense(rows, signs, B, out0), bound, dtype, n)


@settings(deadline=None)
@given(kernel_cases())
def test_sparse_kernels_match_numpy_loops(case):
    size, n, k, dtype, gen, rows, signs = case
    indptr, indices, data = _random_compressed(gen, k, n, dtype)  # CSC of A (n, k)
    out0 = gen.standard_normal((size, k)).astype(dtype)
    out = out0.copy()
    _kernels.left_csc(rows, signs, indptr, indices, data, out)
    ref = naive.left_csc(rows, signs, indptr, indices, data, out0)
    bound = naive.abs_bound_left(rows, signs, indptr, indices, data, out0)
    _assert_kernel(out, ref, bound, dtype, 6 * 8)
    # the naive loop itself is S @ A for the summed sparse matrix
    A = sp.csc_matrix((data.astype(F64), indices, indptr), shape=(n, k)).toarray()
    S = naive.sparse_sign_dense(rows, signs, size)
    np.testing.assert_allclose(ref, out0 + S @ A, rtol=1e-12, atol=1e-12 * (1 + bound.max()))

    indptr, indices, data = _random_compressed(gen, k, n, dtype)  # CSR of A (k, n)
    out0 = gen.standard_normal((k, size)).astype(dtype)
    out = out0.copy()
    _kernels.right_csr(rows, signs, indptr, indices, data, out)
    ref = naive.right_csr(rows, signs, indptr, indices, data, out0)
    bound = naive.abs_bound_right(rows, signs, indptr, indices, data, out0)
    _assert_kernel(out, ref, bound, dtype, 6 * 8)
    B = sp.csr_matrix((data.astype(F64), indices, indptr), shape=(k, n)).toarray()
    np.testing.assert_allclose(ref, out0 + B @ S.T, rtol=1e-12, atol=1e-12 * (1 + bound.max()))

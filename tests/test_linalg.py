"""The private single-BLAS products (lowrank._linalg) and the factor kernels."""

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lowrank._linalg import gram, mm, project_out

_kernels = importlib.import_module("lowrank.factor._kernels")

DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
OPS = ("N", "T", "H")


def _op(X, op):
    return X if op == "N" else (X.T if op == "T" else X.conj().T)


def _draw(rng, shape, dtype):
    X = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        X = X + 1j * rng.standard_normal(shape)
    return X.astype(dtype)


def _layout(X, layout):
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":  # neither C- nor F-contiguous
        big = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
        big[:, ::2] = X
        return big[:, ::2]
    return np.ascontiguousarray(X)


def _tol(dtype, k):
    return 30 * np.finfo(dtype).eps * max(k, 1)


@settings(max_examples=60, deadline=None)
@given(m=st.integers(0, 9), k=st.integers(0, 9), n=st.integers(0, 9), dtype=st.sampled_from(DTYPES),
       op_a=st.sampled_from(OPS), op_b=st.sampled_from(OPS),
       la=st.sampled_from(("C", "F", "strided")), lb=st.sampled_from(("C", "F", "strided")),
       seed=st.integers(0, 2**32 - 1))
def test_mm_matches_numpy_for_every_layout_and_flag(m, k, n, dtype, op_a, op_b, la, lb, seed):
    rng = np.random.default_rng(seed)
    a = _layout(_draw(rng, (m, k) if op_a == "N" else (k, m), dtype), la)
    b = _layout(_draw(rng, (k, n) if op_b == "N" else (n, k), dtype), lb)
    a0, b0 = a.copy(), b.copy()
    out = mm(a, b, op_a, op_b)
    ref = _op(a0, op_a) @ _op(b0, op_b)
    assert out.shape == (m, n) and out.dtype == np.dtype(dtype) and out.flags.c_contiguous
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    assert np.abs(out - ref).max(initial=0.0) <= _tol(dtype, k) * scale
    assert np.array_equal(a, a0) and np.array_equal(b, b0)  # inputs untouched


def test_mm_mixed_dtypes_fall_back_to_numpy():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(mm(a, b), a @ b)
    np.testing.assert_array_equal(mm(a.astype(np.int64), b.astype(np.int64)), (a @ b).astype(np.int64))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_gram_is_exactly_hermitian_and_matches(dtype, layout):
    Q = _layout(_draw(np.random.default_rng(3), (40, 7), dtype), layout)
    G = gram(Q)
    ref = Q.conj().T @ Q
    assert G.dtype == np.dtype(dtype) and G.flags.c_contiguous
    assert np.array_equal(G, G.conj().T)
    assert np.abs(G - ref).max() <= _tol(dtype, 40) * np.abs(ref).max()


def test_gram_of_empty_blocks():
    assert gram(np.zeros((0, 3))).shape == (3, 3)
    assert gram(np.zeros((4, 0))).shape == (0, 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_project_out_leaves_the_orthogonal_part(dtype):
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(_draw(rng, (30, 4), dtype))
    Y = _draw(rng, (30, 3), dtype)
    P = project_out(Y, Q)
    assert np.abs(Q.conj().T @ P).max() <= _tol(dtype, 30)
    assert np.abs((Y - P) - Q @ (Q.conj().T @ Y)).max() <= _tol(dtype, 30)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 150), block=st.sampled_from((1, 7, 64)), dtype=st.sampled_from((np.float32, np.float64)),
       layout=st.sampled_from(("C", "F")), seed=st.integers(0, 2**32 - 1))
def test_symmetry_stats_matches_dense_reference(n, block, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    A = _layout(rng.standard_normal((n, n)).astype(dtype), layout)
    amax, asym, dmin = _kernels.symmetry_stats(A, block)
    assert amax == np.abs(A).max()
    assert asym == np.abs(A - A.T).max()
    assert dmin == A.diagonal().min()


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("op_a", ("N", "T", "H"))
@pytest.mark.parametrize("la", ("C", "F", "strided"))
def test_mm_matrix_vector_path_matches_numpy(dtype, op_a, la):
    # one column: the ?gemv route
    rng = np.random.default_rng(11)
    m, k = 37, 23
    a = _layout(_draw(rng, (m, k) if op_a == "N" else (k, m), dtype), la)
    b = _draw(rng, (k, 1), dtype)
    out = mm(a, b, op_a)
    ref = _op(a, op_a) @ b
    assert out.shape == (m, 1) and out.dtype == np.dtype(dtype) and out.flags.c_contiguous
    assert np.abs(out - ref).max() <= _tol(dtype, k) * max(1.0, float(np.abs(ref).max()))

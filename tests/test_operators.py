"""The matrix adapter (lowrank._operators): ||A||_F at every scale, layout and input kind."""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given, settings
from hypothesis import strategies as st

from lowrank._operators import as_operator

DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
SCALES = (1e-300, 1e-200, 1e-141, 1e-139, 1e-20, 1.0, 1e20, 1e139, 1e141, 1e200, 1e300)


def _reference(X, scale):
    """||scale * X||_F computed in exact-enough arithmetic: scale applied afterwards."""
    return scale * np.linalg.norm(X.astype(np.complex128 if X.dtype.kind == "c" else np.float64))


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 30), n=st.integers(1, 30),
    dtype=st.sampled_from(DTYPES), scale=st.sampled_from(SCALES),
    layout=st.sampled_from(("C", "F", "strided")), kind=st.sampled_from(("dense", "sparse", "linop")),
    seed=st.integers(0, 2**32 - 1),
)
def test_fro_norm_matches_reference_at_any_scale(m, n, dtype, scale, layout, kind, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    if np.dtype(dtype).kind == "c":
        X = X + 1j * rng.standard_normal((m, n))
    X = X.astype(dtype)
    work = np.finfo(dtype)
    amax, amin = float(np.abs(X).max()), float(np.abs(X).min())
    if scale * amax >= float(work.max) / 4 or scale * amin < float(work.tiny) * 1e3:
        scale = 1.0  # the scaled matrix must be representable in its own dtype
    A = (X * np.asarray(scale, dtype=X.real.dtype)).astype(dtype)
    if layout == "F":
        A = np.asfortranarray(A)
    elif layout == "strided":
        big = np.zeros((m, 2 * n), dtype=dtype)
        big[:, ::2] = A
        A = big[:, ::2]
    before = A.copy()
    if kind == "sparse":
        A = sp.csr_matrix(A)
    elif kind == "linop":
        A = spla.aslinearoperator(A)
    got = as_operator(A).fro_norm()
    want = _reference(X, scale)
    assert np.isfinite(got)
    assert abs(got - want) <= 20 * work.eps * np.sqrt(m * n) * want
    if kind == "dense":
        np.testing.assert_array_equal(A, before)


def test_fro_norm_zero_and_extreme_entries():
    assert as_operator(np.zeros((3, 4))).fro_norm() == 0.0
    A = np.array([[1e300, 1e300], [0.0, 0.0]])  # sum of squares overflows float64
    np.testing.assert_allclose(as_operator(A).fro_norm(), np.sqrt(2) * 1e300, rtol=1e-15)
    A = np.array([[1e-300, 1e-300], [0.0, 0.0]])  # squares underflow to zero
    np.testing.assert_allclose(as_operator(A).fro_norm(), np.sqrt(2) * 1e-300, rtol=1e-15)
    A = np.array([[1e130, 1e-20]])  # tiny entry negligible, big one safe for the fast path
    np.testing.assert_allclose(as_operator(A).fro_norm(), 1e130, rtol=1e-15)

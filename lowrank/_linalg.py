"""Dense products on one BLAS: SciPy's.

NumPy and SciPy wheels each bundle their own OpenBLAS, with its own thread pool, and a
pool's threads keep spinning for a while after every call. A loop that alternates
``numpy.matmul`` with ``scipy.linalg`` calls (a range finder: GEMM, Cholesky, TRSM, ...)
therefore has two pools fighting over the cores: on 2 cores a 220 × 220 Cholesky right
after a NumPy GEMM took up to 100 ms instead of 0.5 ms, and one shifted CholeskyQR3 of a
5000 × 220 block 250–600 ms instead of 86 ms. Every product in the library's hot loops
goes through :func:`mm` (SciPy's ``?gemm``) so that, together with SciPy's LAPACK, a
single pool does all the work.

``mm`` passes the operands to BLAS as they lie in memory (C- or Fortran-ordered, with
the transpose flags adjusted) and returns a C-contiguous result, like ``@``.
"""

import numpy as np
from scipy.linalg import blas as _blas

__all__ = ["mm", "gram", "project_out"]

_GEMM = {
    np.dtype(np.float32): _blas.sgemm,
    np.dtype(np.float64): _blas.dgemm,
    np.dtype(np.complex64): _blas.cgemm,
    np.dtype(np.complex128): _blas.zgemm,
}

def _as_fortran_operand(X, op):
    """(M, flag) with M Fortran-ordered and ``flag(M) == op(X)^T`` (flag 0 N, 1 T, 2 H)."""
    if X.dtype.kind != "c" and op == "H":
        op = "T"
    if X.flags.c_contiguous:  # X.T is Fortran-ordered and holds X^T
        return X.T, {"N": 0, "T": 1, "H": 2}[op]  # (X)^T = X^T; (X^T)^T = (X^T)^T; conj(X) = (X^T)^H
    if X.flags.f_contiguous:  # X itself is Fortran-ordered
        if op != "H":
            return X, {"N": 1, "T": 0}[op]
        X = np.ascontiguousarray(X)  # conj(X) without a transpose: no BLAS flag gives it
        return X.T, 2
    return _as_fortran_operand(np.ascontiguousarray(X), op)


_GEMV = {
    np.dtype(np.float32): _blas.sgemv,
    np.dtype(np.float64): _blas.dgemv,
}


def mm(a, b, op_a="N", op_b="N"):
    """``op_a(a) @ op_b(b)`` for 2-D arrays, with op in {"N", "T", "H"} (H: conjugate
    transpose), as a C-contiguous array, computed by SciPy's BLAS.

    A real product with one column (a matrix-vector product, as in an iterative solver)
    goes to ``?gemv``: ``?gemm`` with one column ran 3x slower on a 100000 x 200 A.
    Falls back to NumPy for dtypes BLAS lacks, mixed dtypes and empty operands.
    """
    dtype = a.dtype
    gemm = _GEMM.get(dtype)
    if gemm is None or b.dtype != dtype or a.size == 0 or b.size == 0:
        return np.ascontiguousarray(_numpy_op(a, op_a) @ _numpy_op(b, op_b))
    if op_b == "N" and b.shape[1] == 1 and dtype in _GEMV:
        return _matvec(a, b[:, 0], op_a, _GEMV[dtype])[:, None]
    # C = op_a(a) op_b(b) is computed as C^T = op_b(b)^T op_a(a)^T: Fortran's C^T is
    # NumPy's C, so the result needs no copy.
    fb, tb = _as_fortran_operand(b, op_b)
    fa, ta = _as_fortran_operand(a, op_a)
    return gemm(1.0, fb, fa, trans_a=tb, trans_b=ta).T


def _matvec(a, x, op_a, gemv):
    """``op_a(a) @ x`` for a real matrix and a vector, on a's memory as it lies."""
    transpose = op_a != "N"
    if a.flags.c_contiguous:  # a.T is Fortran-ordered and holds a^T
        return gemv(1.0, a.T, x, trans=0 if transpose else 1)
    if not a.flags.f_contiguous:
        a = np.ascontiguousarray(a)
        return gemv(1.0, a.T, x, trans=0 if transpose else 1)
    return gemv(1.0, a, x, trans=1 if transpose else 0)


def _numpy_op(X, op):
    if op == "N":
        return X
    return X.conj().T if op == "H" else X.T


_RANK_K = {
    np.dtype(np.float32): _blas.ssyrk,
    np.dtype(np.float64): _blas.dsyrk,
    np.dtype(np.complex64): _blas.cherk,
    np.dtype(np.complex128): _blas.zherk,
}


def gram(Q):
    """``Q^H Q`` (Hermitian), by a rank-k update (``?syrk`` / ``?herk``: half the flops
    of a GEMM, and 1.5x faster than one on a tall 5000 × 220 block here)."""
    rank_k = _RANK_K.get(Q.dtype)
    if rank_k is None or Q.size == 0:
        return mm(Q, Q, "H", "N")
    conj = False
    if Q.flags.f_contiguous:
        G = rank_k(1.0, Q, trans=2 if Q.dtype.kind == "c" else 1)
    else:
        # Q.T is Fortran-ordered and holds Q^T: Q^T (Q^T)^H = conj(Q^H Q)
        G = rank_k(1.0, np.ascontiguousarray(Q).T, trans=0)
        conj = Q.dtype.kind == "c"
    upper = np.triu(G)  # BLAS filled the upper triangle only
    G = upper + np.triu(upper, 1).conj().T
    if Q.dtype.kind == "c":
        G[np.diag_indices_from(G)] = G.diagonal().real  # exactly Hermitian
    return np.ascontiguousarray(G.conj() if conj else G)


def project_out(Y, Q):
    """``Y - Q (Q^H Y)``: the part of Y orthogonal to the orthonormal columns of Q."""
    return Y - mm(Q, mm(Q, Y, "H", "N"))

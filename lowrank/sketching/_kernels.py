"""Compiled inner loops of :mod:`lowrank.sketching`: sparse-sign sketch products.

A sparse sign matrix S (size x n) has, in column j, the entries ``signs[j, t]`` at
rows ``rows[j, t]`` (t < zeta, distinct rows). Each kernel accumulates in the
dtype of its output; loops are ordered so the result does not depend on the
number of threads.
"""

import numba as nb


@nb.njit(cache=True, nogil=True, parallel=True)
def left_dense(rows, signs, A, out):
    """out += S @ A for a C-contiguous A (n, k); parallel over column blocks of A."""
    n, k = A.shape
    zeta = rows.shape[1]
    block = 64
    for cb in nb.prange((k + block - 1) // block):
        c0 = cb * block
        c1 = min(c0 + block, k)
        for j in range(n):
            a = A[j, c0:c1]
            for t in range(zeta):
                o = out[rows[j, t], c0:c1]
                s = signs[j, t]
                for c in range(c1 - c0):
                    o[c] += s * a[c]


@nb.njit(cache=True, nogil=True, parallel=True)
def right_dense(rows, signs, A, out):
    """out += A @ S.T for a C-contiguous A (m, n); parallel over the rows of A."""
    m, n = A.shape
    zeta = rows.shape[1]
    for i in nb.prange(m):
        a = A[i]
        o = out[i]
        for j in range(n):
            v = a[j]
            for t in range(zeta):
                o[rows[j, t]] += signs[j, t] * v


@nb.njit(cache=True, nogil=True, parallel=True)
def left_csc(rows, signs, indptr, indices, data, out):
    """out += S @ A for A (n, k) in CSC form; parallel over the columns of A."""
    k = indptr.shape[0] - 1
    zeta = rows.shape[1]
    for c in nb.prange(k):
        for p in range(indptr[c], indptr[c + 1]):
            j = indices[p]
            v = data[p]
            for t in range(zeta):
                out[rows[j, t], c] += signs[j, t] * v


@nb.njit(cache=True, nogil=True, parallel=True)
def right_csr(rows, signs, indptr, indices, data, out):
    """out += A @ S.T for A (m, n) in CSR form; parallel over the rows of A."""
    m = indptr.shape[0] - 1
    zeta = rows.shape[1]
    for i in nb.prange(m):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            v = data[p]
            for t in range(zeta):
                out[i, rows[j, t]] += signs[j, t] * v

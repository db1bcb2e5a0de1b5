"""Slow, obvious references for the sparse-sign kernels (explicit Python loops, float64).

A sparse sign matrix S (size x n) has, in column j, the value ``signs[j, t]`` at row
``rows[j, t]`` for t < zeta. Every reference returns ``out0 + product`` in float64.
"""

import numpy as np


def sparse_sign_dense(rows, signs, size):
    """S as a dense float64 (size, n) array; repeated rows in a column add up."""
    n, zeta = rows.shape
    S = np.zeros((size, n))
    for j in range(n):
        for t in range(zeta):
            S[rows[j, t], j] += float(signs[j, t])
    return S


def left_dense(rows, signs, A, out0):
    """out0 + S @ A for a dense A (n, k)."""
    out = np.array(out0, dtype=np.float64)
    A = np.asarray(A, dtype=np.float64)
    n, zeta = rows.shape
    for j in range(n):
        for t in range(zeta):
            out[rows[j, t], :] += float(signs[j, t]) * A[j, :]
    return out


def right_dense(rows, signs, A, out0):
    """out0 + A @ S.T for a dense A (m, n)."""
    out = np.array(out0, dtype=np.float64)
    A = np.asarray(A, dtype=np.float64)
    n, zeta = rows.shape
    for j in range(n):
        for t in range(zeta):
            out[:, rows[j, t]] += float(signs[j, t]) * A[:, j]
    return out


def left_csc(rows, signs, indptr, indices, data, out0):
    """out0 + S @ A for A (n, k) given as CSC triplets (unsorted/duplicate indices allowed)."""
    out = np.array(out0, dtype=np.float64)
    k = len(indptr) - 1
    for c in range(k):
        for p in range(indptr[c], indptr[c + 1]):
            j, v = indices[p], float(data[p])
            for t in range(rows.shape[1]):
                out[rows[j, t], c] += float(signs[j, t]) * v
    return out


def right_csr(rows, signs, indptr, indices, data, out0):
    """out0 + A @ S.T for A (m, n) given as CSR triplets (unsorted/duplicate indices allowed)."""
    out = np.array(out0, dtype=np.float64)
    m = len(indptr) - 1
    for i in range(m):
        for p in range(indptr[i], indptr[i + 1]):
            j, v = indices[p], float(data[p])
            for t in range(rows.shape[1]):
                out[i, rows[j, t]] += float(signs[j, t]) * v
    return out


def abs_bound_left(rows, signs, indptr, indices, data, out0):
    """|out0| + |S| |A| for CSC triplets: the scale of every term summed into out."""
    return left_csc(rows, np.abs(signs), indptr, indices, np.abs(data), np.abs(out0))


def abs_bound_right(rows, signs, indptr, indices, data, out0):
    """|out0| + |A| |S|^T for CSR triplets."""
    return right_csr(rows, np.abs(signs), indptr, indices, np.abs(data), np.abs(out0))

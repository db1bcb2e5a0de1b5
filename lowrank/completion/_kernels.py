"""Compiled inner loops of :mod:`lowrank.completion` (trusted, validated input only).

Each row of U (or of V) has its own small ridge regression over the observed entries
of that row: with F the fixed factor and Ω_i the observed columns of row i,
(F_Ωᵢᵀ F_Ωᵢ + reg I) u_i = F_Ωᵢᵀ m_i.
"""

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, inline="always")
def _gram_rhs(indptr, idx, vals, F, i, reg, G, b):
    r = F.shape[1]
    for a in range(r):
        b[a] = 0.0
        for c in range(r):
            G[a, c] = 0.0
        G[a, a] = reg
    for p in range(indptr[i], indptr[i + 1]):
        f = F[idx[p]]
        v = vals[p]
        for a in range(r):
            fa = f[a]
            b[a] += fa * v
            for c in range(a, r):
                G[a, c] += fa * f[c]
    for a in range(r):
        for c in range(a):
            G[a, c] = G[c, a]


@nb.njit(cache=True, nogil=True, inline="always")
def _cholesky_solve(G, b, x, L):
    """x = G⁻¹ b for symmetric positive semidefinite G by Cholesky. A pivot below
    1e-12 trace(G) (a row whose observed entries do not determine every coordinate) is
    raised to that floor, a ridge on the undetermined directions only. Returns False
    for G = 0."""
    r = G.shape[0]
    trace = 0.0
    for a in range(r):
        trace += G[a, a]
    if not trace > 0.0:
        return False
    floor = 1e-12 * trace
    for a in range(r):
        for c in range(a + 1):
            s = G[a, c]
            for t in range(c):
                s -= L[a, t] * L[c, t]
            if a == c:
                L[a, a] = np.sqrt(s if s > floor else floor)
            else:
                L[a, c] = s / L[c, c]
    for a in range(r):  # forward: L y = b
        s = b[a]
        for t in range(a):
            s -= L[a, t] * x[t]
        x[a] = s / L[a, a]
    for a in range(r - 1, -1, -1):  # backward: Lᵀ x = y
        s = x[a]
        for t in range(a + 1, r):
            s -= L[t, a] * x[t]
        x[a] = s / L[a, a]
    return True


@nb.njit(cache=True, nogil=True, parallel=True)
def solve_rows_exact(indptr, idx, vals, F, out, reg):
    """out[i] = the exact ridge solution of row i (0 for a row with no entries and reg 0)."""
    n_rows, r = out.shape
    for i in nb.prange(n_rows):
        G = np.empty((r, r))
        L = np.zeros((r, r))
        b = np.empty(r)
        x = np.empty(r)
        _gram_rhs(indptr, idx, vals, F, i, reg, G, b)
        if _cholesky_solve(G, b, x, L):
            for a in range(r):
                out[i, a] = x[a]
        else:
            for a in range(r):
                out[i, a] = 0.0


@nb.njit(cache=True, nogil=True, parallel=True)
def solve_rows_cg(indptr, idx, vals, F, out, reg, steps):
    """`steps` conjugate-gradient steps on each row's normal equations, from out[i]
    (warm start). Each step is two passes over the row's entries, O(|Ω_i| r): no r × r
    Gram matrix is formed."""
    n_rows, r = out.shape
    for i in nb.prange(n_rows):
        lo, hi = indptr[i], indptr[i + 1]
        x = out[i].copy()
        res = np.empty(r)
        p = np.empty(r)
        q = np.empty(r)
        # res = F_Ωᵀ m - (F_Ωᵀ F_Ω + reg I) x
        for a in range(r):
            res[a] = -reg * x[a]
        for t in range(lo, hi):
            f = F[idx[t]]
            e = vals[t]
            for a in range(r):
                e -= f[a] * x[a]
            for a in range(r):
                res[a] += f[a] * e
        rr = 0.0
        for a in range(r):
            p[a] = res[a]
            rr += res[a] * res[a]
        for _ in range(steps):
            if rr == 0.0:
                break
            for a in range(r):
                q[a] = reg * p[a]
            for t in range(lo, hi):
                f = F[idx[t]]
                s = 0.0
                for a in range(r):
                    s += f[a] * p[a]
                for a in range(r):
                    q[a] += f[a] * s
            pq = 0.0
            for a in range(r):
                pq += p[a] * q[a]
            if not pq > 0.0:
                break
            alpha = rr / pq
            rr_new = 0.0
            for a in range(r):
                x[a] += alpha * p[a]
                res[a] -= alpha * q[a]
                rr_new += res[a] * res[a]
            beta = rr_new / rr
            rr = rr_new
            for a in range(r):
                p[a] = res[a] + beta * p[a]
        for a in range(r):
            out[i, a] = x[a]


@nb.njit(cache=True, nogil=True)
def observed_residual(rows, cols, vals, U, V):
    """sum over the observed entries of (U_i · V_j - M_ij)^2."""
    total = 0.0
    r = U.shape[1]
    for t in range(rows.shape[0]):
        s = -vals[t]
        for a in range(r):
            s += U[rows[t], a] * V[cols[t], a]
        total += s * s
    return total

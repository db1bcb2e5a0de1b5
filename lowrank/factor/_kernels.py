"""Compiled inner loops of :mod:`lowrank.factor` (trusted, validated input only)."""

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def symmetry_stats(A, block):
    """(max |A_ij|, max |A_ij - A_ji|, min A_ii) of a square real matrix in one pass.

    The tiles (I, J) and (J, I) are read together, so each entry is loaded once and
    both tiles stay in cache; no n × n temporary. O(n²) reads.
    """
    n = A.shape[0]
    amax = 0.0
    asym = 0.0
    dmin = np.inf
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        for i in range(i0, i1):
            d = A[i, i]
            if d < dmin:
                dmin = d
        for j0 in range(i0, n, block):
            j1 = min(j0 + block, n)
            for i in range(i0, i1):
                for j in range(j0, j1):
                    a = A[i, j]
                    b = A[j, i]
                    m = max(abs(a), abs(b))
                    if m > amax:
                        amax = m
                    e = abs(a - b)
                    if e > asym:
                        asym = e
    return amax, asym, dmin

"""Compiled inner loops of :mod:`lowrank.transforms` (trusted, contiguous input only).

Sylvester's Hadamard matrix factors as a Kronecker product, ``H_{n1 n2} = H_{n1} ⊗ H_{n2}``,
so a long transform is done as two in-cache passes over memory: length-``n2`` transforms
of the rows of the ``(n1, n2)`` view (:func:`fwht_rows`), then length-``n1`` transforms
down its columns (:func:`fwht_cols`). Inside a pass the butterflies run radix-8 / radix-4
so that each element is loaded and stored once per two or three stages.
"""

import numba as nb
import numpy as np

# --------------------------------------------------------------------- FWHT: rows


@nb.njit(cache=True, nogil=True, inline="always")
def _first_radix8(src, dst, n):
    """Stages of stride 1, 2 and 4 in one sweep: dst[8g:8g+8] = H_8 src[8g:8g+8]."""
    for g in range(0, n, 8):
        a0 = src[g] + src[g + 1]
        a1 = src[g] - src[g + 1]
        a2 = src[g + 2] + src[g + 3]
        a3 = src[g + 2] - src[g + 3]
        a4 = src[g + 4] + src[g + 5]
        a5 = src[g + 4] - src[g + 5]
        a6 = src[g + 6] + src[g + 7]
        a7 = src[g + 6] - src[g + 7]
        b0 = a0 + a2
        b2 = a0 - a2
        b1 = a1 + a3
        b3 = a1 - a3
        b4 = a4 + a6
        b6 = a4 - a6
        b5 = a5 + a7
        b7 = a5 - a7
        dst[g] = b0 + b4
        dst[g + 4] = b0 - b4
        dst[g + 1] = b1 + b5
        dst[g + 5] = b1 - b5
        dst[g + 2] = b2 + b6
        dst[g + 6] = b2 - b6
        dst[g + 3] = b3 + b7
        dst[g + 7] = b3 - b7


@nb.njit(cache=True, nogil=True, inline="always")
def _first_small(src, dst, n):
    """Full transform of a length-1, 2 or 4 vector (no radix-8 group fits)."""
    for i in range(n):
        dst[i] = src[i]
    h = 1
    while h < n:
        for i in range(0, n, 2 * h):
            for j in range(i, i + h):
                a = dst[j]
                b = dst[j + h]
                dst[j] = a + b
                dst[j + h] = a - b
        h *= 2


@nb.njit(cache=True, nogil=True, inline="always")
def _radix4(xa, xb, xc, xd):
    """Two butterfly stages on four equal-length slices (vectorised over their entries).

    Slices, not offsets into one array, keep the loop free of index wrap-around checks
    so that LLVM vectorises it.
    """
    for k in range(xa.shape[0]):
        a = xa[k]
        b = xb[k]
        c = xc[k]
        d = xd[k]
        s0 = a + b
        d0 = a - b
        s1 = c + d
        d1 = c - d
        xa[k] = s0 + s1
        xc[k] = s0 - s1
        xb[k] = d0 + d1
        xd[k] = d0 - d1


@nb.njit(cache=True, nogil=True, inline="always")
def _radix2(xa, xb):
    for k in range(xa.shape[0]):
        a = xa[k]
        b = xb[k]
        xa[k] = a + b
        xb[k] = a - b


@nb.njit(cache=True, nogil=True, inline="always")
def _stages_from(x, n, h):
    """In-place butterflies of strides h, 2h, ... n/2 on a contiguous vector (h >= 8)."""
    while 4 * h <= n:
        for i in range(0, n, 4 * h):
            _radix4(x[i:i + h], x[i + h:i + 2 * h], x[i + 2 * h:i + 3 * h], x[i + 3 * h:i + 4 * h])
        h *= 4
    if h < n:
        _radix2(x[:h], x[h:2 * h])


@nb.njit(cache=True, nogil=True, inline="always")
def _row_transform(src, dst, scale, apply_scale):
    n = dst.shape[0]
    if n >= 8:
        _first_radix8(src, dst, n)
        _stages_from(dst, n, 8)
    else:
        _first_small(src, dst, n)
    if apply_scale:
        for i in range(n):
            dst[i] *= scale


@nb.njit(cache=True, nogil=True, parallel=True)
def fwht_rows(src, dst, scale, apply_scale):
    """dst[b] = scale * H_n src[b] for every row b of the (batch, n) arrays (src may be dst)."""
    for b in nb.prange(dst.shape[0]):
        _row_transform(src[b], dst[b], scale, apply_scale)


@nb.njit(cache=True, nogil=True)
def fwht_rows_serial(src, dst, scale, apply_scale):
    """:func:`fwht_rows` on one thread (small inputs: no thread start-up or wait)."""
    for b in range(dst.shape[0]):
        _row_transform(src[b], dst[b], scale, apply_scale)


# --------------------------------------------------------------------- FWHT: columns


@nb.njit(cache=True, nogil=True, inline="always")
def _panel_transform(x):
    """In place, x = H_n x for a contiguous (n, w) panel (butterflies between rows)."""
    n = x.shape[0]
    h = 1
    while 4 * h <= n:
        for i in range(0, n, 4 * h):
            for j in range(i, i + h):
                _radix4(x[j], x[j + h], x[j + 2 * h], x[j + 3 * h])
        h *= 4
    if h < n:
        for j in range(h):
            _radix2(x[j], x[j + h])


@nb.njit(cache=True, nogil=True, parallel=True)
def fwht_cols(x, width, scale, apply_scale):
    """In place along axis 1 of the (pre, n, post) array x, in column panels of ``width``.

    Each panel is gathered into a contiguous (n, width) buffer first: rows of a long
    signal sit a power of two apart in memory and would evict each other from cache.
    """
    pre, n, post = x.shape
    n_panels = (post + width - 1) // width
    for t in nb.prange(pre * n_panels):
        _panel_job(x, t, n_panels, width, scale, apply_scale)


@nb.njit(cache=True, nogil=True)
def fwht_cols_serial(x, width, scale, apply_scale):
    """:func:`fwht_cols` on one thread."""
    pre, n, post = x.shape
    n_panels = (post + width - 1) // width
    for t in range(pre * n_panels):
        _panel_job(x, t, n_panels, width, scale, apply_scale)


@nb.njit(cache=True, nogil=True, inline="always")
def _panel_job(x, t, n_panels, width, scale, apply_scale):
    pre, n, post = x.shape
    p = t // n_panels
    c0 = (t % n_panels) * width
    c1 = min(c0 + width, post)
    panel = np.empty((n, c1 - c0), dtype=x.dtype)
    for j in range(n):
        panel[j] = x[p, j, c0:c1]
    _panel_transform(panel)
    if apply_scale:
        for j in range(n):
            x[p, j, c0:c1] = panel[j] * scale
    else:
        for j in range(n):
            x[p, j, c0:c1] = panel[j]


# --------------------------------------------------------------------- bit reversal


@nb.njit(cache=True, nogil=True)
def bitrev_table(n):
    """The bit-reversal permutation of range(n) for n = 2^m, in O(n)."""
    rev = np.zeros(n, dtype=np.int64)
    m = 0
    while (1 << m) < n:
        m += 1
    for i in range(1, n):
        rev[i] = (rev[i >> 1] >> 1) | ((i & 1) << (m - 1))
    return rev


@nb.njit(cache=True, nogil=True, inline="always")
def _permute_row_job(src, dst, perm, t):
    n = src.shape[1]
    p = t // n
    i = t % n
    s = src[p, i]
    d = dst[p, perm[i]]
    for c in range(src.shape[2]):
        d[c] = s[c]


@nb.njit(cache=True, nogil=True, parallel=True)
def permute_rows(src, dst, perm):
    """dst[p, perm[i], :] = src[p, i, :] for (pre, n, post) arrays (bit reversal is an involution)."""
    for t in nb.prange(src.shape[0] * src.shape[1]):
        _permute_row_job(src, dst, perm, t)


@nb.njit(cache=True, nogil=True, inline="always")
def _tile_job(src, dst, rev_q, rev_mid, job, tile):
    """One 2^q x 2^q tile: read its source rows contiguously into the small buffer
    ``tile`` (in L1), already permuted, then write whole destination rows. Reading the
    columns of the tile straight from ``src`` would touch 2^q lines a power of two apart
    per entry, which share an L1 set and evict each other."""
    t = rev_q.shape[0]
    n_mid = rev_mid.shape[0]
    hi = src.shape[1] // t  # 2^(m-q): stride of the top q bits
    b = job // n_mid
    k = job % n_mid
    s = src[b]
    d = dst[b]
    base_src = k * t
    base_dst = rev_mid[k] * t
    for a in range(t):
        ra = rev_q[a]
        row = s[a * hi + base_src:a * hi + base_src + t]
        for c in range(t):
            tile[rev_q[c], ra] = row[c]
    for c in range(t):
        start = c * hi + base_dst
        d[start:start + t] = tile[c]


@nb.njit(cache=True, nogil=True, parallel=True)
def permute_tiled(src, dst, rev_q, rev_mid):
    """dst[b, rev(i)] = src[b, i] for (batch, n) arrays, n = 2^m, m >= 2q, in 2^q x 2^q tiles.

    With i = a 2^(m-q) + k 2^q + c (a, c of q bits), rev(i) = rev_q(c) 2^(m-q) +
    rev_{m-2q}(k) 2^q + rev_q(a): for fixed k, the tile of 2^q source rows of 2^q
    contiguous entries goes to 2^q destination rows of 2^q contiguous entries.
    """
    t = rev_q.shape[0]
    n_jobs = src.shape[0] * rev_mid.shape[0]
    n_chunks = min(n_jobs, 64)  # one tile buffer per chunk of jobs, not per job
    for chunk in nb.prange(n_chunks):
        tile = np.empty((t, t), dtype=src.dtype)
        for job in range(chunk * n_jobs // n_chunks, (chunk + 1) * n_jobs // n_chunks):
            _tile_job(src, dst, rev_q, rev_mid, job, tile)


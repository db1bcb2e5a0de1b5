"""Compiled inner loops of :mod:`lowrank.transforms` (trusted, contiguous input only).

Sylvester's Hadamard matrix factors as a Kronecker product, ``H_{n1 n2} = H_{n1} ⊗ H_{n2}``,
so a long transform is done as two in-cache passes over memory: length-``n2`` transforms
of the rows of the ``(n1, n2)`` view (:func:`fwht_rows`), then length-``n1`` transforms
down its columns (:func:`fwht_cols`). Inside a pass the butterflies run radix-8 (then
one radix-4 or radix-2 sweep for the last stages), so that each element is loaded and
stored once per three stages.
"""

import numba as nb
import numpy as np

# --------------------------------------------------------------------- FWHT: rows


@nb.njit(cache=True, nogil=True, inline="always")
def _h8(a0, a1, a2, a3, a4, a5, a6, a7):
    """H_8 (a0, ..., a7): the three butterfly stages of an 8-point transform, 24 adds."""
    b0 = a0 + a1
    b1 = a0 - a1
    b2 = a2 + a3
    b3 = a2 - a3
    b4 = a4 + a5
    b5 = a4 - a5
    b6 = a6 + a7
    b7 = a6 - a7
    c0 = b0 + b2
    c2 = b0 - b2
    c1 = b1 + b3
    c3 = b1 - b3
    c4 = b4 + b6
    c6 = b4 - b6
    c5 = b5 + b7
    c7 = b5 - b7
    return c0 + c4, c1 + c5, c2 + c6, c3 + c7, c0 - c4, c1 - c5, c2 - c6, c3 - c7


@nb.njit(cache=True, nogil=True, inline="always")
def _first_radix8(src, dst, n):
    """Stages of stride 1, 2 and 4 in one sweep: dst[8g:8g+8] = H_8 src[8g:8g+8].

    Each group is taken as a length-8 slice and indexed by constants, which keeps the
    index wrap-around checks out of the loop (1.5-1.8x faster than offsets from g).
    """
    for g in range(0, n, 8):
        s = src[g:g + 8]
        d = dst[g:g + 8]
        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = _h8(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])


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
def _radix8(x0, x1, x2, x3, x4, x5, x6, x7):
    """Three butterfly stages on eight equal-length slices (strides h, 2h, 4h fused):
    each entry is loaded and stored once per three stages instead of once per two."""
    for k in range(x0.shape[0]):
        x0[k], x1[k], x2[k], x3[k], x4[k], x5[k], x6[k], x7[k] = _h8(
            x0[k], x1[k], x2[k], x3[k], x4[k], x5[k], x6[k], x7[k])


@nb.njit(cache=True, nogil=True, inline="always")
def _radix2(xa, xb):
    for k in range(xa.shape[0]):
        a = xa[k]
        b = xb[k]
        xa[k] = a + b
        xb[k] = a - b


@nb.njit(cache=True, nogil=True, inline="always")
def _sweep8(x, n, h):
    """One radix-8 sweep (strides h, 2h, 4h) over a contiguous vector, each group of 8h
    entries taken as one slice: called with a literal h, the offsets are constants and
    the loop vectorises without alias checks (4x faster than eight slices at h = 8)."""
    for i in range(0, n, 8 * h):
        b = x[i:i + 8 * h]
        for k in range(h):
            (b[k], b[h + k], b[2 * h + k], b[3 * h + k], b[4 * h + k], b[5 * h + k], b[6 * h + k],
             b[7 * h + k]) = _h8(b[k], b[h + k], b[2 * h + k], b[3 * h + k], b[4 * h + k], b[5 * h + k],
                                 b[6 * h + k], b[7 * h + k])


@nb.njit(cache=True, nogil=True, inline="always")
def _stages_from(x, n, h):
    """In-place butterflies of strides h, 2h, ... n/2 on a contiguous vector (h >= 8):
    radix-8 sweeps, then one radix-4 or radix-2 sweep for the remaining stages. The
    short strides 8 and 64 use :func:`_sweep8` with literal strides; longer ones pass
    eight slices to :func:`_radix8` (their set-up cost is spread over h entries)."""
    if h == 8 and 64 <= n:
        _sweep8(x, n, 8)
        h = 64
    if h == 64 and 512 <= n:
        _sweep8(x, n, 64)
        h = 512
    while 8 * h <= n:
        for i in range(0, n, 8 * h):
            _radix8(x[i:i + h], x[i + h:i + 2 * h], x[i + 2 * h:i + 3 * h], x[i + 3 * h:i + 4 * h],
                    x[i + 4 * h:i + 5 * h], x[i + 5 * h:i + 6 * h], x[i + 6 * h:i + 7 * h],
                    x[i + 7 * h:i + 8 * h])
        h *= 8
    if 4 * h == n:
        _radix4(x[:h], x[h:2 * h], x[2 * h:3 * h], x[3 * h:])
    elif 2 * h == n:
        _radix2(x[:h], x[h:])


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
    while 8 * h <= n:
        for i in range(0, n, 8 * h):
            for j in range(i, i + h):
                _radix8(x[j], x[j + h], x[j + 2 * h], x[j + 3 * h], x[j + 4 * h], x[j + 5 * h],
                        x[j + 6 * h], x[j + 7 * h])
        h *= 8
    if 4 * h == n:
        for j in range(h):
            _radix4(x[j], x[j + h], x[j + 2 * h], x[j + 3 * h])
    elif 2 * h == n:
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
def _tile_job(s, d, rev_q, rev_mid, k):
    """The k-th 2^q x 2^q tile of one signal (see :func:`permute_tiled`).

    With t = 2^q and hi = n / t, entry ``s[a hi + k t + c]`` goes to
    ``d[rev_q(c) hi + rev_mid(k) t + rev_q(a)]``. The tile is moved four source rows
    at a time, taken in bit-reversed order so that they land in four adjacent
    destination columns: the loads stream along four source rows, and each target row
    gets four adjacent entries (a quarter to a whole cache line) per visit.
    """
    t = rev_q.shape[0]
    hi = s.shape[0] // t
    base_src = k * t
    base_dst = rev_mid[k] * t
    for a0 in range(0, t, 4):
        # rows and 4-entry targets as slices: constant or loop-bounded indices, no
        # wrap-around checks (1.1-1.5x faster than offsets into s and d)
        s0 = s[rev_q[a0] * hi + base_src:][:t]
        s1 = s[rev_q[a0 + 1] * hi + base_src:][:t]
        s2 = s[rev_q[a0 + 2] * hi + base_src:][:t]
        s3 = s[rev_q[a0 + 3] * hi + base_src:][:t]
        for i in range(t):
            d4 = d[rev_q[i] * hi + base_dst + a0:][:4]
            d4[0] = s0[i]
            d4[1] = s1[i]
            d4[2] = s2[i]
            d4[3] = s3[i]


@nb.njit(cache=True, nogil=True, parallel=True)
def permute_tiled(src, dst, rev_q, rev_mid):
    """dst[b, rev(i)] = src[b, i] for (batch, n) arrays, n = 2^m, m >= 2q, q >= 2, in
    2^q x 2^q tiles, on all threads.

    With i = a 2^(m-q) + k 2^q + c (a, c of q bits), rev(i) = rev_q(c) 2^(m-q) +
    rev_{m-2q}(k) 2^q + rev_q(a): for fixed k, the tile of 2^q source rows of 2^q
    contiguous entries goes to 2^q destination rows of 2^q contiguous entries.
    """
    n_mid = rev_mid.shape[0]
    for job in nb.prange(src.shape[0] * n_mid):
        _tile_job(src[job // n_mid], dst[job // n_mid], rev_q, rev_mid, job % n_mid)


@nb.njit(cache=True, nogil=True)
def permute_tiled_serial(src, dst, rev_q, rev_mid):
    """:func:`permute_tiled` on the calling thread (mid-sized inputs: no thread wake-up)."""
    n_mid = rev_mid.shape[0]
    for job in range(src.shape[0] * n_mid):
        _tile_job(src[job // n_mid], dst[job // n_mid], rev_q, rev_mid, job % n_mid)


@nb.njit(cache=True, nogil=True, inline="always")
def _scatter_row(s, d, rev):
    for i in range(rev.shape[0]):
        d[rev[i]] = s[i]


@nb.njit(cache=True, nogil=True, parallel=True)
def permute_short_rows(src, dst, rev):
    """dst[b, rev(i)] = src[b, i] for (batch, n) arrays whose rows fit in a core's cache
    (n up to a few thousand), one row per job on all threads: the scattered writes stay
    in cache, so this runs at copy speed where 2^q x 2^q tiles would be too few per row.
    """
    for b in nb.prange(src.shape[0]):
        _scatter_row(src[b], dst[b], rev)


@nb.njit(cache=True, nogil=True)
def permute_short_rows_serial(src, dst, rev):
    """:func:`permute_short_rows` on the calling thread (small inputs: no thread wake-up)."""
    for b in range(src.shape[0]):
        _scatter_row(src[b], dst[b], rev)


# ----------------------------------------------------- real FFT: halfcomplex unpacking


@nb.njit(cache=True, nogil=True, inline="always")
def _unpack_span(h, out, p, k0, k1):
    """out[p, k] = h[p, 2k-1] + i h[p, 2k] and out[p, n-k] = its conjugate, k0 <= k < k1."""
    n = h.shape[1]
    for k in range(k0, k1):
        re = h[p, 2 * k - 1]
        im = h[p, 2 * k]
        up = out[p, k]
        down = out[p, n - k]
        for j in range(h.shape[2]):
            up[j] = complex(re[j], im[j])
            down[j] = complex(re[j], -im[j])


@nb.njit(cache=True, nogil=True, inline="always")
def _unpack_ends(h, out, p):
    """The purely real entries: out[p, 0] = h[p, 0] and, for n >= 2, out[p, n/2] = h[p, n-1]."""
    n = h.shape[1]
    for j in range(h.shape[2]):
        out[p, 0, j] = h[p, 0, j]
        if n > 1:
            out[p, n // 2, j] = h[p, n - 1, j]


@nb.njit(cache=True, nogil=True)
def hermitian_unpack(h, out):
    """Full complex spectra from FFTPACK halfcomplex ones, along axis 1 of (pre, n, post) arrays.

    ``h[p, :, j]`` holds ``[r_0, r_1, i_1, ..., r_{n/2-1}, i_{n/2-1}, r_{n/2}]`` (the
    real-to-halfcomplex transform of a real signal of even length n, or ``[r_0]`` for
    n = 1); ``out[p, :, j]`` receives ``X_k = r_k + i i_k`` and ``X_{n-k} = conj(X_k)``.
    One pass: n real entries read, n complex entries written.
    """
    half = h.shape[1] // 2
    for p in range(h.shape[0]):
        _unpack_ends(h, out, p)
        _unpack_span(h, out, p, 1, half)


@nb.njit(cache=True, nogil=True)
def hermitian_unpack_rows(h, out):
    """:func:`hermitian_unpack` for (pre, n) arrays: spectra along the last axis."""
    n = h.shape[1]
    half = n // 2
    for p in range(h.shape[0]):
        hp = h[p]
        op = out[p]
        op[0] = hp[0]
        if n > 1:
            op[half] = hp[n - 1]
        for k in range(1, half):
            op[k] = complex(hp[2 * k - 1], hp[2 * k])
            op[n - k] = complex(hp[2 * k - 1], -hp[2 * k])


@nb.njit(cache=True, nogil=True, parallel=True)
def hermitian_unpack_parallel(h, out, chunks):
    """:func:`hermitian_unpack` with each spectrum split into `chunks` spans, on all threads."""
    half = h.shape[1] // 2
    for job in nb.prange(h.shape[0] * chunks):
        p = job // chunks
        c = job % chunks
        if c == 0:
            _unpack_ends(h, out, p)
        _unpack_span(h, out, p, max(1, c * half // chunks), (c + 1) * half // chunks)

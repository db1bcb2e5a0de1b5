"""Random sketching operators: Gaussian, Rademacher, SRHT and sparse sign.

Every operator ``S`` of shape ``(size, n)`` satisfies ``E[S^T S] = I_n``, so
``E[(S A)^T (S A)] = A^T A``. One draw can be applied on either side of many
matrices (``S @ A``, ``A @ S.T``, ``X @ S``, ``S.T @ Y``).
"""

import math

import numpy as np
import scipy.sparse as sp

from .._operators import as_operator
from .._random import as_generator
from .._validate import check_axis, check_choice, check_int
from ..transforms import fwht
from . import _kernels

__all__ = ["SketchOperator", "make_sketch", "sketch", "KINDS"]

KINDS = ("gaussian", "rademacher", "srht", "sparse_sign")


class SketchOperator:
    """A drawn random sketch ``S`` of shape ``(size, n)`` with ``E[S^T S] = I_n``.

    Made by :func:`make_sketch`. Supports ``S @ A`` (A with n rows: ndarray, sparse or
    LinearOperator), ``A @ S.T`` (A with n columns), ``X @ S`` and ``S.T @ Y`` for
    ndarrays, and :meth:`to_dense`. Results keep the dtype of the other operand
    (float32 stays float32: the float64 draw is rounded to float32).

    Attributes
    ----------
    kind : str
    shape : tuple of int
        ``(size, n)``.
    """

    __array_ufunc__ = None  # so that ``ndarray @ S`` calls S.__rmatmul__

    def __init__(self, kind, size, n, params):
        self.kind = kind
        self.shape = (size, n)
        self._params = params  # arrays drawn once; never exposed for writing
        for value in params.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def __repr__(self):
        return f"SketchOperator(kind={self.kind!r}, shape={self.shape})"

    @property
    def T(self):
        """The transpose ``S^T`` (n, size), a lightweight view."""
        return _Transposed(self)

    @property
    def ndim(self):
        return 2

    # -------------------------------------------------------------- products
    def __matmul__(self, A):
        return _apply(self, A, side="left")

    def __rmatmul__(self, X):
        # X @ S = (S^T X^T)^T
        X = _dense_operand(X, "X", self.shape[0], axis=1)
        return _dense_left_transposed(self, X.T).T

    def to_dense(self, dtype=np.float64):
        """S as a dense (size, n) array in ``dtype`` (O(size n) memory)."""
        size, n = self.shape
        p = self._params
        if self.kind == "gaussian":
            return p["G"].astype(dtype, copy=True)
        if self.kind == "rademacher":
            return (p["signs"].astype(np.float64) / math.sqrt(size)).astype(dtype)
        if self.kind == "srht":
            # S[r, j] = d_j H[R_r, j] / sqrt(size), H[i, j] = (-1)^popcount(i & j)
            parity = _popcount(p["R"][:, None] & np.arange(n)[None, :]) & 1
            S = (1.0 - 2.0 * parity) * p["d"][None, :] / math.sqrt(size)
            return S.astype(dtype)
        S = np.zeros((size, n), dtype=np.float64)
        cols = np.repeat(np.arange(n), p["rows"].shape[1])
        S[p["rows"].ravel(), cols] = p["signs"].ravel()
        return S.astype(dtype)


class _Transposed:
    """``S^T`` for a SketchOperator ``S``: supports ``A @ S.T`` and ``S.T @ Y``."""

    __array_ufunc__ = None

    def __init__(self, op):
        self._op = op
        self.shape = (op.shape[1], op.shape[0])
        self.ndim = 2

    @property
    def T(self):
        return self._op

    def __rmatmul__(self, A):
        return _apply(self._op, A, side="right")

    def __matmul__(self, Y):
        # S^T Y = (Y^T S)^T
        Y = _dense_operand(Y, "Y", self._op.shape[0], axis=0)
        return _dense_left_transposed(self._op, Y)

    def to_dense(self, dtype=np.float64):
        return self._op.to_dense(dtype).T


def _popcount(v):
    v = v.astype(np.uint64)
    count = np.zeros(v.shape, dtype=np.uint64)
    while np.any(v):
        count += v & np.uint64(1)
        v = v >> np.uint64(1)
    return count


def _dense_operand(X, name, length, axis):
    from .._validate import as_float_array

    X = as_float_array(X, name, ndim=2)
    if X.shape[axis] != length:
        raise ValueError(f"`{name}` must have {length} entries along axis {axis}; got shape {X.shape}.")
    return X


# ------------------------------------------------------------------ drawing


def make_sketch(kind, size, n, *, rng=None, nnz_per_column=None):
    """Draw a sketching operator ``S`` of shape ``(size, n)`` with ``E[S^T S] = I_n``.

    Parameters
    ----------
    kind : {"gaussian", "rademacher", "srht", "sparse_sign"}
        See :func:`sketch`.
    size : int
        Number of rows of S (the sketch dimension), at least 1.
    n : int
        Number of columns of S (the dimension being compressed), at least 1.
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7); the same seed gives the same S.
    nnz_per_column : int, optional
        ``"sparse_sign"`` only: nonzeros ζ per column, ``min(2, size) <= ζ <= size``
        (default ``min(size, 8)``).

    Returns
    -------
    SketchOperator

    Raises
    ------
    ValueError
        If `kind` is unknown or `size`, `n` or `nnz_per_column` are out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import make_sketch
    >>> S = make_sketch("srht", 4, 6, rng=0)
    >>> S.shape
    (4, 6)
    >>> bool(np.allclose(S @ np.eye(6), S.to_dense()))
    True
    """
    kind = check_choice(kind, "kind", KINDS)
    size = check_int(size, "size", low=1)
    n = check_int(n, "n", low=1)
    if nnz_per_column is not None:
        nnz_per_column = check_int(nnz_per_column, "nnz_per_column", low=min(2, size), high=size)
    gen = as_generator(rng)
    return SketchOperator(kind, size, n, _DRAW[kind](gen, size, n, nnz_per_column))


def _draw_gaussian(gen, size, n, _):
    return {"G": gen.standard_normal((size, n)) / math.sqrt(size)}


def _draw_rademacher(gen, size, n, _):
    return {"signs": (2 * gen.integers(0, 2, size=(size, n), dtype=np.int8) - 1).astype(np.int8)}


def _draw_srht(gen, size, n, _):
    N = 1 << max(0, (max(n, size) - 1).bit_length())
    d = 2.0 * gen.integers(0, 2, size=n) - 1.0
    R = np.sort(gen.choice(N, size=size, replace=False)).astype(np.int64)
    return {"d": d, "R": R, "N": N}


def _draw_sparse_sign(gen, size, n, zeta):
    zeta = min(size, 8) if zeta is None else zeta
    # Floyd's algorithm, vectorised over columns: a uniform zeta-subset of range(size).
    rows = np.empty((n, zeta), dtype=np.int64)
    for t in range(zeta):
        top = size - zeta + t
        r = gen.integers(0, top + 1, size=n)
        taken = np.any(rows[:, :t] == r[:, None], axis=1) if t else np.zeros(n, dtype=bool)
        rows[:, t] = np.where(taken, top, r)
    signs = (2.0 * gen.integers(0, 2, size=(n, zeta)) - 1.0) / math.sqrt(zeta)
    return {"rows": rows, "signs": signs}


_DRAW = {
    "gaussian": _draw_gaussian,
    "rademacher": _draw_rademacher,
    "srht": _draw_srht,
    "sparse_sign": _draw_sparse_sign,
}


# ------------------------------------------------------------------ applying


def _apply(op, A, side, mat=None):
    """``S @ A`` (side="left") or ``A @ S.T`` (side="right") for any matrix input (`mat`:
    A already validated by :func:`as_operator`)."""
    size, n = op.shape
    if mat is None:
        mat = as_operator(A, "A", allow_complex=False, allow_dask=True)
    axis = 0 if side == "left" else 1
    if mat.shape[axis] != n:
        raise ValueError(
            f"`A` must have {n} {'rows' if axis == 0 else 'columns'} to be sketched by an "
            f"operator of shape {op.shape}; got A.shape = {mat.shape}."
        )
    if mat.kind == "linop":
        St = op.to_dense(mat.dtype).T  # (n, size)
        if side == "left":
            return np.ascontiguousarray(mat.rmatmat(St).T)  # S A = (A^T S^T)^T
        return mat.matmat(St)
    if mat.kind == "sparse":
        return _sparse_input(op, mat.A, side, mat.dtype)
    if mat.kind == "dask":
        return _dask_left(op, mat.A) if side == "left" else _dask_right(op, mat.A)
    if side == "left":
        return _dense_left(op, mat.A)
    return _dense_right(op, mat.A)


def _cast(op, key, dtype):
    return op._params[key].astype(dtype, copy=False)


def _scaled_signs(op, dtype):
    """The Rademacher matrix with its 1/sqrt(size) scale applied (entries ±1/sqrt(size))."""
    return (op._params["signs"] / math.sqrt(op.shape[0])).astype(dtype)


def _scaled_d(op, dtype):
    """SRHT signs times 1/sqrt(size): scaling first keeps the Hadamard sums in range."""
    return (op._params["d"] / math.sqrt(op.shape[0])).astype(dtype)


def _dense_left(op, A):
    """S @ A for a dense A (n, k)."""
    size, n = op.shape
    dtype = A.dtype
    p = op._params
    if op.kind == "gaussian":
        return _cast(op, "G", dtype) @ A
    # The ±1 sums are scaled before they are formed, so they cannot overflow.
    if op.kind == "rademacher":
        return _scaled_signs(op, dtype) @ A
    if op.kind == "srht":
        padded = np.zeros((p["N"], A.shape[1]), dtype=dtype)
        np.multiply(A, _scaled_d(op, dtype)[:, None], out=padded[:n])
        return fwht(padded, axis=0)[p["R"]]
    out = np.zeros((size, A.shape[1]), dtype=dtype)
    _kernels.left_dense(p["rows"], _cast(op, "signs", dtype), np.ascontiguousarray(A), out)
    return out


def _dense_left_transposed(op, Y):
    """S^T @ Y for a dense Y (size, k)."""
    size, n = op.shape
    dtype = Y.dtype
    p = op._params
    if op.kind == "gaussian":
        return _cast(op, "G", dtype).T @ Y
    if op.kind == "rademacher":
        return _scaled_signs(op, dtype).T @ Y
    if op.kind == "srht":
        # S^T = D H P^T / sqrt(size): scatter rows to R, transform, keep the first n.
        padded = np.zeros((p["N"], Y.shape[1]), dtype=dtype)
        padded[p["R"]] = Y * dtype.type(1 / math.sqrt(size))
        Z = fwht(padded, axis=0)[:n]
        return Z * _cast(op, "d", dtype)[:, None]
    return np.einsum("jtk,jt->jk", Y[p["rows"]], _cast(op, "signs", dtype))


def _dense_right(op, A):
    """A @ S.T for a dense A (m, n)."""
    size, n = op.shape
    dtype = A.dtype
    p = op._params
    if op.kind == "gaussian":
        return A @ _cast(op, "G", dtype).T
    if op.kind == "rademacher":
        return A @ _scaled_signs(op, dtype).T
    if op.kind == "srht":
        padded = np.zeros((A.shape[0], p["N"]), dtype=dtype)
        np.multiply(A, _scaled_d(op, dtype)[None, :], out=padded[:, :n])
        return fwht(padded, axis=1)[:, p["R"]]
    out = np.zeros((A.shape[0], size), dtype=dtype)
    _kernels.right_dense(p["rows"], _cast(op, "signs", dtype), np.ascontiguousarray(A), out)
    return out


def _dask_left(op, A):
    """S @ A for a row-chunked dask A (n, k): one partial product S[:, rows_b] @ A_b per
    row block, computed where the block lives, summed here in block order (NumPy out)."""
    import dask

    offsets = np.concatenate([[0], np.cumsum(A.chunks[0])]).astype(int)
    parts = [dask.delayed(_dense_left)(_column_block(op, offsets[b], offsets[b + 1]), block)
             for b, block in enumerate(A.to_delayed()[:, 0])]
    total = np.zeros((op.shape[0], A.shape[1]), dtype=A.dtype)
    for part in dask.compute(*parts):
        total += part
    return total


def _dask_right(op, A):
    """A @ S.T for a row-chunked dask A (m, n): blockwise, a dask array chunked like A's rows."""
    return A.map_blocks(lambda block: _dense_right(op, np.ascontiguousarray(block)),
                        chunks=(A.chunks[0], (op.shape[0],)), dtype=A.dtype)


def _column_block(op, j0, j1):
    """The sketch restricted to its columns j0:j1 (the same draw), as an operator of shape
    (size, j1 - j0). SRHT columns do not form an SRHT: they come as an explicit block,
    S[r, j] = d_j H[R_r, j] / sqrt(size), applied like a Gaussian one."""
    size = op.shape[0]
    p = op._params
    if op.kind == "gaussian":
        return SketchOperator("gaussian", size, j1 - j0, {"G": p["G"][:, j0:j1]})
    if op.kind == "rademacher":
        return SketchOperator("rademacher", size, j1 - j0, {"signs": p["signs"][:, j0:j1]})
    if op.kind == "sparse_sign":
        return SketchOperator("sparse_sign", size, j1 - j0,
                              {"rows": p["rows"][j0:j1], "signs": p["signs"][j0:j1]})
    parity = _popcount(p["R"][:, None] & np.arange(j0, j1)[None, :]) & 1
    G = (1.0 - 2.0 * parity) * p["d"][None, j0:j1] / math.sqrt(size)
    return SketchOperator("gaussian", size, j1 - j0, {"G": G})


def _sparse_input(op, A, side, dtype):
    size, n = op.shape
    p = op._params
    if op.kind != "sparse_sign":
        # S A is dense anyway: dense-times-sparse through scipy, transform via fwht.
        if op.kind == "srht":
            if side == "left":
                padded = np.zeros((p["N"], A.shape[1]), dtype=dtype)
                padded[:n] = (sp.diags(_scaled_d(op, dtype)) @ A).toarray()
                return fwht(padded, axis=0)[p["R"]]
            padded = np.zeros((A.shape[0], p["N"]), dtype=dtype)
            padded[:, :n] = (A @ sp.diags(_scaled_d(op, dtype))).toarray()
            return fwht(padded, axis=1)[:, p["R"]]
        S = op.to_dense(dtype)
        return np.asarray(S @ A) if side == "left" else np.asarray((A @ S.T))
    signs = _cast(op, "signs", dtype)
    if side == "left":
        C = A.tocsc()
        out = np.zeros((size, C.shape[1]), dtype=dtype)
        _kernels.left_csc(p["rows"], signs, C.indptr, C.indices, C.data, out)
        return out
    R = A.tocsr()
    out = np.zeros((R.shape[0], size), dtype=dtype)
    _kernels.right_csr(p["rows"], signs, R.indptr, R.indices, R.data, out)
    return out


def sketch(A, size, *, kind="gaussian", axis=0, rng=None):
    r"""Compress the rows (``axis=0``: ``S @ A``) or columns (``axis=1``: ``A @ S.T``) of ``A``.

    With ``n = A.shape[axis]``, draws ``S`` of shape ``(size, n)`` with
    :math:`E[S^\top S] = I_n`, so :math:`E[(SA)^\top SA] = A^\top A` (``axis=0``) and
    :math:`E[(AS^\top)(AS^\top)^\top] = AA^\top` (``axis=1``).

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Real matrix; integers/bool become float64, float32 stays float32.
    size : int
        Sketch dimension, at least 1 (sizes above ``n`` are allowed).
    kind : {"gaussian", "rademacher", "srht", "sparse_sign"}, optional
        - "gaussian": i.i.d. N(0, 1/size) entries (a GEMM, :math:`O(\text{size}\,mn)`);
        - "rademacher": i.i.d. :math:`\pm 1/\sqrt{\text{size}}`;
        - "srht": zero-pad to :math:`N = 2^{\lceil \log_2 \max(n, \text{size}) \rceil}`,
          random signs, the unnormalised Walsh–Hadamard transform (:func:`lowrank.fwht`,
          S is never formed), `size` rows drawn uniformly without replacement, scaled by
          :math:`1/\sqrt{\text{size}}`: :math:`O(N k \log N)`;
        - "sparse_sign": ζ = min(size, 8) nonzeros :math:`\pm 1/\sqrt{ζ}` per column at
          distinct random rows (a Numba scatter kernel, :math:`O(ζ\,\mathrm{nnz}(A))`).
    axis : {0, 1}, optional
        Which dimension to compress.
    rng : {None, int, numpy.random.Generator}, optional
        The same seed draws the same S for every input type and dtype.

    Returns
    -------
    ndarray
        ``(size, A.shape[1])`` for ``axis=0``, ``(A.shape[0], size)`` for ``axis=1``, in
        the dtype of A.

    Raises
    ------
    ValueError
        For a bad `size`, `kind` or `axis`, or a non-finite or empty `A`.
    TypeError
        For complex, string or object input, or a bad `rng`.

    Notes
    -----
    Subspace embedding: for a d-dimensional subspace, a Gaussian or SRHT sketch of size
    about 4d distorts norms by a factor within :math:`[1-ε, 1+ε]` with ε ≈ 1/√(size/d)
    (Tropp 2011; Woodruff 2014); sparse sign needs ζ ≥ 2 for the same size up to log
    factors (Cohen 2016).

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import sketch
    >>> A = np.random.default_rng(0).standard_normal((1000, 5))
    >>> SA = sketch(A, 200, kind="srht", rng=1)
    >>> SA.shape
    (200, 5)
    >>> s_true = np.linalg.svd(A, compute_uv=False)
    >>> bool(np.all(np.abs(np.linalg.svd(SA, compute_uv=False) / s_true - 1) < 0.5))
    True
    """
    gen = as_generator(rng)
    kind = check_choice(kind, "kind", KINDS)
    size = check_int(size, "size", low=1)
    axis = check_axis(axis, 2)  # a non-integer axis is a TypeError, out of range a ValueError
    mat = as_operator(A, "A", allow_complex=False, allow_dask=True)
    op = SketchOperator(kind, size, mat.shape[axis], _DRAW[kind](gen, size, mat.shape[axis], None))
    return _apply(op, mat.A, side="left" if axis == 0 else "right", mat=mat)

"""One adapter for every matrix input: ndarray | scipy.sparse | LinearOperator.

Routines that only need products call :func:`as_operator` once and then use
``op.matmat(X)`` (``A @ X``) and ``op.rmatmat(Y)`` (``A^H @ Y``), so dense, sparse
and matrix-free inputs follow one code path. Validation (shape, dtype, finite
entries) happens here, before any heavy work; for a LinearOperator, whose entries
cannot be inspected, :meth:`Operator.check_products` turns NaN/inf products into a
``ValueError`` naming the argument.
"""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._linalg import mm
from ._validate import as_float_array, check_finite, result_float_dtype

__all__ = ["Operator", "as_operator", "is_linear_operator"]


def is_linear_operator(A):
    return isinstance(A, spla.LinearOperator)


class Operator:
    """Products with a validated matrix ``A`` of shape (m, n).

    Attributes
    ----------
    kind : {"dense", "sparse", "linop"}
    shape : tuple of int
    dtype : numpy.dtype
        The floating dtype results are computed in.
    A : ndarray, sparse matrix or LinearOperator
        The validated matrix (never the caller's object when a conversion was needed).
    """

    def __init__(self, A, kind, dtype, name):
        self.A = A
        self.kind = kind
        self.shape = tuple(int(s) for s in A.shape)
        self.dtype = np.dtype(dtype)
        self.name = name

    @property
    def is_complex(self):
        return self.dtype.kind == "c"

    def matmat(self, X):
        """``A @ X`` for a dense (n, k) block, in ``self.dtype``."""
        X = np.asarray(X, dtype=self.dtype)
        if self.kind == "linop":
            return self.check_products(np.asarray(self.A.matmat(X), dtype=self.dtype))
        if self.kind == "dense":
            return mm(self.A, X)
        return np.asarray(self.A @ X)

    def rmatmat(self, Y):
        """``A^H @ Y`` for a dense (m, k) block, in ``self.dtype``."""
        Y = np.asarray(Y, dtype=self.dtype)
        if self.kind == "linop":
            return self.check_products(np.asarray(self.A.rmatmat(Y), dtype=self.dtype))
        if self.kind == "dense":
            return mm(self.A, Y, "H")
        AH = self.A.T.conj() if self.is_complex else self.A.T
        return np.asarray(AH @ Y)

    def columns(self, j0, j1):
        """Dense ``A[:, j0:j1]`` (for a LinearOperator, from a product with identity columns)."""
        if self.kind == "dense":
            return self.A[:, j0:j1]
        if self.kind == "sparse":
            return self.A[:, j0:j1].toarray()
        E = np.zeros((self.shape[1], j1 - j0), dtype=self.dtype)
        E[np.arange(j0, j1), np.arange(j1 - j0)] = 1
        return self.matmat(E)

    def check_products(self, Y):
        """``ValueError`` naming ``A`` if a product with a matrix-free ``A`` is not finite."""
        if not np.all(np.isfinite(Y)):
            raise ValueError(
                f"`{self.name}` must have only finite entries; a product with the "
                f"LinearOperator returned NaN or inf."
            )
        return Y

    def max_abs(self):
        """max |A_ij| for dense/sparse input (0 for an all-zero matrix); None for a LinearOperator."""
        data = self.A if self.kind == "dense" else (self.A.data if self.kind == "sparse" else None)
        if data is None:
            return None
        if data.size == 0:
            return 0.0
        if self.is_complex:
            return float(np.max(np.abs(data)))
        return float(max(np.max(data), -np.min(data)))  # no |A| temporary

    def fro_norm(self, block=256):
        """||A||_F without overflow or underflow (entries scaled by max|A_ij| first).

        For a LinearOperator it is computed from products ``A @ I[:, j:j+block]``
        (n products in all: as costly as one pass over a dense A).
        """
        if self.kind == "linop":
            return _linop_fro_norm(self, block)
        data = self.A if self.kind == "dense" else self.A.data
        amax = self.max_abs()
        if amax == 0.0:
            return 0.0
        x = data.ravel(order="K")  # a view for C- or Fortran-ordered data
        if x.dtype.itemsize >= 8 and x.dtype != np.complex64 and 1e-140 < amax < 1e140:
            # float64 / complex128 in a range where sum |a_ij|^2 can neither overflow nor
            # lose the entries that matter: one BLAS dot, no scaled temporary (a copy of
            # A costs more than the dot, mostly in page faults)
            return float(np.sqrt(np.vdot(x, x).real))
        return amax * float(np.linalg.norm(x / amax))


    # ------------------------------------------------ blocks on A's range side (m, k)
    # NumPy arrays here; a DaskOperator keeps them as dask arrays chunked like A's rows,
    # so that the algorithms (rsvd) are written once for both.
    def orth(self, Y):
        """Orthonormal basis of the columns of a block Y (m, k)."""
        from .factor.range_finder import orth

        return orth(Y)

    def reorth(self, Y, K):
        """Orthonormal columns spanning the part of Y orthogonal to the orthonormal K."""
        from .factor.range_finder import reorth

        return reorth(Y, K)

    def hstack(self, blocks):
        return np.hstack(blocks)

    def empty_block(self):
        """An (m, 0) block."""
        return np.zeros((self.shape[0], 0), dtype=self.dtype)

    def times(self, Q, M):
        """``Q @ M`` for a block Q (m, k) and a small NumPy M (k, p)."""
        return mm(Q, M)

    def inner(self, Q, Y):
        """``Q^H @ Y`` (NumPy, k × p) for blocks Q (m, k) and Y (m, p)."""
        return mm(Q, Y, "H")

    def max_abs_entries(self, U):
        """For each column of a block U, its entry of largest magnitude (NumPy)."""
        idx = np.argmax(np.abs(U), axis=0)
        return U[idx, np.arange(U.shape[1])]

    def residual_sq(self, Q, Bh, scale, block=512):
        """||(A - Q Bh^H) scale||_F^2 from explicit products (column blocks)."""
        total = 0.0
        for j in range(0, self.shape[1], block):
            j1 = min(j + block, self.shape[1])
            total += sq_norm(self.columns(j, j1) - mm(Q, Bh[j:j1], "N", "H"), scale)
        return total


def sq_norm(X, scale):
    """||X scale||_F^2 in float64 (complex128), whatever the dtype of X."""
    wide = np.complex128 if X.dtype.kind == "c" else np.float64
    return float(np.linalg.norm((np.asarray(X).astype(wide) * scale).ravel()) ** 2)


def _linop_fro_norm(op, block):
    m, n = op.shape
    total, scale = 0.0, 0.0
    for j in range(0, n, block):
        Y = op.columns(j, min(j + block, n))
        ymax = float(np.max(np.abs(Y), initial=0.0))
        if ymax == 0.0:
            continue
        if ymax > scale:  # rescale the running sum of squares to the new maximum
            total *= (scale / ymax) ** 2
            scale = ymax
        total += float(np.linalg.norm((Y / scale).ravel())) ** 2
    return scale * np.sqrt(total)


def as_operator(A, name="A", *, allow_complex=True, allow_linop=True, allow_empty=False, allow_dask=False):
    """Validate a matrix argument and wrap it as an :class:`Operator`.

    ndarray and lists: 2-D, finite, integers/bool promoted to float64. scipy.sparse:
    2-D, finite stored values, converted to CSR/CSC (kept if already one of them).
    LinearOperator: shape checked; dtype from ``A.dtype`` (float64 when unknown).
    dask array (only where ``allow_dask``): a :class:`lowrank._dask.DaskOperator`, its
    entries checked in one pass over the blocks. Never modifies ``A``.
    """
    if sp.issparse(A):
        if A.ndim != 2:
            raise ValueError(f"`{name}` must be 2-D; got a sparse array of shape {A.shape}.")
        dtype = result_float_dtype(A.dtype, allow_complex=allow_complex, name=name)
        if A.format not in ("csr", "csc"):
            A = A.tocsr()
        if A.dtype != dtype:
            A = A.astype(dtype)
        check_finite(A.data, name)
        op = Operator(A, "sparse", dtype, name)
    elif is_linear_operator(A):
        if not allow_linop:
            raise TypeError(f"`{name}` must be an array or sparse matrix here; got a LinearOperator.")
        if len(A.shape) != 2:
            raise ValueError(f"`{name}` must be 2-D; got shape {A.shape}.")
        dtype = result_float_dtype(A.dtype if A.dtype is not None else np.float64,
                                   allow_complex=allow_complex, name=name)
        op = Operator(A, "linop", dtype, name)
    elif type(A).__module__.split(".")[0] == "dask":
        if not allow_dask:
            raise TypeError(f"`{name}` is a dask array; of the routines here only `rsvd`, `sketch` and "
                            "`sketched_lstsq` accept one (pass a NumPy array, or compute it first).")
        from ._dask import DaskOperator

        op = DaskOperator(A, name, allow_complex=allow_complex).validate()
    else:
        arr = as_float_array(A, name, ndim=2, allow_complex=allow_complex)
        if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
            arr = np.ascontiguousarray(arr)  # once here, not in every product
        op = Operator(arr, "dense", arr.dtype, name)
    if not allow_empty and min(op.shape) == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {op.shape}.")
    return op

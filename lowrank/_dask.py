"""Dask arrays as matrix inputs: a row-chunked ``A`` that never leaves its workers.

:class:`DaskOperator` gives a ``dask.array.Array`` ``A`` (m, n), chunked along its rows,
the products of :class:`lowrank._operators.Operator`, computed block by block with
whatever scheduler is active (a ``dask.distributed`` ``Client`` included):

- ``matmat(X)`` with a small NumPy X (n, k) gives the tall dask array ``A @ X``
  (chunked like A's rows) — blockwise, no communication;
- ``rmatmat(Y)`` with a tall dask Y (m, k) gives the NumPy ``A^H @ Y`` (n, k) — one
  reduction over the row blocks;
- ``orth(Y)`` is dask's tall-skinny Householder QR (TSQR, Demmel, Grigori, Hoemmen &
  Langou 2012), stable for any Y; the basis is persisted so that later products do not
  recompute its graph.

``A`` itself is cast, rechunked to one column block and persisted once (``persist()``:
the blocks stay where the scheduler keeps them); it is never gathered into one array.
dask is imported only here, and only when a dask array is passed.
"""

import math

import numpy as np

from ._operators import Operator
from ._validate import result_float_dtype

__all__ = ["DaskOperator", "is_dask_array"]


def is_dask_array(A):
    """True for a ``dask.array.Array`` (checked without importing dask)."""
    return type(A).__module__.split(".")[0] == "dask" and hasattr(A, "chunks") and hasattr(A, "map_blocks")


class DaskOperator(Operator):
    """Products with a validated, row-chunked, persisted dask array (kind ``"dask"``)."""

    def __init__(self, A, name="A", *, allow_complex=True):
        if A.ndim != 2:
            raise ValueError(f"`{name}` must be 2-D; got a dask array of shape {A.shape}.")
        if any(math.isnan(c) for chunks in A.chunks for c in chunks):
            raise ValueError(f"`{name}` has unknown chunk sizes; call `{name}.compute_chunk_sizes()` first.")
        dtype = result_float_dtype(A.dtype, allow_complex=allow_complex, name=name)
        if len(A.chunks[1]) > 1:
            A = A.rechunk({1: -1})  # whole rows per block: every product is then blockwise
        if A.dtype != dtype:
            A = A.astype(dtype)
        super().__init__(A.persist(), "dask", dtype, name)
        self._max_abs = None

    def validate(self):
        """``ValueError`` naming A if an entry is NaN/inf, from max|a_ij| (one pass over the
        blocks: a NaN propagates through the maximum, an inf is the maximum)."""
        amax = float(abs(self.A).max().compute()) if self.A.size else 0.0
        if not math.isfinite(amax):
            raise ValueError(f"`{self.name}` must not contain NaN or inf.")
        self._max_abs = amax
        return self

    def matmat(self, X):
        """``A @ X`` for a NumPy (n, k) block: a tall dask array chunked like A's rows."""
        X = np.asarray(X, dtype=self.dtype)
        return self.A @ X

    def rmatmat(self, Y):
        """``A^H @ Y`` for a tall dask (or NumPy) (m, k) block, as a NumPy (n, k) array."""
        AH = self.A.conj().T if self.is_complex else self.A.T
        return np.asarray((AH @ Y).compute(), dtype=self.dtype)

    def columns(self, j0, j1):
        raise TypeError(f"`{self.name}` is a dask array: its columns are not gathered into one process.")

    def max_abs(self):
        if self._max_abs is None:
            self._max_abs = float(abs(self.A).max().compute()) if self.A.size else 0.0
        return self._max_abs

    def fro_norm(self, block=None):
        """||A||_F from one reduction, scaled by max|a_ij| so that no square overflows."""
        scale = self.max_abs()
        if scale == 0.0:
            return 0.0
        total = float((abs(self.A / scale) ** 2).sum().compute())
        return scale * math.sqrt(total)

    # ---------------------------------------------------------- tall blocks (m, k)
    def orth(self, Y):
        """Orthonormal basis of a tall dask Y (TSQR), persisted."""
        if len(Y.chunks[1]) > 1:
            Y = Y.rechunk({1: -1})
        Q, _ = _da().linalg.tsqr(Y)
        return Q.persist()

    def reorth(self, Y, K):
        """Orthonormal columns spanning the part of Y orthogonal to the orthonormal K.

        Block Gram–Schmidt with a QR after each projection, as
        :func:`lowrank.factor.range_finder.reorth`: "twice is enough", a third pass when
        the block lay numerically inside span(K), and, if even that leaves it there (the
        block has nothing new), a fixed-seed Gaussian block in its place.
        """
        if K.shape[1] == 0:
            return self.orth(Y)
        limit = 10 * np.finfo(K.dtype).eps * math.sqrt(K.shape[0])
        for attempt in range(2):
            for _ in range(3):
                Y = self.orth(Y - K @ self.inner(K, Y))
                if np.max(np.abs(self.inner(K, Y)), initial=0.0) <= limit:
                    return Y
            if attempt == 0:
                state = _da().random.RandomState(12345)
                Y = state.standard_normal(Y.shape, chunks=Y.chunks).astype(K.dtype)
        return Y

    def hstack(self, blocks):
        return _da().hstack(blocks).rechunk({1: -1}).persist()

    def empty_block(self):
        return _da().zeros((self.shape[0], 0), chunks=(self.A.chunks[0], (0,)), dtype=self.dtype)

    def times(self, Q, M):
        """``Q @ M`` for a tall dask Q and a small NumPy M (lazy, blockwise)."""
        return Q @ np.asarray(M, dtype=self.dtype)

    def inner(self, Q, Y):
        """``Q^H @ Y`` for tall dask blocks: one reduction, NumPy out."""
        QH = Q.conj().T if self.is_complex else Q.T
        return np.asarray((QH @ Y).compute(), dtype=self.dtype)

    def max_abs_entries(self, U):
        """For each column of a tall dask U, its entry of largest magnitude (NumPy), the
        first one on ties as with ``numpy.argmax``: one pass, a candidate per row block."""
        import dask

        blocks = [block for block, rows in zip(U.to_delayed()[:, 0], U.chunks[0]) if rows]
        candidates = dask.compute(*[dask.delayed(_column_max_abs)(block) for block in blocks])
        best = candidates[0]
        for cand in candidates[1:]:
            better = np.abs(cand) > np.abs(best)
            best = np.where(better, cand, best)
        return best

    def residual_sq(self, Q, Bh, scale, block=None):
        """||(A - Q Bh^H) scale||_F^2: one blockwise reduction."""
        E = self.A * scale - Q @ (np.ascontiguousarray(Bh.conj().T) * scale).astype(self.dtype)
        return float((abs(E.astype(np.complex128 if self.is_complex else np.float64)) ** 2).sum().compute())


def _column_max_abs(block):
    """Per column of a block, its first entry of largest magnitude."""
    block = np.asarray(block)
    return block[np.argmax(np.abs(block), axis=0), np.arange(block.shape[1])]


def _da():
    import dask.array

    return dask.array

r"""M-FAC: products with the inverse of a damped empirical Fisher matrix.

For gradients g_1, ..., g_m in R^d (the rows of G, m × d) and damping λ > 0,

.. math::
    F = λ I + \tfrac{1}{m} G^\top G, \qquad
    F^{-1} = \tfrac{1}{λ}\Big(I - G^\top (mλ I_m + G G^\top)^{-1} G\Big)

(Woodbury). With the eigendecomposition G Gᵀ = Q Λ Qᵀ of the m × m Gram matrix, and
B = Gᵀ Q (mλ + Λ)^{-1/2} (d × m), this is F⁻¹ = (I − B Bᵀ)/λ. So a product F⁻¹x costs
O(dm) and one entry O(m), after O(m²d + m³) set-up. This is the algebra that M-FAC's
recursions evaluate (Frantar, Kurtic & Alistarh, "M-FAC: Efficient Matrix-Free
Approximations of Second-Order Information", NeurIPS 2021).

The m × m eigenproblem runs in float64. Its directions with Λ_j at rounding level
(max(m, d) eps Λ_max) are dropped, because there Gᵀq_j is rounding noise. Each kept
column of B is scaled by its computed norm, so that it has norm below 1. Repeated or
collinear gradients and tiny damping therefore give neither NaN nor inf.

Accuracy: x − BBᵀx cancels along the gradients, so the relative error of F⁻¹x is
about eps(dtype) λ_max(F)/λ. That is the conditioning of the Woodbury form, and
M-FAC's recursions share it. The d-sized work (G Gᵀ,
B, the products) runs in the gradients' dtype (float32 stays float32), and B (d × m) is
all that is stored.
"""

import numbers

import numpy as np
import scipy.linalg

from .._linalg import mm
from .._validate import as_float_array, check_float, check_int

__all__ = ["InverseFisher", "SlidingInverseFisher"]


def _check_damping(damping):
    return check_float(damping, "damping", low=0, low_open=True)


class _Factor:
    """B = Gᵀ Q (mλ + Λ)^{-1/2} (d × m, in the gradients' dtype) for the rows G of the
    gradients; the m × m eigenproblem in float64. G itself is not kept."""

    def __init__(self, G, damping):
        m = G.shape[0]
        self.damping = damping
        if m == 0:
            self.B = np.zeros((G.shape[1], 0), dtype=G.dtype)
            return
        # B is unchanged by G -> G/s, damping -> damping/s^2: with s = max|g_ij| no square
        # overflows or underflows (damping/s^2 may: 0 or inf are the right limits).
        s = float(np.max(np.abs(G)))
        if not s > 0.0:
            self.B = np.zeros((G.shape[1], 0), dtype=G.dtype)
            return
        G = G / G.dtype.type(s)
        with np.errstate(over="ignore", under="ignore"):
            damping_s = damping / s / s
        K = mm(G, G, "N", "T").astype(np.float64)  # m × m Gram
        lam, Q = scipy.linalg.eigh((K + K.T) * 0.5, check_finite=False)
        # Directions with Λ_j at rounding level carry no gradient: there Gᵀq_j is noise,
        # which 1/sqrt(mλ) would blow up for tiny damping. Keep the numerical range.
        keep = lam > max(G.shape) * np.finfo(G.dtype).eps * max(lam[-1], 0.0)
        C = mm(G, Q[:, keep].astype(G.dtype), "T")  # d × r, columns of norm sqrt(Λ_j)
        c_sq = np.einsum("ij,ij->j", C, C, dtype=np.float64)  # their norms as computed
        with np.errstate(over="ignore"):
            self.B = C / np.sqrt(m * damping_s + c_sq).astype(G.dtype)  # each column of norm < 1

    def apply(self, X):
        """F⁻¹ X for X (d, k) (computed in the wider of X's and the gradients' dtype)."""
        if self.B.shape[1] == 0:
            return X / X.dtype.type(self.damping)
        B = self.B if self.B.dtype == X.dtype else self.B.astype(X.dtype)
        return (X - mm(B, mm(B, X, "T"))) / X.dtype.type(self.damping)

    def diagonal(self):
        B = self.B.astype(np.float64)
        return (1.0 - np.einsum("ij,ij->i", B, B)) / self.damping

    def entry(self, i, j):
        delta = 1.0 if i == j else 0.0
        return (delta - float(self.B[i].astype(np.float64) @ self.B[j].astype(np.float64))) / self.damping


def _vectors(x, d, name="x"):
    """x as a (d, k) float array (from (d,) or (k, d)) and whether it was 1-D."""
    X = as_float_array(x, name)
    if X.ndim == 1 and X.shape[0] == d:
        return X[:, None], True
    if X.ndim == 2 and X.shape[1] == d:
        return X.T, False
    raise ValueError(f"`{name}` must have shape ({d},) or (k, {d}); got {X.shape}.")


def _index(value, name, d):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer index; got {value!r}.")
    value = int(value)
    if not -d <= value < d:
        raise ValueError(f"`{name}` = {value} is out of range for dimension {d}.")
    return value % d


class InverseFisher:
    """Static M-FAC: ``F^{-1} x`` for ``F = damping I + (1/m) sum_i g_i g_i^T``.

    Parameters
    ----------
    grads : array_like, shape (m, d)
        The gradients as rows; only the d × m factor B is kept. float32 and float64 are
        kept; integers become float64. m = 0 is allowed (F = damping I).
    damping : float, optional
        λ > 0 (finite).

    Notes
    -----
    Set-up O(m²d + m³) (the m × m Gram matrix and its eigendecomposition, in float64);
    ``ihvp`` O(dm) per vector, ``diagonal`` O(dm), ``entry`` O(m). Algorithm and
    reference in :mod:`lowrank.curvature.mfac`.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank.curvature import InverseFisher
    >>> g = np.random.default_rng(0).standard_normal((8, 5))
    >>> F = 1e-2 * np.eye(5) + g.T @ g / 8
    >>> x = np.ones(5)
    >>> bool(np.allclose(InverseFisher(g, damping=1e-2).ihvp(x), np.linalg.solve(F, x)))
    True
    """

    def __init__(self, grads, damping=1e-4):
        self.damping = _check_damping(damping)
        G = as_float_array(grads, "grads", ndim=2)
        self.dim = G.shape[1]
        self.dtype = G.dtype
        self._factor = _Factor(G, self.damping)

    def ihvp(self, x):
        """``F^{-1} x`` for x (d,) or (k, d) (each row a vector), in result_type(grads, x)."""
        X, vector = _vectors(x, self.dim)
        dtype = np.result_type(self.dtype, X.dtype)
        Y = self._factor.apply(np.ascontiguousarray(X, dtype=dtype))
        return Y[:, 0] if vector else np.ascontiguousarray(Y.T)

    def diagonal(self):
        """The diagonal of ``F^{-1}`` (d,), in the gradients' dtype."""
        return self._factor.diagonal().astype(self.dtype, copy=False)

    def entry(self, i, j):
        """One element ``F^{-1}[i, j]`` (a float), in O(m)."""
        i, j = _index(i, "i", self.dim), _index(j, "j", self.dim)
        return self._factor.entry(i, j)


class SlidingInverseFisher:
    """Dynamic M-FAC over the last `window` gradients.

    Parameters
    ----------
    dim : int
        Gradient length d >= 1.
    window : int
        Most gradients kept, >= 1.
    damping : float, optional
        λ > 0 (finite).

    Notes
    -----
    ``update`` copies the gradient into a ring buffer (the oldest is dropped once the
    window is full) and costs O(d); the factor of :class:`InverseFisher` is rebuilt on
    the first ``ihvp`` after updates (O(m²d + m³)), and each ``ihvp`` then costs O(dm).
    ``grads`` lists the window oldest first, in the dtype of the first gradient
    (float32 or float64; integers become float64).
    """

    def __init__(self, dim, window, damping=1e-4):
        self.dim = check_int(dim, "dim", low=1)
        self.window = check_int(window, "window", low=1)
        self.damping = _check_damping(damping)
        self._buffer = None  # (window, dim), allocated with the first gradient's dtype
        self._count = 0  # gradients seen
        self._factor = None

    def update(self, g):
        """Add one gradient (dim,) (copied)."""
        g = as_float_array(g, "g", ndim=1)
        if g.shape[0] != self.dim:
            raise ValueError(f"`g` must have shape ({self.dim},); got {g.shape}.")
        if self._buffer is None:
            self._buffer = np.empty((self.window, self.dim), dtype=g.dtype)
        self._buffer[self._count % self.window] = g
        self._count += 1
        self._factor = None
        return self

    @property
    def grads(self):
        """The current window (m, dim), oldest first (a copy)."""
        if self._buffer is None:
            return np.zeros((0, self.dim))
        m = min(self._count, self.window)
        start = self._count % self.window if self._count > self.window else 0
        order = (start + np.arange(m)) % self.window
        return self._buffer[order].copy()

    def ihvp(self, x):
        """``F^{-1} x`` over the gradients held (``x / damping`` before any update)."""
        X, vector = _vectors(x, self.dim)
        dtype = X.dtype if self._buffer is None else np.result_type(self._buffer.dtype, X.dtype)
        if self._factor is None:
            self._factor = _Factor(self.grads, self.damping)
        Y = self._factor.apply(np.ascontiguousarray(X, dtype=dtype))
        return Y[:, 0] if vector else np.ascontiguousarray(Y.T)

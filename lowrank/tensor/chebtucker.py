r"""Hybrid Chebyshev–Tucker approximation of a function of d variables.

f on the box Π_k [low_k, high_k] is interpolated by a tensor-product Chebyshev series
of degrees (p_0, ..., p_{d-1}):

.. math::
    f(x) ≈ \sum_{i} A_{i_0 \dots i_{d-1}} \prod_k T_{i_k}(t_k), \qquad
    t_k = \frac{2 x_k - low_k - high_k}{high_k - low_k},

and the coefficient tensor A is kept in Tucker form A ≈ G ×_0 U_0 ... (:func:`tucker`),
so that evaluation costs O(Σ_k p_k r_k + Π_k r_k) per point instead of O(Π_k p_k).
(The format of Khoromskij, Khoromskaia & collaborators' hybrid Chebyshev–Tucker
approximations.)

This release computes A from f sampled on the full tensor grid of Chebyshev–Gauss–
Lobatto points x_j = cos(π j / p) (one DCT-I per mode, O(N log N) for N = Π (p_k + 1)
samples); the mesh-free variant, which samples only fibres chosen by cross
approximation, is not implemented.
"""


import numpy as np
import scipy.fft

from .._validate import check_float, check_int, per_axis
from .tucker import _mode_product, tucker

__all__ = ["ChebTucker"]


class ChebTucker:
    """A fitted hybrid Chebyshev–Tucker model (construct with :meth:`ChebTucker.fit`).

    Attributes
    ----------
    core : ndarray (r_0, ..., r_{d-1})
    factors : list of ndarray, factors[k] of shape (degree[k] + 1, ranks[k]), orthonormal
        columns; rows index T_0 ... T_degree[k].
    ranks : tuple of int
    domain : list of (low, high)
    degree : tuple of int
    """

    def __init__(self, core, factors, domain, degree):
        self.core = core
        self.factors = factors
        self.domain = domain
        self.degree = degree
        self.ranks = tuple(int(r) for r in core.shape)

    @classmethod
    def fit(cls, f, domain, degree, *, tol=1e-10, ranks=None):
        r"""Fit the model to a vectorised function ``f(X)`` (X (N, d) -> (N,)).

        Parameters
        ----------
        f : callable
            ``f(X)`` for X (N, d) returns N finite numbers.
        domain : sequence of (low, high)
            One interval per variable, ``low < high``, finite.
        degree : int or sequence of int
            Polynomial degree per variable (>= 0); degree + 1 Chebyshev points each.
        tol : float, optional
            Relative Frobenius accuracy of the Tucker approximation of the coefficient
            tensor, ``0 < tol < 1`` (ignored when `ranks` is given).
        ranks : int or sequence of int, optional
            Exactly these Tucker ranks.

        Returns
        -------
        ChebTucker

        Raises
        ------
        ValueError
            For a bad `domain`, `degree`, `tol` or `ranks`, or an `f` whose result has the
            wrong length, is not numeric (``None``, strings), or holds NaN/inf.
        """
        domain = _check_domain(domain)
        d = len(domain)
        degree = _check_degree(degree, d)
        if ranks is None:
            tol = check_float(tol, "tol", low=0, high=1, low_open=True, high_open=True)
        grids = [_cgl_points(p) for p in degree]
        mesh = np.meshgrid(*[_to_box(t, lo, hi) for t, (lo, hi) in zip(grids, domain)], indexing="ij")
        X = np.stack([m.ravel() for m in mesh], axis=1)
        values = _evaluate(f, X).reshape([p + 1 for p in degree])
        A = values
        for k, p in enumerate(degree):
            A = _values_to_coefficients(A, k, p)
        if ranks is not None:
            core, factors = tucker(A, ranks)
        elif not np.any(A):
            core, factors = tucker(A, 1)
        else:
            core, factors = tucker(A, tol=tol)
        return cls(core, factors, domain, degree)

    def __call__(self, X):
        """Evaluate at points X (N, d) -> (N,)."""
        X = _points(X, len(self.domain))
        out = None
        for k, (lo, hi) in enumerate(self.domain):
            t = (2.0 * X[:, k] - lo - hi) / (hi - lo)
            phi = _chebyshev_matrix(t, self.degree[k]) @ self.factors[k]  # (N, r_k)
            out = phi if out is None else np.einsum("nr,ns->nrs", out, phi).reshape(X.shape[0], -1)
        return out @ self.core.reshape(-1)

    def on_grid(self, *axes):
        """Evaluate on the tensor grid axes[0] × axes[1] × ... (one 1-D array per variable)."""
        if len(axes) != len(self.domain):
            raise ValueError(f"`on_grid` needs one axis per variable ({len(self.domain)}); got {len(axes)}.")
        out = self.core
        for k, (axis, (lo, hi)) in enumerate(zip(axes, self.domain)):
            a = np.asarray(axis, dtype=np.float64).ravel()
            t = (2.0 * a - lo - hi) / (hi - lo)
            out = _mode_product(out, _chebyshev_matrix(t, self.degree[k]) @ self.factors[k], k)
        return out


# ------------------------------------------------------------------ helpers


def _check_domain(domain):
    try:
        pairs = [tuple(p) for p in domain]
    except TypeError:
        raise ValueError(f"`domain` must be a sequence of (low, high) pairs; got {domain!r}.") from None
    if not pairs:
        raise ValueError("`domain` must give at least one (low, high) interval.")
    out = []
    for k, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(f"`domain[{k}]` must be a (low, high) pair; got {pair!r}.")
        lo = check_float(pair[0], f"domain[{k}][0]")
        hi = check_float(pair[1], f"domain[{k}][1]")
        if not lo < hi:
            raise ValueError(f"`domain[{k}]` must have low < high; got ({lo}, {hi}).")
        out.append((lo, hi))
    return out


def _check_degree(degree, d):
    return tuple(check_int(p, "degree", low=0) for p in per_axis(degree, "degree", d, "variable"))


def _cgl_points(p):
    """Chebyshev–Gauss–Lobatto points cos(pi j / p), j = 0..p, in [-1, 1] (0 for p = 0)."""
    if p == 0:
        return np.zeros(1)
    return np.cos(np.pi * np.arange(p + 1) / p)


def _to_box(t, lo, hi):
    return 0.5 * (hi - lo) * t + 0.5 * (hi + lo)


def _evaluate(f, X):
    if not callable(f):
        raise ValueError(f"`f` must be a callable f(X) for X of shape (N, d); got {f!r}.")
    try:
        y = f(X.copy())
    except Exception as exc:  # the user's function failed on the grid
        raise ValueError(f"`f` raised on the Chebyshev grid of shape {X.shape}: {type(exc).__name__}: {exc}") from exc
    if y is None:
        raise ValueError("`f` returned None; it must return one number per row of X.")
    try:
        arr = np.asarray(y)
    except Exception:
        raise ValueError("`f` must return an array of numbers.") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"`f` must return real numbers; got dtype {arr.dtype}.")
    arr = arr.astype(np.float64).reshape(-1) if arr.ndim <= 1 or arr.size == X.shape[0] else arr
    if arr.ndim != 1 or arr.shape[0] != X.shape[0]:
        raise ValueError(f"`f` must return {X.shape[0]} values (one per row of X); got shape {np.shape(y)}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("`f` returned NaN or inf on the Chebyshev grid.")
    return arr


def _values_to_coefficients(V, k, p):
    """Chebyshev coefficients along mode k from values at the CGL points (DCT-I)."""
    if p == 0:
        return V
    C = scipy.fft.dct(V, type=1, axis=k) / p
    index = [slice(None)] * V.ndim
    for end in (0, p):
        index[k] = end
        C[tuple(index)] *= 0.5
    return C


def _chebyshev_matrix(t, p):
    """T_0..T_p at t: (N, p + 1), by the three-term recurrence (stable on [-1, 1])."""
    T = np.empty((t.shape[0], p + 1))
    T[:, 0] = 1.0
    if p >= 1:
        T[:, 1] = t
    for j in range(2, p + 1):
        T[:, j] = 2.0 * t * T[:, j - 1] - T[:, j - 2]
    return T


def _points(X, d):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and d == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"`X` must have shape (N, {d}); got {X.shape}.")
    return X

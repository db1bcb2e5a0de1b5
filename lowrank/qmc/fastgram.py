r"""Gram matrices of structured kernels on structured points, in O(n log n).

- A shift-invariant kernel on a rank-1 lattice in radical-inverse order: with
  x_i = frac(φ(i) z + Δ), K_ij = k((x_i − x_j) mod 1) depends on (bitrev(i) − bitrev(j))
  mod n, so K = P C P with C circulant and P the bit-reversal permutation. Its
  eigenvalues are λ = fftbr(c) with c = K[:, 0], and K y = ifftbr(λ · fftbr(y)).
- A digitally-shift-invariant kernel on a digital net (GF(2)-linear order, any digital
  shift): x_i ⊕ x_j = x'_{i ⊕ j} with x' the unshifted net, so K_ij = c[i ⊕ j], which
  the Walsh–Hadamard transform diagonalises: λ = fwht(c), K y = ifwht(λ · fwht(y)).

(Hickernell & Jagadeeswaran, "Fast automatic Bayesian cubature using lattice
sampling", Statistics and Computing 2019; Jagadeeswaran & Hickernell, "... using Sobol'
sampling", 2022.)
"""

import math
import warnings

import numpy as np

from .._validate import as_float_array, check_float
from ..transforms import fftbr, fwht, ifftbr, ifwht
from .kernels import DigitalShiftInvariantKernel, ShiftInvariantKernel
from .points import radical_inverse, to_bits

__all__ = ["FastGram"]

_COND_WARN = 1e12


class FastGram:
    """``K + noise I`` for an SI kernel on lattice points or a DSI kernel on net points.

    Parameters
    ----------
    points : array_like, shape (n, d)
        Lattice points (with :class:`ShiftInvariantKernel`) or digital-net points (with
        :class:`DigitalShiftInvariantKernel`) in the structure and order that
        :func:`lattice` / :func:`digital_net` produce; n a power of two.
    kernel : ShiftInvariantKernel or DigitalShiftInvariantKernel
    noise : float, optional
        >= 0, added to the diagonal.

    Attributes
    ----------
    eigenvalues : ndarray (n,)
        Real eigenvalues of ``K + noise I`` in the transform's order.

    Raises
    ------
    ValueError
        For points without the needed structure (checked in O(nd)), a wrong kernel
        type or dimension, or a bad `noise`. A condition number above 1e12 gives a
        RuntimeWarning; a numerically singular matrix (an eigenvalue at or below
        log2(n) eps λ_max) makes `solve` and `logdet` raise ValueError.

    Notes
    -----
    Construction: one kernel column (O(nd)) and one transform (O(n log n)); ``matvec``
    and ``solve``: two transforms per right-hand side; ``logdet``: O(n).
    """

    def __init__(self, points, kernel, *, noise=0.0):
        x = as_float_array(points, "points", ndim=2)
        n, d = x.shape
        if n == 0 or n & (n - 1):
            raise ValueError(f"`points` must hold a power-of-two number of points; got {n}.")
        if getattr(kernel, "d", None) != d:
            raise ValueError(f"`kernel` must be for d = {d} (the points' dimension).")
        self.noise = check_float(noise, "noise", low=0)
        x = x.astype(np.float64, copy=False)
        if isinstance(kernel, ShiftInvariantKernel):
            _check_lattice(x)
            self._kind = "lattice"
            column = kernel(x, x[:1])
            lam = np.real(fftbr(column))
        elif isinstance(kernel, DigitalShiftInvariantKernel):
            _check_net(x)
            self._kind = "net"
            column = kernel(x, x[:1])
            lam = fwht(column)
        else:
            raise ValueError("`kernel` must be a ShiftInvariantKernel (lattice points) or a "
                             "DigitalShiftInvariantKernel (digital-net points).")
        self.n = n
        self.eigenvalues = lam + self.noise
        self.eigenvalues.setflags(write=False)
        top = float(np.max(np.abs(self.eigenvalues)))
        low = float(np.min(self.eigenvalues))
        self._singular = not low > math.log2(max(n, 2)) * np.finfo(np.float64).eps * top
        if self._singular or top / low > _COND_WARN:
            warnings.warn(f"FastGram: condition number {top / low if low > 0 else math.inf:.3g} exceeds "
                          f"{_COND_WARN:g}; solves lose accuracy (add noise to regularise).",
                          RuntimeWarning, stacklevel=2)

    def _forward(self, y):
        return fftbr(y, axis=0) if self._kind == "lattice" else fwht(y, axis=0)

    def _inverse(self, y):
        return np.real(ifftbr(y, axis=0)) if self._kind == "lattice" else ifwht(y, axis=0)

    def _vectors(self, y):
        Y = as_float_array(y, "y")
        if Y.ndim not in (1, 2) or Y.shape[0] != self.n:
            raise ValueError(f"`y` must have shape ({self.n},) or ({self.n}, k); got {Y.shape}.")
        return Y.astype(np.float64, copy=False)

    def _apply(self, Y, values):
        scale = values if Y.ndim == 1 else values[:, None]
        return self._inverse(self._forward(Y) * scale)

    def matvec(self, y):
        """``(K + noise I) y`` for real y (n,) or (n, k)."""
        return self._apply(self._vectors(y), self.eigenvalues)

    def solve(self, y):
        """``(K + noise I)^{-1} y`` for real y (n,) or (n, k)."""
        Y = self._vectors(y)
        self._check_regular()
        return self._apply(Y, 1.0 / self.eigenvalues)

    def logdet(self):
        """log det(K + noise I)."""
        self._check_regular()
        return float(np.sum(np.log(self.eigenvalues)))

    def _check_regular(self):
        if self._singular:
            raise ValueError("FastGram: K + noise I is numerically singular (an eigenvalue at rounding "
                             "level); pass noise > 0.")


def _check_lattice(x):
    """x_i − x_0 (mod 1) must be frac(φ(i) z) for an integer vector z: z from i = n/2."""
    n = x.shape[0]
    rev, _ = radical_inverse(n)
    delta = np.mod(x - x[:1], 1.0)
    if n == 1:
        return
    z = np.rint(delta[n // 2] * n).astype(np.int64) % n  # φ(n/2) = 1/n
    want = ((rev[:, None] * z[None, :]) % n).astype(np.float64) / n
    gap = np.abs(delta - want)
    gap = np.minimum(gap, 1.0 - gap)
    if not np.all(gap <= 1e-9):
        raise ValueError("`points` are not a rank-1 lattice in radical-inverse order (as lowrank.qmc.lattice "
                         "makes them): FastGram needs that structure for a shift-invariant kernel.")


def _check_net(x):
    """x_i ⊕ x_0 must be GF(2)-linear in i: the XOR of the points at the powers of two."""
    n = x.shape[0]
    b = to_bits(x)
    b ^= b[:1]
    i = np.arange(n)
    want = np.zeros_like(b)
    k = 0
    while (1 << k) < n:
        want ^= np.where(((i >> k) & 1)[:, None] == 1, b[1 << k][None, :], 0)
        k += 1
    if not np.array_equal(b, want):
        raise ValueError("`points` are not a digital net in a GF(2)-linear order (as lowrank.qmc.digital_net "
                         "makes them): FastGram needs that structure for a digitally-shift-invariant kernel.")

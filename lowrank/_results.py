"""Named-tuple result types shared by every routine (immutable, picklable)."""

from typing import NamedTuple

import numpy as np

__all__ = [
    "SVDResult",
    "EighResult",
    "CURResult",
    "IDResult",
    "LstsqResult",
    "CompletionResult",
    "TuckerResult",
]


class SVDResult(NamedTuple):
    """``A ≈ U @ diag(S) @ Vh``; ``U`` (m, k), ``S`` (k,) descending, ``Vh`` (k, n)."""

    U: np.ndarray
    S: np.ndarray
    Vh: np.ndarray


class EighResult(NamedTuple):
    """``A ≈ V @ diag(w) @ V.T`` with ``w`` descending and ``V`` orthonormal columns."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray


class CURResult(NamedTuple):
    """``A ≈ C @ U @ R`` with ``C = A[:, cols]`` and ``R = A[rows, :]``."""

    C: object
    U: np.ndarray
    R: object
    cols: np.ndarray
    rows: np.ndarray


class IDResult(NamedTuple):
    """Interpolative decomposition ``A ≈ A[:, cols] @ X`` with ``X[:, cols] == I``."""

    cols: np.ndarray
    X: np.ndarray


class LstsqResult(NamedTuple):
    """Least-squares solution, its residual norm and the solver's iteration count."""

    x: np.ndarray
    residual_norm: object
    iterations: int


class CompletionResult(NamedTuple):
    """Completed matrix ``M ≈ U @ V.T`` and the convergence record."""

    U: np.ndarray
    V: np.ndarray
    n_iter: int
    residual: float
    converged: bool


class TuckerResult(NamedTuple):
    """Tucker form ``T ≈ core ×_0 factors[0] ×_1 factors[1] ...``."""

    core: np.ndarray
    factors: list

"""Stable (shifted) Nyström approximation of PSD matrices and the Nyström preconditioner."""

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._linalg import mm
from .._operators import as_operator
from .._random import as_generator
from .._results import EighResult
from .._validate import check_float, check_int, check_rank
from . import _kernels
from .range_finder import gaussian_test_matrix, orth
from .rsvd import _thin_svd

__all__ = ["nystrom", "nystrom_preconditioner", "NystromPreconditioner"]

_SYMMETRY_RTOL = 1e3  # multiples of eps * max|A| tolerated between A and A^T
_SYMMETRY_TILE = 64  # two 64 x 64 tiles (64 KiB in float64) fit in L2


def nystrom(A, rank, *, oversample=10, n_iter=0, rng=None):
    r"""Numerically stable Nyström approximation ``A ≈ V diag(w) V^T`` of a PSD matrix.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (n, n)
        Real symmetric positive semidefinite; integers become float64, float32 stays
        float32.
    rank : int
        Number of eigenpairs, ``1 <= rank <= n``.
    oversample : int, optional
        Extra test vectors p >= 0 (sketch width ℓ = min(rank + p, n)).
    n_iter : int, optional
        Extra passes of subspace iteration on the test matrix before the Nyström pass
        (0: the plain single-pass method; 1 already brings it close to the truncated
        eigendecomposition on slowly decaying spectra).
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7).

    Returns
    -------
    EighResult
        ``eigenvalues`` (rank,) non-negative descending, ``eigenvectors`` (n, rank)
        orthonormal columns, in the dtype of `A`.

    Raises
    ------
    ValueError
        If `A` is not square, empty, not finite, all zero, or detectably not symmetric
        PSD; or `rank`, `oversample`, `n_iter` are out of range.
    TypeError
        Complex or non-numeric `A`, bad `rng`.

    Notes
    -----
    Tropp, Yurtsever, Udell & Cevher, "Fixed-rank approximation of a positive-semidefinite
    matrix from streaming data", NeurIPS 2017, Alg. 3: with an orthonormal test matrix
    :math:`\Omega` (n × ℓ), :math:`Y = A\Omega`, the shift :math:`\nu = \epsilon\|Y\|_F`,
    :math:`Y_\nu = Y + \nu\Omega`, the Cholesky factor :math:`C` of :math:`\Omega^T Y_\nu`,
    :math:`B = Y_\nu C^{-1}` and its thin SVD :math:`B = U\Sigma W^T`, the approximation
    is :math:`U\,\max(\Sigma^2 - \nu, 0)\,U^T`. One pass over A (plus `n_iter` more),
    :math:`O(n\ell^2)` extra.

    How non-symmetric or indefinite input is detected: for a dense matrix, the
    largest entry of :math:`|A - A^T|` is compared with :math:`10^3\epsilon\max|A|`
    (one compiled O(n²) pass, tile by tile, no n × n temporary) and the diagonal must be
    non-negative; for a sparse matrix the same test
    on the stored entries of :math:`A - A^T` (O(nnz)); for a LinearOperator, the small
    matrix :math:`\Omega^T A\Omega` must be symmetric to the same relative tolerance (a
    random probe: free, and a non-symmetric A fails it with probability one). A
    non-PSD A is detected when :math:`\Omega^T A\Omega` has an eigenvalue below
    :math:`-10^3\epsilon\|\Omega^TA\Omega\|` (O(ℓ³)), which a PSD matrix cannot produce.

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import nystrom
    >>> X = np.random.default_rng(0).standard_normal((100, 3))
    >>> w, V = nystrom(X @ X.T, 3, rng=0)
    >>> bool(np.allclose((V * w) @ V.T, X @ X.T))
    True
    """
    gen = as_generator(rng)
    op = as_operator(A, "A", allow_complex=False)
    n = op.shape[0]
    if op.shape[0] != op.shape[1]:
        raise ValueError(f"`A` must be square (symmetric PSD); got shape {op.shape}.")
    rank = check_rank(rank, n, bound_text="A.shape[0]")
    oversample = check_int(oversample, "oversample", low=0)
    n_iter = check_int(n_iter, "n_iter", low=0)
    _check_symmetric(op)
    ell = min(rank + oversample, n)
    Omega = orth(gaussian_test_matrix(gen, n, ell, op.dtype))
    for _ in range(n_iter):
        Omega = orth(op.matmat(Omega))
    Y = op.matmat(Omega)
    w, V = _stable_nystrom(op, Omega, Y)
    return EighResult(w[:rank].copy(), np.ascontiguousarray(V[:, :rank]))


def _check_symmetric(op):
    if op.kind == "linop":
        return
    if op.kind == "sparse":
        amax = op.max_abs()
        D = op.A - op.A.T
        worst = float(np.max(np.abs(D.data), initial=0.0)) if sp.issparse(D) else float(np.max(np.abs(D)))
        d_min = float(np.min(op.A.diagonal()))
    else:
        amax, worst, d_min = _kernels.symmetry_stats(op.A, _SYMMETRY_TILE)
    if amax == 0.0:
        raise ValueError("`A` is all zero; a Nyström approximation needs a nonzero PSD matrix.")
    tol = _SYMMETRY_RTOL * np.finfo(op.dtype).eps * amax
    if worst > tol:
        raise ValueError(
            f"`A` must be symmetric; max |A - A^T| = {worst:.3g} exceeds {tol:.3g} "
            f"(= 1e3 * eps * max|A|)."
        )
    if d_min < -tol:  # a PSD matrix has a non-negative diagonal
        raise ValueError(f"`A` must be positive semidefinite; it has the diagonal entry {d_min:.3g} < 0.")


def _stable_nystrom(op, Omega, Y):
    """Tropp et al. (2017) Alg. 3 on the sketch Y = A Omega; returns (w, V) descending."""
    eps = np.finfo(op.dtype).eps
    M = mm(Omega, Y, "T")
    _check_probe(op, M, eps)
    y_scale = float(np.max(np.abs(Y)))
    nu = eps * y_scale * float(np.linalg.norm(Y / y_scale))  # eps * ||Y||_F, overflow-safe
    Y_nu = Y + Omega * Y.dtype.type(nu)
    # Omega^T Y_nu = M + nu Omega^T Omega = M + nu I (Omega has orthonormal columns)
    core = (M + M.T) / 2
    core[np.diag_indices_from(core)] += core.dtype.type(nu)
    try:
        C = scipy.linalg.cholesky(core, lower=False, check_finite=False)
        B = scipy.linalg.solve_triangular(C, Y_nu.T, trans="T", lower=False, check_finite=False).T
    except np.linalg.LinAlgError:
        # Rounding left the shifted core semidefinite: use its PSD square root instead.
        evals, evecs = scipy.linalg.eigh(core, check_finite=False)
        keep = evals > eps * evals[-1] * core.shape[0]
        B = mm(Y_nu, np.ascontiguousarray(evecs[:, keep])) / np.sqrt(evals[keep])
    U, sigma, _ = _thin_svd(B)
    w = np.maximum(sigma.astype(np.float64) ** 2 - nu, 0.0).astype(op.dtype)
    if U.shape[1] < Omega.shape[1]:  # complete the basis after the fallback dropped directions
        U = orth(np.hstack([U, Omega]))[:, : Omega.shape[1]]
        w = np.concatenate([w, np.zeros(Omega.shape[1] - w.size, dtype=w.dtype)])
    return w, U


def _check_probe(op, M, eps):
    """Symmetry (LinearOperator only) and PSD tests on the small M = Omega^T A Omega."""
    lam = scipy.linalg.eigvalsh((M + M.T) / 2, check_finite=False)
    m_norm = float(max(lam[-1], -lam[0]))
    if m_norm == 0.0:
        raise ValueError("`A` is zero on the sketched subspace (all zero or numerically so); "
                         "a Nyström approximation needs a nonzero PSD matrix.")
    asym = float(np.max(np.abs(M - M.T)))
    if op.kind == "linop" and asym > _SYMMETRY_RTOL * eps * m_norm * max(1, M.shape[0]) ** 0.5:
        raise ValueError(f"`A` must be symmetric; the probe Omega^T A Omega is not (asymmetry {asym:.3g}).")
    if lam[0] < -(_SYMMETRY_RTOL + 10 * op.shape[0]) * eps * m_norm:
        raise ValueError(f"`A` must be positive semidefinite; Omega^T A Omega has the eigenvalue {lam[0]:.3g}.")


class NystromPreconditioner(spla.LinearOperator):
    r"""The inverse Nyström preconditioner for :math:`(A + \mu I)x = b`.

    :math:`P^{-1} = (\hat\lambda_\ell + \mu)\,U(\hat\Lambda + \mu I)^{-1}U^T + (I - UU^T)`
    with :math:`A \approx U\hat\Lambda U^T` the rank-ℓ Nyström approximation
    (Frangella, Tropp & Udell, "Randomized Nyström preconditioning", SIMAX 2023).
    A symmetric positive definite LinearOperator; pass it as ``M`` to
    ``scipy.sparse.linalg.cg``. Applying it costs O(nℓ).

    Attributes
    ----------
    eigenvalues, eigenvectors : ndarray
        The Nyström approximation it is built from.
    mu : float
    """

    def __init__(self, eigenvalues, eigenvectors, mu):
        n = eigenvectors.shape[0]
        super().__init__(dtype=eigenvectors.dtype, shape=(n, n))
        self.eigenvalues = eigenvalues.copy()
        self.eigenvectors = eigenvectors.copy()
        self.mu = float(mu)
        lam_last = float(eigenvalues[-1])
        self._weights = ((lam_last + self.mu) / (eigenvalues.astype(np.float64) + self.mu) - 1.0).astype(self.dtype)

    def _matmat(self, X):
        X = np.asarray(X, dtype=self.dtype)
        U = self.eigenvectors
        return X + mm(U, self._weights[:, None] * mm(U, X, "T"))

    def _matvec(self, x):
        return self._matmat(np.asarray(x).reshape(-1, 1)).ravel()

    def _adjoint(self):
        return self

    def __reduce__(self):
        return (NystromPreconditioner, (self.eigenvalues, self.eigenvectors, self.mu))


def nystrom_preconditioner(A, rank, mu, *, oversample=10, n_iter=0, rng=None):
    r"""Nyström preconditioner for the regularised system :math:`(A + \mu I)x = b`.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (n, n)
        Symmetric PSD (checked as in :func:`nystrom`).
    rank : int
        Rank ℓ of the Nyström approximation, ``1 <= rank <= n``. Choose it so that
        :math:`\hat\lambda_\ell` is comparable to `mu` (the effective dimension).
    mu : float
        Regularisation, > 0.
    oversample, n_iter, rng
        As in :func:`nystrom`.

    Returns
    -------
    NystromPreconditioner
        A LinearOperator applying :math:`P^{-1}`.

    Raises
    ------
    ValueError
        As :func:`nystrom`, or for a non-positive or non-finite `mu`.

    Notes
    -----
    With the preconditioner, the condition number of :math:`P^{-1/2}(A+\mu I)P^{-1/2}`
    is at most :math:`(\hat\lambda_\ell + \mu + \|E\|)/\mu` where E is the Nyström
    error, so CG needs O(log(1/ε)) iterations once ℓ exceeds the effective dimension
    (Frangella, Tropp & Udell 2023, Thm. 5.1).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse.linalg as spla
    >>> from lowrank import nystrom_preconditioner
    >>> X = np.random.default_rng(0).standard_normal((300, 20))
    >>> A = X @ X.T
    >>> P = nystrom_preconditioner(A, 30, 1e-3, rng=0)
    >>> K = spla.aslinearoperator(A + 1e-3 * np.eye(300))
    >>> x, info = spla.cg(K, np.ones(300), M=P, rtol=1e-10, maxiter=50)
    >>> info
    0
    """
    mu = check_float(mu, "mu", low=0.0, low_open=True)
    w, V = nystrom(A, rank, oversample=oversample, n_iter=n_iter, rng=rng)
    return NystromPreconditioner(w, V, mu)

"""Euclidean Hermitian gamma matrices in the chiral basis (docs/conventions.md, "Wilson fermions").

Every gamma matrix has the block form

    gamma_mu = [[0, A_mu], [A_mu^dag, 0]]     (blocks of size ns/2 = n_spin / 2)

with a unitary *monomial* A_mu (one non-zero entry, a power of i, per row), so that
gamma5 = diag(1, -1) in blocks, the spin projectors (1 -+ gamma_mu) map a spinor to the
half-spinor  h = psi_up -+ A_mu psi_down  (lower half: -+ A_mu^dag h), and sigma_{mu nu}
is block diagonal in chirality.

D = 4 (directions 0, 1, 2 = x, y, z; 3 = t), with the Pauli matrices s_k:

    A_k = -i s_{k+1}   (k = 0, 1, 2),      A_3 = 1,
    gamma_k = [[0, -i s_k], [i s_k, 0]],   gamma_3 = [[0, 1], [1, 0]],
    gamma5 = gamma_0 gamma_1 gamma_2 gamma_3 = diag(1, 1, -1, -1).

D = 2 (direction 0 = x, 1 = t):

    gamma_0 = s_1,  gamma_1 = s_2  (A_0 = 1, A_1 = -i),
    gamma5 = -i gamma_0 gamma_1 = s_3 = diag(1, -1)   (i gamma_0 gamma_1 would be -s_3).

sigma_{mu nu} = (i/2) [gamma_mu, gamma_nu] (Hermitian).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

_PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], complex)


def n_spin(ndim: int) -> int:
    """Number of spin components: 2 in D = 2, 4 in D = 4."""
    if ndim == 2:
        return 2
    if ndim == 4:
        return 4
    raise ValueError(f"Wilson fermions are implemented in D = 2 and D = 4, not D = {ndim}")


@lru_cache(maxsize=None)
def _blocks(ndim: int) -> np.ndarray:
    """(D, ns/2, ns/2) array of the off-diagonal blocks A_mu."""
    if n_spin(ndim) == 2:
        return np.array([[[1.0]], [[-1j]]], complex)
    a = [-1j * _PAULI[k] for k in range(3)] + [np.eye(2, dtype=complex)]
    return np.array(a)


def _from_blocks(a: np.ndarray) -> np.ndarray:
    h = a.shape[0]
    g = np.zeros((2 * h, 2 * h), complex)
    g[:h, h:] = a
    g[h:, :h] = a.conj().T
    return g


@lru_cache(maxsize=None)
def _gammas(ndim: int) -> np.ndarray:
    g = np.array([_from_blocks(a) for a in _blocks(ndim)])
    g.setflags(write=False)
    return g


def gammas(ndim: int) -> np.ndarray:
    """(D, ns, ns) array: gamma_mu for mu = 0, ..., D-1 (Hermitian, {g_mu, g_nu} = 2 delta)."""
    return _gammas(ndim).copy()


def gamma5(ndim: int) -> np.ndarray:
    """gamma5 = diag(1, ..., 1, -1, ..., -1): gamma_0 gamma_1 gamma_2 gamma_3 (D = 4),
    -i gamma_0 gamma_1 (D = 2)."""
    h = n_spin(ndim) // 2
    return np.diag(np.r_[np.ones(h), -np.ones(h)]).astype(complex)


def sigma(ndim: int, mu: int, nu: int) -> np.ndarray:
    """sigma_{mu nu} = (i/2) [gamma_mu, gamma_nu] (Hermitian, block diagonal in chirality)."""
    g = _gammas(ndim)
    return 0.5j * (g[mu] @ g[nu] - g[nu] @ g[mu])


def planes(ndim: int) -> list[tuple[int, int]]:
    """The planes (mu, nu), mu < nu, in the order of plane-indexed arrays."""
    return [(mu, nu) for mu in range(ndim) for nu in range(mu + 1, ndim)]


@lru_cache(maxsize=None)
def _projection_tables(ndim: int):
    """(perm, phase) with (A_mu v)_i = phase[mu, i] v[perm[mu, i]]: the kernels' description of
    the spin projections (read-only arrays of shapes (D, ns/2), int64 and complex128)."""
    a = _blocks(ndim)
    d, h = a.shape[0], a.shape[1]
    perm = np.zeros((d, h), np.int64)
    phase = np.zeros((d, h), complex)
    for mu in range(d):
        for i in range(h):
            (j,) = np.flatnonzero(a[mu, i])
            perm[mu, i] = j
            phase[mu, i] = a[mu, i, j]
    perm.setflags(write=False)
    phase.setflags(write=False)
    return perm, phase


def projection_tables(ndim: int):
    """Copies of (perm, phase): (A_mu v)_i = phase[mu, i] v[perm[mu, i]]."""
    perm, phase = _projection_tables(ndim)
    return perm.copy(), phase.copy()


def sigma_blocks(ndim: int) -> np.ndarray:
    """(P, 2, ns/2, ns/2): the chirality blocks of sigma_{mu nu} for the planes ``planes(ndim)``
    (block 0: upper spins, gamma5 = +1; block 1: lower spins)."""
    h = n_spin(ndim) // 2
    out = []
    for mu, nu in planes(ndim):
        s = sigma(ndim, mu, nu)
        out.append([s[:h, :h], s[h:, h:]])
    return np.array(out)

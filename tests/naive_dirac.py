"""Slow, obvious NumPy references for the Wilson(-clover) Dirac operator (test helpers only).

Nothing here uses the package's kernels, neighbour tables or gamma module:

* the gamma matrices are written out below (chiral basis, docs/conventions.md);
* fields live on the grid (L_{D-1}, ..., L_0, ns, nc, K) (x_0 fastest; K columns are
  processed at once), neighbours are np.roll, antiperiodicity multiplies the hops that
  cross the time boundary by -1;
* the operator is the formula

      M psi = psi - kappa sum_mu [(1 - g_mu) U_mu(x) psi(x+mu)
                                 + (1 + g_mu) U_mu(x-mu)^dag psi(x-mu)]
                  + i csw kappa sum_{mu<nu} sigma_{mu nu} Fhat_{mu nu}(x) psi(x),

  Fhat = (Q - Q^dag)/8 with Q the four clover leaves, sigma = (i/2)[g_mu, g_nu];
* dense matrices are M applied to all unit vectors.
"""
from __future__ import annotations

import itertools

import numpy as np

_S1 = np.array([[0, 1], [1, 0]], complex)
_S2 = np.array([[0, -1j], [1j, 0]], complex)
_S3 = np.array([[1, 0], [0, -1]], complex)
_Z = np.zeros((2, 2), complex)
_I = np.eye(2, dtype=complex)

# D = 4: gamma_k = [[0, -i s_k], [i s_k, 0]] (x, y, z), gamma_t = [[0, 1], [1, 0]]
GAMMA4 = np.array([np.block([[_Z, -1j * s], [1j * s, _Z]]) for s in (_S1, _S2, _S3)]
                  + [np.block([[_Z, _I], [_I, _Z]])])
GAMMA5_4 = np.diag([1, 1, -1, -1]).astype(complex)
# D = 2: gamma_0 = s1, gamma_1 = s2, gamma5 = s3
GAMMA2 = np.array([_S1, _S2])
GAMMA5_2 = _S3.copy()


def gammas(d):
    return GAMMA4 if d == 4 else GAMMA2


def gamma5(d):
    return GAMMA5_4 if d == 4 else GAMMA5_2


def sigma(d, mu, nu):
    g = gammas(d)
    return 0.5j * (g[mu] @ g[nu] - g[nu] @ g[mu])


# ---------------------------------------------------------------------------
# grid helpers
# ---------------------------------------------------------------------------
def link_grid(links, extents):
    d = len(extents)
    return links.reshape((d,) + tuple(extents)[::-1] + links.shape[-2:])


def shift(a, mu, d, step=1):
    """b(x) = a(x + step mu) on a grid whose first d axes are (L_{D-1}, ..., L_0)."""
    return np.roll(a, -step, axis=d - 1 - mu)


def dag(m):
    return np.conj(np.swapaxes(m, -1, -2))


def time_slice_mask(extents, t):
    """Boolean grid (L_{D-1}, ..., L_0) that is True on time slice t."""
    m = np.zeros(tuple(extents)[::-1], bool)
    m[t] = True
    return m


def clover_fhat(links, extents, mu, nu):
    """Fhat_{mu nu} = (Q - Q^dag)/8 on the grid, Q = the four leaves at x oriented mu -> nu."""
    d = len(extents)
    g = link_grid(links, extents)
    um, un = g[mu], g[nu]

    def s(a, *steps):
        for direction, st in steps:
            a = shift(a, direction, d, st)
        return a

    l1 = um @ s(un, (mu, 1)) @ dag(s(um, (nu, 1))) @ dag(un)
    l2 = un @ dag(s(um, (mu, -1), (nu, 1))) @ dag(s(un, (mu, -1))) @ s(um, (mu, -1))
    l3 = (dag(s(um, (mu, -1))) @ dag(s(un, (mu, -1), (nu, -1)))
          @ s(um, (mu, -1), (nu, -1)) @ s(un, (nu, -1)))
    l4 = dag(s(un, (nu, -1))) @ s(um, (nu, -1)) @ s(un, (nu, -1), (mu, 1)) @ dag(um)
    q = l1 + l2 + l3 + l4
    return (q - dag(q)) / 8.0


# ---------------------------------------------------------------------------
# the operator
# ---------------------------------------------------------------------------
def wilson_apply(links, extents, psi, kappa, csw=0.0, antiperiodic=True):
    """M psi for psi of shape (V, ns, nc) or (V, ns, nc, K)."""
    extents = tuple(extents)
    d = len(extents)
    single = psi.ndim == 3
    if single:
        psi = psi[..., None]
    v, ns, nc, k = psi.shape
    gm = gammas(d)
    one = np.eye(ns)
    g = link_grid(links, extents)
    p = psi.reshape(extents[::-1] + (ns, nc, k))
    out = p.astype(complex).copy()
    for mu in range(d):
        fwd = shift(p, mu, d, 1)
        bwd = shift(p, mu, d, -1)
        if antiperiodic and mu == d - 1:
            fwd = fwd.copy()
            bwd = bwd.copy()
            fwd[time_slice_mask(extents, extents[-1] - 1)] *= -1
            bwd[time_slice_mask(extents, 0)] *= -1
        t1 = np.einsum("...ab,...sbk->...sak", g[mu], fwd)
        t2 = np.einsum("...ba,...sbk->...sak", shift(g[mu], mu, d, -1).conj(), bwd)
        out -= kappa * (np.einsum("st,...tak->...sak", one - gm[mu], t1)
                        + np.einsum("st,...tak->...sak", one + gm[mu], t2))
    if csw != 0.0:
        for mu in range(d):
            for nu in range(mu + 1, d):
                f = clover_fhat(links, extents, mu, nu)
                out += 1j * csw * kappa * np.einsum("st,...ab,...tbk->...sak",
                                                    sigma(d, mu, nu), f, p)
    out = out.reshape(v, ns, nc, k)
    return out[..., 0] if single else out


def wilson_dense(links, extents, kappa, csw=0.0, antiperiodic=True):
    """The (V ns nc) x (V ns nc) matrix of M (index (x, spin, colour), C order)."""
    v = int(np.prod(extents))
    nc = links.shape[-1]
    ns = 4 if len(extents) == 4 else 2
    n = v * ns * nc
    eye = np.eye(n, dtype=complex).reshape(v, ns, nc, n)
    return wilson_apply(links, extents, eye, kappa, csw, antiperiodic).reshape(n, n)


def apply_gamma5(psi, d):
    return np.einsum("st,xt...->xs...", gamma5(d), psi)


def site_permutation(parity, ns, nc):
    """Index order (even sites' components, then odd sites') of a (V ns nc) vector."""
    idx = np.arange(len(parity) * ns * nc).reshape(len(parity), ns * nc)
    return np.concatenate([idx[parity == 0].ravel(), idx[parity == 1].ravel()])


def parity_of(extents):
    """(V,) array of (sum_mu x_mu) mod 2 in the site order x_0 fastest."""
    coords = np.array(list(itertools.product(*[range(e) for e in tuple(extents)[::-1]])))[:, ::-1]
    return coords.sum(axis=1) % 2


# ---------------------------------------------------------------------------
# free field
# ---------------------------------------------------------------------------
def free_eigenvalues(extents, kappa, nc=1, antiperiodic=True):
    """Eigenvalues of M on unit links: for every momentum p (periodic p_i = 2 pi n / L_i,
    antiperiodic time p_{D-1} = (2n + 1) pi / L_{D-1}),
        (1 - 2 kappa sum cos p) +- 2 i kappa sqrt(sum sin^2 p),
    each sign with multiplicity ns/2, times nc."""
    d = len(extents)
    ns = 4 if d == 4 else 2
    moms = []
    for mu, L in enumerate(extents):
        n = np.arange(L)
        anti = antiperiodic and mu == d - 1
        moms.append((2 * n + 1) * np.pi / L if anti else 2 * np.pi * n / L)
    grids = np.meshgrid(*moms, indexing="ij")
    c = sum(np.cos(g) for g in grids).ravel()
    s = np.sqrt(sum(np.sin(g) ** 2 for g in grids)).ravel()
    re = 1 - 2 * kappa * c
    ev = np.concatenate([re + 2j * kappa * s, re - 2j * kappa * s])
    return np.repeat(ev, ns // 2 * nc)

"""Slow, obvious NumPy references for the staggered Dirac operator tests.

Everything is built from the formula with Python loops over sites on small lattices,
independently of the package (its own site indexing and phases):

    M = m + D_hop,
    (D_hop psi)(x) = 1/2 sum_mu eta_mu(x) [ b U_mu(x) psi(x+mu) - b' U_mu(x-mu)^dag psi(x-mu) ],
    eta_mu(x) = (-1)^(x_0 + ... + x_{mu-1}),

b = -1 (b' = -1) if the forward (backward) hop in the time direction crosses the boundary
and the fermion is antiperiodic, else +1.  Dense matrices have rows and columns
(site, colour) with site index x_0 + L_0 (x_1 + L_1 (...)), x_0 fastest.
"""
from __future__ import annotations

import itertools

import numpy as np


def site_coords(extents):
    """List of coordinate tuples in site-index order (x_0 fastest)."""
    return [tuple(reversed(c)) for c in itertools.product(*[range(e) for e in reversed(extents)])]


def site_index(coord, extents):
    i = 0
    for mu in reversed(range(len(extents))):
        i = i * extents[mu] + coord[mu] % extents[mu]
    return i


def eta(coord, mu):
    return (-1) ** sum(coord[:mu])


def parity(extents):
    """(V,) array of (sum_mu x_mu) mod 2."""
    return np.array([sum(c) % 2 for c in site_coords(extents)])


def hopping_matrix(links, extents, antiperiodic=True):
    """Dense D_hop, shape (V n, V n)."""
    d = len(extents)
    n = links.shape[-1]
    vol = int(np.prod(extents))
    h = np.zeros((vol * n, vol * n), complex)
    for i, x in enumerate(site_coords(extents)):
        for mu in range(d):
            e = eta(x, mu)
            # forward: + 1/2 eta U_mu(x) psi(x + mu)
            xp = list(x)
            xp[mu] += 1
            sign = 1.0
            if xp[mu] == extents[mu]:
                xp[mu] = 0
                if antiperiodic and mu == d - 1:
                    sign = -1.0
            j = site_index(xp, extents)
            h[i * n:(i + 1) * n, j * n:(j + 1) * n] += 0.5 * e * sign * links[mu, i]
            # backward: - 1/2 eta U_mu(x - mu)^dag psi(x - mu)
            xm = list(x)
            xm[mu] -= 1
            sign = 1.0
            if xm[mu] < 0:
                xm[mu] = extents[mu] - 1
                if antiperiodic and mu == d - 1:
                    sign = -1.0
            j = site_index(xm, extents)
            h[i * n:(i + 1) * n, j * n:(j + 1) * n] -= 0.5 * e * sign * links[mu, j].conj().T
    return h


def staggered_matrix(links, extents, mass, antiperiodic=True):
    """Dense M = m + D_hop."""
    h = hopping_matrix(links, extents, antiperiodic)
    return mass * np.eye(h.shape[0]) + h


def parity_rows(extents, n, par):
    """Row indices (site, colour) of the sites of parity ``par`` in site order."""
    sites = np.flatnonzero(parity(extents) == par)
    return (sites[:, None] * n + np.arange(n)[None, :]).ravel()


def block(mat, extents, n, row_par, col_par):
    r = parity_rows(extents, n, row_par)
    c = parity_rows(extents, n, col_par)
    return mat[np.ix_(r, c)]


def free_spectrum(extents, mass, nc, antiperiodic=True):
    """Sorted eigenvalues of M^dag M on unit links: m^2 + sum_mu sin^2 p_mu over the
    full-lattice momenta p_mu = 2 pi k / L_mu, p_{D-1} = (2 k + 1) pi / L_{D-1} if antiperiodic,
    each value nc times."""
    d = len(extents)
    moms = []
    for mu, L in enumerate(extents):
        k = np.arange(L)
        if antiperiodic and mu == d - 1:
            moms.append((2 * k + 1) * np.pi / L)
        else:
            moms.append(2 * k * np.pi / L)
    grids = np.meshgrid(*moms, indexing="ij")
    vals = mass ** 2 + sum(np.sin(g) ** 2 for g in grids)
    return np.sort(np.repeat(vals.ravel(), nc))


def dense_of(fn, nin, n, dtype=complex):
    """Dense matrix of a linear map on (nin, n) fields, columns from unit vectors."""
    cols = []
    for k in range(nin * n):
        e = np.zeros(nin * n, dtype)
        e[k] = 1.0
        cols.append(np.asarray(fn(e.reshape(nin, n))).ravel())
    return np.array(cols).T

"""Slow NumPy references for the observables tests (test helpers only).

Independent of the package's neighbour tables and kernels: the links
``U[mu, i, a, b]`` (i = x_0 + L_0 (x_1 + ...), x_0 fastest) are viewed as a grid
``G[mu, x_{D-1}, ..., x_0, a, b]`` (direction mu = grid axis D-1-mu), and every loop
is the product of ``np.roll``-shifted link grids along an explicit list of steps.
"""
from __future__ import annotations

import itertools

import numpy as np


def grid(links, extents):
    d = len(extents)
    return links.reshape((d,) + tuple(extents[::-1]) + links.shape[-2:])


def dag(m):
    return np.conj(np.swapaxes(m, -1, -2))


def at(a, offset, d):
    """b(x) = a(x + offset) on a (L_{D-1}, ..., L_0, ...) grid."""
    return np.roll(a, shift=tuple(-o for o in offset), axis=tuple(d - 1 - mu for mu in range(d)))


def path_product(links, extents, steps):
    """P(x) = product of the links along ``steps`` [(mu, +1 or -1), ...] starting at x (grid)."""
    d = len(extents)
    g = grid(links, extents)
    n = links.shape[-1]
    out = np.broadcast_to(np.eye(n, dtype=complex), g.shape[1:]).copy()
    off = [0] * d
    for mu, s in steps:
        if s > 0:
            out = out @ at(g[mu], off, d)
            off[mu] += 1
        else:
            off[mu] -= 1
            out = out @ dag(at(g[mu], off, d))
    return out


def retr_avg(p):
    """Average over sites of Re tr p / n."""
    n = p.shape[-1]
    return float(np.trace(p, axis1=-2, axis2=-1).real.mean() / n)


# ---------------------------------------------------------------------------
# loops
# ---------------------------------------------------------------------------
def wilson_loop(links, extents, r, t):
    """W(R, T) averaged over sites and spatial directions, by explicit path products."""
    d = len(extents)
    tt = d - 1
    vals = []
    for k in range(tt):
        steps = [(k, 1)] * r + [(tt, 1)] * t + [(k, -1)] * r + [(tt, -1)] * t
        vals.append(retr_avg(path_product(links, extents, steps)))
    return float(np.mean(vals))


def rectangle(links, extents):
    d = len(extents)
    vals = []
    for mu in range(d):
        for nu in range(d):
            if mu != nu:
                steps = [(mu, 1), (mu, 1), (nu, 1), (mu, -1), (mu, -1), (nu, -1)]
                vals.append(retr_avg(path_product(links, extents, steps)))
    return float(np.mean(vals))


def polyakov(links, extents, mu):
    """Average (1/n) tr of the straight loop around direction mu (over all starting sites)."""
    p = path_product(links, extents, [(mu, 1)] * extents[mu])
    n = links.shape[-1]
    return complex(np.trace(p, axis1=-2, axis2=-1).mean() / n)


# ---------------------------------------------------------------------------
# clover
# ---------------------------------------------------------------------------
def leaves(mu, nu, m, k):
    """The four m x k leaves at x in the (mu, nu) plane, orientation mu -> nu, as step lists."""
    pm, mm, pn, mn = (mu, 1), (mu, -1), (nu, 1), (nu, -1)
    return [
        [pm] * m + [pn] * k + [mm] * m + [mn] * k,
        [pn] * k + [mm] * m + [mn] * k + [pm] * m,
        [mm] * m + [mn] * k + [pm] * m + [pn] * k,
        [mn] * k + [pm] * m + [pn] * k + [mm] * m,
    ]


def clover_f(links, extents, mu, nu, m=1, k=1):
    """F^{(m,k)}_{mu nu} on the grid: traceless anti-Hermitian part of the (symmetrised) clover / area."""
    shapes = [(m, k)] if m == k else [(m, k), (k, m)]
    q = 0
    for a, b in shapes:
        for steps in leaves(mu, nu, a, b):
            q = q + path_product(links, extents, steps)
    # (1/8)(Q - Q^dag) per unit area; the symmetrised clover has twice the leaves
    f = (q - dag(q)) / (8.0 * m * k * len(shapes))
    n = links.shape[-1]
    if n > 1:
        tr = np.trace(f, axis1=-2, axis2=-1) / n
        f = f - tr[..., None, None] * np.eye(n)
    return f


def energy_clover(links, extents, m=1, k=1):
    """Average over sites of -(1/2) sum_{mu,nu} tr F_{mu nu}^2 (sum over all ordered pairs)."""
    d = len(extents)
    e = 0.0
    for mu in range(d):
        for nu in range(d):
            if mu == nu:
                continue
            f = clover_f(links, extents, mu, nu, m, k)
            e = e - 0.5 * np.trace(f @ f, axis1=-2, axis2=-1).real
    return float(np.mean(e))


def energy_plaquette(links, extents):
    d = len(extents)
    n = links.shape[-1]
    e = 0.0
    for mu in range(d):
        for nu in range(mu + 1, d):
            p = path_product(links, extents, [(mu, 1), (nu, 1), (mu, -1), (nu, -1)])
            e = e + 2.0 * (n - np.trace(p, axis1=-2, axis2=-1).real)
    return float(np.mean(e))


def _perm_sign(p):
    p = list(p)
    s = 1
    for i in range(len(p)):
        for j in range(i + 1, len(p)):
            if p[i] > p[j]:
                s = -s
    return s


def charge_density(links, extents, m=1, k=1):
    """q(x) = -(1/32 pi^2) sum over all 24 permutations eps tr(F_{mu nu} F_{rho sigma}), as a flat (V,) array."""
    f = {}
    for mu in range(4):
        for nu in range(4):
            if mu != nu:
                f[mu, nu] = clover_f(links, extents, mu, nu, m, k)
    q = 0.0
    for p in itertools.permutations(range(4)):
        a, b, c, e = p
        q = q + _perm_sign(p) * np.trace(f[a, b] @ f[c, e], axis1=-2, axis2=-1).real
    return (-q / (32.0 * np.pi ** 2)).reshape(-1)

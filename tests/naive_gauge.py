"""Slow, obvious NumPy references for the gauge kernels (test helpers only).

Nothing here uses the package's neighbour tables or Numba kernels:

* the links ``U[mu, i, a, b]`` (site index i = x_0 + L_0 (x_1 + ...), x_0 fastest)
  are reshaped to a grid ``G[mu, x_{D-1}, ..., x_1, x_0, a, b]``, so direction mu is
  grid axis ``D - 1 - mu`` and U(x + mu) is ``np.roll(G, -1, axis)``;
* loops are products of those rolled arrays (``np.matmul`` over the site grid);
* single staples are products of links along explicit lists of steps, with the
  site arithmetic done on coordinate tuples modulo the extents;
* the exponential is ``scipy.linalg.expm``.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.linalg

# rectangle coefficients of the named actions, from the literature (independent of the package)
C1_REFERENCE = {
    "wilson": 0.0,
    "symanzik": -1.0 / 12.0,   # Luscher & Weisz 1985, tree level
    "iwasaki": -0.331,         # Iwasaki 1983
    "dbw2": -1.4088,           # Takaishi 1996 / de Forcrand et al. 2000
}


# ---------------------------------------------------------------------------
# grid layout
# ---------------------------------------------------------------------------
def link_grid(links: np.ndarray, extents) -> np.ndarray:
    """(D, V, n, n) links -> (D, L_{D-1}, ..., L_0, n, n): x_0 is the last site axis."""
    extents = tuple(extents)
    d = len(extents)
    n = links.shape[-1]
    return links.reshape((d,) + extents[::-1] + (n, n))


def _axis(mu: int, d: int) -> int:
    """Grid axis of direction mu in a site grid (L_{D-1}, ..., L_0, n, n)."""
    return d - 1 - mu


def shift(a: np.ndarray, mu: int, d: int, steps: int = 1) -> np.ndarray:
    """b(x) = a(x + steps * mu) for a site grid a of shape (L_{D-1}, ..., L_0, ...)."""
    return np.roll(a, -steps, axis=_axis(mu, d))


def dag(a: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(a, -1, -2))


def retr(a: np.ndarray) -> np.ndarray:
    return np.trace(a, axis1=-2, axis2=-1).real


# ---------------------------------------------------------------------------
# loops by np.roll
# ---------------------------------------------------------------------------
def plaquette_field(links, extents, mu, nu) -> np.ndarray:
    """U_{mu nu}(x) = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag on the site grid."""
    d = len(extents)
    g = link_grid(links, extents)
    um, un = g[mu], g[nu]
    return um @ shift(un, mu, d) @ dag(shift(um, nu, d)) @ dag(un)


def plaquette_plane_sums(links, extents) -> np.ndarray:
    """(D, D) array, [mu, nu] (mu < nu) = sum_x Re tr U_{mu nu}(x)."""
    d = len(extents)
    out = np.zeros((d, d))
    for mu in range(d):
        for nu in range(mu + 1, d):
            out[mu, nu] = retr(plaquette_field(links, extents, mu, nu)).sum()
    return out


def plaquette_sum(links, extents) -> float:
    """sum_x sum_{mu<nu} Re tr U_{mu nu}(x)."""
    return float(plaquette_plane_sums(links, extents).sum())


def plaquette_average(links, extents) -> float:
    """<P>: average of Re tr U_P / n over the V D (D-1)/2 plaquettes."""
    d = len(extents)
    n = links.shape[-1]
    vol = int(np.prod(extents))
    return plaquette_sum(links, extents) / (vol * d * (d - 1) // 2 * n)


def rectangle_field(links, extents, mu, nu) -> np.ndarray:
    """R_{mu nu}(x) = U_mu(x) U_mu(x+mu) U_nu(x+2mu) U_mu(x+mu+nu)^dag U_mu(x+nu)^dag U_nu(x)^dag."""
    d = len(extents)
    g = link_grid(links, extents)
    um, un = g[mu], g[nu]
    return (um @ shift(um, mu, d) @ shift(un, mu, d, 2)
            @ dag(shift(shift(um, mu, d), nu, d)) @ dag(shift(um, nu, d)) @ dag(un))


def rectangle_sum(links, extents) -> float:
    """sum_x sum_{mu != nu} Re tr R_{mu nu}(x) (each rectangle once)."""
    d = len(extents)
    s = 0.0
    for mu in range(d):
        for nu in range(d):
            if mu != nu:
                s += retr(rectangle_field(links, extents, mu, nu)).sum()
    return float(s)


def gauge_action(links, extents, beta, c1=0.0) -> float:
    """S = (beta/n) sum_x [c0 sum_{mu<nu} Re tr(1 - U_P) + c1 sum_{mu!=nu} Re tr(1 - R)]."""
    d = len(extents)
    n = links.shape[-1]
    vol = int(np.prod(extents))
    c0 = 1.0 - 8.0 * c1
    s = c0 * (n * vol * d * (d - 1) / 2 - plaquette_sum(links, extents))
    if c1 != 0.0:
        s += c1 * (n * vol * d * (d - 1) - rectangle_sum(links, extents))
    return beta / n * s


def wilson_action(links, extents, beta) -> float:
    """S_W = beta sum_P (1 - Re tr U_P / n)."""
    d = len(extents)
    n = links.shape[-1]
    total = 0.0
    for mu in range(d):
        for nu in range(mu + 1, d):
            total += (1.0 - retr(plaquette_field(links, extents, mu, nu)) / n).sum()
    return beta * total


def named_action(links, extents, beta, name) -> float:
    return gauge_action(links, extents, beta, C1_REFERENCE[name])


# ---------------------------------------------------------------------------
# explicit paths for single staples
# ---------------------------------------------------------------------------
def _site_index(coord, extents) -> int:
    i = 0
    for mu in reversed(range(len(extents))):
        i = i * extents[mu] + (coord[mu] % extents[mu])
    return i


def _site_coord(i, extents) -> list:
    c = []
    for e in extents:
        c.append(i % e)
        i //= e
    return c


def path_product(links, extents, start_index: int, steps) -> np.ndarray:
    """Product of links along a path of signed steps from a site.

    A step ``(mu, +1)`` multiplies U_mu(y) and moves y -> y + mu; ``(mu, -1)``
    moves y -> y - mu and multiplies U_mu(y - mu)^dag.
    """
    extents = tuple(extents)
    n = links.shape[-1]
    y = _site_coord(start_index, extents)
    out = np.eye(n, dtype=complex)
    for mu, s in steps:
        if s > 0:
            out = out @ links[mu, _site_index(y, extents)]
            y[mu] += 1
        else:
            y[mu] -= 1
            out = out @ links[mu, _site_index(y, extents)].conj().T
    return out


def plaquette_staple_paths(mu, d):
    """The 2(D-1) open paths from x+mu to x that close the link U_mu(x) to a plaquette."""
    paths = []
    for nu in range(d):
        if nu == mu:
            continue
        for s in (+1, -1):
            paths.append([(nu, s), (mu, -1), (nu, -s)])
    return paths


def rectangle_staple_paths(mu, d):
    """The 6(D-1) open paths from x+mu to x that close U_mu(x) to a 2x1 rectangle."""
    paths = []
    for nu in range(d):
        if nu == mu:
            continue
        for s in (+1, -1):
            # long side along mu, the link first:  +mu +mu +s nu -mu -mu -s nu
            paths.append([(mu, +1), (nu, s), (mu, -1), (mu, -1), (nu, -s)])
            # long side along mu, the link second: -mu +mu +s nu -mu -mu -s nu (+mu closes)
            paths.append([(nu, s), (mu, -1), (mu, -1), (nu, -s), (mu, +1)])
            # long side along nu
            paths.append([(nu, s), (nu, s), (mu, -1), (nu, -s), (nu, -s)])
    return paths


def staple(links, extents, mu, x, kind="plaquette") -> np.ndarray:
    """Sum over the staple paths of U_mu(x) starting at x + mu (explicit loops)."""
    extents = tuple(extents)
    d = len(extents)
    xc = _site_coord(x, extents)
    xc[mu] += 1
    xp = _site_index(xc, extents)
    paths = plaquette_staple_paths(mu, d) if kind == "plaquette" else rectangle_staple_paths(mu, d)
    n = links.shape[-1]
    out = np.zeros((n, n), complex)
    for p in paths:
        out += path_product(links, extents, xp, p)
    return out


def closed_loop_count(extents):
    """(n_plaquettes, n_rectangles) = (V D(D-1)/2, V D(D-1))."""
    d = len(extents)
    vol = int(np.prod(extents))
    return vol * d * (d - 1) // 2, vol * d * (d - 1)


# ---------------------------------------------------------------------------
# group helpers
# ---------------------------------------------------------------------------
def expm(x: np.ndarray) -> np.ndarray:
    """Matrix exponential of a stack of matrices by scipy.linalg.expm, one by one."""
    x = np.asarray(x)
    flat = x.reshape(-1, x.shape[-2], x.shape[-1])
    return np.array([scipy.linalg.expm(m) for m in flat]).reshape(x.shape)


def expm_spectral(x: np.ndarray) -> np.ndarray:
    """exp(X) for anti-Hermitian X from the Hermitian eigendecomposition of -iX (vectorised).

    A second, fast reference: scipy's expm calls LAPACK once per matrix, which is slow when
    the BLAS threads compete for a loaded CPU.
    """
    lam, v = np.linalg.eigh(-1j * np.asarray(x))
    return (v * np.exp(1j * lam)[..., None, :]) @ dag(v)


def random_algebra(nc: int, shape, rng, norm=None) -> np.ndarray:
    """Random anti-Hermitian (traceless for nc > 1) matrices built without the package.

    With ``norm`` given, every matrix is scaled so that -(1/c) tr X^2 = norm^2, i.e. its
    component vector has Euclidean length ``norm`` (c = 1/2 for SU(n), 1 for U(1)).
    """
    shape = tuple(shape)
    h = rng.standard_normal(shape + (nc, nc)) + 1j * rng.standard_normal(shape + (nc, nc))
    h = 0.5 * (h + dag(h))
    if nc > 1:
        tr = np.trace(h, axis1=-2, axis2=-1) / nc
        h = h - tr[..., None, None] * np.eye(nc)
    x = 1j * h
    if norm is not None:
        c = 1.0 if nc == 1 else 0.5
        cur = np.sqrt(-np.trace(x @ x, axis1=-2, axis2=-1).real / c)
        x = x * (norm / cur)[..., None, None]
    return x


def gauge_transform(links, extents, g) -> np.ndarray:
    """U_mu(x) -> g(x) U_mu(x) g(x+mu)^dag on the grid (independent of the package)."""
    d = len(extents)
    gg = g.reshape(tuple(extents)[::-1] + g.shape[-2:])
    grid = link_grid(links, extents)
    out = np.empty_like(grid)
    for mu in range(d):
        out[mu] = gg @ grid[mu] @ dag(shift(gg, mu, d))
    return out.reshape(links.shape)


def all_links(extents):
    """Iterate over (mu, x) of a lattice."""
    d = len(extents)
    vol = int(np.prod(extents))
    return itertools.product(range(d), range(vol))

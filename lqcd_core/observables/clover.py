"""Clover-leaf field strength and the energy density (docs/observables.md).

Leaves.  The m x k leaves of the (mu, nu) plane at x are the four closed m x k
rectangles (m links along mu, k along nu) that start and end at x, one in each
quadrant, all with the orientation mu -> nu:

    L1 = +mu^m  +nu^k  -mu^m  -nu^k          (quadrant +mu, +nu)
    L2 = +nu^k  -mu^m  -nu^k  +mu^m          (quadrant -mu, +nu)
    L3 = -mu^m  -nu^k  +mu^m  +nu^k          (quadrant -mu, -nu)
    L4 = -nu^k  +mu^m  +nu^k  -mu^m          (quadrant +mu, -nu)

(a step -mu from y multiplies by U_mu(y - mu)^dag).  For m = k = 1, L1 is the
plaquette U_{mu nu}(x) of docs/conventions.md.  Q^{(m,k)}_{mu nu}(x) = L1 + L2 + L3 + L4.

Field strength (anti-Hermitian, traceless for SU(N)):

    F_{mu nu}(x) = (1/8) [Q_{mu nu} - Q_{mu nu}^dag]  minus its trace / N
                 = (1/4) TA(Q_{mu nu}(x)),

and for larger leaves F^{(m,k)} = TA(Q^{(m,k)} + Q^{(k,m)}) / (8 m k) (m != k:
both orientations of the rectangle, each normalised by its area m k) or
TA(Q^{(m,m)}) / (4 m^2).  With U_{mu nu} = exp(i a^2 g F^a_{mu nu} T_a + ...)
(docs/conventions.md, "Gauge actions"),

    F_{mu nu}(x) = i a^2 g F^a_{mu nu}(x) T_a + O(a^4) = a^2 G_{mu nu}(x) + O(a^4),

where G_{mu nu} = g F^a T_a i is Lüscher's anti-Hermitian field strength
(JHEP 08 (2010) 071).  F_{nu mu} = -F_{mu nu}.

Energy density (dimensionless, a^4 E):

    E_clover(x) = -(1/2) sum_{mu,nu} tr F_{mu nu}(x)^2 = -sum_{mu<nu} tr F_{mu nu}(x)^2
                -> -(a^4/2) tr G G = (a^4/4) g^2 F^a_{mu nu} F^a_{mu nu}   (SU(N), tr T_a T_b = delta/2)

    E_plaq = 2 sum_{mu<nu} Re tr(1 - U_{mu nu}(x)), averaged over x
           = N D (D-1) (1 - <P>),

which agree at leading order: Re tr(1 - exp(X)) = -(1/2) tr X^2 + O(X^4) for an
algebra element X.  For U(1) both equal sum_{mu<nu} theta_{mu nu}^2 at leading
order, i.e. (a^4/2) g^2 F_{mu nu} F_{mu nu} (twice the Maxwell Lagrangian).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..group._linalg import add_to, copy_to, mul_nd, mul_nn, retr_nn, set_zero, ta_to

INV_4PI2 = 1.0 / (4.0 * np.pi ** 2)


def planes(ndim: int) -> list[tuple[int, int]]:
    """The planes (mu, nu), mu < nu, in the order used for plane-indexed arrays."""
    return [(mu, nu) for mu in range(ndim) for nu in range(mu + 1, ndim)]


# ---------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------
@njit(cache=True)
def _add_leaves(u, fwd, bwd, x, mu, nu, m, k, q, p, t):
    """q += the four m x k leaves of the (mu, nu) plane at x (module docstring).

    Leaf l walks four straight segments; segment s has the rotation r = (l + s) mod 4:
    r = 0: +mu^m, 1: +nu^k, 2: -mu^m, 3: -nu^k (so leaf l starts in quadrant l).
    """
    n = q.shape[0]
    for leaf in range(4):
        for i in range(n):
            for j in range(n):
                p[i, j] = 0j
            p[i, i] = 1.0 + 0j
        y = np.int64(x)  # the prange index may be unsigned: keep one integer type
        for seg in range(4):
            r = (leaf + seg) % 4
            d = mu if r % 2 == 0 else nu
            cnt = m if r % 2 == 0 else k
            if r < 2:
                for _ in range(cnt):
                    mul_nn(p, u[d, y], t)
                    copy_to(p, t)
                    y = fwd[d, y]
            else:
                for _ in range(cnt):
                    y = bwd[d, y]
                    mul_nd(p, u[d, y], t)
                    copy_to(p, t)
        add_to(q, p, 1.0)


@njit(cache=True)
def site_field_strength(u, fwd, bwd, x, mu, nu, m, k, out, q, p, t):
    """out = F^{(m,k)}_{mu nu}(x) (module docstring); q, p, t are n x n scratch."""
    set_zero(q)
    _add_leaves(u, fwd, bwd, x, mu, nu, m, k, q, p, t)
    if m != k:
        _add_leaves(u, fwd, bwd, x, mu, nu, k, m, q, p, t)
        ta_to(q, out, 1.0 / (8.0 * m * k))
    else:
        ta_to(q, out, 1.0 / (4.0 * m * k))


@njit(parallel=True, cache=True)
def field_strength_planes(u, fwd, bwd, mus, nus, m, k, out):
    """out[p, x] = F^{(m,k)}_{mus[p] nus[p]}(x)."""
    vol, n = u.shape[1], u.shape[2]
    for x in prange(vol):
        q = np.empty((n, n), np.complex128)
        p = np.empty((n, n), np.complex128)
        t = np.empty((n, n), np.complex128)
        for i in range(mus.shape[0]):
            site_field_strength(u, fwd, bwd, x, mus[i], nus[i], m, k, out[i, x], q, p, t)


@njit(parallel=True, cache=True)
def clover_densities(u, fwd, bwd, ms, ks, cs, e_out, q_out):
    """Per-site energy and (4D) charge densities from combinations of m x k clovers.

    e_out[x] = sum_i cs[i] * (-sum_{mu<nu} tr F^{(i)}_{mu nu}(x)^2),
    q_out[x] = sum_i cs[i] * q[F^{(i)}](x) with
    q[F] = -(1/32 pi^2) eps_{mu nu rho sigma} tr F_{mu nu} F_{rho sigma}
         = -(1/4 pi^2) [tr F01 F23 - tr F02 F13 + tr F03 F12]   (only for D = 4;
    q_out is left 0 otherwise), where F^{(i)} = F^{(ms[i], ks[i])}.
    """
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    npl = nd * (nd - 1) // 2
    mus = np.empty(npl, np.int64)
    nus = np.empty(npl, np.int64)
    j = 0
    for mu in range(nd):
        for nu in range(mu + 1, nd):
            mus[j] = mu
            nus[j] = nu
            j += 1
    for x in prange(vol):
        f = np.empty((npl, n, n), np.complex128)
        q = np.empty((n, n), np.complex128)
        p = np.empty((n, n), np.complex128)
        t = np.empty((n, n), np.complex128)
        e_acc = 0.0
        q_acc = 0.0
        for i in range(ms.shape[0]):
            for j2 in range(npl):
                site_field_strength(u, fwd, bwd, x, mus[j2], nus[j2], ms[i], ks[i], f[j2], q, p, t)
            e = 0.0
            for j2 in range(npl):
                e -= retr_nn(f[j2], f[j2])
            e_acc += cs[i] * e
            if nd == 4:
                # planes: 0:(0,1) 1:(0,2) 2:(0,3) 3:(1,2) 4:(1,3) 5:(2,3)
                s = retr_nn(f[0], f[5]) - retr_nn(f[1], f[4]) + retr_nn(f[2], f[3])
                q_acc -= cs[i] * s * INV_4PI2
        e_out[x] = e_acc
        q_out[x] = q_acc


# ---------------------------------------------------------------------------
# Python API
# ---------------------------------------------------------------------------
def clover_field_strength(field, full: bool = True, m: int = 1, k: int = 1) -> np.ndarray:
    """Clover field strength F_{mu nu}(x) (anti-Hermitian, traceless for SU(N)).

    Parameters
    ----------
    full : bool
        True: array (D, D, V, n, n), antisymmetric in (mu, nu), zero on the diagonal.
        False: array (D(D-1)/2, V, n, n) for the planes ``planes(D)`` (mu < nu).
    m, k : int
        Leaf size (default the 1 x 1 clover); m != k averages the m x k and k x m clovers,
        normalised by the area so that F^{(m,k)} = a^2 G + O(a^4) for every size.
    """
    lat = field.lattice
    pl = planes(lat.ndim)
    mus = np.array([a for a, _ in pl], np.int64)
    nus = np.array([b for _, b in pl], np.int64)
    n = field.group.nc
    fp = np.empty((len(pl), lat.volume, n, n), np.complex128)
    field_strength_planes(field.links, lat.fwd, lat.bwd, mus, nus, int(m), int(k), fp)
    if not full:
        return fp
    d = lat.ndim
    out = np.zeros((d, d, lat.volume, n, n), np.complex128)
    for i, (a, b) in enumerate(pl):
        out[a, b] = fp[i]
        out[b, a] = -fp[i]
    return out


def _densities(field, shapes=((1, 1),), coeffs=(1.0,)):
    lat = field.lattice
    ms = np.array([s[0] for s in shapes], np.int64)
    ks = np.array([s[1] for s in shapes], np.int64)
    cs = np.array(coeffs, np.float64)
    e = np.zeros(lat.volume)
    q = np.zeros(lat.volume)
    clover_densities(field.links, lat.fwd, lat.bwd, ms, ks, cs, e, q)
    return e, q


def energy_density_clover_sites(field) -> np.ndarray:
    """(V,) array E_clover(x) = -(1/2) sum_{mu,nu} tr F_{mu nu}(x)^2 (dimensionless a^4 E)."""
    return _densities(field)[0]


def energy_density_clover(field, per_site: bool = False):
    """Clover energy density averaged over the sites (a float), or per site (``per_site``)."""
    e = energy_density_clover_sites(field)
    return e if per_site else float(e.mean())


def energy_density_plaquette_sites(field) -> np.ndarray:
    """(V,) array E_plaq(x) = 2 sum_{mu<nu} Re tr(1 - U_{mu nu}(x)) (plaquettes based at x)."""
    lat = field.lattice
    u = field.links
    n = field.group.nc
    e = np.zeros(lat.volume)
    for mu, nu in planes(lat.ndim):
        left = u[mu] @ u[nu][lat.fwd[mu]]            # U_mu(x) U_nu(x+mu)
        right = u[nu] @ u[mu][lat.fwd[nu]]           # U_nu(x) U_mu(x+nu)
        retr = np.einsum("xab,xab->x", left, right.conj()).real   # Re tr(left right^dag)
        e += 2.0 * (n - retr)
    return e


def energy_density_plaquette(field) -> float:
    """E_plaq = 2 sum_{mu<nu} Re tr(1 - U_{mu nu}) per site = N D (D-1) (1 - <P>)."""
    lat = field.lattice
    n = field.group.nc
    return float(n * lat.ndim * (lat.ndim - 1) * (1.0 - field.plaquette()))


def energy(field) -> dict:
    """Energy densities E_plaq and E_clover (per site, a^4 E, Luscher's normalisation)."""
    return {"E_plaq": energy_density_plaquette(field), "E_clover": energy_density_clover(field)}

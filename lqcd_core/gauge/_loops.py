"""Numba kernels for Wilson loops built from plaquettes: plaquette sums and staples.

Layout: links ``u[mu, x, a, b]`` with neighbour tables ``fwd[mu, x]`` (x + mu)
and ``bwd[mu, x]`` (x - mu), see :mod:`lqcd_core.lattice.geometry`.

The plaquette  U_{mu nu}(x) = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag.
The staple sum of the link U_mu(x) (the sum of the open paths that close it to a
plaquette, so that sum_{nu != mu} Re tr U_{mu nu} over the 2(D-1) plaquettes
containing U_mu(x) equals Re tr(U_mu(x) A_mu(x))):

    A_mu(x) = sum_{nu != mu} [ U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
                             + U_nu(x+mu-nu)^dag U_mu(x-nu)^dag U_nu(x-nu) ].
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import add_to, mul_dd, mul_nd, mul_nn, retr_nd, set_zero, ta_to


@njit(parallel=True, cache=True)
def plaquette_planes(u, fwd):
    """(D, D) array: entry [mu, nu] (mu < nu) = sum_x Re tr U_{mu nu}(x)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    out = np.zeros((nd, nd))
    for mu in range(nd):
        for nu in range(mu + 1, nd):
            acc = 0.0
            for x in prange(vol):
                t1 = np.empty((n, n), np.complex128)
                t2 = np.empty((n, n), np.complex128)
                mul_nn(u[mu, x], u[nu, fwd[mu, x]], t1)
                mul_nn(u[nu, x], u[mu, fwd[nu, x]], t2)
                acc += retr_nd(t1, t2)
            out[mu, nu] = acc
    return out


@njit(inline="always", cache=True)
def add_plaquette_staples(u, fwd, bwd, mu, x, a, t1, t2, f):
    """a += f * A_mu(x), the plaquette staple sum (module docstring)."""
    nd = u.shape[0]
    xp = fwd[mu, x]
    for nu in range(nd):
        if nu == mu:
            continue
        # upper: U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
        mul_nd(u[nu, xp], u[mu, fwd[nu, x]], t1)
        mul_nd(t1, u[nu, x], t2)
        add_to(a, t2, f)
        # lower: U_nu(x+mu-nu)^dag U_mu(x-nu)^dag U_nu(x-nu)
        xm = bwd[nu, x]
        mul_dd(u[nu, bwd[nu, xp]], u[mu, xm], t1)
        mul_nn(t1, u[nu, xm], t2)
        add_to(a, t2, f)


@njit(parallel=True, cache=True)
def plaquette_staples(u, fwd, bwd, out):
    """out[mu, x] = A_mu(x) for every link."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for x in prange(vol):
            t1 = np.empty((n, n), np.complex128)
            t2 = np.empty((n, n), np.complex128)
            set_zero(out[mu, x])
            add_plaquette_staples(u, fwd, bwd, mu, x, out[mu, x], t1, t2, 1.0)


@njit(parallel=True, cache=True)
def plaquette_force(u, fwd, bwd, out, f):
    """out[mu, x] = f * TA(U_mu(x) A_mu(x)): the Wilson-action force up to its factor."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for x in prange(vol):
            a = np.zeros((n, n), np.complex128)
            t1 = np.empty((n, n), np.complex128)
            t2 = np.empty((n, n), np.complex128)
            add_plaquette_staples(u, fwd, bwd, mu, x, a, t1, t2, 1.0)
            mul_nn(u[mu, x], a, t1)
            ta_to(t1, out[mu, x], f)

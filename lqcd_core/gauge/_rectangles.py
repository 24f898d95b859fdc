"""Numba kernels for 2x1 rectangles: their sum and the improved-action force.

R_{mu nu}(x) = U_mu(x) U_mu(x+mu) U_nu(x+2mu) U_mu(x+mu+nu)^dag U_mu(x+nu)^dag U_nu(x)^dag
(two steps in mu, one in nu), one per ordered pair mu != nu and site.

The link U_mu(x) lies in six rectangles per nu != mu: four with the long side
along mu (the link first or second on it, the loop above or below) and two with
the long side along nu (loop to +nu or to -nu).  The rectangle staple sum
A^rect_mu(x) is the sum of those six open paths from x+mu back to x, so that
Re tr(U_mu(x) A^rect_mu(x)) = sum of Re tr R over the rectangles containing U_mu(x)
(docs/conventions.md, "Gauge actions").
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import add_to, mul_dd, mul_nd, mul_nn, retr_nd, ta_to
from ._loops import add_plaquette_staples


@njit(parallel=True, cache=True)
def rectangle_sum(u, fwd):
    """sum_x sum_{mu != nu} Re tr R_{mu nu}(x)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    acc = 0.0
    for x in prange(vol):
        t1 = np.empty((n, n), np.complex128)
        t2 = np.empty((n, n), np.complex128)
        t3 = np.empty((n, n), np.complex128)
        s = 0.0
        for mu in range(nd):
            xm = fwd[mu, x]
            xmm = fwd[mu, xm]
            for nu in range(nd):
                if nu == mu:
                    continue
                xn = fwd[nu, x]
                # lower-right half: U_mu(x) U_mu(x+mu) U_nu(x+2mu)
                mul_nn(u[mu, x], u[mu, xm], t1)
                mul_nn(t1, u[nu, xmm], t2)
                # upper-left half: U_nu(x) U_mu(x+nu) U_mu(x+mu+nu)
                mul_nn(u[nu, x], u[mu, xn], t1)
                mul_nn(t1, u[mu, fwd[mu, xn]], t3)
                s += retr_nd(t2, t3)
        acc += s
    return acc


@njit(inline="always", cache=True)
def add_rectangle_staples(u, fwd, bwd, mu, x, a, t1, t2, f):
    """a += f * A^rect_mu(x) (module docstring)."""
    nd = u.shape[0]
    xp = fwd[mu, x]
    xpp = fwd[mu, xp]
    xm = bwd[mu, x]
    for nu in range(nd):
        if nu == mu:
            continue
        xn = fwd[nu, x]
        xdn = bwd[nu, x]
        # (1) long side mu, link first, above:
        #     U_mu(x+mu) U_nu(x+2mu) U_mu(x+mu+nu)^dag U_mu(x+nu)^dag U_nu(x)^dag
        mul_nn(u[mu, xp], u[nu, xpp], t1)
        mul_nd(t1, u[mu, fwd[nu, xp]], t2)
        mul_nd(t2, u[mu, xn], t1)
        mul_nd(t1, u[nu, x], t2)
        add_to(a, t2, f)
        # (2) long side mu, link second, above:
        #     U_nu(x+mu) U_mu(x+nu)^dag U_mu(x-mu+nu)^dag U_nu(x-mu)^dag U_mu(x-mu)
        mul_nd(u[nu, xp], u[mu, xn], t1)
        mul_nd(t1, u[mu, fwd[nu, xm]], t2)
        mul_nd(t2, u[nu, xm], t1)
        mul_nn(t1, u[mu, xm], t2)
        add_to(a, t2, f)
        # (3) long side mu, link first, below:
        #     U_mu(x+mu) U_nu(x+2mu-nu)^dag U_mu(x+mu-nu)^dag U_mu(x-nu)^dag U_nu(x-nu)
        mul_nd(u[mu, xp], u[nu, bwd[nu, xpp]], t1)
        mul_nd(t1, u[mu, bwd[nu, xp]], t2)
        mul_nd(t2, u[mu, xdn], t1)
        mul_nn(t1, u[nu, xdn], t2)
        add_to(a, t2, f)
        # (4) long side mu, link second, below:
        #     U_nu(x+mu-nu)^dag U_mu(x-nu)^dag U_mu(x-mu-nu)^dag U_nu(x-mu-nu) U_mu(x-mu)
        xmdn = bwd[nu, xm]
        mul_dd(u[nu, bwd[nu, xp]], u[mu, xdn], t1)
        mul_nd(t1, u[mu, xmdn], t2)
        mul_nn(t2, u[nu, xmdn], t1)
        mul_nn(t1, u[mu, xm], t2)
        add_to(a, t2, f)
        # (5) long side nu, above:
        #     U_nu(x+mu) U_nu(x+mu+nu) U_mu(x+2nu)^dag U_nu(x+nu)^dag U_nu(x)^dag
        mul_nn(u[nu, xp], u[nu, fwd[nu, xp]], t1)
        mul_nd(t1, u[mu, fwd[nu, xn]], t2)
        mul_nd(t2, u[nu, xn], t1)
        mul_nd(t1, u[nu, x], t2)
        add_to(a, t2, f)
        # (6) long side nu, below:
        #     U_nu(x+mu-nu)^dag U_nu(x+mu-2nu)^dag U_mu(x-2nu)^dag U_nu(x-2nu) U_nu(x-nu)
        xddn = bwd[nu, xdn]
        mul_dd(u[nu, bwd[nu, xp]], u[nu, bwd[nu, bwd[nu, xp]]], t1)
        mul_nd(t1, u[mu, xddn], t2)
        mul_nn(t2, u[nu, xddn], t1)
        mul_nn(t1, u[nu, xdn], t2)
        add_to(a, t2, f)


@njit(parallel=True, cache=True)
def improved_staples(u, fwd, bwd, out, c0, c1):
    """out[mu, x] = c0 A^plaq_mu(x) + c1 A^rect_mu(x) (heatbath-free uses, tests)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for x in prange(vol):
            t1 = np.empty((n, n), np.complex128)
            t2 = np.empty((n, n), np.complex128)
            a = out[mu, x]
            for i in range(n):
                for j in range(n):
                    a[i, j] = 0j
            add_plaquette_staples(u, fwd, bwd, mu, x, a, t1, t2, c0)
            add_rectangle_staples(u, fwd, bwd, mu, x, a, t1, t2, c1)


@njit(parallel=True, cache=True)
def improved_force(u, fwd, bwd, out, f, c0, c1):
    """out[mu, x] = f TA(U_mu(x) (c0 A^plaq + c1 A^rect)) (see actions/gauge.py)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for x in prange(vol):
            a = np.zeros((n, n), np.complex128)
            t1 = np.empty((n, n), np.complex128)
            t2 = np.empty((n, n), np.complex128)
            add_plaquette_staples(u, fwd, bwd, mu, x, a, t1, t2, c0)
            add_rectangle_staples(u, fwd, bwd, mu, x, a, t1, t2, c1)
            mul_nn(u[mu, x], a, t1)
            ta_to(t1, out[mu, x], f)

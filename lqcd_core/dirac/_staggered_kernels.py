"""Numba kernels of the staggered (Kogut-Susskind) Dirac operator.

Conventions (docs/conventions.md, "Staggered fermions"; :mod:`lqcd_core.dirac.staggered`):

    (D_hop psi)(x) = sum_mu s_mu(x) U_mu(x) psi(x+mu) - s_mu(x-mu) U_mu(x-mu)^dag psi(x-mu),

with the *link sign* s_mu(x) = (1/2) eta_mu(x) b_mu(x): the staggered phase eta_mu(x), the
boundary sign b_mu(x) (-1 on the time links that cross the boundary when the fermion is
antiperiodic in time, else +1) and the factor 1/2 of the normalisation.  The signs are
real tables of the fields' real dtype (site-major ``sf``/``sb`` for the hopping kernel,
direction-major ``sgn`` for the force), so the links themselves are never changed (the
kernels read ``field.links`` as they are).  eta_mu(x) does not depend on x_mu, so the
backward hop uses the sign of the link it crosses, s_mu(x-mu).

Every kernel is dtype-generic (complex128 or complex64 fields and links; ``sgn``, ``a``
and ``b`` of the matching real type, so that single precision stays single precision) and
has an unrolled SU(3) path plus generic colour loops (U(1), SU(2), SU(N)).

Layouts: links ``u[mu, x, a, b]``; fermion fields ``psi[k, a]`` on a list of sites.
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import ta_to


@njit(inline="always", cache=True)
def _hops3(u, xin, s, t, jf, jb, sf, sb, mu, r0, r1, r2):
    """(r0, r1, r2) + s_f U_mu(s) x[jf] - s_b U_mu(t)^dag x[jb] (SU(3), written out)."""
    v0 = sf * xin[jf, 0]
    v1 = sf * xin[jf, 1]
    v2 = sf * xin[jf, 2]
    r0 += u[mu, s, 0, 0] * v0 + u[mu, s, 0, 1] * v1 + u[mu, s, 0, 2] * v2
    r1 += u[mu, s, 1, 0] * v0 + u[mu, s, 1, 1] * v1 + u[mu, s, 1, 2] * v2
    r2 += u[mu, s, 2, 0] * v0 + u[mu, s, 2, 1] * v1 + u[mu, s, 2, 2] * v2
    v0 = sb * xin[jb, 0]
    v1 = sb * xin[jb, 1]
    v2 = sb * xin[jb, 2]
    r0 -= (u[mu, t, 0, 0].conjugate() * v0 + u[mu, t, 1, 0].conjugate() * v1
           + u[mu, t, 2, 0].conjugate() * v2)
    r1 -= (u[mu, t, 0, 1].conjugate() * v0 + u[mu, t, 1, 1].conjugate() * v1
           + u[mu, t, 2, 1].conjugate() * v2)
    r2 -= (u[mu, t, 0, 2].conjugate() * v0 + u[mu, t, 1, 2].conjugate() * v1
           + u[mu, t, 2, 2].conjugate() * v2)
    return r0, r1, r2


@njit(inline="always", cache=True)
def _site3(u, xin, sites, bsites, nf, nb, sf, sb, k, mu, r0, r1, r2):
    return _hops3(u, xin, sites[k], bsites[k, mu], nf[k, mu], nb[k, mu], sf[k, mu], sb[k, mu],
                  mu, r0, r1, r2)


@njit(cache=True, parallel=True)
def hop(u, sites, bsites, nf, nb, sf, sb, xin, xself, out, a, b, with_mass):
    """out[k] = a xself[k] (if with_mass) + b (D_hop xin)(sites[k]) for k in range(len(sites)).

    Tables, site-major (row k = output site, column mu), int32 indices:

    ``sites[k]``      global index s of the k-th output site (for the links U_mu(s)),
    ``bsites[k, mu]`` global index of s - mu (for the links U_mu(s - mu)),
    ``nf[k, mu]``     row of ``xin`` holding psi(s + mu),
    ``nb[k, mu]``     row of ``xin`` holding psi(s - mu),
    ``sf[k, mu]``     link sign s_mu(s), ``sb[k, mu]`` link sign s_mu(s - mu).

    The full lattice uses sites = 0..V-1, bsites = nb = bwd^T, nf = fwd^T.  A checkerboard
    (D_eo or D_oe) uses the sites of one parity and the rows of a half-lattice input of the
    other parity: it writes only the V/2 output rows and reads only the V/2 input rows.
    Site-major tables and the unrolled direction loop (D = 4) matter: with direction-major
    tables and a rolled loop the even-odd A cost 1.2x (8^4) to 1.8x (16^4) as much.
    SU(3) in D = 2 runs the rolled loop over the same written-out SU(3) products.
    """
    nd = u.shape[0]
    n = u.shape[2]
    nh = sites.shape[0]
    if n == 3:
        z = xin[0, 0] - xin[0, 0]          # a zero of the fields' dtype
        for k in prange(nh):
            r0, r1, r2 = z, z, z
            if nd == 4:
                r0, r1, r2 = _site3(u, xin, sites, bsites, nf, nb, sf, sb, k, 0, r0, r1, r2)
                r0, r1, r2 = _site3(u, xin, sites, bsites, nf, nb, sf, sb, k, 1, r0, r1, r2)
                r0, r1, r2 = _site3(u, xin, sites, bsites, nf, nb, sf, sb, k, 2, r0, r1, r2)
                r0, r1, r2 = _site3(u, xin, sites, bsites, nf, nb, sf, sb, k, 3, r0, r1, r2)
            else:
                for mu in range(nd):
                    r0, r1, r2 = _site3(u, xin, sites, bsites, nf, nb, sf, sb, k, mu, r0, r1, r2)
            if with_mass:
                out[k, 0] = a * xself[k, 0] + b * r0
                out[k, 1] = a * xself[k, 1] + b * r1
                out[k, 2] = a * xself[k, 2] + b * r2
            else:
                out[k, 0] = b * r0
                out[k, 1] = b * r1
                out[k, 2] = b * r2
    else:
        for k in prange(nh):
            s = sites[k]
            for c in range(n):
                out[k, c] = 0
            for mu in range(nd):
                j = nf[k, mu]
                f = sf[k, mu]
                for c in range(n):
                    acc = u[mu, s, c, 0] * xin[j, 0]
                    for e in range(1, n):
                        acc += u[mu, s, c, e] * xin[j, e]
                    out[k, c] += f * acc
                t = bsites[k, mu]
                j = nb[k, mu]
                f = sb[k, mu]
                for c in range(n):
                    acc = u[mu, t, 0, c].conjugate() * xin[j, 0]
                    for e in range(1, n):
                        acc += u[mu, t, e, c].conjugate() * xin[j, e]
                    out[k, c] -= f * acc
            if with_mass:
                for c in range(n):
                    out[k, c] = a * xself[k, c] + b * out[k, c]
            else:
                for c in range(n):
                    out[k, c] = b * out[k, c]


@njit(cache=True, parallel=True)
def force(u, fwd, sgn, xs, ys, f, out):
    """out[mu, z] = f TA(W_mu(z)), W summed over the pairs p of full-lattice fields:

        W_mu(z) = sum_p s_mu(z) [ U_mu(z) x_p(z+mu) y_p(z)^dag + x_p(z) y_p(z+mu)^dag U_mu(z)^dag ],

    the colour matrix with  d/de sum_p Re(y_p^dag D_hop[exp(e T) U] x_p) = Re sum tr(T W)
    (derivation in :mod:`lqcd_core.dirac.staggered`).  ``sgn[mu, z]`` is the link sign s_mu(z)
    (direction-major, like ``fwd``); ``out`` is complex128 and W is accumulated in complex128
    whatever the fields' precision.  Element-wise W_ab = s [ (U x')_a conj(y_b) +
    x_a conj((U y')_b) ]: the two products U x', U y' are the only matrix work.  The
    projection ``ta_to`` runs in place (it reads each (i, j), (j, i) pair and the diagonal
    before writing them).
    """
    nd = u.shape[0]
    vol = u.shape[1]
    n = u.shape[2]
    npair = xs.shape[0]
    for mu in range(nd):
        for z in prange(vol):
            zp = fwd[mu, z]
            s = np.float64(sgn[mu, z])
            w = out[mu, z]
            if n == 3:
                w00 = 0j
                w01 = 0j
                w02 = 0j
                w10 = 0j
                w11 = 0j
                w12 = 0j
                w20 = 0j
                w21 = 0j
                w22 = 0j
                u00 = np.complex128(u[mu, z, 0, 0])
                u01 = np.complex128(u[mu, z, 0, 1])
                u02 = np.complex128(u[mu, z, 0, 2])
                u10 = np.complex128(u[mu, z, 1, 0])
                u11 = np.complex128(u[mu, z, 1, 1])
                u12 = np.complex128(u[mu, z, 1, 2])
                u20 = np.complex128(u[mu, z, 2, 0])
                u21 = np.complex128(u[mu, z, 2, 1])
                u22 = np.complex128(u[mu, z, 2, 2])
                for p in range(npair):
                    a0 = np.complex128(xs[p, zp, 0])
                    a1 = np.complex128(xs[p, zp, 1])
                    a2 = np.complex128(xs[p, zp, 2])
                    b0 = np.complex128(ys[p, zp, 0])
                    b1 = np.complex128(ys[p, zp, 1])
                    b2 = np.complex128(ys[p, zp, 2])
                    # s U x(z+mu) and conj(s U y(z+mu))
                    ux0 = s * (u00 * a0 + u01 * a1 + u02 * a2)
                    ux1 = s * (u10 * a0 + u11 * a1 + u12 * a2)
                    ux2 = s * (u20 * a0 + u21 * a1 + u22 * a2)
                    uy0 = s * (u00 * b0 + u01 * b1 + u02 * b2).conjugate()
                    uy1 = s * (u10 * b0 + u11 * b1 + u12 * b2).conjugate()
                    uy2 = s * (u20 * b0 + u21 * b1 + u22 * b2).conjugate()
                    y0 = np.complex128(ys[p, z, 0]).conjugate()
                    y1 = np.complex128(ys[p, z, 1]).conjugate()
                    y2 = np.complex128(ys[p, z, 2]).conjugate()
                    x0 = np.complex128(xs[p, z, 0])
                    x1 = np.complex128(xs[p, z, 1])
                    x2 = np.complex128(xs[p, z, 2])
                    w00 += ux0 * y0 + x0 * uy0
                    w01 += ux0 * y1 + x0 * uy1
                    w02 += ux0 * y2 + x0 * uy2
                    w10 += ux1 * y0 + x1 * uy0
                    w11 += ux1 * y1 + x1 * uy1
                    w12 += ux1 * y2 + x1 * uy2
                    w20 += ux2 * y0 + x2 * uy0
                    w21 += ux2 * y1 + x2 * uy1
                    w22 += ux2 * y2 + x2 * uy2
                w[0, 0] = w00
                w[0, 1] = w01
                w[0, 2] = w02
                w[1, 0] = w10
                w[1, 1] = w11
                w[1, 2] = w12
                w[2, 0] = w20
                w[2, 1] = w21
                w[2, 2] = w22
            else:
                for i in range(n):
                    for j in range(n):
                        w[i, j] = 0j
                for p in range(npair):
                    for i in range(n):
                        ux = 0j
                        uy = 0j
                        for c in range(n):
                            ux += u[mu, z, i, c] * xs[p, zp, c]
                            uy += u[mu, z, i, c] * ys[p, zp, c]
                        ux *= s
                        uyc = s * uy.conjugate()
                        for j in range(n):
                            w[i, j] += ux * ys[p, z, j].conjugate()
                            w[j, i] += xs[p, z, j] * uyc
            ta_to(w, w, f)

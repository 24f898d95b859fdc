"""Numba kernels of the staggered (Kogut-Susskind) Dirac operator.

Conventions (docs/conventions.md, "Staggered fermions"; :mod:`lqcd_core.dirac.staggered`):

    (D_hop psi)(x) = sum_mu s_mu(x) U_mu(x) psi(x+mu) - s_mu(x-mu) U_mu(x-mu)^dag psi(x-mu),

with the *link sign* s_mu(x) = (1/2) eta_mu(x) b_mu(x): the staggered phase eta_mu(x), the
boundary sign b_mu(x) (-1 on the time links that cross the boundary when the fermion is
antiperiodic in time, else +1) and the factor 1/2 of the normalisation.  The signs are a
real array ``sgn[mu, x]`` of the fields' real dtype, so the links themselves are never
changed (the kernels read ``field.links`` as they are).  eta_mu(x) does not depend on x_mu,
so the backward hop uses the sign of the link it crosses, s_mu(x-mu).

Every kernel is dtype-generic (complex128 or complex64 fields and links; ``sgn``, ``a``
and ``b`` of the matching real type, so that single precision stays single precision) and
has an unrolled SU(3) path plus generic colour loops (U(1), SU(2), SU(N)).

Layouts: links ``u[mu, x, a, b]``; fermion fields ``psi[k, a]`` on a list of sites.
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import ta_to


@njit(cache=True, parallel=True)
def hop(u, sgn, sites, bsites, nf, nb, xin, xself, out, a, b, with_mass):
    """out[k] = a xself[k] (if with_mass) + b (D_hop xin)(sites[k]) for k in range(len(sites)).

    ``sites[k]``      global index s of the k-th output site (for the links U_mu(s)),
    ``bsites[mu, k]`` global index of s - mu (for the links U_mu(s - mu)),
    ``nf[mu, k]``     row of ``xin`` holding psi(s + mu),
    ``nb[mu, k]``     row of ``xin`` holding psi(s - mu).

    The full lattice uses sites = 0..V-1, bsites = nb = bwd, nf = fwd.  A checkerboard
    (D_eo or D_oe) uses the sites of one parity and rows of a half-lattice input: it
    touches neither the links' other half of the output nor the other parity's output.
    """
    nd = u.shape[0]
    n = u.shape[2]
    nh = sites.shape[0]
    if n == 3:
        for k in prange(nh):
            s = sites[k]
            # mu = 0 forward initialises the accumulators (keeps the fields' dtype)
            j = nf[0, k]
            sf = sgn[0, s]
            v0 = xin[j, 0]
            v1 = xin[j, 1]
            v2 = xin[j, 2]
            r0 = sf * (u[0, s, 0, 0] * v0 + u[0, s, 0, 1] * v1 + u[0, s, 0, 2] * v2)
            r1 = sf * (u[0, s, 1, 0] * v0 + u[0, s, 1, 1] * v1 + u[0, s, 1, 2] * v2)
            r2 = sf * (u[0, s, 2, 0] * v0 + u[0, s, 2, 1] * v1 + u[0, s, 2, 2] * v2)
            for mu in range(nd):
                if mu > 0:
                    j = nf[mu, k]
                    sf = sgn[mu, s]
                    v0 = xin[j, 0]
                    v1 = xin[j, 1]
                    v2 = xin[j, 2]
                    r0 += sf * (u[mu, s, 0, 0] * v0 + u[mu, s, 0, 1] * v1 + u[mu, s, 0, 2] * v2)
                    r1 += sf * (u[mu, s, 1, 0] * v0 + u[mu, s, 1, 1] * v1 + u[mu, s, 1, 2] * v2)
                    r2 += sf * (u[mu, s, 2, 0] * v0 + u[mu, s, 2, 1] * v1 + u[mu, s, 2, 2] * v2)
                t = bsites[mu, k]
                j = nb[mu, k]
                sb = sgn[mu, t]
                v0 = xin[j, 0]
                v1 = xin[j, 1]
                v2 = xin[j, 2]
                r0 -= sb * (u[mu, t, 0, 0].conjugate() * v0 + u[mu, t, 1, 0].conjugate() * v1
                            + u[mu, t, 2, 0].conjugate() * v2)
                r1 -= sb * (u[mu, t, 0, 1].conjugate() * v0 + u[mu, t, 1, 1].conjugate() * v1
                            + u[mu, t, 2, 1].conjugate() * v2)
                r2 -= sb * (u[mu, t, 0, 2].conjugate() * v0 + u[mu, t, 1, 2].conjugate() * v1
                            + u[mu, t, 2, 2].conjugate() * v2)
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
                j = nf[mu, k]
                sf = sgn[mu, s]
                for c in range(n):
                    acc = u[mu, s, c, 0] * xin[j, 0]
                    for e in range(1, n):
                        acc += u[mu, s, c, e] * xin[j, e]
                    out[k, c] += sf * acc
                t = bsites[mu, k]
                j = nb[mu, k]
                sb = sgn[mu, t]
                for c in range(n):
                    acc = u[mu, t, 0, c].conjugate() * xin[j, 0]
                    for e in range(1, n):
                        acc += u[mu, t, e, c].conjugate() * xin[j, e]
                    out[k, c] -= sb * acc
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
    (derivation in :mod:`lqcd_core.dirac.staggered`).  ``out`` is complex128; W is built in
    place and projected in place (``ta_to`` reads each (i, j), (j, i) pair before writing it).
    Element-wise: W_ab = s [ (U x')_a conj(y_b) + x_a conj((U y')_b) ], so the two
    products U x', U y' are the only matrix work.
    """
    nd = u.shape[0]
    vol = u.shape[1]
    n = u.shape[2]
    npair = xs.shape[0]
    for mu in range(nd):
        for z in prange(vol):
            w = out[mu, z]
            for i in range(n):
                for j in range(n):
                    w[i, j] = 0j
            zp = fwd[mu, z]
            s = np.float64(sgn[mu, z])
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

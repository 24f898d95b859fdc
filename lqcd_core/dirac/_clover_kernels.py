"""Numba kernels of the clover term (docs/conventions.md, "Wilson fermions").

Field strength (no trace subtraction, as in openQCD's u3_alg field tensor):

    Fhat_{mu nu}(x) = (1/8) (Q_{mu nu}(x) - Q_{mu nu}(x)^dag),
    Q_{mu nu}(x) = L1 + L2 + L3 + L4,
    L1 = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
    L2 = U_nu(x) U_mu(x-mu+nu)^dag U_nu(x-mu)^dag U_mu(x-mu)
    L3 = U_mu(x-mu)^dag U_nu(x-mu-nu)^dag U_mu(x-mu-nu) U_nu(x-nu)
    L4 = U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu) U_mu(x)^dag

(the four leaves at x, all oriented mu -> nu; the same leaves as
lqcd_core.observables.clover, whose F is traceless).

Force.  A bilinear of the clover term is  s = sum_x sum_{mu<nu} Re tr(Q_{mu nu}(x) W_{mu nu}(x))
with site matrices W (anti-Hermitian; ``what``).  Every oriented plaquette is one leaf of
the clovers at its four corners, so the link U_mu(x) receives, for every nu != mu, the
upper plaquette (mu -> nu at x) and the lower one (nu -> mu at x - nu), each with W
inserted at its four corners (8 terms per plane), see ``clover_deriv``.
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import add_to, set_zero

# 3 x 3 products as plain loops.  The unrolled, n-dispatching products of group._linalg made
# these kernels (about 40 inlined products) take a minute to compile; plain loops compile in
# a quarter of that and cost ~1.4x at run time, in kernels that run once per force.


@njit(inline="always", cache=True)
def mul_nn(a, b, c):
    """c = a b."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = a[i, 0] * b[0, j]
            for k in range(1, n):
                s += a[i, k] * b[k, j]
            c[i, j] = s


@njit(inline="always", cache=True)
def mul_nd(a, b, c):
    """c = a b^dag."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = a[i, 0] * b[j, 0].conjugate()
            for k in range(1, n):
                s += a[i, k] * b[j, k].conjugate()
            c[i, j] = s


@njit(inline="always", cache=True)
def mul_dn(a, b, c):
    """c = a^dag b."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = a[0, i].conjugate() * b[0, j]
            for k in range(1, n):
                s += a[k, i].conjugate() * b[k, j]
            c[i, j] = s


@njit(inline="always", cache=True)
def mul_dd(a, b, c):
    """c = a^dag b^dag."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = b[j, 0] * a[0, i]
            for k in range(1, n):
                s += b[j, k] * a[k, i]
            c[i, j] = s.conjugate()


@njit(inline="always", cache=True)
def _add_leaves(u, fwd, bwd, x, mu, nu, q, t1, t2, t3):
    """q += Q_{mu nu}(x) (module docstring)."""
    xm = fwd[mu, x]
    xn = fwd[nu, x]
    xb = bwd[mu, x]
    xd = bwd[nu, x]
    # L1 = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
    mul_nn(u[mu, x], u[nu, xm], t1)
    mul_nd(t1, u[mu, xn], t2)
    mul_nd(t2, u[nu, x], t3)
    add_to(q, t3, 1.0)
    # L2 = U_nu(x) U_mu(x-mu+nu)^dag U_nu(x-mu)^dag U_mu(x-mu)
    mul_nd(u[nu, x], u[mu, fwd[nu, xb]], t1)
    mul_nd(t1, u[nu, xb], t2)
    mul_nn(t2, u[mu, xb], t3)
    add_to(q, t3, 1.0)
    # L3 = U_mu(x-mu)^dag U_nu(x-mu-nu)^dag U_mu(x-mu-nu) U_nu(x-nu)
    xbd = bwd[nu, xb]
    mul_dd(u[mu, xb], u[nu, xbd], t1)
    mul_nn(t1, u[mu, xbd], t2)
    mul_nn(t2, u[nu, xd], t3)
    add_to(q, t3, 1.0)
    # L4 = U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu) U_mu(x)^dag
    mul_dn(u[nu, xd], u[mu, xd], t1)
    mul_nn(t1, u[nu, fwd[mu, xd]], t2)
    mul_nd(t2, u[mu, x], t3)
    add_to(q, t3, 1.0)


@njit(parallel=True, cache=True)
def field_strength(u, fwd, bwd, mus, nus, out):
    """out[p, x] = Fhat_{mus[p] nus[p]}(x) = (Q - Q^dag) / 8 (module docstring)."""
    vol, n = u.shape[1], u.shape[2]
    for x in prange(vol):
        q = np.empty((n, n), np.complex128)
        t1 = np.empty((n, n), np.complex128)
        t2 = np.empty((n, n), np.complex128)
        t3 = np.empty((n, n), np.complex128)
        for p in range(mus.shape[0]):
            set_zero(q)
            _add_leaves(u, fwd, bwd, x, mus[p], nus[p], q, t1, t2, t3)
            for a in range(n):
                for b in range(n):
                    out[p, x, a, b] = 0.125 * (q[a, b] - q[b, a].conjugate())


@njit(parallel=True, cache=True)
def clover_blocks(fhat, sig, ck, out):
    """out[x, chi] = 1 + i ck sum_p sigma_p[chi] (x) Fhat_p(x): the chirality blocks (row
    s * nc + a) of the site term 1 + i csw kappa sum_{mu<nu} sigma_{mu nu} Fhat_{mu nu}."""
    npl, vol, nc = fhat.shape[0], fhat.shape[1], fhat.shape[2]
    nh = sig.shape[2]
    for x in prange(vol):
        for c in range(2):
            for s in range(nh):
                for a in range(nc):
                    for t in range(nh):
                        for b in range(nc):
                            acc = 0j
                            for p in range(npl):
                                acc += sig[p, c, s, t] * fhat[p, x, a, b]
                            v = 1j * ck * acc
                            if s == t and a == b:
                                v += 1.0
                            out[x, c, s * nc + a, t * nc + b] = v


@njit(parallel=True, cache=True)
def what_from_vectors(xv, yv, sig, factor, out):
    """out[p, x] += i factor (Lambda + Lambda^dag),  Lambda_p(x) = tr_spin(sigma_p X(x) Y(x)^dag)
    = sum_{alpha beta} sigma_p[alpha, beta] X_beta(x) Y_alpha(x)^dag (colour matrix), with the
    chirality blocks sig[p, chi] of sigma_p (lqcd_core.dirac.gamma.sigma_blocks)."""
    vol, ns, nc = xv.shape[0], xv.shape[1], xv.shape[2]
    nh = ns // 2
    npl = sig.shape[0]
    for x in prange(vol):
        o = np.empty((2, nh, nh, nc, nc), np.complex128)
        lam = np.empty((nc, nc), np.complex128)
        for c in range(2):
            for s in range(nh):
                for t in range(nh):
                    for a in range(nc):
                        xa = xv[x, c * nh + s, a]
                        for b in range(nc):
                            o[c, s, t, a, b] = xa * yv[x, c * nh + t, b].conjugate()
        for p in range(npl):
            for a in range(nc):
                for b in range(nc):
                    acc = 0j
                    for c in range(2):
                        for s in range(nh):
                            for t in range(nh):
                                acc += sig[p, c, t, s] * o[c, s, t, a, b]
                    lam[a, b] = acc
            for a in range(nc):
                for b in range(nc):
                    out[p, x, a, b] += 1j * factor * (lam[a, b] + lam[b, a].conjugate())


@njit(parallel=True, cache=True)
def clover_deriv(out, u, fwd, bwd, what, pidx):
    """out[mu, x] += U_mu(x) X_mu(x): the W-matrix (d/de s = Re sum tr(T W)) of
    s = sum_x sum_{mu<nu} Re tr(Q_{mu nu}(x) what[p(mu, nu), x]) (module docstring).

    With W = W_{mu nu} = +-what[pidx] (+ for mu < nu), for every nu != mu the upper plaquette
    a b c d (a = U_mu(x), b = U_nu(x+mu), c = U_mu(x+nu)^dag, d = U_nu(x)^dag) with W at its
    corners x, x+mu, x+mu+nu, x+nu, and the lower one e a f g (e = U_nu(x-nu),
    f = U_nu(x+mu-nu)^dag, g = U_mu(x-nu)^dag; oriented nu -> mu, so W_{nu mu} = -W at x-nu,
    x, x+mu, x+mu-nu) give

        X = b c d W(x) + W(x+mu) b c d + b W(x+mu+nu) c d + b c W(x+nu) d
          - f g W(x-nu) e - f g e W(x) - W(x+mu) f g e - f W(x+mu-nu) g e
          = D W(x) + W(x+mu) D + b G(x+nu) d - f G(x-nu) e,

    D = b c d - f g e (the two staples), G(y) = W(y+mu) U_mu(y)^dag + U_mu(y)^dag W(y):
    14 products per link and plane instead of 19, no extra storage.
    """
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for x in prange(vol):
        xs = np.empty((n, n), np.complex128)
        dd = np.empty((n, n), np.complex128)
        gg = np.empty((n, n), np.complex128)
        t1 = np.empty((n, n), np.complex128)
        t2 = np.empty((n, n), np.complex128)
        for mu in range(nd):
            set_zero(xs)
            xm = fwd[mu, x]
            for nu in range(nd):
                if nu == mu:
                    continue
                p = pidx[mu, nu] if mu < nu else pidx[nu, mu]
                sg = 1.0 if mu < nu else -1.0
                w = what[p]
                xn = fwd[nu, x]
                xd = bwd[nu, x]
                xmd = bwd[nu, xm]
                mul_dd(u[mu, xn], u[nu, x], t1)          # c d
                mul_nn(u[nu, xm], t1, dd)                # b c d
                mul_dd(u[nu, xmd], u[mu, xd], t1)        # f g
                mul_nn(t1, u[nu, xd], t2)                # f g e
                add_to(dd, t2, -1.0)                     # D
                mul_nn(dd, w[x], t1)
                add_to(xs, t1, sg)
                mul_nn(w[xm], dd, t1)
                add_to(xs, t1, sg)
                for side in range(2):                    # b G(x+nu) d  and  -f G(x-nu) e
                    y = xn if side == 0 else xd
                    mul_nd(w[fwd[mu, y]], u[mu, y], gg)
                    mul_dn(u[mu, y], w[y], t1)
                    add_to(gg, t1, 1.0)
                    if side == 0:
                        mul_nn(u[nu, xm], gg, t1)
                        mul_nd(t1, u[nu, x], t2)
                        add_to(xs, t2, sg)
                    else:
                        mul_dn(u[nu, xmd], gg, t1)
                        mul_nn(t1, u[nu, xd], t2)
                        add_to(xs, t2, -sg)
            mul_nn(u[mu, x], xs, t1)
            add_to(out[mu, x], t1, 1.0)

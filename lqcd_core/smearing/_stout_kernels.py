"""Numba kernels of stout smearing and its chain rule (Morningstar & Peardon 2004;
docs/smearing.md)."""
import math

import numpy as np
from numba import njit, prange

from ..group._kernels import _exp_taylor, exp_su2
from ..group._linalg import add_to, copy_to, mul_dn, mul_nd, mul_nn, set_zero, ta_to

# below this c1 = tr(Q^2)/2 the SU(3) coefficients f_j, b_ij are summed as power series
SU3_SERIES_C1 = 0.05
_SERIES_TERMS = 30


# ---------------------------------------------------------------------------
# stout: exp(iQ) and the coefficients of its derivative
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def _xi0(w):
    """sin(w) / w."""
    if abs(w) < 0.05:
        w2 = w * w
        return 1.0 - w2 / 6.0 * (1.0 - w2 / 20.0 * (1.0 - w2 / 42.0))
    return math.sin(w) / w


@njit(inline="always", cache=True)
def _xi1(w):
    """xi0'(w) / w = cos(w) / w^2 - sin(w) / w^3."""
    if abs(w) < 0.05:
        w2 = w * w
        return -1.0 / 3.0 + w2 * (1.0 / 30.0 + w2 * (-1.0 / 840.0 + w2 / 45360.0))
    return (w * math.cos(w) - math.sin(w)) / (w * w * w)


@njit(cache=True)
def su3_coefficients(c0, c1):
    """f_j and b_1j = df_j/dc1, b_2j = df_j/dc0 of exp(iQ) = f0 + f1 Q + f2 Q^2 for a
    Hermitian traceless 3x3 Q with c0 = det Q, c1 = tr Q^2 / 2.

    Morningstar & Peardon, PRD 69 (2004) 054501: the f_j of their eqs. (29)-(46), with
    f_j(-c0) = (-1)^j f_j(c0)^*, and the b_ij = (2u r^(1)_j + (3u^2 - w^2) r^(2)_j
    - 2(15u^2 + w^2) f_j) / (2(9u^2 - w^2)^2) (i = 1), (r^(1)_j - 3u r^(2)_j - 24u f_j) /
    (2(9u^2 - w^2)^2) (i = 2) of the same section, with b_ij(-c0) = (-1)^{i+j+1} b_ij(c0)^*
    (both checked against finite differences in tests/test_smearing.py).  For
    c1 < SU3_SERIES_C1 the closed forms
    lose digits (they divide by (9u^2 - w^2)^2 ~ c1^2); there the exponential series
    sum_k (i Q)^k / k! is reduced with Q^3 = c1 Q + c0 term by term and differentiated
    in c0, c1 exactly.
    Returns (f0, f1, f2, b10, b11, b12, b20, b21, b22).
    """
    if c1 < SU3_SERIES_C1:
        # Q^k = al + be Q + ga Q^2 ; Q^{k+1} = ga c0 + (al + ga c1) Q + be Q^2
        al, be, ga = 1.0, 0.0, 0.0
        al0, be0, ga0 = 0.0, 0.0, 0.0  # d/dc0
        al1, be1, ga1 = 0.0, 0.0, 0.0  # d/dc1
        coef = 1.0 + 0.0j
        f0 = coef * al
        f1 = 0j
        f2 = 0j
        b10 = 0j
        b11 = 0j
        b12 = 0j
        b20 = 0j
        b21 = 0j
        b22 = 0j
        for k in range(1, _SERIES_TERMS):
            nal0 = ga + c0 * ga0
            nbe0 = al0 + c1 * ga0
            nga0 = be0
            nal1 = c0 * ga1
            nbe1 = al1 + ga + c1 * ga1
            nga1 = be1
            nal = ga * c0
            nbe = al + ga * c1
            nga = be
            al, be, ga = nal, nbe, nga
            al0, be0, ga0 = nal0, nbe0, nga0
            al1, be1, ga1 = nal1, nbe1, nga1
            coef = coef * (1j / k)
            f0 += coef * al
            f1 += coef * be
            f2 += coef * ga
            b10 += coef * al1
            b11 += coef * be1
            b12 += coef * ga1
            b20 += coef * al0
            b21 += coef * be0
            b22 += coef * ga0
        return f0, f1, f2, b10, b11, b12, b20, b21, b22
    neg = c0 < 0.0
    if neg:
        c0 = -c0
    c0max = 2.0 * (c1 / 3.0) ** 1.5
    r = c0 / c0max
    if r > 1.0:
        r = 1.0
    theta = math.acos(r)
    u = math.sqrt(c1 / 3.0) * math.cos(theta / 3.0)
    w = math.sqrt(c1) * math.sin(theta / 3.0)
    u2 = u * u
    w2 = w * w
    xi0 = _xi0(w)
    xi1 = _xi1(w)
    cw = math.cos(w)
    e2iu = complex(math.cos(2 * u), math.sin(2 * u))
    emiu = complex(math.cos(u), -math.sin(u))
    h0 = (u2 - w2) * e2iu + emiu * complex(8 * u2 * cw, 2 * u * (3 * u2 + w2) * xi0)
    h1 = 2 * u * e2iu - emiu * complex(2 * u * cw, -(3 * u2 - w2) * xi0)
    h2 = e2iu - emiu * complex(cw, 3 * u * xi0)
    den = 9 * u2 - w2
    f0 = h0 / den
    f1 = h1 / den
    f2 = h2 / den
    r10 = (2 * complex(u, u2 - w2) * e2iu
           + 2 * emiu * (4 * u * complex(2, -u) * cw + 1j * complex(9 * u2 + w2, -u * (3 * u2 + w2)) * xi0))
    r11 = (2 * complex(1, 2 * u) * e2iu
           + emiu * (-2 * complex(1, -u) * cw + 1j * complex(6 * u, w2 - 3 * u2) * xi0))
    r12 = 2j * e2iu + 1j * emiu * (cw - 3 * complex(1, -u) * xi0)
    r20 = -2 * e2iu + 2j * u * emiu * (cw + complex(1, 4 * u) * xi0 + 3 * u2 * xi1)
    r21 = -1j * emiu * (cw + complex(1, 2 * u) * xi0 - 3 * u2 * xi1)
    r22 = emiu * (xi0 - 3j * u * xi1)
    d2 = 1.0 / (2.0 * den * den)
    a1 = 2 * u
    a2 = 3 * u2 - w2
    a3 = 2 * (15 * u2 + w2)
    b10 = (a1 * r10 + a2 * r20 - a3 * f0) * d2
    b11 = (a1 * r11 + a2 * r21 - a3 * f1) * d2
    b12 = (a1 * r12 + a2 * r22 - a3 * f2) * d2
    b20 = (r10 - 3 * u * r20 - 24 * u * f0) * d2
    b21 = (r11 - 3 * u * r21 - 24 * u * f1) * d2
    b22 = (r12 - 3 * u * r22 - 24 * u * f2) * d2
    if neg:
        f0 = f0.conjugate()
        f1 = -f1.conjugate()
        f2 = f2.conjugate()
        b10 = b10.conjugate()
        b11 = -b11.conjugate()
        b12 = b12.conjugate()
        b20 = -b20.conjugate()
        b21 = b21.conjugate()
        b22 = -b22.conjugate()
    return f0, f1, f2, b10, b11, b12, b20, b21, b22


@njit(inline="always", cache=True)
def _herm_from_alg(a, q):
    """q = -i a (Hermitian for anti-Hermitian a)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            q[i, j] = -1j * a[i, j]


@njit(inline="always", cache=True)
def _su3_q_invariants(a, q, q2):
    """q = -i a, q2 = q^2; returns (c0, c1) = (det q, tr q^2 / 2) as real numbers."""
    _herm_from_alg(a, q)
    mul_nn(q, q, q2)
    c1 = 0.5 * (q2[0, 0].real + q2[1, 1].real + q2[2, 2].real)
    c0 = 0.0
    for i in range(3):
        for j in range(3):
            c0 += (q[i, j] * q2[j, i]).real
    return c0 / 3.0, c1


@njit(cache=True)
def stout_exp(a, e):
    """e = exp(a) for a in the algebra; SU(3) through su3_coefficients (so that the
    derivative in stout_lambda belongs to exactly this function), SU(2) and U(1) in closed
    form, SU(N > 3) by the Taylor series of the group kernels."""
    n = a.shape[0]
    if n == 3:
        q = np.empty((3, 3), np.complex128)
        q2 = np.empty((3, 3), np.complex128)
        c0, c1 = _su3_q_invariants(a, q, q2)
        f0, f1, f2, _, _, _, _, _, _ = su3_coefficients(c0, c1)
        for i in range(3):
            for j in range(3):
                e[i, j] = f1 * q[i, j] + f2 * q2[i, j]
            e[i, i] += f0
    elif n == 2:
        exp_su2(a, e)
    elif n == 1:
        phi = a[0, 0].imag
        e[0, 0] = complex(math.cos(phi), math.sin(phi))
    else:
        tmp = np.empty((n, n), np.complex128)
        tmp2 = np.empty((n, n), np.complex128)
        _exp_taylor(a, e, tmp, tmp2)


@njit(cache=True)
def stout_lambda(a, fp, e, lam):
    """e = exp(a) and lam = TA(-i Lt), where Lt is defined by

        Re tr(d exp(iQ) e^{-iQ} F') = Re tr(dQ Lt)   for all Hermitian traceless dQ,

    a = iQ, fp = F' (the force on the smeared link).  With Gamma = e^dag F':
    SU(3): Lt = tr(B1 Gamma) Q + tr(B2 Gamma) Q^2 + f1 Gamma + f2 (Q Gamma + Gamma Q),
           B_i = sum_j b_ij Q^j (Morningstar & Peardon's B_1, B_2);
    SU(2): Lt = (b10 tr Gamma + b11 tr(Q Gamma)) Q + f1 Gamma, f0 = cos q, f1 = i sin q / q;
    U(1):  Lt = i F';
    SU(N>3): Lt = i L(a, Gamma) with the Frechet derivative L of exp, from the upper right
           block of exp([[a, Gamma], [0, a]]).
    """
    n = a.shape[0]
    if n == 1:
        phi = a[0, 0].imag
        e[0, 0] = complex(math.cos(phi), math.sin(phi))
        lam[0, 0] = 1j * fp[0, 0].imag
        return
    g = np.empty((n, n), np.complex128)
    lt = np.empty((n, n), np.complex128)
    if n == 2:
        q = np.empty((2, 2), np.complex128)
        _herm_from_alg(a, q)
        c1 = 0.5 * (abs(q[0, 0]) ** 2 + abs(q[0, 1]) ** 2 + abs(q[1, 0]) ** 2 + abs(q[1, 1]) ** 2)
        qq = math.sqrt(c1)
        xi0 = _xi0(qq)
        f0 = math.cos(qq)
        f1 = 1j * xi0
        b10 = -0.5 * xi0
        b11 = 0.5j * _xi1(qq)
        for i in range(2):
            for j in range(2):
                e[i, j] = f1 * q[i, j]
            e[i, i] += f0
        mul_dn(e, fp, g)
        trg = g[0, 0] + g[1, 1]
        trqg = q[0, 0] * g[0, 0] + q[0, 1] * g[1, 0] + q[1, 0] * g[0, 1] + q[1, 1] * g[1, 1]
        cq = b10 * trg + b11 * trqg
        for i in range(2):
            for j in range(2):
                lt[i, j] = cq * q[i, j] + f1 * g[i, j]
    elif n == 3:
        q = np.empty((3, 3), np.complex128)
        q2 = np.empty((3, 3), np.complex128)
        t = np.empty((3, 3), np.complex128)
        c0, c1 = _su3_q_invariants(a, q, q2)
        f0, f1, f2, b10, b11, b12, b20, b21, b22 = su3_coefficients(c0, c1)
        for i in range(3):
            for j in range(3):
                e[i, j] = f1 * q[i, j] + f2 * q2[i, j]
            e[i, i] += f0
        mul_dn(e, fp, g)
        trg = g[0, 0] + g[1, 1] + g[2, 2]
        trqg = 0j
        trq2g = 0j
        for i in range(3):
            for j in range(3):
                trqg += q[i, j] * g[j, i]
                trq2g += q2[i, j] * g[j, i]
        cq = b10 * trg + b11 * trqg + b12 * trq2g
        cq2 = b20 * trg + b21 * trqg + b22 * trq2g
        mul_nn(q, g, t)
        mul_nn(g, q, lt)
        for i in range(3):
            for j in range(3):
                lt[i, j] = (cq * q[i, j] + cq2 * q2[i, j] + f1 * g[i, j]
                            + f2 * (t[i, j] + lt[i, j]))
    else:
        stout_exp(a, e)
        mul_dn(e, fp, g)
        gn = 0.0
        for i in range(n):
            for j in range(n):
                gn += abs(g[i, j]) ** 2
        gn = math.sqrt(gn)
        if gn == 0.0:
            set_zero(lam)
            return
        m = 2 * n
        big = np.zeros((m, m), np.complex128)
        out = np.empty((m, m), np.complex128)
        w1 = np.empty((m, m), np.complex128)
        w2 = np.empty((m, m), np.complex128)
        for i in range(n):
            for j in range(n):
                big[i, j] = a[i, j]
                big[n + i, n + j] = a[i, j]
                big[i, n + j] = g[i, j] / gn  # L is linear in Gamma: keep the block O(1)
        _exp_taylor(big, out, w1, w2)
        # Lt = i L(a, Gamma), so -i Lt = L
        for i in range(n):
            for j in range(n):
                lt[i, j] = 1j * gn * out[i, n + j]
    for i in range(n):
        for j in range(n):
            g[i, j] = -1j * lt[i, j]
    ta_to(g, lam, 1.0)


@njit(cache=True)
def _stout_apply_link(u, c, out):
    n = u.shape[0]
    om = np.empty((n, n), np.complex128)
    a = np.empty((n, n), np.complex128)
    e = np.empty((n, n), np.complex128)
    mul_nd(c, u, om)              # Omega = C U^dag
    ta_to(om, a, 1.0)             # iQ = TA(Omega)
    stout_exp(a, e)               # exp(iQ)
    mul_nn(e, u, out)


@njit(parallel=True, cache=True)
def stout_apply(u, c, active, out):
    """out[mu, x] = exp(TA(C_mu(x) U_mu(x)^dag)) U_mu(x) for active[mu], else U_mu(x);
    c[mu] = C_mu from fat_sum."""
    nd, vol = u.shape[0], u.shape[1]
    for mu in range(nd):
        if not active[mu]:
            for x in prange(vol):
                copy_to(out[mu, x], u[mu, x])
        else:
            for x in prange(vol):
                _stout_apply_link(u[mu, x], c[mu, x], out[mu, x])


@njit(cache=True)
def _stout_prepare_link(u, c, fp, r0, z):
    n = u.shape[0]
    om = np.empty((n, n), np.complex128)
    a = np.empty((n, n), np.complex128)
    e = np.empty((n, n), np.complex128)
    lam = np.empty((n, n), np.complex128)
    t1 = np.empty((n, n), np.complex128)
    mul_nd(c, u, om)
    ta_to(om, a, 1.0)
    stout_lambda(a, fp, e, lam)
    mul_dn(e, fp, t1)
    mul_nn(t1, e, r0)             # e^{-iQ} F' e^{iQ}
    mul_nn(lam, om, t1)
    add_to(r0, t1, -1.0)          # - Lambda Omega
    mul_dn(u, lam, z)             # Z = U^dag Lambda


@njit(parallel=True, cache=True)
def stout_prepare(u, c, fp, active, r0, z):
    """First pass of the stout chain rule (docs/smearing.md, "Stout force"):

        r0[mu, x] = e^{-iQ} F' e^{iQ} - Lambda Omega,   z[mu, x] = U^dag Lambda

    with Omega = C U^dag, iQ = TA(Omega), Lambda = stout_lambda(iQ, F'); for inactive
    directions (no staples) r0 = F', z = 0."""
    nd, vol = u.shape[0], u.shape[1]
    for mu in range(nd):
        if not active[mu]:
            for x in prange(vol):
                copy_to(r0[mu, x], fp[mu, x])
                set_zero(z[mu, x])
        else:
            for x in prange(vol):
                _stout_prepare_link(u[mu, x], c[mu, x], fp[mu, x], r0[mu, x], z[mu, x])


@njit(cache=True)
def _acc3(a, b, c, acc, f, mode):
    """acc += f a' b' c' with (a', b', c') = (a, b, c), (a^dag, b, c), (a, b, c^dag) or
    (a, b^dag, c) for mode 0, 1, 2, 3.

    Deliberately not inlined: the chain rule calls it 16 times per link, and one compiled
    copy of the unrolled products keeps the compile time of stout_chain short."""
    n = a.shape[0]
    t1 = np.empty((n, n), np.complex128)
    t2 = np.empty((n, n), np.complex128)
    if mode == 1:
        mul_dn(a, b, t1)
    elif mode == 3:
        mul_nd(a, b, t1)
    else:
        mul_nn(a, b, t1)
    if mode == 2:
        mul_nd(t1, c, t2)
    else:
        mul_nn(t1, c, t2)
    add_to(acc, t2, f)


@njit(cache=True)
def _stout_chain_link(u, fwd, bwd, rho, r0, z, mu, x, out):
    nd, n = u.shape[0], u.shape[2]
    left = np.empty((n, n), np.complex128)
    right = np.empty((n, n), np.complex128)
    t1 = np.empty((n, n), np.complex128)
    t2 = np.empty((n, n), np.complex128)
    set_zero(left)
    set_zero(right)
    xpm = fwd[mu, x]
    for nu in range(nd):
        if nu == mu:
            continue
        r_mn = rho[mu, nu]
        r_nm = rho[nu, mu]
        xmn = bwd[nu, x]
        xpn = fwd[nu, x]
        xpmmn = bwd[nu, xpm]
        if r_mn != 0.0:
            # U_mu(x) is the middle link of staples of C_mu(x + nu) and C_mu(x - nu)
            _acc3(u[nu, xpmmn], z[mu, xmn], u[nu, xmn], left, r_mn, 1)
            _acc3(u[nu, xpm], z[mu, xpn], u[nu, x], left, r_mn, 2)
        if r_nm != 0.0:
            # U_mu(x) is a side link of staples of C_nu(x), C_nu(x + mu - nu) (left factor
            # U_mu(x)) and of C_nu(x - nu), C_nu(x + mu) (right factor U_mu(x)^dag)
            _acc3(u[nu, xpm], u[mu, xpn], z[nu, x], left, r_nm, 3)
            _acc3(z[nu, xpmmn], u[mu, xmn], u[nu, xmn], left, r_nm, 3)
            _acc3(z[nu, xmn], u[mu, xmn], u[nu, xpmmn], right, r_nm, 0)
            _acc3(u[nu, x], u[mu, xpn], z[nu, xpm], right, r_nm, 0)
    copy_to(t1, r0)
    mul_nn(u[mu, x], left, t2)
    add_to(t1, t2, 1.0)
    mul_nd(right, u[mu, x], t2)
    add_to(t1, t2, -1.0)
    ta_to(t1, out, 1.0)


@njit(parallel=True, cache=True)
def stout_chain(u, fwd, bwd, rho, r0, z, out):
    """Second pass: out[mu, x] = TA(R_mu(x)), R = r0 + U_mu(x) L - M U_mu(x)^dag with the
    contributions of the staples that contain U_mu(x) (docs/smearing.md, "Stout force"):

    L = sum_nu rho[mu,nu] [U_nu(x+mu-nu)^dag Z_mu(x-nu) U_nu(x-nu) + U_nu(x+mu) Z_mu(x+nu) U_nu(x)^dag]
      + sum_nu rho[nu,mu] [U_nu(x+mu) U_mu(x+nu)^dag Z_nu(x) + Z_nu(x+mu-nu) U_mu(x-nu)^dag U_nu(x-nu)]
    M = sum_nu rho[nu,mu] [Z_nu(x-nu) U_mu(x-nu) U_nu(x-nu+mu) + U_nu(x) U_mu(x+nu) Z_nu(x+mu)]
    """
    nd, vol = u.shape[0], u.shape[1]
    for mu in range(nd):
        for x in prange(vol):
            _stout_chain_link(u, fwd, bwd, rho, r0[mu, x], z, mu, x, out[mu, x])

"""Numba kernels of the groups: exact exponential, reunitarisation, TA projection.

All kernels take stacks of matrices ``(M, n, n)`` (callers flatten the link
index (mu, x)); the public wrappers are in :mod:`lqcd_core.group.groups`.
Formulas: docs/conventions.md, "Exponential map" and "Reunitarisation".
"""
import math

import numpy as np
from numba import njit, prange

from ._linalg import copy_to, mul_nn, ta_to


@njit(inline="always", cache=True)
def _exp_taylor(x, out, tmp, tmp2):
    """exp(x) for any n by scaling and squaring a degree-16 Taylor series."""
    n = x.shape[0]
    norm = 0.0
    for i in range(n):
        for j in range(n):
            norm += abs(x[i, j]) ** 2
    norm = math.sqrt(norm)
    s = 0
    while norm > 0.5:
        norm *= 0.5
        s += 1
    scale = 0.5 ** s
    # Horner: out = 1 + y (1 + y/2 (1 + y/3 (...)))
    for i in range(n):
        for j in range(n):
            out[i, j] = 0j
        out[i, i] = 1.0
    for k in range(16, 0, -1):
        mul_nn(x, out, tmp)
        for i in range(n):
            for j in range(n):
                out[i, j] = tmp[i, j] * (scale / k)
            out[i, i] += 1.0
    for _ in range(s):
        mul_nn(out, out, tmp2)
        copy_to(out, tmp2)


@njit(inline="always", cache=True)
def exp_su3(x, out):
    """exp(X) for X in su(3) by Cayley-Hamilton (Morningstar & Peardon 2004).

    X = i Q with Q Hermitian traceless; exp(iQ) = f0 + f1 Q + f2 Q^2 with the
    f_j from c0 = det Q, c1 = tr Q^2 / 2 (docs/conventions.md).
    """
    # Q = -i X
    q00 = (-1j * x[0, 0]).real
    q11 = (-1j * x[1, 1]).real
    q22 = (-1j * x[2, 2]).real
    q01 = -1j * x[0, 1]
    q02 = -1j * x[0, 2]
    q12 = -1j * x[1, 2]
    q10 = q01.conjugate()
    q20 = q02.conjugate()
    q21 = q12.conjugate()
    # Q^2
    s00 = q00 * q00 + (q01 * q10).real + (q02 * q20).real
    s11 = (q10 * q01).real + q11 * q11 + (q12 * q21).real
    s22 = (q20 * q02).real + (q21 * q12).real + q22 * q22
    s01 = q00 * q01 + q01 * q11 + q02 * q21
    s02 = q00 * q02 + q01 * q12 + q02 * q22
    s12 = q10 * q02 + q11 * q12 + q12 * q22
    c1 = 0.5 * (s00 + s11 + s22)
    if c1 < 1e-12:
        tmp = np.empty((3, 3), np.complex128)
        tmp2 = np.empty((3, 3), np.complex128)
        _exp_taylor(x, out, tmp, tmp2)
        return
    # c0 = det Q = tr(Q^3)/3
    c0 = (q00 * (q11 * q22 - (q12 * q21).real)
          - (q01 * (q10 * q22 - q12 * q20)).real
          + (q02 * (q10 * q21 - q11 * q20)).real)
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
    if abs(w) < 0.05:
        w2 = w * w
        xi0 = 1.0 - w2 / 6.0 * (1.0 - w2 / 20.0 * (1.0 - w2 / 42.0))
    else:
        xi0 = math.sin(w) / w
    cw = math.cos(w)
    e2iu = complex(math.cos(2 * u), math.sin(2 * u))
    emiu = complex(math.cos(u), -math.sin(u))
    h0 = (u * u - w * w) * e2iu + emiu * complex(8 * u * u * cw, 2 * u * (3 * u * u + w * w) * xi0)
    h1 = 2 * u * e2iu - emiu * complex(2 * u * cw, -(3 * u * u - w * w) * xi0)
    h2 = e2iu - emiu * complex(cw, 3 * u * xi0)
    den = 1.0 / (9 * u * u - w * w)
    f0 = h0 * den
    f1 = h1 * den
    f2 = h2 * den
    if neg:  # f_j(-c0) = (-1)^j conj(f_j(c0))
        f0 = f0.conjugate()
        f1 = -f1.conjugate()
        f2 = f2.conjugate()
    out[0, 0] = f0 + f1 * q00 + f2 * s00
    out[1, 1] = f0 + f1 * q11 + f2 * s11
    out[2, 2] = f0 + f1 * q22 + f2 * s22
    out[0, 1] = f1 * q01 + f2 * s01
    out[0, 2] = f1 * q02 + f2 * s02
    out[1, 2] = f1 * q12 + f2 * s12
    out[1, 0] = f1 * q10 + f2 * s01.conjugate()
    out[2, 0] = f1 * q20 + f2 * s02.conjugate()
    out[2, 1] = f1 * q21 + f2 * s12.conjugate()


@njit(inline="always", cache=True)
def exp_su2(x, out):
    """exp(X), X = i a.sigma in su(2): cos|a| + sin|a|/|a| X."""
    a2 = (x[0, 0].imag ** 2 + abs(x[0, 1]) ** 2)
    a = math.sqrt(a2)
    if a < 1e-4:
        sa = 1.0 - a2 / 6.0 * (1.0 - a2 / 20.0)
    else:
        sa = math.sin(a) / a
    ca = math.cos(a)
    out[0, 0] = ca + sa * x[0, 0]
    out[0, 1] = sa * x[0, 1]
    out[1, 0] = sa * x[1, 0]
    out[1, 1] = ca + sa * x[1, 1]


@njit(inline="always", cache=True)
def exp_matrix(x, out, tmp, tmp2):
    n = x.shape[0]
    if n == 3:
        exp_su3(x, out)
    elif n == 2:
        exp_su2(x, out)
    elif n == 1:
        phi = x[0, 0].imag
        out[0, 0] = complex(math.cos(phi), math.sin(phi))
    else:
        _exp_taylor(x, out, tmp, tmp2)


@njit(parallel=True, cache=True)
def exp_stack(x, out):
    """out[k] = exp(x[k]) for a stack of algebra elements."""
    m, n = x.shape[0], x.shape[1]
    for k in prange(m):
        tmp = np.empty((n, n), np.complex128)
        tmp2 = np.empty((n, n), np.complex128)
        exp_matrix(x[k], out[k], tmp, tmp2)


@njit(parallel=True, cache=True)
def update_links(u, p, eps):
    """u[k] <- exp(eps p[k]) u[k] in place (the MD link update)."""
    m, n = u.shape[0], u.shape[1]
    for k in prange(m):
        x = np.empty((n, n), np.complex128)
        e = np.empty((n, n), np.complex128)
        tmp = np.empty((n, n), np.complex128)
        tmp2 = np.empty((n, n), np.complex128)
        for i in range(n):
            for j in range(n):
                x[i, j] = eps * p[k, i, j]
        exp_matrix(x, e, tmp, tmp2)
        mul_nn(e, u[k], tmp)
        copy_to(u[k], tmp)


@njit(inline="always", cache=True)
def reunitarize_matrix(u):
    """Project u back onto SU(n) (U(1) for n = 1) in place: Gram-Schmidt on rows.

    For n = 3 the third row is the conjugated cross product of the first two, so
    det = 1 exactly; for other n the determinant phase is removed from the last row.
    """
    n = u.shape[0]
    for i in range(n if n != 3 else 2):
        for k in range(i):
            z = 0j
            for j in range(n):
                z += u[k, j].conjugate() * u[i, j]
            for j in range(n):
                u[i, j] -= z * u[k, j]
        nrm = 0.0
        for j in range(n):
            nrm += u[i, j].real ** 2 + u[i, j].imag ** 2
        nrm = 1.0 / math.sqrt(nrm)
        for j in range(n):
            u[i, j] *= nrm
    if n == 3:
        u[2, 0] = (u[0, 1] * u[1, 2] - u[0, 2] * u[1, 1]).conjugate()
        u[2, 1] = (u[0, 2] * u[1, 0] - u[0, 0] * u[1, 2]).conjugate()
        u[2, 2] = (u[0, 0] * u[1, 1] - u[0, 1] * u[1, 0]).conjugate()
    elif n == 2:
        u[1, 0] = -u[0, 1].conjugate()
        u[1, 1] = u[0, 0].conjugate()
    elif n > 3:
        d = np.linalg.det(u)
        ph = d / abs(d)
        for j in range(n):
            u[n - 1, j] /= ph


@njit(parallel=True, cache=True)
def reunitarize_stack(u):
    for k in prange(u.shape[0]):
        reunitarize_matrix(u[k])


@njit(parallel=True, cache=True)
def ta_stack(w, out, f):
    """out[k] = f TA(w[k])."""
    for k in prange(w.shape[0]):
        ta_to(w[k], out[k], f)

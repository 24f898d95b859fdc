"""Fused level-1 kernels of the Krylov solvers over flat complex arrays.

Each kernel is compiled per dtype (complex128 and complex64 fields, flat C-contiguous 1D
views: :func:`flat`).  Scalars are passed as float64 / complex128 (the ``_f``/``_c``
wrappers at the bottom fix the types so that each kernel has one signature per dtype).
Reductions (norms, dots) are accumulated in float64 whatever the field dtype.  The fused
updates do one pass over memory for what would otherwise be two or three numpy passes,
e.g. the CG update x += a p, r -= a Ap, |r|^2 in :func:`cg_update`.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


def flat(x: np.ndarray) -> np.ndarray:
    """1D view of a C-contiguous array (the solvers own their work arrays)."""
    return x.reshape(-1)


# -- reductions ----------------------------------------------------------------------
@njit(cache=True, parallel=True)
def norm2(x):
    """sum |x_i|^2 in float64."""
    s = 0.0
    for i in prange(x.shape[0]):
        re = np.float64(x[i].real)
        im = np.float64(x[i].imag)
        s += re * re + im * im
    return s


@njit(cache=True, parallel=True)
def cdot(x, y):
    """x^dag y as (real, imag) in float64."""
    sr = 0.0
    si = 0.0
    for i in prange(x.shape[0]):
        xr = np.float64(x[i].real)
        xi = np.float64(x[i].imag)
        yr = np.float64(y[i].real)
        yi = np.float64(y[i].imag)
        sr += xr * yr + xi * yi
        si += xr * yi - xi * yr
    return sr, si


@njit(cache=True, parallel=True)
def rdot(x, y):
    """Re(x^dag y) in float64."""
    s = 0.0
    for i in prange(x.shape[0]):
        s += np.float64(x[i].real) * np.float64(y[i].real) + np.float64(x[i].imag) * np.float64(y[i].imag)
    return s


@njit(cache=True, parallel=True)
def dot_norm(t, s):
    """(Re t^dag s, Im t^dag s, |t|^2) in one pass (BiCGStab's omega)."""
    sr = 0.0
    si = 0.0
    tt = 0.0
    for i in prange(t.shape[0]):
        tr = np.float64(t[i].real)
        ti = np.float64(t[i].imag)
        xr = np.float64(s[i].real)
        xi = np.float64(s[i].imag)
        sr += tr * xr + ti * xi
        si += tr * xi - ti * xr
        tt += tr * tr + ti * ti
    return sr, si, tt


# -- updates ---------------------------------------------------------------------------
@njit(cache=True, parallel=True)
def axpy(a, x, y):
    """y += a x (a complex)."""
    for i in prange(x.shape[0]):
        y[i] += a * x[i]


@njit(cache=True, parallel=True)
def axpy_norm(a, x, y):
    """y += a x (a complex); returns |y|^2 (float64)."""
    s = 0.0
    for i in prange(x.shape[0]):
        v = y[i] + a * x[i]
        y[i] = v
        re = np.float64(y[i].real)
        im = np.float64(y[i].imag)
        s += re * re + im * im
    return s


@njit(cache=True, parallel=True)
def xpay(x, a, y):
    """y = x + a y (a real)."""
    for i in prange(x.shape[0]):
        y[i] = x[i] + a * y[i]


@njit(cache=True, parallel=True)
def cg_update(alpha, p, ap, x, r):
    """x += alpha p, r -= alpha Ap (alpha real); returns the new |r|^2 (float64)."""
    s = 0.0
    for i in prange(x.shape[0]):
        x[i] += alpha * p[i]
        v = r[i] - alpha * ap[i]
        r[i] = v
        re = np.float64(r[i].real)
        im = np.float64(r[i].imag)
        s += re * re + im * im
    return s


@njit(cache=True, parallel=True)
def bicg_direction(r, beta, omega, v, p):
    """p = r + beta (p - omega v) (beta, omega complex)."""
    for i in prange(r.shape[0]):
        p[i] = r[i] + beta * (p[i] - omega * v[i])


@njit(cache=True, parallel=True)
def axpbypz(a, x, b, y, z):
    """z += a x + b y (a, b complex)."""
    for i in prange(x.shape[0]):
        z[i] += a * x[i] + b * y[i]


@njit(cache=True, parallel=True)
def multishift_update(alpha, beta, zeta, active, r, xs, ps):
    """For each shift s in ``active``: x_s += alpha_s p_s, then p_s = zeta_s r + beta_s p_s
    (one pass over r and over every (x_s, p_s); alpha, beta, zeta float64 per shift)."""
    na = active.shape[0]
    for i in prange(r.shape[0]):
        ri = r[i]
        for k in range(na):
            s = active[k]
            pi = ps[s, i]
            xs[s, i] += alpha[s] * pi
            ps[s, i] = zeta[s] * ri + beta[s] * pi


# -- typed entry points (one compiled signature per field dtype) ------------------------
def axpy_c(a, x, y):
    axpy(complex(a), x, y)


def axpy_norm_c(a, x, y) -> float:
    return float(axpy_norm(complex(a), x, y))


def xpay_f(x, a, y):
    xpay(x, float(a), y)


def cg_update_f(alpha, p, ap, x, r) -> float:
    return float(cg_update(float(alpha), p, ap, x, r))


def cdot_c(x, y) -> complex:
    re, im = cdot(x, y)
    return complex(re, im)


def warmup() -> None:
    """Compile (or load from the cache) every kernel for both dtypes."""
    for dt in (np.complex128, np.complex64):
        a = np.ones(4, dt)
        b = np.ones(4, dt)
        c = np.ones(4, dt)
        norm2(a), cdot(a, b), rdot(a, b), dot_norm(a, b)
        axpy_c(1.0, a, b), axpy_norm_c(1.0, a, b), xpay_f(a, 1.0, b)
        cg_update_f(1.0, a, b, c, np.ones(4, dt))
        bicg_direction(a, 1j, 1j, b, c)
        axpbypz(1j, a, 1j, b, c)
        xs = np.ones((2, 4), dt)
        ps = np.ones((2, 4), dt)
        f = np.ones(2)
        multishift_update(f, f, f, np.arange(2, dtype=np.int64), a, xs, ps)

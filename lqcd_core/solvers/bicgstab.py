"""BiCGStab (van der Vorst 1992) for M x = b with M non-Hermitian.

Per iteration (two matvecs):

    rho = (r^, r),  beta = (rho / rho_old)(alpha / omega),  p = r + beta (p - omega v),
    v = M p,  alpha = rho / (r^, v),  s = r - alpha v,
    t = M s,  omega = (t, s) / (t, t),  x += alpha p + omega s,  r = s - omega t,

with the shadow residual r^ = r_0.  If ||s|| already meets ``tol`` the iteration ends after
the half step (x += alpha p, one matvec).  Breakdowns raise :class:`SolverError` at once:
rho = (r^, r) ~ 0 or (r^, v) ~ 0 (relative to the norms, below the dtype's epsilon),
omega ~ 0 (|(t, s)| <= 100 eps |t| |s|: the stabilising step makes no progress), NaN/Inf anywhere.
As for CG, convergence is confirmed on the true residual b - M x; if that misses ``tol``
the iteration restarts from x (with r^ = r), and stagnation raises.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import _blas
from .info import (Operator, SolverInfo, as_field, check_maxiter, check_tol, fail, nonfinite_rhs, start,
                   true_residual, zero_solution)

_STALLS = 3


def bicgstab(apply, b, tol=1e-10, maxiter=None, x0=None, callback=None):
    """Solve M x = b by BiCGStab; returns ``(x, info)``.

    ``maxiter`` counts BiCGStab iterations (two matvecs each; default ``min(10 b.size, 10000)``);
    ``callback(iteration, relative_residual, x)`` after each iteration.
    """
    t0 = time.perf_counter()
    tol = check_tol(tol)
    b = as_field(b)
    maxiter = check_maxiter(maxiter, b.size)
    bnorm = math.sqrt(_blas.norm2(b.reshape(-1)))
    if not math.isfinite(bnorm):
        raise nonfinite_rhs("bicgstab", b, tol, t0)
    if bnorm == 0.0:
        return zero_solution("bicgstab", b, tol, t0)
    eps = float(np.finfo(b.real.dtype).eps)
    op = Operator(apply, b.shape, b.dtype)
    info = SolverInfo("bicgstab", tol=tol)
    restarts = info.extra.setdefault("restarts", [])
    x, r = start(op, b, x0, info)
    xf, rf = x.reshape(-1), r.reshape(-1)
    rr = _blas.norm2(rf)
    info.history.append(math.sqrt(rr) / bnorm)
    target = tol * bnorm
    r_is_true = True
    last_true, stalls = math.inf, 0

    def breakdown(what):
        info.residual = math.sqrt(rr) / bnorm if math.isfinite(rr) else math.nan
        return fail(info, f"breakdown: {what}", x, t0)

    fresh = True
    rho_old = alpha = omega = 1.0 + 0.0j
    vf = pf = rhf = None
    rhat_norm = 0.0
    while True:
        if not math.isfinite(rr):
            raise breakdown("the residual is not finite")
        if math.sqrt(rr) <= target:
            if r_is_true:
                info.residual = math.sqrt(rr) / bnorm
                break
            rt, rtn = true_residual(op, b, x)
            info.matvecs += 1
            info.residual = rtn / bnorm
            if rtn <= target:
                break
            if not math.isfinite(rtn):
                raise breakdown("the true residual is not finite")
            restarts.append((info.iterations, rtn / bnorm))
            stalls = stalls + 1 if rtn > 0.5 * last_true else 0
            last_true = rtn
            if stalls >= _STALLS:
                raise fail(info, "stagnated: the true residual no longer decreases", x, t0)
            r[...] = rt
            rr = rtn * rtn
            r_is_true, fresh = True, True
            continue
        if info.iterations >= maxiter:
            _, rtn = true_residual(op, b, x)
            info.matvecs += 1
            info.residual = rtn / bnorm
            raise fail(info, f"did not converge within maxiter = {maxiter}", x, t0)
        if fresh:  # (re)start: shadow residual r^ = r, p = r
            rhat = r.copy()
            rhf = rhat.reshape(-1)
            rhat_norm = math.sqrt(rr)
            p = r.copy()
            pf = p.reshape(-1)
            rho = complex(rr)
            fresh = False
        else:
            rho = _blas.cdot_c(rhf, rf)
            if not math.isfinite(abs(rho)):
                raise breakdown("rho = (r^, r) is not finite")
            if abs(rho) <= eps * rhat_norm * math.sqrt(rr):
                raise breakdown(f"rho = (r^, r) = {abs(rho):.3e} ~ 0 (relative to |r^| |r|)")
            beta = (rho / rho_old) * (alpha / omega)
            _blas.bicg_direction(rf, complex(beta), complex(omega), vf, pf)
        v = op(p)
        vf = v.reshape(-1)
        info.matvecs += 1
        rv = _blas.cdot_c(rhf, vf)
        vn = math.sqrt(_blas.norm2(vf))
        if not (math.isfinite(abs(rv)) and math.isfinite(vn)):
            raise breakdown("(r^, M p) is not finite")
        if abs(rv) <= eps * rhat_norm * vn:
            raise breakdown(f"(r^, M p) = {abs(rv):.3e} ~ 0")
        alpha = rho / rv
        ss = _blas.axpy_norm_c(-alpha, vf, rf)        # r now holds s = r - alpha v
        if math.sqrt(ss) <= target or not math.isfinite(ss):
            _blas.axpy_c(alpha, pf, xf)
            info.iterations += 1
            rr = ss
            info.history.append(math.sqrt(rr) / bnorm)
            r_is_true = False
            if callback is not None:
                callback(info.iterations, math.sqrt(rr) / bnorm, x)
            continue
        t = op(r)
        tf = t.reshape(-1)
        info.matvecs += 1
        tsr, tsi, tt = _blas.dot_norm(tf, rf)
        if not (math.isfinite(tt) and math.isfinite(tsr) and math.isfinite(tsi)):
            raise breakdown("(M s, s) is not finite")
        if tt == 0.0:
            raise breakdown("M s = 0")
        omega = complex(tsr, tsi) / tt
        if abs(omega) * math.sqrt(tt) <= 100.0 * eps * math.sqrt(ss):
            raise breakdown(f"omega = {abs(omega):.3e} ~ 0 (M s orthogonal to s)")
        _blas.axpbypz(complex(alpha), pf, complex(omega), rf, xf)
        rr = _blas.axpy_norm_c(-omega, tf, rf)        # r = s - omega t
        rho_old = rho
        info.iterations += 1
        info.history.append(math.sqrt(rr) / bnorm)
        r_is_true = False
        if callback is not None:
            callback(info.iterations, math.sqrt(rr) / bnorm, x)
    info.converged = True
    info.seconds = time.perf_counter() - t0
    return x, info

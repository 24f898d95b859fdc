"""Multi-shift CG: (A + sigma_i) x_i = b for all sigma_i >= 0 in one Krylov space.

Jegerlehner (1996, hep-lat/9612014), Frommer et al.  CG runs on the *base* system
(A + sigma_0) with sigma_0 = min sigma_i (the worst conditioned); with the relative shifts
d_i = sigma_i - sigma_0 >= 0 the residuals of the shifted systems stay collinear,
r^(i)_k = zeta^(i)_k r_k, with

    zeta_{k+1} = zeta_k zeta_{k-1} alpha_{k-1} /
                 [alpha_k beta_{k-1} (zeta_{k-1} - zeta_k) + zeta_{k-1} alpha_{k-1} (1 + d alpha_k)],
    alpha^(i)_k = alpha_k zeta_{k+1} / zeta_k,   beta^(i)_k = beta_k (zeta_{k+1} / zeta_k)^2,
    x^(i) += alpha^(i)_k p^(i),   p^(i) = zeta_{k+1} r_{k+1} + beta^(i)_k p^(i)

(zeta_{-1} = zeta_0 = 1, alpha_{-1} = 1, beta_{-1} = 0; x_k += alpha_k p_k, r -= alpha_k A p_k,
beta_k = |r_{k+1}|^2 / |r_k|^2).  One matvec per iteration for all shifts.  Shift i stops
(its x_i and p_i freeze) once |zeta^(i)| ||r|| <= tol_i ||b||; the solve ends when all have.

At the end the true residual b - (A + sigma_i) x_i of *every* shift is recomputed (one matvec
each).  A shift whose true residual misses its tolerance is refined by a CG on its own
system warm-started from x_i (counted in matvecs, not in iterations; ``info.extra['refined']``).
``info.residual`` is the worst true relative residual, ``info.history`` that of the base
(smallest-shift) system, ``info.extra['residuals']`` the true residual per shift and
``info.extra['shift_iterations']`` the iteration at which each shift stopped.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import _blas
from .info import (Operator, SolverError, SolverInfo, as_field, check_maxiter, fail, nonfinite_rhs,
                   true_residual)


def multishift_cg(apply, b, shifts, tol=1e-10, maxiter=None, callback=None):
    """Solve (A + sigma_i) x_i = b for A Hermitian positive (semi-)definite and sigma_i >= 0.

    ``tol`` is a number or one per shift (relative: ||b - (A + sigma_i) x_i|| <= tol_i ||b||);
    ``maxiter`` caps the iterations (default ``min(10 b.size, 10000)``).  Negative or non-finite
    shifts raise ValueError.  Returns ``([x_i], info)`` in the order of ``shifts``.
    """
    t0 = time.perf_counter()
    shifts = np.atleast_1d(np.asarray(shifts, dtype=np.float64))
    if shifts.ndim != 1 or shifts.size == 0:
        raise ValueError("multishift_cg: give at least one shift")
    if not np.all(np.isfinite(shifts)):
        raise ValueError(f"multishift_cg: shifts must be finite, got {shifts.tolist()}")
    if np.any(shifts < 0):
        raise ValueError(f"multishift_cg: shifts must be >= 0 (A + sigma must stay positive), "
                         f"got {shifts[shifts < 0].tolist()}")
    ns = shifts.size
    tols = np.broadcast_to(np.asarray(tol, dtype=np.float64), (ns,)).copy()
    if not np.all((tols > 0) & np.isfinite(tols)):
        raise ValueError(f"multishift_cg: tol must be positive and finite, got {tol}")
    b = as_field(b)
    maxiter = check_maxiter(maxiter, b.size)
    n = b.size
    bnorm = math.sqrt(_blas.norm2(b.reshape(-1)))
    if not math.isfinite(bnorm):
        raise nonfinite_rhs("multishift-cg", b, tols, t0)
    info = SolverInfo("multishift-cg", tol=float(tols.max()))
    info.extra.update(shifts=shifts.tolist(), tols=tols.tolist())
    if bnorm == 0.0:
        info.residual, info.history, info.converged = 0.0, [0.0], True
        info.extra.update(residuals=[0.0] * ns, shift_iterations=[0] * ns, refined=[])
        info.seconds = time.perf_counter() - t0
        return [np.zeros_like(b) for _ in range(ns)], info

    op = Operator(apply, b.shape, b.dtype)
    sigma0 = float(shifts.min())
    delta = shifts - sigma0
    xs = np.zeros((ns, n), b.dtype)
    ps = np.empty((ns, n), b.dtype)
    ps[:] = b.reshape(-1)
    r = b.copy()
    rf = r.reshape(-1)
    p = b.copy()
    pf = p.reshape(-1)
    zeta = np.ones(ns)
    zeta_old = np.ones(ns)
    zeta_new = np.ones(ns)
    alpha_s = np.zeros(ns)
    beta_s = np.zeros(ns)
    alpha_old, beta_old = 1.0, 0.0
    rr = _blas.norm2(rf)
    info.history.append(math.sqrt(rr) / bnorm)
    active = np.ones(ns, bool)
    stop_it = [0] * ns
    x_shaped = xs.reshape((ns,) + b.shape)

    while True:
        res = np.abs(zeta) * math.sqrt(rr)
        done = active & (res <= tols * bnorm)
        for i in np.flatnonzero(done):
            stop_it[i] = info.iterations
        active &= ~done
        if not active.any():
            break
        if info.iterations >= maxiter:
            info.residual = float(np.max(res / bnorm))
            raise fail(info, f"did not converge within maxiter = {maxiter} "
                             f"({int(active.sum())} of {ns} shifts open)", list(x_shaped), t0)
        ap = op(p)
        apf = ap.reshape(-1)
        info.matvecs += 1
        if sigma0:
            _blas.axpy_c(sigma0, pf, apf)
        pap = _blas.rdot(pf, apf)
        if not (pap > 0.0 and math.isfinite(pap)):
            info.residual = math.sqrt(rr) / bnorm
            what = "not finite" if not math.isfinite(pap) else "<= 0 (operator not positive definite?)"
            raise fail(info, f"breakdown: p^dag (A + sigma_0) p = {pap:.3e} {what}", list(x_shaped), t0)
        alpha = rr / pap
        rr_new = _blas.axpy_norm_c(-alpha, apf, rf)
        if not math.isfinite(rr_new):
            info.iterations += 1
            info.history.append(math.nan)
            info.residual = math.nan
            raise fail(info, "breakdown: the residual is not finite", list(x_shaped), t0)
        beta = rr_new / rr
        idx = np.flatnonzero(active)
        z, zo, d = zeta[idx], zeta_old[idx], delta[idx]
        denom = alpha * beta_old * (zo - z) + zo * alpha_old * (1.0 + d * alpha)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            zn = np.where(denom != 0.0, z * zo * alpha_old / denom, 0.0)
            ratio = np.where(z != 0.0, zn / z, 0.0)
        zeta_new[idx] = zn
        alpha_s[idx] = alpha * ratio
        beta_s[idx] = beta * ratio * ratio
        _blas.multishift_update(alpha_s, beta_s, zeta_new, idx.astype(np.int64), rf, xs, ps)
        _blas.xpay_f(rf, beta, pf)
        zeta_old[idx] = z
        zeta[idx] = zn
        alpha_old, beta_old, rr = alpha, beta, rr_new
        info.iterations += 1
        info.history.append(math.sqrt(rr) / bnorm)
        if callback is not None:
            callback(info.iterations, math.sqrt(rr) / bnorm, list(x_shaped))

    # true residual of every shift; refine the ones that miss their tolerance
    out = [np.ascontiguousarray(x_shaped[i]) for i in range(ns)]
    residuals, refined = [], []
    from .cg import cg
    for i in range(ns):
        _, rn = true_residual(op, b, out[i], float(shifts[i]))
        info.matvecs += 1
        rel = rn / bnorm
        if not math.isfinite(rel):
            info.residual = math.nan
            raise fail(info, f"breakdown: the true residual of shift {shifts[i]:g} is not finite", out, t0)
        if rel > tols[i]:
            sigma = float(shifts[i])

            def shifted(v, sigma=sigma):
                return op(v) + sigma * v

            budget = max(1, maxiter - info.iterations)
            try:
                out[i], sub = cg(shifted, b, tol=float(tols[i]), maxiter=budget, x0=out[i])
            except SolverError as e:
                info.matvecs += e.info.matvecs
                info.residual = max(rel, e.info.residual)
                raise fail(info, f"the true residual {rel:.3e} of shift {sigma:g} misses tol and its "
                                 f"refinement failed ({e.reason})", out, t0) from None
            info.matvecs += sub.matvecs
            refined.append({"shift": sigma, "before": rel, "after": sub.residual,
                            "iterations": sub.iterations})
            rel = sub.residual
        residuals.append(rel)
    info.residual = float(max(residuals))
    info.extra.update(residuals=residuals, shift_iterations=stop_it, refined=refined)
    info.converged = True
    info.seconds = time.perf_counter() - t0
    return out, info

"""Conjugate gradients for A x = b with A Hermitian positive definite (A = M^dag M).

``cg(apply, b, tol)`` iterates until the recursively updated residual satisfies
||r|| <= tol ||b||, then recomputes the true residual b - A x (one extra matvec).  If the
true residual misses ``tol`` (rounding accumulated in the recursion), CG restarts from the
current x with r = b - A x (a *reliable update*), until the true residual meets ``tol`` or it
stagnates (three restarts without halving it: the precision of the operator / field dtype
is exhausted), which raises :class:`SolverError`.

Mixed precision (``apply_single`` given): **defect correction** (iterative refinement).
The outer loop runs in double precision:

    r = b - A x  (double),  stop if ||r|| <= tol ||b||,
    solve A d = r / ||r||  by CG in complex64 with ``apply_single`` to the relative inner_tol,
    x += ||r|| d  (double),

so the double operator is applied once per outer iteration and the bulk of the work (the
inner CG iterations) runs on complex64 fields.  ``info.matvecs`` counts the double
applications, ``info.matvecs_single`` the complex64 ones, ``info.iterations`` the inner
CG iterations (``info.extra['outer_iterations']`` the corrections, ``extra['outer_history']``
the true relative residual before each correction).

``cg_normal(apply, apply_dagger, b)`` solves M x = b for a general (non-Hermitian) M by
**CGNE**: CG on M M^dag y = b, x = M^dag y.  Its CG residual b - M M^dag y is exactly the
residual b - M x of the original system, so ``tol`` bounds ||b - M x|| / ||b||.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import _blas
from .info import (Operator, SolverError, SolverInfo, as_field, check_maxiter, check_tol, fail, start,
                   nonfinite_rhs, true_residual, zero_solution)

#: a restart that does not halve the true residual counts as stalled; this many in a row stop
_STALLS = 3


def _cg_iterate(op, b, x, r, rr, bnorm, tol, maxiter, info, t0, *, r_is_true, check_true,
                raise_on_maxiter, callback, scale=1.0):
    """CG in place on (x, r) from residual norm^2 ``rr``; appends scale * ||r|| / ||b|| to the
    history per iteration.  Returns True when converged, False when ``maxiter`` is reached and
    ``raise_on_maxiter`` is false (the inner solve of the defect correction)."""
    xf, rf = x.reshape(-1), r.reshape(-1)
    p = r.copy()
    pf = p.reshape(-1)
    target = tol * bnorm
    last_true, stalls = math.inf, 0
    restarts = info.extra.setdefault("restarts", []) if check_true else None
    start_it = info.iterations
    while True:
        if math.sqrt(rr) <= target:
            if not check_true or r_is_true:
                info.residual = scale * math.sqrt(rr) / bnorm
                return True
            rt, rtn = true_residual(op, b, x)
            info.matvecs += 1
            info.residual = rtn / bnorm
            if rtn <= target:
                return True
            if not math.isfinite(rtn):
                raise fail(info, "breakdown: the true residual is not finite", x, t0)
            restarts.append((info.iterations, rtn / bnorm))
            stalls = stalls + 1 if rtn > 0.5 * last_true else 0
            last_true = rtn
            if stalls >= _STALLS:
                raise fail(info, f"stagnated: the true residual no longer decreases (recursive residual "
                                 f"{math.sqrt(rr) / bnorm:.2e}; precision of the operator or of the "
                                 f"{x.dtype} field exhausted?)", x, t0)
            r[...] = rt
            rr = _blas.norm2(rf)
            p[...] = r
            r_is_true = True
            continue
        if info.iterations - start_it >= maxiter:
            if not raise_on_maxiter:
                info.residual = scale * math.sqrt(rr) / bnorm
                return False
            if check_true:
                _, rtn = true_residual(op, b, x)
                info.matvecs += 1
                info.residual = rtn / bnorm
            else:
                info.residual = scale * math.sqrt(rr) / bnorm
            raise fail(info, f"did not converge within maxiter = {maxiter}", x, t0)
        ap = op(p)
        info.matvecs += 1
        pap = _blas.rdot(pf, ap.reshape(-1))
        if not (pap > 0.0 and math.isfinite(pap)):
            info.residual = scale * math.sqrt(rr) / bnorm
            if math.isfinite(pap) and not raise_on_maxiter:
                return False  # inner solve: rounding made p^dag A p <= 0; the outer loop goes on
            what = "not finite" if not math.isfinite(pap) else "<= 0 (operator not positive definite?)"
            raise fail(info, f"breakdown: p^dag A p = {pap:.3e} {what}", x, t0)
        alpha = rr / pap
        rr_new = _blas.cg_update_f(alpha, pf, ap.reshape(-1), xf, rf)
        info.iterations += 1
        rel = scale * math.sqrt(rr_new) / bnorm
        info.history.append(rel)
        r_is_true = False
        if not math.isfinite(rr_new):
            info.residual = rel
            raise fail(info, "breakdown: the residual is not finite", x, t0)
        if callback is not None:
            callback(info.iterations, rel, x)
        _blas.xpay_f(rf, rr_new / rr, pf)
        rr = rr_new


def cg(apply, b, tol=1e-10, maxiter=None, x0=None, apply_single=None, inner_tol=1e-5, callback=None):
    """Solve A x = b for Hermitian positive definite A by conjugate gradients.

    Parameters
    ----------
    apply : callable, ``apply(x) -> A x`` on arrays of b's shape and dtype.
    b : complex array of any shape (complex128 or complex64; the solve runs in b's dtype).
    tol : relative residual target, ||b - A x|| <= tol ||b|| (checked on the true residual).
    maxiter : iteration cap (default ``min(10 * b.size, 10000)``); exceeding it raises
        :class:`SolverError`.
    x0 : initial guess (default 0).
    apply_single : the operator on complex64 fields: switches to mixed-precision defect
        correction (module docstring); b is then solved in complex128.
    inner_tol : relative tolerance of each complex64 inner solve.
    callback : ``callback(iteration, relative_residual, x)`` after every iteration (after
        every defect correction, with the true residual, in mixed precision).

    Returns ``(x, info)`` with :class:`SolverInfo`.  b = 0 gives x = 0 without a matvec.
    """
    t0 = time.perf_counter()
    tol = check_tol(tol)
    b = as_field(b)
    if apply_single is not None:
        return _cg_mixed(apply, apply_single, b.astype(np.complex128), tol, maxiter, x0, inner_tol,
                         callback, t0)
    maxiter = check_maxiter(maxiter, b.size)
    bnorm = math.sqrt(_blas.norm2(b.reshape(-1)))
    if not math.isfinite(bnorm):
        raise nonfinite_rhs("cg", b, tol, t0)
    if bnorm == 0.0:
        return zero_solution("cg", b, tol, t0)
    op = Operator(apply, b.shape, b.dtype)
    info = SolverInfo("cg", tol=tol)
    x, r = start(op, b, x0, info)
    rr = _blas.norm2(r.reshape(-1))
    info.history.append(math.sqrt(rr) / bnorm)
    if not math.isfinite(rr):
        raise fail(info, "breakdown: the initial residual is not finite", x, t0)
    _cg_iterate(op, b, x, r, rr, bnorm, tol, maxiter, info, t0, r_is_true=True, check_true=True,
                raise_on_maxiter=True, callback=callback)
    info.converged = True
    info.seconds = time.perf_counter() - t0
    return x, info


def _cg_mixed(apply, apply_single, b, tol, maxiter, x0, inner_tol, callback, t0):
    """Defect correction: double outer residuals, complex64 inner CG (module docstring)."""
    inner_tol = check_tol(inner_tol)
    maxiter = check_maxiter(maxiter, b.size)
    bnorm = math.sqrt(_blas.norm2(b.reshape(-1)))
    if not math.isfinite(bnorm):
        raise nonfinite_rhs("cg-mixed", b, tol, t0)
    if bnorm == 0.0:
        return zero_solution("cg-mixed", b, tol, t0, {"outer_iterations": 0, "outer_history": []})
    op = Operator(apply, b.shape, np.complex128)
    op32 = Operator(apply_single, b.shape, np.complex64)
    info = SolverInfo("cg-mixed", tol=tol)
    outer = info.extra.setdefault("outer_history", [])
    info.extra["inner_tol"] = inner_tol
    if x0 is None:
        x = np.zeros_like(b)
        r, rn = b.copy(), bnorm
    else:
        x = np.array(x0, dtype=np.complex128, order="C")
        r, rn = true_residual(op, b, x)
    inner = SolverInfo("cg-single", tol=inner_tol)   # accumulates the inner iterations
    info.history.append(rn / bnorm)
    last, stalls = math.inf, 0

    def failure(reason):
        info.matvecs, info.matvecs_single = op.calls, op32.calls
        info.extra["outer_iterations"] = len(outer) - 1
        return fail(info, reason, x, t0)

    try:
        while True:
            info.residual = rn / bnorm
            outer.append(rn / bnorm)
            if not math.isfinite(rn):
                raise failure("breakdown: the double-precision residual is not finite")
            if rn <= tol * bnorm:
                break
            stalls = stalls + 1 if rn > 0.5 * last else 0
            last = rn
            if stalls >= _STALLS:
                raise failure("stagnated: the defect correction no longer reduces the residual")
            if info.iterations >= maxiter:
                raise failure(f"did not converge within maxiter = {maxiter}")
            rs = np.ascontiguousarray(r / rn, dtype=np.complex64)
            d = np.zeros_like(rs)
            rr = _blas.norm2(rs.reshape(-1))
            inner.iterations, inner.history = 0, []
            try:
                _cg_iterate(op32, rs, d, rs.copy(), rr, 1.0, inner_tol, maxiter - info.iterations, inner,
                            t0, r_is_true=True, check_true=False, raise_on_maxiter=False, callback=None,
                            scale=rn / bnorm)
            except SolverError as e:
                info.iterations += inner.iterations
                info.history.extend(inner.history)
                raise failure(f"complex64 inner CG: {e.reason}") from None
            info.iterations += inner.iterations
            info.history.extend(inner.history)
            x += rn * d.astype(np.complex128)
            r, rn = true_residual(op, b, x)
            if callback is not None:
                callback(info.iterations, rn / bnorm, x)
    finally:
        info.matvecs = op.calls
        info.matvecs_single = op32.calls
        info.extra["outer_iterations"] = len(outer) - 1
    info.converged = True
    info.seconds = time.perf_counter() - t0
    return x, info


def cg_normal(apply, apply_dagger, b, tol=1e-10, maxiter=None, x0=None, callback=None):
    """Solve M x = b for general M by CGNE: CG on (M M^dag) y = b, x = M^dag y.

    ``tol`` bounds the true relative residual ||b - M x|| / ||b|| (the CG residual of the
    normal system is that residual).  ``x0`` is a guess for x (not y): it enters as
    x = x0 + M^dag y with CG on M M^dag y = b - M x0.  ``info.matvecs`` counts applications
    of M and of M^dag (2 per CG iteration, plus the final M^dag y and, with x0, M x0).
    """
    t0 = time.perf_counter()
    b = as_field(b)
    counts = [0]

    def normal(v):
        counts[0] += 2
        return apply(apply_dagger(v))

    extra_mv = 0
    rhs = b
    if x0 is not None:
        x0 = np.array(x0, dtype=b.dtype, order="C")
        rhs = b - np.asarray(apply(x0), dtype=b.dtype)
        extra_mv += 1
    tol = check_tol(tol)
    inner_tol = tol
    if x0 is not None:
        inner_tol = tol * math.sqrt(_blas.norm2(b.reshape(-1))) / max(math.sqrt(_blas.norm2(rhs.reshape(-1))),
                                                                      1e-300)
    try:
        y, info = cg(normal, rhs, tol=inner_tol, maxiter=maxiter, callback=callback)
    except SolverError as e:
        e.info.method = "cgne"
        e.info.matvecs = counts[0] + extra_mv
        raise SolverError(e.info, e.reason, e.x) from None
    x = np.asarray(apply_dagger(y), dtype=b.dtype)
    extra_mv += 1
    if x0 is not None:
        x = x + x0
        bn = math.sqrt(_blas.norm2(b.reshape(-1)))
        rn = math.sqrt(_blas.norm2(rhs.reshape(-1)))
        if bn > 0:
            info.residual = info.residual * rn / bn
            info.history = [h * rn / bn for h in info.history]
    info.method = "cgne"
    info.tol = tol
    info.extra["normal_matvecs"] = info.matvecs
    info.matvecs = counts[0] + extra_mv
    info.seconds = time.perf_counter() - t0
    return np.ascontiguousarray(x), info

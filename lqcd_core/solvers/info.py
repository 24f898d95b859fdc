"""What a solve reports (:class:`SolverInfo`) and how it fails (:class:`SolverError`).

Every solver returns ``(x, info)``.  A solve either converges (the *true* relative
residual ||b - A x|| / ||b||, recomputed from x at the end, is at most ``tol``) or raises
:class:`SolverError`: it never hangs and never returns an unconverged x silently.  It raises

* when ``maxiter`` iterations did not reach ``tol`` (default :func:`default_maxiter`),
* at once on a breakdown: NaN/Inf in the right-hand side, a residual or a scalar (an
  operator returning NaN),
  p^dag A p <= 0 in CG (A not positive definite), rho or omega ~ 0 in BiCGStab,
* when the true residual stagnates above ``tol`` although the recursive one is below it
  (precision limit, e.g. a complex64 field with tol = 1e-10).

The error carries the ``info`` (with the full residual history) and the last iterate ``x``.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from . import _blas

#: default cap on the iteration count: min(10 * size, MAXITER_CAP)
MAXITER_CAP = 10000


def default_maxiter(size: int) -> int:
    """Default iteration cap: 10 x the number of complex unknowns or 10000, whichever smaller."""
    return int(max(1, min(10 * int(size), MAXITER_CAP)))


@dataclass
class SolverInfo:
    """Diagnostics of one solve.

    ``residual`` is the final *true* relative residual ||b - A x|| / ||b|| (for a multi-shift
    solve the worst over the shifts); ``history`` the relative residual norm after each
    iteration with ``history[0]`` the starting one, so ``len(history) == iterations + 1``
    (the recursively updated residual; for the multi-shift solver that of the smallest
    shift).  ``matvecs`` counts applications of the operator given to the solver (in double
    precision for the mixed-precision CG, whose complex64 applications are
    ``matvecs_single``).  ``extra`` holds method-specific details (restarts, per-shift
    residuals, outer residuals of the defect correction, ...).
    """

    method: str
    iterations: int = 0
    matvecs: int = 0
    residual: float = math.nan
    history: list = field(default_factory=list)
    converged: bool = False
    seconds: float = 0.0
    tol: float = math.nan
    matvecs_single: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain dict (JSON-serialisable: floats, ints, lists, nested dicts)."""
        d = asdict(self)
        d["history"] = [float(h) for h in self.history]
        return d

    def summary(self) -> str:
        s = (f"{self.method}: {'converged' if self.converged else 'NOT converged'} in {self.iterations} "
             f"iterations, {self.matvecs} matvecs")
        if self.matvecs_single:
            s += f" (+ {self.matvecs_single} single precision)"
        return s + f", relative residual {self.residual:.3e} (tol {self.tol:.1e}), {self.seconds:.3f} s"


def _tail(history, n=5) -> str:
    if not history:
        return "[]"
    last = ", ".join(f"{float(h):.3e}" for h in history[-n:])
    return ("[..., " if len(history) > n else "[") + last + "]"


class SolverError(RuntimeError):
    """A solve that did not converge or broke down.

    Attributes: ``info`` (:class:`SolverInfo`, ``converged = False``, with the history),
    ``reason`` (short text) and ``x`` (the last iterate, or None).
    """

    def __init__(self, info: SolverInfo, reason: str = "did not converge", x=None):
        self.info = info
        self.reason = reason
        self.x = x
        last = info.history[-1] if info.history else math.nan
        msg = (f"{info.method}: {reason} after {info.iterations} iterations ({info.matvecs} matvecs): "
               f"relative residual {info.residual:.3e}, requested tol {info.tol:.1e}; "
               f"last residuals {_tail(info.history)} (last {last:.3e})")
        super().__init__(msg)

    def __reduce__(self):  # picklable (multiprocessing, pipelines)
        return (self.__class__, (self.info, self.reason, None))


# -- helpers shared by the solvers -----------------------------------------------------


def as_field(b) -> np.ndarray:
    """b as a C-contiguous complex array: complex64 stays complex64 (also float32), anything
    else becomes complex128."""
    b = np.asarray(b)
    if b.dtype in (np.complex64, np.float32):
        dtype = np.complex64
    elif b.dtype.kind in "biufc":
        dtype = np.complex128
    else:
        raise TypeError(f"the right-hand side must be a numeric array, got dtype {b.dtype}")
    return np.ascontiguousarray(b, dtype=dtype)


def check_tol(tol) -> float:
    tol = float(tol)
    if not (tol > 0.0 and math.isfinite(tol)):
        raise ValueError(f"tol must be a positive finite number, got {tol}")
    return tol


def check_maxiter(maxiter, size: int) -> int:
    if maxiter is None:
        return default_maxiter(size)
    maxiter = int(maxiter)
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, got {maxiter}")
    return maxiter


class Operator:
    """Wraps ``apply(x) -> y`` on fields of a fixed shape and dtype: counts the calls and
    returns a C-contiguous array of the working dtype (cast if the callable returned
    another one)."""

    def __init__(self, apply, shape, dtype):
        if not callable(apply):
            raise TypeError(f"the operator must be callable, got {type(apply).__name__}")
        self.apply = apply
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.calls = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        y = self.apply(x)
        if y is x or np.may_share_memory(y, x):
            y = np.array(y, dtype=self.dtype)  # the solvers update A p in place
        else:
            y = np.ascontiguousarray(y, dtype=self.dtype)
            if not y.flags.writeable:
                y = y.copy()
        if y.shape != self.shape:
            raise ValueError(f"the operator returned shape {y.shape} for input shape {self.shape}")
        return y


def zero_solution(method, b, tol, t0, extra=None):
    info = SolverInfo(method, iterations=0, matvecs=0, residual=0.0, history=[0.0], converged=True,
                      seconds=time.perf_counter() - t0, tol=tol, extra=dict(extra or {}))
    return np.zeros_like(b), info


def true_residual(op: Operator, b: np.ndarray, x: np.ndarray, shift: float = 0.0):
    """r = b - (A + shift) x and |r| (one matvec)."""
    ax = op(x)
    if shift:
        _blas.axpy_c(shift, x.reshape(-1), ax.reshape(-1))
    r = b - ax
    return r, math.sqrt(_blas.norm2(r.reshape(-1)))


def start(op: Operator, b: np.ndarray, x0, info: SolverInfo):
    """Initial guess and residual: x = 0, r = b, or x = x0, r = b - A x0 (one matvec)."""
    if x0 is None:
        return np.zeros_like(b), b.copy()
    x = np.array(x0, dtype=b.dtype, order="C")
    if x.shape != b.shape:
        raise ValueError(f"{info.method}: x0 has shape {x.shape}, b has {b.shape}")
    r, _ = true_residual(op, b, x)
    info.matvecs += 1
    return x, r


def nonfinite_rhs(method: str, b, tol, t0) -> SolverError:
    """The breakdown error for a right-hand side containing NaN or Inf."""
    info = SolverInfo(method, residual=math.nan, history=[math.nan], tol=float(np.max(tol)),
                      seconds=time.perf_counter() - t0)
    return SolverError(info, "breakdown: the right-hand side contains NaN or Inf", None)


def finite(*vals) -> bool:
    return all(math.isfinite(abs(v)) for v in vals)


def fail(info: SolverInfo, reason: str, x, t0) -> SolverError:
    info.converged = False
    info.seconds = time.perf_counter() - t0
    return SolverError(info, reason, x)

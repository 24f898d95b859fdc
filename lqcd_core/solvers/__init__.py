"""Krylov solvers and rational approximations for dynamical fermions.

* :func:`cg` (Hermitian positive A, optional mixed-precision defect correction),
  :func:`cg_normal` (CGNE for general M), :func:`bicgstab` (non-Hermitian M),
  :func:`multishift_cg` ((A + sigma_i) x_i = b for all shifts at once, RHMC);
* :class:`RationalApproximation`: minimax relative-error rational approximation of x^power
  on [lo, hi] (Remez), r(x) = a0 + sum_i a_i / (x + b_i), applied by one multi-shift solve.

The solvers act on any callable ``apply(x) -> y`` on complex arrays of any shape
(complex128 or complex64), return ``(x, SolverInfo)`` and raise :class:`SolverError` when
they do not converge or break down.
"""
from .bicgstab import bicgstab
from .cg import cg, cg_normal
from .info import SolverError, SolverInfo, default_maxiter
from .multishift import multishift_cg
from .rational import RationalApproximation

__all__ = ["cg", "cg_normal", "bicgstab", "multishift_cg", "RationalApproximation", "SolverInfo",
           "SolverError", "default_maxiter"]

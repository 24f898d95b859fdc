"""Rational HMC (Clark & Kennedy 2007): any number of flavours through A^(-alpha).

For nf flavours of an operator whose det A counts ``flavours_per_det`` = k flavours
(Wilson k = 2, staggered even-odd k = 4) the weight is det A^alpha, alpha = nf / k, and

    det A^alpha = const * integral dphi exp(-phi^dag A^{-alpha} phi).

A^{-alpha} is replaced by the minimax rational approximation (Remez,
:class:`lqcd_core.solvers.RationalApproximation`; relative error below ``tol`` on the
spectral interval [lo, hi] of A, checked when the action is built)

    r(A) = a_0 + sum_i a_i (A + b_i)^{-1}  ~  A^{-alpha},

applied with one multi-shift CG.  The heatbath needs A^{alpha/2}: phi = r_h(A) eta with
a second approximation r_h ~ x^{alpha/2}, so that <phi phi^dag> = A^alpha.

Force.  With X_i = (A + b_i)^{-1} phi,

    dS = -sum_i a_i X_i^dag dA X_i,     F = -sum_i a_i hermitian_deriv(X_i, X_i).

Nf = 2 rooted staggered: alpha = 1/2; the strange quark of 2+1: alpha = 1/4 (a second
action with its own mass); Nf = 4 staggered: alpha = 1 (exact at order 1, which makes
RHMC coincide with the plain pseudofermion action up to the heatbath's approximation).
``n_pf`` pseudofermions split the power (alpha / n_pf each), which lowers the force.
"""
from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from .fermion import SOLVE_LOG, FermionAction, SolverSettings


#: loosest error accepted for the heatbath approximation x^(alpha/2)
HEATBATH_TOL = 1e-10


def _power(nf, per_det, n_pf) -> float:
    return float(Fraction(nf) / (Fraction(per_det) * n_pf))


class RationalAction(FermionAction):
    """S = sum_{k < n_pf} phi_k^dag r(A) phi_k with r ~ A^{-nf / (flavours_per_det n_pf)}."""

    name = "rational"

    def __init__(self, fermion, nf, solver: SolverSettings | None = None, tol: float = 1e-12,
                 order: int | None = None, n_pf: int = 1, bounds=None, probe_field=None):
        super().__init__(fermion, solver)
        nf = Fraction(nf).limit_denominator(64)
        if nf <= 0:
            raise ValueError(f"fermion.nf must be positive, got {nf}")
        if int(n_pf) < 1:
            raise ValueError(f"fermion.n_pf must be >= 1, got {n_pf}")
        self.nf, self.n_pf = nf, int(n_pf)
        self.tol, self.order = float(tol), order
        self.bounds = tuple(bounds) if bounds is not None else None
        self.phis = None
        self.r_action = self.r_heatbath = None
        if probe_field is not None:
            self.approximations(self.bind(probe_field))

    def approximations(self, op):
        """Build (once) the rational approximations for this operator's spectral interval.

        Raises ValueError, naming the power, interval and error, if the requested
        accuracy is not reached (the check happens before any trajectory).
        """
        if self.r_action is None:
            from ..solvers import RationalApproximation
            lo, hi = self.bounds if self.bounds is not None else op.spectral_bounds()
            alpha = _power(self.nf, op.flavours_per_det, self.n_pf)
            self.alpha = alpha
            self.r_action = RationalApproximation(-alpha, lo, hi, order=self.order, tol=self.tol)
            # positive powers cannot be evaluated as partial fractions below ~1e-11 in double
            # precision (negative residues cancel at small x); a 1e-10 error of phi only
            # perturbs the heatbath distribution at that level
            self.r_heatbath = RationalApproximation(alpha / 2, lo, hi, order=self.order,
                                                    tol=max(self.tol, HEATBATH_TOL))
        return self.r_action, self.r_heatbath

    def _rational_solve(self, op, r, b, tol):
        """r(A) b and the shifted solutions X_i (multi-shift CG), cost logged."""
        from ..solvers import multishift_cg
        t0, a0 = time.perf_counter(), op.applications
        try:
            xs, info = multishift_cg(op.hermitian, b, list(r.poles), tol=tol,
                                     maxiter=self.solver.maxiter)
        finally:
            self._charge(op, a0)
            self.cost["solver_seconds"] += time.perf_counter() - t0
        self.cost["solves"] += 1
        self.cost["solver_iterations"] += info.iterations
        self.last_solve = info
        SOLVE_LOG.debug("%s %s: %s, %d Dirac applications", self.name, op.name, info.summary(),
                        op.applications - a0)
        y = r.a0 * b
        for a, x in zip(r.residues, xs):
            y = y + a * x
        return y, xs

    def refresh(self, field, rng) -> None:
        op = self.bind(field)
        _, rh = self.approximations(op)
        self.phis = []
        for _ in range(self.n_pf):
            eta = op.gaussian(rng, op.shape)
            phi, _ = self._rational_solve(op, rh, eta, self.solver.tol_action)
            self.phis.append(phi)

    def _need_phi(self):
        if self.phis is None:
            raise RuntimeError(f"{self.name}: no pseudofermion field; call refresh(field, rng) first")

    def value(self, field) -> float:
        self._need_phi()
        op = self.bind(field)
        ra, _ = self.approximations(op)
        s = 0.0
        for phi in self.phis:
            y, _ = self._rational_solve(op, ra, phi, self.solver.tol_action)
            s += float(np.vdot(phi, y).real)
        return s - float(self.nf) * op.log_det_extra()

    def force(self, field) -> np.ndarray:
        self._need_phi()
        op = self.bind(field)
        ra, _ = self.approximations(op)
        f = None
        for phi in self.phis:
            _, xs = self._rational_solve(op, ra, phi, self.solver.tol_force)
            a0 = op.applications
            for a, x in zip(ra.residues, xs):
                term = op.hermitian_deriv(x, x)
                f = -a * term if f is None else f - a * term
            self._charge(op, a0)
        if op.log_det_extra() != 0.0:
            f -= float(self.nf) * op.log_det_extra_force()
        return f

    def params(self) -> dict:
        d = {"name": self.name, "fermion": self.fermion.params(), "nf": str(self.nf),
             "n_pf": self.n_pf, "tol": self.tol, "solver": self.solver.params()}
        if self.r_action is not None:
            d["approximation"] = {"action": self.r_action.params(), "heatbath": self.r_heatbath.params()}
        return d

"""Pseudofermion actions: the fermion determinant as a Gaussian integral.

For a Hermitian positive operator A (docs/conventions.md, "Fermions"; A = M^dag M for
Wilson, A = (M^dag M)_ee for even-odd staggered)

    det A = const * integral dphi dphi^* exp(-phi^dag A^{-1} phi),

so a pseudofermion field phi, drawn afresh at the start of every trajectory from
exp(-phi^dag A^{-1} phi) (heatbath phi = B eta with B B^dag = A, eta Gaussian), and the
action S_pf = phi^dag A^{-1} phi in the molecular dynamics represent det A exactly.
The operator's ``flavours_per_det`` says how many flavours det A is (Wilson 2,
staggered even-odd 4); this action is for exactly that many.  Powers other than one
(rooting, one flavour) are the rational actions in :mod:`.rational`.

Force.  With X = A^{-1} phi,

    dS = -phi^dag A^{-1} dA A^{-1} phi = -X^dag dA X,

so F = -hermitian_deriv(X, X) (the operator's force of the bilinear Re(y^dag A x)).
With even-odd preconditioning of the clover term, |det M| = |det M_oo| |det M_hat| and
the nf flavours add S_oo = -nf log|det M_oo| with force -nf * log_det_extra_force.

Every solve is logged in ``self.cost`` (solves, solver iterations, Dirac-operator
applications, seconds), the source of the per-trajectory cost columns.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from .base import Action


@dataclass
class SolverSettings:
    """Tolerances (relative residual) for the solves of a fermion action.

    ``tol_action`` is used for the action in the Metropolis test and the heatbath, where
    an error enters H directly; ``tol_force`` for the molecular-dynamics forces, where it
    only costs reversibility at that level (checked by the reversibility test).
    """

    tol_action: float = 1e-10
    tol_force: float = 1e-8
    maxiter: int = 10000
    mixed_precision: bool = False

    def __post_init__(self):
        for key in ("tol_action", "tol_force"):
            v = float(getattr(self, key))
            if not (np.isfinite(v) and 0 < v < 1):
                raise ValueError(f"fermion.solver.{key} must be in (0, 1), got {v}")
            setattr(self, key, v)
        if int(self.maxiter) < 1:
            raise ValueError(f"fermion.solver.maxiter must be >= 1, got {self.maxiter}")
        self.maxiter = int(self.maxiter)
        self.mixed_precision = bool(self.mixed_precision)

    def params(self) -> dict:
        return {"tol_action": self.tol_action, "tol_force": self.tol_force,
                "maxiter": self.maxiter, "mixed_precision": self.mixed_precision}


#: one line per solve (method, iterations, operator applications, residual, time) at DEBUG level;
#: ``logging.getLogger("lqcd_core.solves").setLevel(logging.DEBUG)`` shows them
SOLVE_LOG = logging.getLogger("lqcd_core.solves")


def new_cost() -> dict:
    return {"solves": 0, "solver_iterations": 0, "dirac_applications": 0, "solver_seconds": 0.0}


class FermionAction(Action):
    """Common part of the pseudofermion actions: binding, solves and the cost log."""

    name = "fermion"

    def __init__(self, fermion, solver: SolverSettings | None = None):
        if not callable(getattr(fermion, "bind", None)):
            raise TypeError(f"fermion must provide bind(field), got {type(fermion).__name__}")
        self.fermion = fermion
        self.solver = solver if solver is not None else SolverSettings()
        self.phi = None
        self.cost = new_cost()
        self.last_solve = None

    def reset_cost(self) -> None:
        self.cost = new_cost()

    def bind(self, field):
        return self.fermion.bind(field)

    def _charge(self, op, start_apps: int) -> None:
        self.cost["dirac_applications"] += op.applications - start_apps

    def solve(self, op, b: np.ndarray, tol: float) -> np.ndarray:
        """x = A^{-1} b by CG (mixed precision if asked); logs the cost."""
        from ..solvers import cg
        t0, a0 = time.perf_counter(), op.applications
        single = None
        if self.solver.mixed_precision:
            sop = op.single()
            single = sop.hermitian
        try:
            x, info = cg(op.hermitian, b, tol=tol, maxiter=self.solver.maxiter, apply_single=single)
        finally:
            self._charge(op, a0)
            if single is not None:
                self.cost["dirac_applications"] += sop.applications
            self.cost["solver_seconds"] += time.perf_counter() - t0
        self.cost["solves"] += 1
        self.cost["solver_iterations"] += info.iterations
        self.last_solve = info
        SOLVE_LOG.debug("%s %s: %s, %d Dirac applications", self.name, op.name, info.summary(),
                        op.applications - a0)
        return x

    def _need_phi(self):
        if self.phi is None:
            raise RuntimeError(f"{self.name}: no pseudofermion field; call refresh(field, rng) first")


class TwoFlavourAction(FermionAction):
    """S = phi^dag A^{-1} phi (- nf log|det M_oo|): ``flavours_per_det`` flavours, no root.

    Wilson: Nf = 2 (A = M^dag M); staggered even-odd: Nf = 4 (A = m^2 - D_eo D_oe).
    """

    name = "pseudofermion"

    def refresh(self, field, rng: np.random.Generator) -> None:
        op = self.bind(field)
        a0 = op.applications
        eta = op.gaussian(rng)
        self.phi = op.heatbath(eta)
        self._charge(op, a0)

    def value(self, field) -> float:
        self._need_phi()
        op = self.bind(field)
        x = self.solve(op, self.phi, self.solver.tol_action)
        s = float(np.vdot(self.phi, x).real)
        return s - op.flavours_per_det * op.log_det_extra()

    def force(self, field) -> np.ndarray:
        self._need_phi()
        op = self.bind(field)
        x = self.solve(op, self.phi, self.solver.tol_force)
        a0 = op.applications
        f = -op.hermitian_deriv(x, x)
        self._charge(op, a0)
        if op.log_det_extra() != 0.0:
            f -= op.flavours_per_det * op.log_det_extra_force()
        return f

    def params(self) -> dict:
        return {"name": self.name, "fermion": self.fermion.params(), "solver": self.solver.params()}

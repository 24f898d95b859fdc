"""Hasenbusch mass preconditioning (Hasenbusch 2001; Hasenbusch & Jansen 2003).

The two-flavour determinant of the light operator M_1 is split with heavier operators
M_2, ..., M_n (smaller kappa):

    det A_1 = det(A_1 / A_2) det(A_2 / A_3) ... det A_n,    A_i = M_i^dag M_i,

and every factor gets its own pseudofermion.  The ratio terms have small forces at
the light mass's cost, the heavy term a large force at a small cost, so the
molecular-dynamics step can grow (docs/fermions.md).

Ratio term.  exp(-phi^dag M_2 A_1^{-1} M_2^dag phi) integrates to det(A_1) / det(A_2)
(det(M_2 A_1^{-1} M_2^dag)^{-1} = det A_1 / det(M_2^dag M_2)).

* heatbath: phi = M_2^{-dag} M_1^dag eta = M_2 A_2^{-1} M_1^dag eta
  (then phi^dag M_2 A_1^{-1} M_2^dag phi = eta^dag eta);
* action: Y = M_2^dag phi, X = A_1^{-1} Y, S = Re(Y^dag X);
* force: dS = 2 Re(X^dag dM_2^dag phi) - X^dag dA_1 X
         = 2 Re(phi^dag dM_2 X) - X^dag dA_1 X,
  F = 2 deriv_2(X, phi) - hermitian_deriv_1(X, X).

With even-odd clover operators the factor |det M_1,oo|^2 / |det M_2,oo|^2 is carried
by the same term (S_oo = -2 (log|det M_1,oo| - log|det M_2,oo|)), so the chain of
terms telescopes to the full two-flavour determinant of M_1.
"""
from __future__ import annotations

import numpy as np

from .fermion import FermionAction, SolverSettings, TwoFlavourAction


class HasenbuschRatioAction(FermionAction):
    """S = phi^dag M_2 (M_1^dag M_1)^{-1} M_2^dag phi: the ratio det A_1 / det A_2."""

    name = "hasenbusch_ratio"

    def __init__(self, light, heavy, solver: SolverSettings | None = None):
        super().__init__(light, solver)
        self.heavy = heavy

    def _ops(self, field):
        op1, op2 = self.fermion.bind(field), self.heavy.bind(field)
        if op1.flavours_per_det != 2 or op2.flavours_per_det != 2:
            raise ValueError("Hasenbusch mass preconditioning is implemented for Wilson fermions "
                             "(A = M^dag M) only")
        return op1, op2

    def refresh(self, field, rng) -> None:
        op1, op2 = self._ops(field)
        a1, a2 = op1.applications, op2.applications
        eta = op1.gaussian(rng, op1.shape)
        src = op1.apply_dagger(eta)
        self._charge(op1, a1)
        y = self.solve(op2, src, self.solver.tol_action)
        a2 = op2.applications
        self.phi = op2.apply(y)
        self._charge(op2, a2)

    def value(self, field) -> float:
        self._need_phi()
        op1, op2 = self._ops(field)
        a2 = op2.applications
        y = op2.apply_dagger(self.phi)
        self._charge(op2, a2)
        x = self.solve(op1, y, self.solver.tol_action)
        return float(np.vdot(y, x).real) - 2.0 * (op1.log_det_extra() - op2.log_det_extra())

    def force(self, field) -> np.ndarray:
        self._need_phi()
        op1, op2 = self._ops(field)
        a2 = op2.applications
        y = op2.apply_dagger(self.phi)
        self._charge(op2, a2)
        x = self.solve(op1, y, self.solver.tol_force)
        a1, a2 = op1.applications, op2.applications
        f = 2.0 * op2.deriv(x, self.phi) - op1.hermitian_deriv(x, x)
        self._charge(op1, a1)
        self._charge(op2, a2)
        if op1.log_det_extra() != 0.0 or op2.log_det_extra() != 0.0:
            f -= 2.0 * (op1.log_det_extra_force() - op2.log_det_extra_force())
        return f

    def params(self) -> dict:
        return {"name": self.name, "fermion": self.fermion.params(), "heavy": self.heavy.params(),
                "solver": self.solver.params()}


def hasenbusch_actions(fermions, solver: SolverSettings | None = None) -> list:
    """The terms of a Hasenbusch chain for fermions ordered light to heavy.

    ``[M_1, ..., M_n]`` gives ratio terms (M_i, M_{i+1}) and the plain two-flavour
    term of M_n; a single fermion gives the plain term alone.
    """
    fermions = list(fermions)
    if not fermions:
        raise ValueError("hasenbusch_actions needs at least one fermion")
    terms = [HasenbuschRatioAction(a, b, solver) for a, b in zip(fermions[:-1], fermions[1:])]
    terms.append(TwoFlavourAction(fermions[-1], solver))
    return terms

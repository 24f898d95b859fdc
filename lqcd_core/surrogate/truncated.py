"""Surrogate (d): the pseudofermion force from a fixed number of CG iterations.

    F_eff(U) = -a * hermitian_deriv(X_k, X_k),     X_k = CG_k(A'(U), phi),

where CG_k(A', phi) is the k-th iterate of conjugate gradients on A' x = phi from x_0 = 0
(at most k iterations; the iterate is a polynomial p_k(A') phi whose coefficients depend on U
and phi through the Krylov space, deterministically), A' the Hermitian operator of the true
fermion discretisation at the true or a heavier mass, phi = source.phi (the true action's
pseudofermion field) and a an overall factor.  For k -> infinity and a = 1, m' = m it is the
exact HMC force.

Why SLHMC stays exact (docs/slhmc.md, "Forces that are not gradients").  F_eff is *not*
the gradient of any action; SLHMC does not need one.  Each momentum update P -> P - eps F(U)
at fixed U and phi is a shear in (U, P): its Jacobian is 1 for any function F of U alone, and
the link update U -> exp(eps P) U at fixed P preserves the Haar measure.  A symmetric
composition of the two (leapfrog, Omelyan, nested) is therefore volume preserving and
reversible (undone by the momentum flip), whatever F is, as long as F is a deterministic
function of (U, phi): no dependence on the history of the trajectory (no chronological
initial guess, no adaptive stopping that depends on earlier steps).  CG from zero with a
fixed iteration count is such a function.  The Metropolis test with the true H then makes
the chain exact; a poor force only lowers the acceptance.

``value(field)`` returns a * Re phi^dag X_k (a diagnostic that tends to the action for large k;
F_eff is not its gradient).  Every CG iteration is logged in ``cost`` like a solve.

Shared solves (:class:`lqcd_core.markov.slhmc.SLHMC`).  At the true mass A' = A, and the
Metropolis solves of the true action at U0 and U1 are CG from zero on the same system as
the truncated force there: :meth:`metropolis_value` lets the H0 solve keep its k-th iterate
as the force input at U0 (the first MD force), and the H1 solve continue the k iterations of
the last force evaluation at U1.  :class:`KrylovState` is the resumable CG that makes the
iterates of truncated and full solves the same arrays (the arithmetic of
:func:`lqcd_core.solvers.cg`).  Stored states are used only at bit-identical links and the
same phi object, so they never change a force or a value, only the cost.
"""
from __future__ import annotations

import math

import numpy as np

from ..actions.fermion import SOLVE_LOG, SolverSettings, TwoFlavourAction
from ..solvers import _blas
from .base import register
from .heavy import HeavyFermionSurrogate, fermion_from_config


class KrylovState:
    """Conjugate gradients on A x = b from x = 0 that can stop after any iteration and be
    resumed later: the k-th iterate of a truncated run and of a full solve are the same
    array (same operations in the same order as :func:`lqcd_core.solvers.cg`, with its fused
    kernels).  ``applications`` counts the calls of ``apply``."""

    def __init__(self, apply, b):
        self.apply = apply
        self.b = b
        self.x = np.zeros_like(b)
        self.r = b.copy()
        self.p = self.r.copy()
        self.rr = _blas.norm2(self.r.reshape(-1))
        self.bnorm = math.sqrt(self.rr)
        self.iterations = 0
        self.applications = 0
        self.broken = not (self.rr > 0.0 and math.isfinite(self.rr))

    def step(self) -> bool:
        """One CG iteration; False (and nothing changed) on breakdown or b = 0."""
        if self.broken:
            return False
        ap = np.ascontiguousarray(self.apply(self.p), dtype=self.b.dtype)
        self.applications += 1
        pf = self.p.reshape(-1)
        pap = _blas.rdot(pf, ap.reshape(-1))
        if not (pap > 0.0 and math.isfinite(pap)):
            self.broken = True
            return False
        alpha = self.rr / pap
        rr_new = _blas.cg_update_f(alpha, pf, ap.reshape(-1), self.x.reshape(-1), self.r.reshape(-1))
        self.iterations += 1
        if not (rr_new > 0.0 and math.isfinite(rr_new)):
            self.rr = rr_new
            self.broken = True
            return False
        _blas.xpay_f(self.r.reshape(-1), rr_new / self.rr, pf)
        self.rr = rr_new
        return True

    def run(self, iterations: int) -> "KrylovState":
        """Iterate until ``iterations`` iterations are done (fewer on breakdown)."""
        while self.iterations < iterations and self.step():
            pass
        return self

    def solve(self, tol: float, maxiter: int, capture: int | None = None):
        """Continue to ||b - A x|| <= tol ||b|| (true residual, one extra application); returns
        (x, copy of the iterate after ``capture`` iterations or None).  If the true residual
        misses ``tol`` (rounding) or CG breaks down, :func:`lqcd_core.solvers.cg` finishes from
        the current x (its reliable updates)."""
        from ..solvers import cg
        kept = self.x.copy() if capture is not None and self.iterations == capture else None
        target = tol * self.bnorm
        if self.bnorm == 0.0:
            return self.x, kept
        while math.sqrt(self.rr) > target and self.iterations < maxiter:
            if not self.step():
                break
            if capture is not None and self.iterations == capture:
                kept = self.x.copy()
        ax = np.ascontiguousarray(self.apply(self.x), dtype=self.b.dtype)
        self.applications += 1
        r = self.b - ax
        if math.sqrt(_blas.norm2(r.reshape(-1))) > target:
            x, info = cg(self.apply, self.b, tol=tol, maxiter=maxiter, x0=self.x)
            self.applications += info.matvecs
            self.iterations += info.iterations
            self.x = x
        return self.x, kept


@register
class TruncatedFermionSurrogate(HeavyFermionSurrogate):
    """Force of phi^dag A'^{-1} phi with A'^{-1} phi replaced by ``iterations`` CG iterations.

    Parameters
    ----------
    fermion : Wilson or Staggered
        The fermion of A' (the true action's, or a heavier one; same type, even-odd setting and
        boundary condition).
    iterations : int
        k, the fixed number of CG iterations from x0 = 0 (>= 1).
    a : float
        Overall factor of the force (theta = (a,); trainable by the pair loss).
    source : the true pseudofermion action (its ``phi`` is used).
    solver : SolverSettings; ``tol_action`` is also the early stop of the truncated CG (so that
        its iterates coincide with those of a full solve).
    """

    kind = "truncated"
    name = "truncated"

    def __init__(self, fermion, source=None, iterations: int = 6, a: float = 1.0,
                 solver: SolverSettings | None = None):
        super().__init__(fermion, source=source, solver=solver)
        self.iterations = int(iterations)
        if self.iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}")
        self.a = float(a)
        if not np.isfinite(self.a):
            raise ValueError(f"a must be finite, got {a}")
        # (links, phi, KrylovState): the last truncated solve, and a seed handed over by the
        # SLHMC update (docs/slhmc.md, "Shared solves")
        self._last = None
        self._seed = None

    # -- the truncated solve -------------------------------------------------------------
    @staticmethod
    def _matches(entry, field, phi) -> bool:
        return entry is not None and entry[1] is phi and np.array_equal(entry[0], field.links)

    def _log(self, op, applications, iterations, solves=1):
        self.cost["dirac_applications"] += applications
        self.cost["solver_iterations"] += iterations
        self.cost["solves"] += solves
        SOLVE_LOG.debug("%s %s: %d CG iterations (truncated)", self.name, op.name, iterations)

    def krylov(self, op, field) -> np.ndarray:
        """X_k at ``field`` (k CG iterations on A' x = phi from x = 0, or the seed)."""
        phi = self.phi
        if self._matches(self._seed, field, phi):
            return self._seed[2]
        st = KrylovState(op.hermitian, phi).run(self.iterations)
        self._log(op, st.applications, st.iterations)
        self._last = (field.links.copy(), phi, st)
        return st.x.copy()

    def clear(self) -> None:
        """Forget the stored solves (the SLHMC update calls it after every trajectory)."""
        self._last = self._seed = None

    def shares_operator(self, action) -> bool:
        """True if ``action`` is a plain two-flavour action of the same fermion (same operator
        A' = A) whose phi this surrogate reads: then the Metropolis solves and the truncated
        ones are one Krylov sequence (:meth:`metropolis_value`)."""
        return (type(action) is TwoFlavourAction and self.source is action
                and type(action.fermion) is type(self.fermion)
                and action.fermion.params() == self.fermion.params())

    def metropolis_value(self, action, field, start: bool) -> float:
        """The true action's value (what ``action.value(field)`` gives, from x = 0 to
        ``action.solver.tol_action``), sharing iterations with the truncated force.

        ``start=True`` (H0): the converged solve passes through X_k at this field, which is
        kept as the seed of the force at the first MD step.  ``start=False`` (H1): if the
        last force evaluation was at this field, CG continues from its k-th iteration.  The
        iterations are charged to ``action.cost``.
        """
        if not self.shares_operator(action):
            raise ValueError(f"{self.name}: {action!r} does not share the surrogate's operator")
        action._need_phi()
        phi = action.phi
        op = action.bind(field)
        if not start and self._matches(self._last, field, phi):
            st = self._last[2]
            done = (st.iterations, st.applications)
        else:
            st = KrylovState(op.hermitian, phi)
            done = (0, 0)
        x, kept = st.solve(action.solver.tol_action, action.solver.maxiter,
                           capture=self.iterations if start else None)
        self._last = None
        if kept is not None:
            self._seed = (field.links.copy(), phi, kept)
        action.cost["solves"] += 1
        action.cost["solver_iterations"] += st.iterations - done[0]
        action.cost["dirac_applications"] += st.applications - done[1]
        SOLVE_LOG.debug("%s %s: %d CG iterations (shared with the truncated force)", action.name,
                        op.name, st.iterations)
        return float(np.vdot(phi, x).real) - op.flavours_per_det * op.log_det_extra()

    def value(self, field) -> float:
        self._need_phi()
        op = self.bind(field)
        x = self.krylov(op, field)
        s = float(np.vdot(self.phi, x).real) - op.flavours_per_det * op.log_det_extra()
        return self.a * s

    def force(self, field) -> np.ndarray:
        self._need_phi()
        op = self.bind(field)
        x = self.krylov(op, field)
        a0 = op.applications
        f = -op.hermitian_deriv(x, x)
        self._charge(op, a0)
        if op.log_det_extra() != 0.0:
            f -= op.flavours_per_det * op.log_det_extra_force()
        if self.a != 1.0:
            f *= self.a
        return f

    def value_and_force(self, field, tol: float | None = None):
        return self.value(field), self.force(field)

    def value_and_grad(self, field, tol: float | None = None):
        """(S_eff, dS_eff/da) with the diagnostic value a * Re phi^dag X_k."""
        v = self.value(field)
        return v, np.array([v / self.a if self.a else 0.0])

    # -- Surrogate interface ---------------------------------------------------------------
    def parameters(self) -> np.ndarray:
        return np.array([self.a])

    def set_parameters(self, theta) -> None:
        theta = np.asarray(theta, float).ravel()
        if theta.size != 1 or not np.isfinite(theta[0]):
            raise ValueError(f"{self.name} has one parameter (a), got {theta}")
        self.a = float(theta[0])

    def bounds(self):
        return np.array([0.05]), np.array([20.0])

    def grad_parameters(self, field) -> np.ndarray:
        return self.value_and_grad(field)[1]

    def config(self) -> dict:
        return {**HeavyFermionSurrogate.config(self), "iterations": self.iterations}

    @classmethod
    def from_config(cls, config: dict, source=None) -> "TruncatedFermionSurrogate":
        return cls(fermion_from_config(config["fermion"]), source=source,
                   iterations=config.get("iterations", 6),
                   solver=SolverSettings(**config.get("solver", {})))

    def __repr__(self):
        return (f"TruncatedFermionSurrogate({self.fermion!r}, iterations={self.iterations}, "
                f"a={self.a})")


__all__ = ["TruncatedFermionSurrogate", "KrylovState"]

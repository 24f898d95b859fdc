"""Hybrid Monte Carlo (Duane, Kennedy, Pendleton, Roweth 1987).

One trajectory:
 1. draw momenta P = i sum_a p_a T_a, p_a ~ N(0, 1), and refresh the auxiliary
    fields of every action (pseudofermion heatbath);
 2. H0 = K(P) + S(U) with K = 1/2 <P, P> (docs/conventions.md, "Momenta");
 3. integrate the MD equations dU/dt = P U, dP/dt = -F(U) over tau with a
    reversible, area-preserving (nested) integrator;
 4. accept (U', P') with probability min(1, exp(-(H1 - H0))), else keep U.

Reversibility + area preservation + the Metropolis step make the chain exact
(detailed balance with respect to exp(-S)) for any step size.  Rounding drift
off the group is removed by reunitarising accepted links, outside the MD.
"""
from __future__ import annotations

import time

import numpy as np

from ..actions import ActionSum
from ..actions.fermion_spec import collect_cost, reset_cost
from ..integrators import Integrator


class HMC:
    """HMC update with an :class:`Integrator` over trajectory length ``tau``.

    ``md_action`` drives the molecular dynamics (the integrator's actions);
    ``accept_action`` (default: the same) enters the Metropolis test.  SLHMC
    passes a surrogate for the former and the true action for the latter.
    """

    def __init__(self, integrator: Integrator, tau: float = 1.0, accept_action=None):
        tau = float(tau)
        if not np.isfinite(tau) or tau <= 0:
            raise ValueError(f"trajectory length must be positive, got {tau}")
        self.integrator = integrator
        self.tau = tau
        # the MD actions need their own refresh only when a separate accept action is given
        # (SLHMC); Integrator.action builds a new ActionSum on every access, so this is a flag
        self._separate_accept = accept_action is not None
        self.accept_action = accept_action if accept_action is not None else integrator.action

    def _all_actions(self) -> list:
        acts = [self.accept_action]
        if self._separate_accept:
            acts.append(self.integrator.action)
        return acts

    def hamiltonian(self, field, mom) -> float:
        return field.group.kinetic(mom) + self.accept_action.value(field)

    def trajectory(self, field, rng: np.random.Generator, metropolis: bool = True) -> dict:
        """One trajectory, updating ``field`` in place.  Returns the log entry."""
        t0 = time.perf_counter()
        group = field.group
        actions = self._all_actions()
        for a in actions:
            reset_cost(a)
        mom = group.momenta(field.links.shape[:2], rng)
        self.accept_action.refresh(field, rng)
        if self._separate_accept:
            self.integrator.action.refresh(field, rng)
        h0 = self.hamiltonian(field, mom)
        old = field.links.copy()
        self.integrator.reset_stats()
        self.integrator.integrate(field, mom, self.tau)
        h1 = self.hamiltonian(field, mom)
        dh = h1 - h0
        # one uniform number per trajectory, drawn whether or not it is needed,
        # so that the random stream does not depend on the outcome
        r = rng.random()
        accepted = bool(np.isfinite(dh) and (not metropolis or r < np.exp(min(0.0, -dh))))
        if accepted:
            field.reunitarize()
        else:
            field.links[...] = old
        entry = {
            "delta_h": float(dh),
            "accepted": int(accepted),
            "plaquette": field.plaquette(),
            "seconds": time.perf_counter() - t0,
        }
        cost = collect_cost(ActionSum(actions))
        if cost["solves"]:
            entry.update(cost)
        for i, lv in enumerate(self.integrator.levels):
            entry[f"force{i}_mean"] = lv.stats.mean
            entry[f"force{i}_max"] = lv.stats.max
            entry[f"force{i}_feps"] = lv.stats.max_f_eps
        return entry

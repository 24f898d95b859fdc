"""Self-learning HMC (Nagai, Tomiya et al.; docs/slhmc.md).

One trajectory:

 1. momenta P and the pseudofermion field phi are drawn with the *true* action
    (phi = B eta, B B^dag = A of the true fermion operator);
 2. H0 = K(P) + S_gauge(U) + S_pf(U; phi)   (the true Hamiltonian);
 3. the molecular dynamics integrates dU/dt = P U, dP/dt = -F_eff(U) with the forces of the
    *surrogate* S_gauge + S_eff (any reversible, area-preserving nested integrator); phi is
    held fixed;
 4. accept with probability min(1, exp(-(H1 - H0))) computed with the true H.

Exactness.  For fixed phi the MD map Phi is reversible (Phi^-1 = R Phi R with the momentum
flip R) and area-preserving whatever force drives it, so the proposal U -> U' has a symmetric
density in (U, P) space and the Metropolis test with the true H gives detailed balance for
exp(-H_true(U, P; phi)); together with the Gibbs updates of P and phi the chain samples
exp(-S_gauge) det(A)^(nf/k) exactly.  A poor surrogate lowers the acceptance, never the
correctness.  The force need not be the gradient of any action, only a deterministic
function of (U, phi) (docs/slhmc.md, "Forces that are not gradients").  The expensive solves
drop from one per MD step to those of the two Metropolis actions (plus whatever the
surrogate needs); the surrogate's own value is never computed.

Shared solves.  When the surrogate is a truncated-CG force of the *same* operator
(:class:`lqcd_core.surrogate.TruncatedFermionSurrogate` at the true mass), the two Metropolis
solves and the surrogate's solves at the same links are one Krylov sequence: the H0 solve
passes through the k-th CG iterate at U0, which is the surrogate's force input there, and the
H1 solve continues the surrogate's k iterations at U1 (the last force evaluation of every
symmetric scheme is at the final links).  The values are those of ``action.value`` (CG from
zero to ``tol_action``) and the forces those of ``surrogate.force``, bit for bit, so the
chain is the same as without the sharing, only cheaper.
"""
from __future__ import annotations

import numpy as np

from ..actions import ActionSum
from ..integrators import Integrator
from .hmc import HMC


class SLHMC(HMC):
    """:class:`HMC` with MD actions ``gauge + surrogate`` and Metropolis actions
    ``gauge + fermions``; fermion actions that share the surrogate's operator are evaluated
    through :meth:`surrogate.metropolis_value` (module docstring, "Shared solves")."""

    def __init__(self, integrator: Integrator, tau: float, gauge_action, fermion_actions,
                 surrogate):
        accept = ActionSum([gauge_action] + list(fermion_actions))
        super().__init__(integrator, tau, accept_action=accept)
        self.gauge_action = gauge_action
        self.fermion_actions = list(fermion_actions)
        self.surrogate = surrogate
        shares = getattr(surrogate, "shares_operator", None)
        self._shared = [bool(shares and shares(a)) for a in self.fermion_actions]
        self._h_calls = 0

    def hamiltonian(self, field, mom) -> float:
        # HMC.trajectory evaluates H twice: at the start (H0) and at the end (H1)
        start = self._h_calls == 0
        self._h_calls += 1
        if not any(self._shared):
            return super().hamiltonian(field, mom)
        values = [self.gauge_action.value(field)]
        for a, shared in zip(self.fermion_actions, self._shared):
            values.append(self.surrogate.metropolis_value(a, field, start) if shared
                          else a.value(field))
        # the same sum as HMC.hamiltonian (kinetic + ActionSum.value)
        return field.group.kinetic(mom) + float(sum(values))

    def trajectory(self, field, rng: np.random.Generator, metropolis: bool = True) -> dict:
        self._h_calls = 0
        clear = getattr(self.surrogate, "clear", None)
        try:
            return super().trajectory(field, rng, metropolis)
        finally:
            if clear is not None:
                clear()


def slhmc(gauge_action, fermion_actions, surrogate, steps: int, inner_steps: int, scheme: str,
          tau: float = 1.0) -> SLHMC:
    """The SLHMC update: MD with ``gauge_action + surrogate``, Metropolis with
    ``gauge_action + fermion_actions``.

    The surrogate goes on the outer time scale (``steps`` per trajectory) and the gauge action
    inside (``inner_steps`` per outer step), like the fermions in HMC.  A surrogate that is a
    pure gauge action (e.g. :class:`lqcd_core.surrogate.LoopAction`) could share the inner
    level; keeping one layout for every surrogate makes their costs comparable.
    """
    if not fermion_actions:
        raise ValueError("SLHMC needs the true fermion action for the Metropolis test")
    integ = Integrator([([surrogate], int(steps), scheme), (gauge_action, int(inner_steps), scheme)])
    return SLHMC(integ, tau, gauge_action, fermion_actions, surrogate)

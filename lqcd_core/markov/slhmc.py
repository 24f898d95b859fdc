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
correctness.  The expensive solves drop from one per MD step to those of the heatbath and
the two Metropolis actions (plus whatever the surrogate needs).

The class is a thin layer over :class:`lqcd_core.markov.hmc.HMC`, whose ``accept_action``
keeps the true action apart from the integrator's actions.
"""
from __future__ import annotations

from ..actions import ActionSum
from ..integrators import Integrator
from .hmc import HMC


def slhmc(gauge_action, fermion_actions, surrogate, steps: int, inner_steps: int, scheme: str,
          tau: float = 1.0) -> HMC:
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
    accept = ActionSum([gauge_action] + list(fermion_actions))
    return HMC(integ, tau, accept_action=accept)

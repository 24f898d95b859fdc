"""Nested (multiple time scale) symplectic integrators, Sexton & Weingarten 1992.

An :class:`Integrator` is a list of levels from the outermost to the innermost.
Level i integrates over a time h with ``n_steps`` steps of its scheme; its
"link update" U(u_k e) is the link update itself on the innermost level and the
integration of level i+1 over u_k e on the others.  Expensive actions (fermions)
go on the outer level with few steps, cheap ones (gauge) inside with many.

Between two steps of a level the final momentum update of one step and the
first of the next act at the same links, so they are merged: a leapfrog step
costs one force evaluation, an Omelyan step two (docs/conventions.md,
"Integrators").
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

import numpy as np

from ..actions import Action, ActionSum
from ..group._kernels import update_links
from . import _kernels
from .schemes import Scheme, get_scheme


@dataclass
class ForceStats:
    """Per-level force diagnostics over a trajectory (Grid-style: mean, max, F*eps)."""

    evaluations: int = 0
    mean_sum: float = 0.0
    max: float = 0.0
    max_f_eps: float = 0.0

    def add(self, mean, mx, eps):
        self.evaluations += 1
        self.mean_sum += mean
        self.max = max(self.max, mx)
        self.max_f_eps = max(self.max_f_eps, mx * abs(eps))

    @property
    def mean(self) -> float:
        return self.mean_sum / self.evaluations if self.evaluations else 0.0


@dataclass
class Level:
    """One time scale: the actions integrated on it, the scheme and its steps per outer step."""

    action: Action
    n_steps: int
    scheme: Scheme
    stats: ForceStats = dc_field(default_factory=ForceStats)

    def __post_init__(self):
        if isinstance(self.action, (list, tuple)):
            self.action = ActionSum(self.action) if len(self.action) > 1 else self.action[0]
        self.scheme = get_scheme(self.scheme)
        if int(self.n_steps) < 1:
            raise ValueError(f"integrator steps must be >= 1, got {self.n_steps}")
        self.n_steps = int(self.n_steps)


class Integrator:
    """Nested symplectic integrator.

    Parameters
    ----------
    levels : list of Level or of (action, n_steps, scheme) tuples
        Outermost first.  On level i the step is h / (n_0 n_1 ... n_i)... i.e.
        the outer step divided by this level's ``n_steps``.
    diagnostics : bool
        Record force norms per level (cheap: one pass over each force).
    """

    def __init__(self, levels, diagnostics: bool = True):
        self.levels = [lv if isinstance(lv, Level) else Level(*lv) for lv in levels]
        if not self.levels:
            raise ValueError("an integrator needs at least one level")
        self.diagnostics = diagnostics

    @property
    def action(self) -> Action:
        """The total action: sum over the levels (enters H)."""
        acts = [lv.action for lv in self.levels]
        return acts[0] if len(acts) == 1 else ActionSum(acts)

    def reset_stats(self):
        for lv in self.levels:
            lv.stats = ForceStats()

    def describe(self) -> list:
        return [{"action": lv.action.params(), "n_steps": lv.n_steps, "scheme": lv.scheme.name}
                for lv in self.levels]

    # -- integration -------------------------------------------------------
    def integrate(self, field, mom: np.ndarray, tau: float) -> None:
        """Evolve (U, P) in place over MD time ``tau``."""
        self._level(0, field, mom, tau)

    def _force_step(self, lv: Level, field, mom, h):
        f = lv.action.force(field)
        if self.diagnostics:
            mean, mx = _kernels.force_norms(f, 1.0 / field.group.norm)
            lv.stats.add(mean, mx, h)
        _kernels.momentum_update(mom, f, h)

    def _link_step(self, i, field, mom, h):
        if i + 1 < len(self.levels):
            self._level(i + 1, field, mom, h)
        else:
            flat_u = field.links.reshape(-1, field.group.nc, field.group.nc)
            flat_p = mom.reshape(-1, field.group.nc, field.group.nc)
            update_links(flat_u, flat_p, h)

    def _level(self, i, field, mom, h):
        lv = self.levels[i]
        eps = h / lv.n_steps
        p, u = lv.scheme.p, lv.scheme.u
        pending = 0.0
        for _ in range(lv.n_steps):
            for k in range(len(u)):
                pending += p[k]
                self._force_step(lv, field, mom, pending * eps)
                pending = 0.0
                self._link_step(i, field, mom, u[k] * eps)
            pending += p[-1]
        self._force_step(lv, field, mom, pending * eps)

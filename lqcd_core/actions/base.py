"""The action interface shared by gauge, fermion and surrogate actions.

An action S[U] knows three things (docs/conventions.md, "Forces"):

* ``value(field)``    S[U] as a float,
* ``force(field)``    F = grad S, an algebra-valued array of the links' shape with
                      d/de S(exp(e X) U)|_{e=0} = <X, F> = -(1/c) Re sum tr(X F),
                      so that the MD equations are dU/dt = P U, dP/dt = -F;
* ``refresh(field, rng)``  draw auxiliary fields at the start of a trajectory
                      (pseudofermion heatbath); a no-op for gauge actions.

Actions add up: ``S1 + S2`` is an :class:`ActionSum` with summed value and force.
"""
from __future__ import annotations

import numpy as np


class Action:
    """Base class; subclasses implement ``value`` and ``force``."""

    name = "action"

    def value(self, field) -> float:
        raise NotImplementedError

    def force(self, field) -> np.ndarray:
        raise NotImplementedError

    def refresh(self, field, rng: np.random.Generator) -> None:
        """Draw auxiliary fields (pseudofermions) for a new trajectory; default: none."""

    def params(self) -> dict:
        """Parameters that define the action (stored in checkpoints)."""
        return {"name": self.name}

    def __add__(self, other: "Action") -> "ActionSum":
        left = self.actions if isinstance(self, ActionSum) else [self]
        right = other.actions if isinstance(other, ActionSum) else [other]
        return ActionSum(left + right)


class ActionSum(Action):
    """S = sum_i S_i."""

    name = "sum"

    def __init__(self, actions):
        self.actions = list(actions)
        if not self.actions:
            raise ValueError("an ActionSum needs at least one action")

    def value(self, field) -> float:
        return float(sum(a.value(field) for a in self.actions))

    def force(self, field) -> np.ndarray:
        out = self.actions[0].force(field)
        for a in self.actions[1:]:
            out = out + a.force(field)
        return out

    def refresh(self, field, rng) -> None:
        for a in self.actions:
            a.refresh(field, rng)

    def params(self) -> dict:
        return {"name": "sum", "actions": [a.params() for a in self.actions]}

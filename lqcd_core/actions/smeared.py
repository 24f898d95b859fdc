"""An action evaluated on smeared links: S_sm[U] = S[smear(U)].

The force is chained back to the thin links through the smearing's ``backward``
(docs/smearing.md, "Stout force"): with the smeared levels U = U^(0), ..., U^(n),

    F^(n) = grad S at U^(n),   F^(k) = backward_k(U^(k), F^(k+1)),   force = F^(0),

which is d/de S[smear(exp(e X) U)]|_0 = <X, force> in the conventions of
docs/conventions.md.  Only differentiable smearings (those with ``backward``, i.e.
:class:`lqcd_core.smearing.Stout`) provide a force; APE and HYP (with their group
projections) give values only.
"""
from __future__ import annotations

import numpy as np

from .base import Action


class SmearedAction(Action):
    """``action`` evaluated on ``smearing(field)``; force by the chain rule."""

    name = "smeared"

    def __init__(self, action: Action, smearing):
        if not isinstance(action, Action):
            raise TypeError(f"action must be an Action, got {type(action).__name__}")
        if not callable(getattr(smearing, "forward", None)):
            raise TypeError(f"smearing must provide forward(field), got {type(smearing).__name__}")
        self.action = action
        self.smearing = smearing

    def smeared(self, field):
        """The smeared field (a new GaugeField)."""
        return self.smearing.smear(field)

    def value(self, field) -> float:
        return float(self.action.value(self.smearing.smear(field)))

    def force(self, field) -> np.ndarray:
        backward = getattr(self.smearing, "backward", None)
        if backward is None:
            raise NotImplementedError(
                f"{type(self.smearing).__name__} smearing is not differentiable (no backward); "
                "use Stout smearing for actions in molecular dynamics")
        levels = self.smearing.forward(field)
        f = self.action.force(levels[-1])
        return backward(field, f, levels=levels)

    def refresh(self, field, rng: np.random.Generator) -> None:
        """Auxiliary fields (pseudofermions) are drawn on the smeared links."""
        self.action.refresh(self.smearing.smear(field), rng)

    def params(self) -> dict:
        sm = self.smearing.params() if hasattr(self.smearing, "params") else {"name": repr(self.smearing)}
        return {"name": self.name, "action": self.action.params(), "smearing": sm}

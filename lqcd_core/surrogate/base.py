"""Trainable surrogate actions for self-learning HMC (docs/slhmc.md).

A surrogate S_eff[U] (or S_eff[U; phi], sharing the pseudofermion field of the true action)
drives the molecular dynamics of SLHMC; the Metropolis test uses the true action, so the
chain is exact whatever S_eff is.  Every surrogate is an :class:`lqcd_core.actions.Action`
(value, force, refresh) and in addition has trainable parameters:

``parameters()``          the flat float64 vector theta (a copy),
``set_parameters(theta)`` replace theta,
``to_dict()``             JSON-able description: ``{"kind": ..., "config": {...}, "theta": [...]}``
                          from which :func:`lqcd_core.surrogate.from_dict` rebuilds the model,
``kind``                  registry name (``loops``, ``heavy``, ``neural``).

Surrogates that use the pseudofermion field of the true action take that action (an
object with attribute ``phi``) as ``source``; their ``refresh`` does nothing, the true
action draws phi.  Models are stored in HDF5 with :func:`lqcd_core.surrogate.io.save_model`.
"""
from __future__ import annotations

import numpy as np

from ..actions import Action


class Surrogate(Action):
    """Base class of trainable surrogate actions."""

    kind = "surrogate"
    name = "surrogate"

    def parameters(self) -> np.ndarray:
        raise NotImplementedError

    def set_parameters(self, theta) -> None:
        raise NotImplementedError

    def config(self) -> dict:
        """JSON-able constructor arguments (without theta)."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"kind": self.kind, "config": self.config(),
                "theta": [float(v) for v in np.asarray(self.parameters(), float).ravel()]}

    def params(self) -> dict:
        return {"name": self.name, **self.to_dict()}


REGISTRY: dict = {}


def register(cls):
    """Class decorator: make ``cls`` constructible by :func:`from_dict` under ``cls.kind``."""
    REGISTRY[cls.kind] = cls
    return cls


def from_dict(d: dict, source=None) -> Surrogate:
    """Rebuild a surrogate from :meth:`Surrogate.to_dict` (``source``: the true fermion action
    whose pseudofermion field the surrogate shares, if it needs one)."""
    kind = d.get("kind")
    if kind not in REGISTRY:
        raise ValueError(f"unknown surrogate kind {kind!r}; known: {', '.join(sorted(REGISTRY))}")
    cls = REGISTRY[kind]
    model = cls.from_config(d.get("config", {}), source=source)
    model.set_parameters(np.asarray(d["theta"], float))
    return model

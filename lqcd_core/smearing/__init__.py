"""Gauge-link smearing: APE, stout (differentiable, with its force chain rule) and HYP,
plus the projection onto SU(N) / U(1).  Formulas and references: docs/smearing.md.

Every smearing is an object with

* ``smear(field)`` (or ``smearing(field)``): a new :class:`GaugeField`, the input untouched;
* ``forward(field)``: the list [thin, level 1, ..., level n] of all intermediate fields;
* ``params()``: the parameters as a dict (for checkpoints and logs);

and :class:`Stout` in addition ``backward(thin_field, force_on_smeared, levels=None)``,
the force on the thin links, which :class:`lqcd_core.actions.smeared.SmearedAction` uses.
"""
from .ape import APE
from .base import Smearing
from .hyp import HYP
from .projection import project
from .stout import Stout, stout_backward, stout_step

__all__ = ["Smearing", "APE", "Stout", "HYP", "project", "stout_step", "stout_backward"]

"""Actions with one interface: value, force (= gradient), refresh; they add up."""
from .base import Action, ActionSum
from .gauge import C1, GaugeAction
from .smeared import SmearedAction

__all__ = ["Action", "ActionSum", "GaugeAction", "C1", "SmearedAction"]

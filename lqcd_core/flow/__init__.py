"""Gradient flow (Wilson, Symanzik, Zeuthen; Lüscher's RK3, adaptive steps) and the scales t0, w0."""
from .gradient_flow import KINDS, GradientFlow
from .history import FlowError, default_reference, energy_plaquette, flow_history, t0_from, w0_from
from .scale import scale_setting

__all__ = ["GradientFlow", "KINDS", "FlowError", "energy_plaquette", "flow_history", "t0_from", "w0_from",
           "default_reference", "scale_setting"]

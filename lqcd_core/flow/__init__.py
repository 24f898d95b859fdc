"""Gradient flow (Wilson, Symanzik, Zeuthen; Lüscher's RK3, adaptive steps) and the scales t0, w0."""
from .gradient_flow import KINDS, GradientFlow
from .history import FlowError, energy_plaquette, flow_history, t0_from, w0_from

__all__ = ["GradientFlow", "KINDS", "FlowError", "energy_plaquette", "flow_history", "t0_from", "w0_from"]

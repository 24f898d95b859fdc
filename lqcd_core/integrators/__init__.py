"""Symplectic integrators: schemes as data, nested into multiple time scales."""
from .nested import ForceStats, Integrator, Level
from .schemes import OMELYAN_LAMBDA, SCHEMES, Scheme, get_scheme

__all__ = ["Integrator", "Level", "ForceStats", "Scheme", "SCHEMES", "get_scheme", "OMELYAN_LAMBDA"]

"""Gauge-invariant observables measured on configurations."""
from .polyakov import polyakov_loop, polyakov_loops

__all__ = ["polyakov_loop", "polyakov_loops"]

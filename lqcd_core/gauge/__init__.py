"""Gauge field container and Wilson-loop kernels (plaquettes, staples)."""
from .field import GaugeField

__all__ = ["GaugeField"]

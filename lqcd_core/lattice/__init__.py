"""Lattice geometry: extents, site indexing, neighbour tables, even/odd sets."""
from .geometry import Lattice

__all__ = ["Lattice"]

"""Gauge groups U(1), SU(2), SU(3) and SU(N): Haar measure, exact exponential,
reunitarisation, algebra projection and Gaussian momenta.

Normalisations: docs/conventions.md, "Groups and algebras".
"""
from .groups import SU2, SU3, U1, Group, get_group

__all__ = ["Group", "get_group", "U1", "SU2", "SU3"]

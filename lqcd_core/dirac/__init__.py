"""Dirac operators: Wilson(-clover) and staggered, full and even-odd, in D = 2 and 4.

``Wilson(...)`` / ``Staggered(...)`` hold parameters; ``bind(field)`` returns the operator
on a gauge field with the interface of :class:`DiracOperator` (docs/fermions.md,
normalisations in docs/conventions.md "Fermions").
"""
from .base import DiracOperator, Fermion, check_dimension
from .gamma import gamma5, gammas, n_spin, sigma
from .staggered import Staggered, StaggeredEOOperator, StaggeredOperator, epsilon, eta_phases
from .wilson import Wilson, WilsonEOOperator, WilsonOperator

__all__ = ["DiracOperator", "Fermion", "check_dimension", "gammas", "gamma5", "sigma", "n_spin",
           "Wilson", "WilsonOperator", "WilsonEOOperator",
           "Staggered", "StaggeredOperator", "StaggeredEOOperator", "eta_phases", "epsilon"]

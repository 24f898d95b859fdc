"""Shared checks of molecular-dynamics integrators (used by the surrogate tests)."""
import numpy as np


def assert_md_reversible(integ, field, tau=0.5, seed=8, moved=1e-2, tol=1e-9):
    """Integrate (U, P) for time tau, flip P, integrate again: back to (U, -P) within tol, after
    a first leg that moved the links by more than ``moved`` (so the check can fail)."""
    mom = field.group.momenta(field.links.shape[:2], np.random.default_rng(seed))
    g, p = field.copy(), mom.copy()
    integ.integrate(g, p, tau)
    assert np.abs(g.links - field.links).max() > moved
    p *= -1
    integ.integrate(g, p, tau)
    assert np.abs(g.links - field.links).max() < tol
    assert np.abs(p + mom).max() < tol

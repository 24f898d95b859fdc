"""Shared helpers of the surrogate tests: rough gauge fields and the reversibility check of a
molecular-dynamics integrator."""
import numpy as np

from lqcd_core.gauge import GaugeField
from lqcd_core.lattice import Lattice


def rough_field(extents, group, seed, spread=0.5):
    """A random field near the identity: U = exp(spread * P) with Gaussian algebra elements P."""
    rng = np.random.default_rng(seed)
    f = GaugeField.cold(Lattice(extents), group)
    f.links[...] = f.group.exp(f.group.momenta(f.links.shape[:2], rng) * spread)
    return f


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

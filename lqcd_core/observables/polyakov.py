"""Polyakov loops: traced products of the links along one direction.

    P_mu(x_perp) = (1/n) tr prod_{k=0}^{L_mu - 1} U_mu(x_perp + k mu),

averaged over the sites of the hyperplane x_mu = 0.  Under a gauge
transformation the product is conjugated by g(x_perp), so the trace is gauge
invariant; under a centre transformation it picks up a phase (order parameter
of deconfinement, direction D-1 = time by default).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..group._linalg import copy_to, mul_nn


@njit(parallel=True, cache=True)
def _polyakov_sum(u, fwd, mu, starts, length):
    n = u.shape[2]
    acc = np.zeros(starts.shape[0], np.complex128)
    for i in prange(starts.shape[0]):
        p = np.empty((n, n), np.complex128)
        t = np.empty((n, n), np.complex128)
        x = starts[i]
        copy_to(p, u[mu, x])
        for _ in range(length - 1):
            x = fwd[mu, x]
            mul_nn(p, u[mu, x], t)
            copy_to(p, t)
        s = 0j
        for a in range(n):
            s += p[a, a]
        acc[i] = s / n
    return acc


def polyakov_loops(field, mu: int | None = None) -> np.ndarray:
    """Per-site Polyakov loops (1/n) tr prod U_mu over the hyperplane x_mu = 0 (complex array)."""
    lat = field.lattice
    mu = lat.ndim - 1 if mu is None else int(mu)
    if not 0 <= mu < lat.ndim:
        raise ValueError(f"direction {mu} out of range for a {lat.ndim}D lattice")
    starts = np.flatnonzero(lat.coords[:, mu] == 0).astype(np.int64)
    return _polyakov_sum(field.links, lat.fwd, mu, starts, lat.extents[mu])


def polyakov_loop(field, mu: int | None = None) -> complex:
    """Average Polyakov loop in direction ``mu`` (default: time, D-1)."""
    return complex(polyakov_loops(field, mu).mean())

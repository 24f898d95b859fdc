"""Numba kernels of the molecular dynamics: momentum update and force norms."""
import math

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def momentum_update(p, f, h):
    """p -= h f, in place, over a flat view of the link arrays."""
    pf = p.reshape(-1)
    ff = f.reshape(-1)
    for k in prange(pf.shape[0]):
        pf[k] -= h * ff[k]


@njit(parallel=True, cache=True)
def force_norms(f, inv_c):
    """(mean, max) over links of |F| = sqrt(<F, F>) = sqrt(sum |F_ij|^2 / c)."""
    m = f.shape[0] * f.shape[1]
    ff = f.reshape(m, f.shape[2] * f.shape[3])
    norms = np.empty(m)
    for k in prange(m):
        s = 0.0
        for j in range(ff.shape[1]):
            s += ff[k, j].real ** 2 + ff[k, j].imag ** 2
        norms[k] = math.sqrt(s * inv_c)
    return norms.mean(), norms.max()

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


def polyakov_loop_directions(field) -> np.ndarray:
    """(D,) complex array: the average Polyakov loop in every direction mu = 0..D-1."""
    return np.array([polyakov_loop(field, mu) for mu in range(field.lattice.ndim)], np.complex128)


def polyakov(field) -> dict:
    """Polyakov loops: polyakov_re/_im/_abs (time), polyakov{mu}_re/_im/_abs (every mu).

    ``polyakov_re``, ``polyakov_im``, ``polyakov_abs``: the temporal loop (direction D-1),
    as in the pipeline's measurement table; ``polyakov{mu}_re/_im/_abs`` for every
    direction mu = 0..D-1 (|P| of the configuration average, not the average of |P(x)|).
    """
    res = {}
    ps = polyakov_loop_directions(field)
    d = field.lattice.ndim
    for key, p in [("polyakov", ps[d - 1])] + [(f"polyakov{mu}", ps[mu]) for mu in range(d)]:
        res[f"{key}_re"] = float(p.real)
        res[f"{key}_im"] = float(p.imag)
        res[f"{key}_abs"] = float(abs(p))
    return res


def polyakov_susceptibility(values, volume: int, kind: str = "abs") -> float:
    """Polyakov-loop susceptibility from a series of configuration averages P_i.

    ``volume`` is the number of loops averaged per configuration (the spatial volume
    L_0 ... L_{D-2} for the temporal loop).

    kind = 'abs'  (default): chi = V (<|P|^2> - <|P|>^2)
           'full'          : chi = V (<|P|^2> - |<P>|^2)
           'real'          : chi = V (<(Re P)^2> - <Re P>^2)

    The series may be complex (P) or real (|P| for 'abs', Re P for 'real').
    Plain sample moments (divided by the number of values); errors need
    a jackknife over this function (lqcd_core.analysis).
    """
    v = np.asarray(values)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"need a non-empty 1-D series of Polyakov loops, got shape {v.shape}")
    if int(volume) <= 0:
        raise ValueError(f"volume must be positive, got {volume}")
    if kind == "abs":
        a = np.abs(v)
        return float(volume * (np.mean(a * a) - np.mean(a) ** 2))
    if kind == "full":
        return float(volume * (np.mean(np.abs(v) ** 2) - abs(np.mean(v)) ** 2))
    if kind == "real":
        r = np.real(v).astype(float)
        return float(volume * (np.mean(r * r) - np.mean(r) ** 2))
    raise ValueError(f"unknown susceptibility kind {kind!r}; choose abs, full or real")

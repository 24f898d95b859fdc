"""Stout smearing (Morningstar & Peardon, PRD 69 (2004) 054501) and its force chain rule.

One level (docs/smearing.md, "Stout"):

    C_mu(x) = sum_{nu != mu} rho_{mu nu} S_{mu nu}(x),      Omega = C_mu(x) U_mu(x)^dag,
    iQ = TA(Omega) = (Omega - Omega^dag)/2 - tr(Omega - Omega^dag)/(2N),
    U'_mu(x) = exp(iQ) U_mu(x),

with the staples S_{mu nu} oriented like U_mu(x).  exp(iQ) is exact (Cayley-Hamilton for
SU(3), closed forms for SU(2) and U(1)), so U' is in the group without projection and is
a differentiable function of U.

Chain rule.  Given the force F' on the smeared links (d/de S(exp(e X) U')|_0 = <X, F'>),
:func:`stout_backward` returns the force F on the thin links (the algebra form of
Morningstar & Peardon eqs. (72)-(75); derivation in docs/smearing.md, "Stout force").
"""
from __future__ import annotations

import numpy as np

from ..gauge import GaugeField
from .base import Smearing, _direction_mask, _fat_sum, _per_level
from . import _stout_kernels as K


def _rho_matrix(rho, ndim: int) -> np.ndarray:
    """A scalar rho or a (D, D) matrix -> contiguous (D, D) float matrix, zero diagonal."""
    arr = np.asarray(rho, dtype=float)
    if arr.ndim == 0:
        m = np.full((ndim, ndim), float(arr))
    elif arr.shape == (ndim, ndim):
        m = arr.copy()
    else:
        raise ValueError(f"rho must be a number or a ({ndim}, {ndim}) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"rho must be finite, got {rho!r}")
    np.fill_diagonal(m, 0.0)
    return np.ascontiguousarray(m)


def _check_force(field, force) -> np.ndarray:
    force = np.ascontiguousarray(force, dtype=np.complex128)
    if force.shape != field.links.shape:
        raise ValueError(f"force has shape {force.shape}, expected the links' shape {field.links.shape}")
    return force


def _staple_sums(field, m):
    """C_mu = sum_nu rho[mu, nu] S_{mu nu} (zero rows stay zero) and the active directions."""
    lat = field.lattice
    nd = lat.ndim
    active = np.array([bool(np.any(m[mu] != 0.0)) for mu in range(nd)])
    terms = [[(nu, mu, nu, m[mu, nu]) for nu in range(nd) if m[mu, nu] != 0.0] for mu in range(nd)]
    c = _fat_sum(field.links, field.links, lat, list(range(nd)), [0.0] * nd, terms)
    return c, active


def stout_step(field, rho) -> GaugeField:
    """One stout level with weight ``rho`` (number, or (D, D) matrix rho[mu, nu]); a new field."""
    m = _rho_matrix(rho, field.lattice.ndim)
    c, active = _staple_sums(field, m)
    out = np.empty_like(field.links)
    K.stout_apply(field.links, c, active, out)
    return GaugeField(field.lattice, field.group, out)


def stout_backward(thin_field, force_on_smeared, rho) -> np.ndarray:
    """Force on the thin links of one stout level (weight ``rho``) from the force on its output.

    ``thin_field`` is the input of the level; ``force_on_smeared`` is F' = grad S at the
    smeared field (shape (D, V, n, n), algebra valued).  Returns F = grad (S o stout) at
    ``thin_field``.
    """
    lat = thin_field.lattice
    m = _rho_matrix(rho, lat.ndim)
    fp = _check_force(thin_field, force_on_smeared)
    u = thin_field.links
    c, active = _staple_sums(thin_field, m)
    r0 = np.empty_like(u)
    z = np.empty_like(u)
    out = np.empty_like(u)
    K.stout_prepare(u, c, fp, active, r0, z)
    K.stout_chain(u, lat.fwd, lat.bwd, m, r0, z, out)
    return out


class Stout(Smearing):
    """Stout smearing with n levels, differentiable (``backward``).

    Parameters
    ----------
    rho : float, sequence of float, (D, D) array or sequence of (D, D) arrays
        The weight rho (isotropic), one weight per level, a matrix rho[mu, nu] (weight of
        the staples in direction nu for the links in direction mu; the diagonal is
        ignored), or one matrix per level.
    n_levels : int, optional
        Number of levels (default 1, or the number of per-level values).
    directions : sequence of int, optional
        Directions of the links that are smeared (rows of rho; default all).
    staple_directions : sequence of int, optional
        Directions the staples may use (columns of rho).  Default: ``directions``
        (all directions if ``directions`` is None).
    spatial : bool
        Shorthand for ``directions = staple_directions = (0, ..., D-2)``.
    """

    name = "stout"

    def __init__(self, rho, n_levels: int | None = None, directions=None,
                 staple_directions=None, spatial: bool = False):
        arr = np.asarray(rho, dtype=float)
        if arr.ndim <= 1:
            self._scalars, self.n_levels = _per_level(rho, n_levels, "rho")
            self._matrices = None
        elif arr.ndim in (2, 3):
            mats = [arr] if arr.ndim == 2 else list(arr)
            if arr.shape[-1] != arr.shape[-2]:
                raise ValueError(f"rho matrices must be square, got shape {arr.shape}")
            if arr.ndim == 2 and n_levels is not None:
                mats = mats * int(n_levels)
            elif n_levels is not None and int(n_levels) != len(mats):
                raise ValueError(f"rho has {len(mats)} per-level matrices but n_levels = {n_levels}")
            if not np.all(np.isfinite(arr)):
                raise ValueError("rho must be finite")
            self._scalars = None
            self._matrices = [np.array(m, dtype=float) for m in mats]
            self.n_levels = len(mats)
        else:
            raise ValueError(f"rho has too many dimensions ({arr.ndim})")
        if spatial and (directions is not None or staple_directions is not None):
            raise ValueError("give either spatial=True or directions/staple_directions, not both")
        self.spatial = bool(spatial)
        self.directions = None if directions is None else tuple(int(d) for d in directions)
        if staple_directions is None:
            staple_directions = self.directions
        self.staple_directions = (None if staple_directions is None
                                  else tuple(int(d) for d in staple_directions))

    def rho_matrix(self, ndim: int, k: int) -> np.ndarray:
        """The (D, D) weights rho[mu, nu] of level k, with the direction restrictions applied."""
        if self._matrices is not None:
            m = _rho_matrix(self._matrices[k], ndim)
        else:
            m = _rho_matrix(self._scalars[k], ndim)
        if self.spatial:
            dirs = tuple(range(ndim - 1))
            smear = _direction_mask(dirs, ndim, "directions")
            staple = smear
        else:
            smear = _direction_mask(self.directions, ndim, "directions")
            staple = _direction_mask(self.staple_directions, ndim, "staple_directions")
        m[~smear, :] = 0.0
        m[:, ~staple] = 0.0
        return m

    def _level(self, field, k: int):
        return stout_step(field, self.rho_matrix(field.lattice.ndim, k))

    def backward(self, thin_field, force_on_smeared, levels=None) -> np.ndarray:
        """Force on the thin links from the force on the smeared links (all levels).

        ``levels`` is the list returned by ``forward(thin_field)``; it is recomputed if
        not given.
        """
        if levels is None:
            levels = self.forward(thin_field)
        if len(levels) != self.n_levels + 1:
            raise ValueError(f"expected {self.n_levels + 1} fields from forward(), got {len(levels)}")
        if levels[0] is not thin_field and not np.array_equal(levels[0].links, thin_field.links):
            raise ValueError("levels[0] is not the thin field: pass the list from forward(thin_field)")
        f = _check_force(thin_field, force_on_smeared)
        ndim = thin_field.lattice.ndim
        for k in reversed(range(self.n_levels)):
            f = stout_backward(levels[k], f, self.rho_matrix(ndim, k))
        return f

    def params(self) -> dict:
        rho = (list(self._scalars) if self._matrices is None
               else [m.tolist() for m in self._matrices])
        return {"name": self.name, "rho": rho, "n_levels": self.n_levels,
                "directions": None if self.directions is None else list(self.directions),
                "staple_directions": (None if self.staple_directions is None
                                      else list(self.staple_directions)),
                "spatial": self.spatial}

    def __repr__(self):
        rho = self._scalars if self._matrices is None else "matrix"
        return f"Stout(rho={rho}, n_levels={self.n_levels})"

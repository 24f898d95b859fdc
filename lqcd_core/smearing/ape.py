"""APE smearing (Albanese et al., Phys. Lett. B 192 (1987) 163).

One level (docs/smearing.md, "APE"):

    V_mu(x) = Proj[ (1 - alpha) U_mu(x) + alpha / (2 n_mu) sum_{nu} S_{mu nu}(x) ]

for the smeared directions mu, with the staples S_{mu nu} (oriented like U_mu(x)) of the
n_mu allowed staple directions nu != mu (n_mu = D - 1 when all are allowed: alpha/6 in
4D); the other links are copied.  Proj is the projection of
:mod:`lqcd_core.smearing.projection`.
"""
from __future__ import annotations

import numpy as np

from ..gauge import GaugeField
from .base import Smearing, _direction_mask, _fat_sum, _per_level, _project_into


class APE(Smearing):
    """APE smearing with n levels.

    Parameters
    ----------
    alpha : float or sequence of float
        Smearing weight, or one weight per level.
    n_levels : int, optional
        Number of levels (default 1, or the length of ``alpha``).
    directions : sequence of int, optional
        Directions of the links that are smeared (default: all).
    staple_directions : sequence of int, optional
        Directions the staples may use.  Default: ``directions`` (so ``directions=(0, 1, 2)``
        is the usual spatial smearing with spatial staples), all directions if
        ``directions`` is None.
    spatial : bool
        Shorthand for ``directions = staple_directions = (0, ..., D-2)``.
    """

    name = "ape"

    def __init__(self, alpha, n_levels: int | None = None, directions=None,
                 staple_directions=None, spatial: bool = False):
        self.alphas, self.n_levels = _per_level(alpha, n_levels, "alpha")
        if spatial and (directions is not None or staple_directions is not None):
            raise ValueError("give either spatial=True or directions/staple_directions, not both")
        self.spatial = bool(spatial)
        self.directions = None if directions is None else tuple(int(d) for d in directions)
        if staple_directions is None:
            staple_directions = self.directions
        self.staple_directions = (None if staple_directions is None
                                  else tuple(int(d) for d in staple_directions))

    def masks(self, ndim: int):
        """(smeared directions, staple directions) as boolean masks for D = ndim."""
        if self.spatial:
            dirs = tuple(range(ndim - 1))
            return _direction_mask(dirs, ndim, "directions"), _direction_mask(dirs, ndim, "directions")
        return (_direction_mask(self.directions, ndim, "directions"),
                _direction_mask(self.staple_directions, ndim, "staple_directions"))

    def weights(self, ndim: int, alpha: float):
        """(c_self[mu], w[mu, nu], smear[mu]) of one level: W = c_self U + sum_nu w S."""
        smear, staple = self.masks(ndim)
        c_self = np.ones(ndim)
        w = np.zeros((ndim, ndim))
        for mu in range(ndim):
            if not smear[mu]:
                continue
            nus = [nu for nu in range(ndim) if nu != mu and staple[nu]]
            if not nus:
                raise ValueError(f"APE: direction {mu} is smeared but has no allowed staple direction")
            c_self[mu] = 1.0 - alpha
            w[mu, nus] = alpha / (2.0 * len(nus))
        return c_self, w, smear

    def _level(self, field, k: int):
        lat = field.lattice
        c_self, w, smear = self.weights(lat.ndim, self.alphas[k])
        u = field.links
        out = u.copy()
        mus = [mu for mu in range(lat.ndim) if smear[mu]]
        terms = [[(nu, mu, nu, w[mu, nu]) for nu in range(lat.ndim) if w[mu, nu] != 0.0] for mu in mus]
        if mus:
            fat = _fat_sum(u, u, lat, mus, [c_self[mu] for mu in mus], terms)
            proj = _project_into(fat, np.empty_like(fat))
            out[mus] = proj
        return GaugeField(lat, field.group, out)

    def params(self) -> dict:
        return {"name": self.name, "alpha": list(self.alphas), "n_levels": self.n_levels,
                "directions": None if self.directions is None else list(self.directions),
                "staple_directions": (None if self.staple_directions is None
                                      else list(self.staple_directions)),
                "spatial": self.spatial}

    def __repr__(self):
        return f"APE(alpha={self.alphas}, n_levels={self.n_levels})"

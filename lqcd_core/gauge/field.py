"""The gauge field: links U_mu(x) of a group on a lattice.

``GaugeField.links`` is a C-contiguous complex128 array of shape (D, V, n, n)
(docs/conventions.md, "Lattice and site ordering").  The class is a thin
container; kernels take the raw arrays.
"""
from __future__ import annotations

import numpy as np

from ..group import Group, get_group
from ..lattice import Lattice
from . import _loops


class GaugeField:
    """Links of ``group`` on ``lattice``."""

    def __init__(self, lattice: Lattice, group, links: np.ndarray | None = None):
        self.lattice = lattice if isinstance(lattice, Lattice) else Lattice(lattice)
        self.group: Group = get_group(group)
        shape = (self.lattice.ndim, self.lattice.volume, self.group.nc, self.group.nc)
        if links is None:
            links = self.group.identity(shape[:2])
        links = np.ascontiguousarray(links, dtype=np.complex128)
        if links.shape != shape:
            raise ValueError(f"links have shape {links.shape}, expected {shape} "
                             f"for {self.group.name} on {self.lattice}")
        self.links = links

    # -- starts ------------------------------------------------------------
    @classmethod
    def cold(cls, lattice, group) -> "GaugeField":
        """All links = 1 (plaquette 1)."""
        return cls(lattice, group)

    @classmethod
    def hot(cls, lattice, group, rng: np.random.Generator) -> "GaugeField":
        """Independent Haar-random links (strong-coupling limit, plaquette ~ 0)."""
        lat = lattice if isinstance(lattice, Lattice) else Lattice(lattice)
        g = get_group(group)
        return cls(lat, g, g.random((lat.ndim, lat.volume), rng))

    def copy(self) -> "GaugeField":
        return GaugeField(self.lattice, self.group, self.links.copy())

    # -- basic observables ---------------------------------------------------
    def plaquette_planes(self) -> np.ndarray:
        """(D, D) array, [mu, nu] for mu < nu: average Re tr U_{mu nu} / n over sites."""
        sums = _loops.plaquette_planes(self.links, self.lattice.fwd)
        return sums / (self.lattice.volume * self.group.nc)

    def plaquette(self) -> float:
        """<P> = average over all plaquettes of Re tr U_P / n (1 on the unit field)."""
        sums = _loops.plaquette_planes(self.links, self.lattice.fwd)
        return float(sums.sum() / (self.lattice.n_plaquettes * self.group.nc))

    def plaquette_st(self) -> tuple[float, float]:
        """(spatial, temporal) average plaquettes; 'temporal' planes contain direction D-1."""
        p = self.plaquette_planes()
        d = self.lattice.ndim
        iu = np.triu_indices(d, 1)
        temporal = iu[1] == d - 1
        vals = p[iu]
        ps = float(vals[~temporal].mean()) if (~temporal).any() else float("nan")
        return ps, float(vals[temporal].mean())

    def link_trace(self) -> float:
        """Average of Re tr U / n over all links."""
        return float(np.einsum("mxii->", self.links).real / (self.links.shape[0] * self.links.shape[1] * self.group.nc))

    def reunitarize(self) -> None:
        self.group.reunitarize(self.links)

    def unitarity_violation(self) -> float:
        """max |U U^dag - 1| over links."""
        u = self.links
        return float(np.abs(np.einsum("mxij,mxkj->mxik", u, u.conj()) - np.eye(self.group.nc)).max())

    def gauge_transform(self, g: np.ndarray) -> "GaugeField":
        """U_mu(x) -> g(x) U_mu(x) g(x+mu)^dag for site matrices g of shape (V, n, n)."""
        fwd = self.lattice.fwd
        new = np.einsum("xij,mxjk,mxlk->mxil", g, self.links, g[fwd].conj())
        return GaugeField(self.lattice, self.group, new)

    def __repr__(self):
        return f"GaugeField({self.group.name}, {self.lattice})"

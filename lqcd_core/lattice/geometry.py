"""Periodic hypercubic lattices in D = 2, 3, 4 dimensions.

Site ordering (docs/conventions.md, "Lattice and site ordering"): a site with
coordinates (x_0, ..., x_{D-1}) has the index

    i = x_0 + L_0 (x_1 + L_1 (x_2 + L_2 x_3)),

so x_0 runs fastest and the last direction (D-1, "time") slowest.  This is the
order of the NERSC, ILDG and MILC file formats (x fastest, t slowest), so I/O
needs no reshuffling.  Links are stored as an array ``U[mu, i, a, b]``.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np


class Lattice:
    """A periodic hypercubic lattice with neighbour tables and a checkerboard.

    Parameters
    ----------
    extents : sequence of int
        L_0, ..., L_{D-1}; D in {2, 3, 4}, every extent even and >= 2.
    """

    def __init__(self, extents):
        ext = tuple(int(e) for e in extents)
        if not 2 <= len(ext) <= 4:
            raise ValueError(f"lattice must have 2, 3 or 4 dimensions, got {len(ext)} ({ext})")
        for mu, e in enumerate(ext):
            if e < 2 or e % 2:
                raise ValueError(
                    f"lattice extent L_{mu} = {e} must be even and >= 2 "
                    "(the checkerboard decomposition needs even extents)")
        self.extents = ext

    # -- basic sizes -------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.extents)

    @property
    def volume(self) -> int:
        return int(np.prod(self.extents))

    @property
    def n_plaquettes(self) -> int:
        """Number of oriented plaquettes x, mu < nu."""
        return self.volume * self.ndim * (self.ndim - 1) // 2

    def __repr__(self):
        return f"Lattice({'x'.join(map(str, self.extents))})"

    def __eq__(self, other):
        return isinstance(other, Lattice) and other.extents == self.extents

    def __hash__(self):
        return hash(self.extents)

    # -- coordinates -------------------------------------------------------
    @cached_property
    def coords(self) -> np.ndarray:
        """(V, D) int64 array of site coordinates, row i is the site with index i."""
        grids = np.indices(self.extents[::-1]).reshape(self.ndim, -1)[::-1]
        return np.ascontiguousarray(grids.T.astype(np.int64))

    def index(self, coord) -> np.ndarray:
        """Site index of coordinates (..., D), taken modulo the extents."""
        c = np.asarray(coord, dtype=np.int64) % np.asarray(self.extents)
        idx = np.zeros(c.shape[:-1], dtype=np.int64)
        for mu in reversed(range(self.ndim)):
            idx = idx * self.extents[mu] + c[..., mu]
        return idx

    # -- neighbour tables --------------------------------------------------
    @cached_property
    def fwd(self) -> np.ndarray:
        """(D, V) int64: fwd[mu, i] is the index of i + mu-hat."""
        return self._shift(+1)

    @cached_property
    def bwd(self) -> np.ndarray:
        """(D, V) int64: bwd[mu, i] is the index of i - mu-hat."""
        return self._shift(-1)

    def _shift(self, step):
        tab = np.empty((self.ndim, self.volume), dtype=np.int64)
        for mu in range(self.ndim):
            c = self.coords.copy()
            c[:, mu] += step
            tab[mu] = self.index(c)
        return tab

    # -- checkerboard ------------------------------------------------------
    @cached_property
    def parity(self) -> np.ndarray:
        """(V,) int8: (sum_mu x_mu) mod 2; 0 = even, 1 = odd."""
        return (self.coords.sum(axis=1) % 2).astype(np.int8)

    @cached_property
    def even_sites(self) -> np.ndarray:
        return np.flatnonzero(self.parity == 0).astype(np.int64)

    @cached_property
    def odd_sites(self) -> np.ndarray:
        return np.flatnonzero(self.parity == 1).astype(np.int64)

    def checkerboard(self, parity: int) -> np.ndarray:
        """Site indices of the given parity (0 even, 1 odd)."""
        return self.even_sites if parity == 0 else self.odd_sites

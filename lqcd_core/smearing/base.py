"""Shared parts of the smearings: the Smearing base class, per-level parameters, fat-link sums."""
from __future__ import annotations

import numpy as np

from . import _kernels, _projection_kernels


class Smearing:
    """Base class: a sequence of smearing levels; subclasses implement ``_level``.

    """

    name = "smearing"
    n_levels = 0

    def _level(self, field, k: int):
        """Level k (0-based) applied to ``field``: a new GaugeField."""
        raise NotImplementedError

    def forward(self, field) -> list:
        """[field, level 1, ..., level n]: every intermediate field (the chain rule needs them)."""
        out = [field]
        for k in range(self.n_levels):
            out.append(self._level(out[-1], k))
        return out

    def smear(self, field):
        """The smeared field, a new GaugeField (only the current level is kept)."""
        cur = field
        for k in range(self.n_levels):
            cur = self._level(cur, k)
        return cur.copy() if cur is field else cur

    def __call__(self, field):
        return self.smear(field)

    def params(self) -> dict:
        return {"name": self.name}


def _per_level(value, n_levels, name: str) -> tuple[list[float], int]:
    """A scalar or one value per level -> (list of floats, number of levels)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        n = 1 if n_levels is None else int(n_levels)
        vals = [float(arr)] * n
    elif arr.ndim == 1:
        vals = [float(a) for a in arr]
        if n_levels is not None and int(n_levels) != len(vals):
            raise ValueError(f"{name} has {len(vals)} per-level values but n_levels = {n_levels}")
        n = len(vals)
    else:
        raise ValueError(f"{name} must be a number or a sequence of numbers (one per level)")
    if n < 0:
        raise ValueError(f"n_levels must be >= 0, got {n}")
    if not all(np.isfinite(vals)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return vals, n


def _fat_sum(base, src, lattice, out_mu, c_self, terms):
    """Unprojected fat links (kernels.fat_sum): out[k] = c_self[k] base[out_mu[k]] + sum of
    weighted staples; ``terms[k]`` is a list of (side index, middle index, direction, weight)
    into ``src``."""
    ptr = np.zeros(len(out_mu) + 1, np.int64)
    flat = [t for ts in terms for t in ts]
    ptr[1:] = np.cumsum([len(ts) for ts in terms])
    side = np.array([t[0] for t in flat], np.int64)
    mid = np.array([t[1] for t in flat], np.int64)
    dirs = np.array([t[2] for t in flat], np.int64)
    w = np.array([t[3] for t in flat], np.float64)
    out = np.empty((len(out_mu),) + base.shape[1:], np.complex128)
    _kernels.fat_sum(base, src, lattice.fwd, lattice.bwd, np.asarray(out_mu, np.int64),
                     np.asarray(c_self, np.float64), ptr, side, mid, dirs, w, out)
    return out


def _project_into(w, out):
    """out[...] = Proj(w) for stacks of matrices (kernels.project_stack)."""
    n = w.shape[-1]
    _projection_kernels.project_stack(w.reshape(-1, n, n), out.reshape(-1, n, n))
    return out


def _direction_mask(directions, ndim: int, name: str):
    """None (all) or a sequence of directions -> boolean mask of length ndim."""
    mask = np.zeros(ndim, dtype=np.bool_)
    if directions is None:
        mask[:] = True
        return mask
    for d in directions:
        d = int(d)
        if not 0 <= d < ndim:
            raise ValueError(f"{name}: direction {d} is not in 0..{ndim - 1}")
        mask[d] = True
    return mask

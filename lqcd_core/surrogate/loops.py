"""The linear Wilson-loop effective action: a trainable surrogate for SLHMC.

    S_eff[U] = c_0 - sum_i c_i f_i[U],      f_i[U] = (1/n) sum_x sum_{p in term i} Re tr W_p(x),

with the loop types of :mod:`._path_kernels` (plaquette, rectangle, chair, twisted,
polyakov, and optionally polyakov_spatial; all orientations and rotations, every
geometric loop counted once, n = nc).

Normalisation.  The Wilson action S_W = beta sum_P (1 - Re tr U_P / n) =
beta n_P - (beta / n) sum_x sum_{mu<nu} Re tr U_{mu nu}(x), so ``c_plaquette = beta``
reproduces it up to the constant; the improved actions of :mod:`lqcd_core.actions.gauge`
are c_plaquette = beta c0, c_rectangle = beta c1.  A positive c_i favours large Re tr W_i,
like a positive beta.  The Polyakov feature sums over all V sites, i.e. it is
L_t sum_{x_perp} Re tr P(x_perp) / n = V Re <P> (temporal line, direction D-1); the
optional ``polyakov_spatial`` term is the same for the lines winding around the spatial
directions, summed over them (sum_{mu < D-1} V Re <P_mu>).  On small lattices the winding
lines are as short as the local loops and matter for the fermion determinant.

Parameters.  theta = (c_1, ..., c_m) in the order of ``terms``: the force
F = sum_i c_i F_i is linear in theta (``feature_forces`` gives the F_i).  The offset c_0
changes no force; it is *not* part of theta but an attribute (``offset``) kept in
``config()``, set by :func:`lqcd_core.surrogate.fit.fit_logdet` (``FitResult.apply``) so that
``value`` approximates the fitted action itself, not only its differences.
"""
from __future__ import annotations

import numpy as np

from . import _path_kernels as PK
from .base import Surrogate, register


#: the terms of ``LoopAction(terms=None)`` (those of them that exist in D dimensions)
DEFAULT_TERMS = ("plaquette", "rectangle", "chair", "twisted", "polyakov")


def available_terms(ndim: int, candidates=PK.LOOP_TYPES) -> tuple:
    """Loop types (among ``candidates``) with at least one loop per site in ``ndim`` dimensions."""
    return tuple(k for k in candidates if PK.expected_count(k, ndim) > 0)


@register
class LoopAction(Surrogate):
    """S_eff = offset - sum_i c_i (1/n) sum_x Re tr W_i(x)  (module docstring).

    Parameters
    ----------
    terms : sequence of str or None
        Loop types among 'plaquette', 'rectangle', 'chair' (D >= 3), 'twisted' (D >= 3),
        'polyakov' (temporal winding line), 'polyakov_spatial' (spatial winding lines);
        None: those of ``DEFAULT_TERMS`` (all but polyakov_spatial) that exist in ``ndim``
        dimensions (D = 2: plaquette, rectangle, polyakov).
    coefficients : sequence of float or None
        c_i, one per term (default zeros).
    ndim, nc : int
        Dimension of the lattice and rank of the group (1 for U(1)); fields of other shapes
        are refused.
    offset : float
        The constant c_0.
    """

    kind = "loops"
    name = "loops"

    def __init__(self, terms=None, coefficients=None, *, ndim: int, nc: int, offset: float = 0.0):
        ndim, nc = int(ndim), int(nc)
        if not 2 <= ndim <= 4:
            raise ValueError(f"ndim must be 2, 3 or 4, got {ndim}")
        if nc < 1:
            raise ValueError(f"nc must be >= 1, got {nc}")
        self.ndim, self.nc = ndim, nc
        if terms is None:
            terms = available_terms(ndim, DEFAULT_TERMS)
        if isinstance(terms, str):
            terms = (terms,)
        terms = tuple(str(t).lower() for t in terms)
        if not terms:
            raise ValueError("terms must name at least one loop type")
        for t in terms:
            if t not in PK.LOOP_TYPES:
                raise ValueError(f"unknown loop type {t!r} in terms; choose from "
                                 f"{', '.join(PK.LOOP_TYPES)}")
            if PK.expected_count(t, ndim) == 0:
                raise ValueError(f"loop type {t!r} needs D >= 3 (no such loops in D = {ndim}); "
                                 f"available: {', '.join(available_terms(ndim))}")
        if len(set(terms)) != len(terms):
            raise ValueError(f"terms are repeated: {terms}")
        self.terms = terms
        self._theta = np.zeros(len(terms))
        if coefficients is not None:
            self.set_parameters(coefficients)
        self.offset = self._finite(offset, "offset")
        self._cache = {}

    # -- parameters --------------------------------------------------------------
    @staticmethod
    def _finite(v, what):
        v = float(v)
        if not np.isfinite(v):
            raise ValueError(f"{what} must be finite, got {v}")
        return v

    def parameters(self) -> np.ndarray:
        return self._theta.copy()

    @property
    def coefficients(self) -> dict:
        """{term: c_i}."""
        return dict(zip(self.terms, self._theta.tolist()))

    def set_parameters(self, theta) -> None:
        theta = np.asarray(theta, dtype=float).ravel()
        if theta.shape != (len(self.terms),):
            raise ValueError(f"coefficients: expected {len(self.terms)} values (one per term "
                             f"{', '.join(self.terms)}), got {theta.size}")
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"coefficients must be finite, got {theta}")
        self._theta = theta.copy()

    def config(self) -> dict:
        return {"terms": list(self.terms), "ndim": self.ndim, "nc": self.nc,
                "offset": self.offset}

    @classmethod
    def from_config(cls, cfg: dict, source=None) -> "LoopAction":
        cfg = dict(cfg)
        for key in ("ndim", "nc"):
            if key not in cfg:
                raise ValueError(f"loops surrogate config needs {key!r}")
        return cls(terms=cfg.get("terms"), ndim=cfg["ndim"], nc=cfg["nc"],
                   offset=cfg.get("offset", 0.0))

    def __repr__(self):
        cs = ", ".join(f"{t}={c:.6g}" for t, c in self.coefficients.items())
        return f"LoopAction({cs}, ndim={self.ndim}, nc={self.nc}, offset={self.offset:.6g})"

    # -- paths ---------------------------------------------------------------------
    def _check_field(self, field):
        lat = field.lattice
        if lat.ndim != self.ndim or field.group.nc != self.nc:
            raise ValueError(f"field: {field.group.name} in D = {lat.ndim} does not match the "
                             f"surrogate (nc = {self.nc}, D = {self.ndim})")

    def path_sets(self, field):
        """For every term: (paths, lengths) packed for the kernels (cached per extents)."""
        self._check_field(field)
        ext = field.lattice.extents
        if ext not in self._cache:
            sets = [PK.pack(PK.paths_for(t, ext)) for t in self.terms]
            allp = [p for t in self.terms for p in PK.paths_for(t, ext)]
            owner = np.concatenate([np.full(len(PK.paths_for(t, ext)), i)
                                    for i, t in enumerate(self.terms)]).astype(np.int64)
            self._cache[ext] = (sets, PK.pack(allp), owner)
        return self._cache[ext]

    # -- features ------------------------------------------------------------------
    def features(self, field) -> np.ndarray:
        """f_i = (1/n) sum_x sum_{p in term i} Re tr W_p(x), one per term."""
        _, (paths, lengths), owner = self.path_sets(field)
        lat = field.lattice
        sums = PK.path_trace_sums(field.links, lat.fwd, lat.bwd, paths, lengths)
        return np.bincount(owner, weights=sums, minlength=len(self.terms)) / self.nc

    def feature_forces(self, field) -> list:
        """[F_i]: the force of -f_i, so that ``force`` = sum_i c_i F_i."""
        sets, _, _ = self.path_sets(field)
        out = []
        for paths, lengths in sets:
            out.append(self._force(field, paths, lengths, np.ones(len(lengths))))
        return out

    def _force(self, field, paths, lengths, coefs):
        lat = field.lattice
        res = np.empty_like(field.links)
        PK.path_force(field.links, lat.fwd, lat.bwd, paths, lengths,
                      np.ascontiguousarray(coefs, dtype=float), res, field.group.norm / self.nc)
        return res

    # -- the action ----------------------------------------------------------------
    def value(self, field) -> float:
        return float(self.offset - self._theta @ self.features(field))

    def force(self, field) -> np.ndarray:
        _, (paths, lengths), owner = self.path_sets(field)
        return self._force(field, paths, lengths, self._theta[owner])

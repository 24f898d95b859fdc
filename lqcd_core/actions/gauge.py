"""Wilson and rectangle-improved gauge actions (Symanzik, Iwasaki, DBW2).

    S = (beta / n) sum_x [ c0 sum_{mu<nu} Re tr(1 - U_{mu nu}(x))
                         + c1 sum_{mu != nu} Re tr(1 - R_{mu nu}(x)) ],   c0 = 1 - 8 c1,

with U_{mu nu} the plaquette and R_{mu nu} the 2x1 rectangle (two steps in mu,
one in nu), each rectangle counted once.  c1 = 0 is the Wilson action,
beta = 2n/g^2 (docs/conventions.md, "Gauge actions").

Force.  S depends on U_mu(x) through -(beta/n) Re tr(U_mu(x) Sigma_mu(x)) with
the staple sum Sigma = c0 A_plaq + c1 A_rect.  For U -> exp(e X) U,
d/de Re tr(X U Sigma) = Re tr(X W) = tr(X TA(W)) with W = U Sigma (X anti-Hermitian
and traceless), so dS = -(beta/n) tr(X TA(W)) = <X, F> with

    F_mu(x) = c (beta / n) TA(U_mu(x) Sigma_mu(x)),   c = tr(T_a T_a) (1/2, or 1 for U(1)).
"""
from __future__ import annotations

import numpy as np

from ..gauge import _loops
from .base import Action

#: rectangle coefficient c1 of the named gauge actions
C1 = {
    "wilson": 0.0,
    "symanzik": -1.0 / 12.0,  # tree-level Symanzik (Luscher & Weisz 1985)
    "iwasaki": -0.331,        # Iwasaki 1983
    "dbw2": -1.4088,          # de Forcrand et al. / Takaishi 1996
}


class GaugeAction(Action):
    """Plaquette plus optional rectangle term.

    Parameters
    ----------
    beta : float
        Inverse coupling, beta = 2n/g^2 (> 0).
    action : str or None
        'wilson', 'symanzik', 'iwasaki' or 'dbw2'; sets c1 unless ``c1`` is given.
    c1 : float, optional
        Rectangle coefficient.
    """

    def __init__(self, beta: float, action: str = "wilson", c1: float | None = None):
        beta = float(beta)
        if not np.isfinite(beta) or beta <= 0:
            raise ValueError(f"beta must be positive, got {beta}")
        if c1 is None:
            key = str(action).lower()
            if key not in C1:
                raise ValueError(f"unknown gauge action {action!r}; choose one of {', '.join(C1)}")
            c1 = C1[key]
            self.name = key
        else:
            self.name = str(action)
        self.beta = beta
        self.c1 = float(c1)
        self.c0 = 1.0 - 8.0 * self.c1

    def params(self) -> dict:
        return {"name": self.name, "beta": self.beta, "c0": self.c0, "c1": self.c1}

    def value(self, field) -> float:
        n = field.group.nc
        lat = field.lattice
        plaq = _loops.plaquette_planes(field.links, lat.fwd).sum()
        s = self.c0 * (n * lat.n_plaquettes - plaq)
        if self.c1 != 0.0:
            from ..gauge import _rectangles
            rect = _rectangles.rectangle_sum(field.links, lat.fwd)
            n_rect = lat.volume * lat.ndim * (lat.ndim - 1)
            s += self.c1 * (n * n_rect - rect)
        return float(self.beta / n * s)

    def force(self, field) -> np.ndarray:
        n = field.group.nc
        lat = field.lattice
        f = field.group.norm * self.beta / n
        out = np.empty_like(field.links)
        if self.c1 == 0.0:
            _loops.plaquette_force(field.links, lat.fwd, lat.bwd, out, f)
        else:
            from ..gauge import _rectangles
            _rectangles.improved_force(field.links, lat.fwd, lat.bwd, out, f, self.c0, self.c1)
        return out

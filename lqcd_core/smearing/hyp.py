"""HYP (hypercubic) smearing (Hasenfratz & Knechtli, PRD 64 (2001) 034504).

Three nested, restricted APE-like levels, each projected onto the group, so that the
fat link V_mu(x) depends only on links of the hypercubes attached to it
(docs/smearing.md, "HYP"):

    Vbar_{mu;nu rho}(x) = Proj[(1-a3) U_mu(x) + a3/2 sum_{+-eta != mu,nu,rho}
                               U_eta(x) U_mu(x+eta) U_eta(x+mu)^dag]
    Vt_{mu;nu}(x)       = Proj[(1-a2) U_mu(x) + a2/4 sum_{+-rho != mu,nu}
                               Vbar_{rho;nu mu}(x) Vbar_{mu;rho nu}(x+rho) Vbar_{rho;nu mu}(x+mu)^dag]
    V_mu(x)             = Proj[(1-a1) U_mu(x) + a1/6 sum_{+-nu != mu}
                               Vt_{nu;mu}(x) Vt_{mu;nu}(x+nu) Vt_{nu;mu}(x+mu)^dag]

(the sums over +-eta include the backward staples).  Defined in D = 4 only.
Vbar_{mu;nu rho} is stored by (mu, eta), eta the one direction outside {mu, nu, rho};
Vt_{mu;nu} by (mu, nu).
"""
from __future__ import annotations

import numpy as np

from ..gauge import GaugeField
from .base import Smearing, _fat_sum, _per_level, _project_into


def _pairs(ndim: int):
    """Ordered pairs (mu, nu), mu != nu: arrays pmu, pnu and the index table pidx[mu, nu]."""
    pmu, pnu = [], []
    pidx = -np.ones((ndim, ndim), np.int64)
    for mu in range(ndim):
        for nu in range(ndim):
            if mu != nu:
                pidx[mu, nu] = len(pmu)
                pmu.append(mu)
                pnu.append(nu)
    return np.array(pmu, np.int64), np.array(pnu, np.int64), pidx


class HYP(Smearing):
    """HYP smearing, (alpha1, alpha2, alpha3) = (0.75, 0.6, 0.3) by default (the values of
    Hasenfratz & Knechtli), repeated ``n_levels`` times.  4D lattices only."""

    name = "hyp"

    def __init__(self, alpha1: float = 0.75, alpha2: float = 0.6, alpha3: float = 0.3,
                 n_levels: int = 1):
        (self.alpha1, self.alpha2, self.alpha3), _ = _per_level([alpha1, alpha2, alpha3], None, "alpha")
        self.n_levels = int(n_levels)
        if self.n_levels < 0:
            raise ValueError(f"n_levels must be >= 0, got {n_levels}")

    def _level(self, field, k: int):
        lat = field.lattice
        if lat.ndim != 4:
            raise ValueError(f"HYP smearing is defined for 4D lattices only, got {lat.ndim}D ({lat}); "
                             "use APE or Stout in other dimensions")
        u = field.links
        nd = u.shape[0]
        pmu, pnu, pidx = _pairs(nd)
        a1, a2, a3 = self.alpha1, self.alpha2, self.alpha3
        # level 3: Vbar_{mu; nu rho}, stored at pidx[mu, eta], eta = the direction not in {mu, nu, rho}
        terms = [[(eta, mu, eta, 0.5 * a3)] for mu, eta in zip(pmu, pnu)]
        bar = _fat_sum(u, u, lat, pmu, [1.0 - a3] * len(pmu), terms)
        bar = _project_into(bar, bar)
        # level 2: Vt_{mu; nu} at pidx[mu, nu]; staples in rho, decorated links with staple direction sigma
        terms = []
        for mu, nu in zip(pmu, pnu):
            ts = []
            for rho in range(nd):
                if rho in (mu, nu):
                    continue
                sigma = 6 - mu - nu - rho
                ts.append((pidx[rho, sigma], pidx[mu, sigma], rho, 0.25 * a2))
            terms.append(ts)
        tilde = _fat_sum(u, bar, lat, pmu, [1.0 - a2] * len(pmu), terms)
        tilde = _project_into(tilde, tilde)
        # level 1: V_mu
        terms = [[(pidx[nu, mu], pidx[mu, nu], nu, a1 / 6.0) for nu in range(nd) if nu != mu]
                 for mu in range(nd)]
        fat = _fat_sum(u, tilde, lat, list(range(nd)), [1.0 - a1] * nd, terms)
        return GaugeField(lat, field.group, _project_into(fat, fat))

    def params(self) -> dict:
        return {"name": self.name, "alpha": [self.alpha1, self.alpha2, self.alpha3],
                "n_levels": self.n_levels}

    def __repr__(self):
        return f"HYP(alpha=({self.alpha1}, {self.alpha2}, {self.alpha3}), n_levels={self.n_levels})"

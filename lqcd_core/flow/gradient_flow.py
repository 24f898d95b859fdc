"""Gradient flow of gauge fields: Wilson, Symanzik and Zeuthen flow with Lüscher's RK3.

The flow equation (Lüscher, JHEP 08 (2010) 071, eq. (1.3)),

    dV_mu(x, t)/dt = Z_mu(x, t) V_mu(x, t),   Z = -g0^2 d_{x,mu} S(V),

in our conventions (docs/conventions.md, "Gradient flow") is Z = -F[S_flow] with
F the force (gradient) of the flow action at beta = 2N: Lüscher's
g0^2 S_w = sum over *oriented* plaquettes of Re tr(1 - U_p) = 2 sum_{mu<nu} Re tr(1 - U_P),
which is our action (beta/N) sum_{mu<nu} ... at beta = 2N; his derivative along the
orthonormal anti-Hermitian generators is exactly our gradient.  Check: one Euler
step exp(-eps TA(U A)) U is stout smearing with rho = eps, as Lüscher states.

* ``wilson``:   S_flow = Wilson plaquette action.
* ``symanzik``: S_flow = tree-level Symanzik (Lüscher-Weisz) action, c1 = -1/12.
* ``zeuthen``:  Z = -(1 + a^2/12 nabla*_mu nabla_mu) F_LW (Ramos & Sint, EPJC 76 (2016) 15),
  which removes the O(a^2) effects of the flow equation itself.

Integrator: the third-order Runge-Kutta scheme of Lüscher (2010), eq. (C.1)-(C.3):

    W1 = exp(Z0/4) W0
    W2 = exp(8/9 Z1 - 17/36 Z0) W1
    V(t+eps) = exp(3/4 Z2 - 8/9 Z1 + 17/36 Z0) W2,   Zi = eps Z(Wi).

Adaptive steps: step doubling. One step eps is compared with two of eps/2; the
local error estimate is d = max|V_eps - V_{eps/2,eps/2}| / (2^3 - 1); the step
is accepted if d <= tol and the next one scaled by 0.9 (tol/d)^{1/3}.
"""
from __future__ import annotations

import numpy as np

from ..actions import GaugeAction
from . import _kernels

KINDS = ("wilson", "symanzik", "zeuthen")


class GradientFlow:
    """Flow of kind ``wilson``, ``symanzik`` or ``zeuthen`` for one gauge group."""

    def __init__(self, kind: str = "wilson"):
        kind = str(kind).lower()
        if kind not in KINDS:
            raise ValueError(f"unknown flow {kind!r}; choose one of {', '.join(KINDS)}")
        self.kind = kind

    def _action(self, field):
        n = field.group.nc
        return GaugeAction(2.0 * n, "wilson" if self.kind == "wilson" else "symanzik")

    def generator(self, field) -> np.ndarray:
        """Z(V) = -g0^2 dS/dV (an algebra field of the links' shape)."""
        f = self._action(field).force(field)
        if self.kind == "zeuthen":
            out = np.empty_like(f)
            lat = field.lattice
            _kernels.zeuthen_correction(field.links, f, lat.fwd, lat.bwd, out)
            f = out
        return -f

    def _exp_update(self, field, z):
        n = field.group.nc
        _kernels.exp_update(field.links.reshape(-1, n, n), np.ascontiguousarray(z).reshape(-1, n, n))

    def step(self, field, eps: float) -> None:
        """One RK3 step of size eps, in place."""
        z0 = eps * self.generator(field)
        self._exp_update(field, 0.25 * z0)
        z1 = eps * self.generator(field)
        self._exp_update(field, (8.0 / 9.0) * z1 - (17.0 / 36.0) * z0)
        z2 = eps * self.generator(field)
        self._exp_update(field, 0.75 * z2 - (8.0 / 9.0) * z1 + (17.0 / 36.0) * z0)

    def step_euler(self, field, eps: float) -> None:
        """First-order step (tests of the convergence order)."""
        self._exp_update(field, eps * self.generator(field))

    def adaptive_step(self, field, eps: float, tol: float) -> tuple[float, float]:
        """Try a step eps with step doubling; returns (eps_taken, eps_next).

        On rejection (error > tol) the field is unchanged and eps_taken is 0.
        """
        big = field.copy()
        self.step(big, eps)
        small = field.copy()
        self.step(small, 0.5 * eps)
        self.step(small, 0.5 * eps)
        err = float(np.abs(big.links - small.links).max()) / 7.0
        fac = 0.9 * (tol / err) ** (1.0 / 3.0) if err > 0 else 2.0
        fac = min(2.0, max(0.2, fac))
        if err <= tol:
            field.links[...] = small.links  # the more accurate of the two
            return eps, eps * fac
        return 0.0, eps * fac

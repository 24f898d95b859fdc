"""Surrogate (c): a gauge-covariant "neural network" (Nagai & Tomiya, arXiv:2103.11965).

    S_eff[U] = a * phi^dag A'(U_theta)^{-1} phi + c0,      U_theta = L_n o ... o L_1 (U),

with phi = source.phi (the true action's pseudofermion field), A' the operator of a heavier
fermion (as in :mod:`.heavy`) and every layer L_k a stout step with trainable staple weights

    L_k(U)_mu(x) = exp(TA(C_k U_mu(x)^dag)) U_mu(x),
    C_k = rho_k,plaq * (plaquette staples) [+ rho_k,rect * (rectangle staples)].

theta = (rho_1,plaq, [rho_1,rect], rho_2,plaq, [rho_2,rect], ..., [a], [c0]): layer-major,
one weight per loop type per layer (isotropic in the directions), then the optional overall
factor a (``scale=True``; otherwise a = 1) and the optional constant offset c0
(``offset=True``; otherwise c0 = 0), which does not change the force (it absorbs the mean of
S_f - S_eff in the training loss).  Every layer is gauge covariant, so S_eff is gauge
invariant (with phi transformed as the fermion field); with rho = 0, a = 1, c0 = 0 the
model is :class:`.heavy.HeavyFermionSurrogate`.

Derivatives (docs/_draft_slhmc_neural.md, "Trainable stout layers"):

* ``force(field)``: grad S_eff w.r.t. the thin links, the heavy force at U_theta chained back
  through the layers (:func:`._stout_grad.layer_backward`: ``stout_chain`` of the smearing
  package for the plaquette staples, the generic path rule for the rectangles);
* ``grad_parameters(field)``: dS_eff/dtheta from the same backward pass:
  dS/d rho_k,type = -(1/c) Re sum tr(C_k,type Z_k), Z_k = U^(k-1)^dag Lambda_k, where
  Lambda_k is the Morningstar-Peardon Lambda of layer k at the force arriving from above.
"""
from __future__ import annotations

import numpy as np

from ..actions.fermion import SolverSettings
from . import _stout_grad as SG
from .base import Surrogate, register
from .heavy import HeavyFermionSurrogate, fermion_from_config

#: stability range of the stout weights kept by the optimiser (clipping)
RHO_BOUNDS = (0.0, 0.25)
#: range of the optional overall factor a
SCALE_BOUNDS = (0.05, 20.0)


@register
class StoutNetworkSurrogate(Surrogate):
    """Heavy-fermion action on links passed through ``n_layers`` trainable stout layers.

    Parameters
    ----------
    fermion : Wilson or Staggered
        The heavier fermion (see :class:`.heavy.HeavyFermionSurrogate`).
    source : object with attribute ``phi``, optional
        The true pseudofermion action.
    n_layers : int
        Number of stout layers (>= 0).
    loops : sequence of "plaq", "rect"
        Staple types with a trainable weight in every layer ("plaq" is required).
    rho : float or (n_layers, n_loops) array
        Initial weights (default 0: the untrained model is the heavy-fermion surrogate).
    offset : bool
        Add a trainable constant c0 (last entry of theta).
    c0 : float
        Its initial value.
    scale : bool
        Multiply the fermion term by a trainable factor a (entry before c0); a stronger
        (a > 1) or weaker heavy force is what the acceptance of SLHMC mostly asks for
        (docs/_draft_slhmc_neural.md, "Training").
    a : float
        Its initial value (1).
    solver : SolverSettings, optional
    rho_bounds : (lo, hi)
        Range the optimiser keeps the weights in (:meth:`bounds`).
    """

    kind = "neural"
    name = "neural"

    def __init__(self, fermion, source=None, n_layers: int = 2, loops=("plaq",), rho=0.0,
                 offset: bool = False, c0: float = 0.0, scale: bool = False, a: float = 1.0,
                 solver: SolverSettings | None = None, rho_bounds=RHO_BOUNDS):
        self.heavy = HeavyFermionSurrogate(fermion, source=source, solver=solver)
        self.n_layers = int(n_layers)
        if self.n_layers < 0:
            raise ValueError(f"n_layers must be >= 0, got {n_layers}")
        loops = tuple(str(t) for t in loops)
        if not loops or loops[0] != "plaq" or len(set(loops)) != len(loops) or \
                any(t not in SG.LOOP_TYPES for t in loops):
            raise ValueError(f"loops must be ('plaq',) or ('plaq', 'rect'), got {loops}")
        self.loops = loops
        self.offset = bool(offset)
        self.scale = bool(scale)
        lo, hi = (float(v) for v in rho_bounds)
        if not lo <= hi:
            raise ValueError(f"rho_bounds must be (lo, hi) with lo <= hi, got {rho_bounds}")
        self.rho_bounds = (lo, hi)
        rho = np.asarray(rho, float)
        shape = (self.n_layers, len(self.loops))
        if rho.ndim == 0:
            rho = np.full(shape, float(rho))
        elif rho.ndim == 1 and rho.shape[0] == self.n_layers:
            rho = np.stack([rho] + [np.zeros(self.n_layers)] * (len(self.loops) - 1), axis=1)
        if rho.shape != shape:
            raise ValueError(f"rho must be a number, one value per layer or a {shape} array, "
                             f"got shape {rho.shape}")
        self.rho = rho.copy()
        self.c0 = float(c0)
        self.a = float(a)
        self._check()

    # -- delegation to the heavy action ----------------------------------------------
    @property
    def fermion(self):
        return self.heavy.fermion

    @property
    def solver(self):
        return self.heavy.solver

    @property
    def source(self):
        return self.heavy.source

    @source.setter
    def source(self, src):
        self.heavy.source = src

    @property
    def phi(self):
        return self.heavy.phi

    @property
    def cost(self) -> dict:
        """The solve log of the heavy action (counted by the HMC's cost collection)."""
        return self.heavy.cost

    def reset_cost(self) -> None:
        self.heavy.reset_cost()

    # -- parameters --------------------------------------------------------------------
    @property
    def use_rect(self) -> bool:
        return "rect" in self.loops

    def _check(self):
        if not np.all(np.isfinite(self.rho)) or not np.isfinite(self.c0) or not np.isfinite(self.a):
            raise ValueError("surrogate parameters must be finite")

    def n_parameters(self) -> int:
        return self.rho.size + (1 if self.scale else 0) + (1 if self.offset else 0)

    def parameter_names(self) -> list:
        names = [f"rho_{t}[{k}]" for k in range(self.n_layers) for t in self.loops]
        return names + (["a"] if self.scale else []) + (["c0"] if self.offset else [])

    def parameters(self) -> np.ndarray:
        theta = self.rho.ravel().copy()
        if self.scale:
            theta = np.append(theta, self.a)
        return np.append(theta, self.c0) if self.offset else theta

    def set_parameters(self, theta) -> None:
        theta = np.asarray(theta, float).ravel()
        if theta.size != self.n_parameters():
            raise ValueError(f"{self.name}: expected {self.n_parameters()} parameters "
                             f"({', '.join(self.parameter_names())}), got {theta.size}")
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"{self.name}: parameters must be finite, got {theta}")
        self.rho = theta[:self.rho.size].reshape(self.rho.shape).copy()
        if self.scale:
            self.a = float(theta[self.rho.size])
        if self.offset:
            self.c0 = float(theta[-1])

    def bounds(self):
        """(lo, hi) arrays for the optimiser: rho in rho_bounds, a in SCALE_BOUNDS, c0 unbounded."""
        lo = np.full(self.n_parameters(), self.rho_bounds[0])
        hi = np.full(self.n_parameters(), self.rho_bounds[1])
        if self.scale:
            lo[self.rho.size], hi[self.rho.size] = SCALE_BOUNDS
        if self.offset:
            lo[-1], hi[-1] = -np.inf, np.inf
        return lo, hi

    def _layer_rho(self, k):
        r = self.rho[k]
        return float(r[0]), (float(r[1]) if self.use_rect else 0.0)

    # -- the network ---------------------------------------------------------------
    def levels(self, field) -> list:
        """[U, L_1(U), ..., U_theta]: every intermediate field (the chain rule needs them)."""
        out = [field]
        for k in range(self.n_layers):
            out.append(SG.layer_forward(out[-1], *self._layer_rho(k)))
        return out

    def smeared(self, field):
        """U_theta (a new field unless there are no layers)."""
        return self.levels(field)[-1]

    def _backward(self, levels, f, want_grad):
        grads = np.zeros(self.rho.shape)
        for k in reversed(range(self.n_layers)):
            rp, rr = self._layer_rho(k)
            f, g = SG.layer_backward(levels[k], f, rp, rr, use_rect=self.use_rect,
                                     want_grad=want_grad)
            if want_grad:
                grads[k] = g[:len(self.loops)]
        return f, grads

    def value(self, field) -> float:
        return self.a * float(self.heavy.value(self.smeared(field))) + self.c0

    def force(self, field) -> np.ndarray:
        levels = self.levels(field)
        f = self.heavy.force(levels[-1])
        if self.a != 1.0:
            f *= self.a
        f, _ = self._backward(levels, f, want_grad=False)
        return f

    def value_force_and_grad(self, field, tol: float | None = None):
        """(S_eff, thin-link force, dS_eff/dtheta) from one solve (at ``solver.tol_action``
        by default); the gradient is in the order of :meth:`parameters`."""
        levels = self.levels(field)
        s, f = self.heavy.value_and_force(levels[-1], tol=tol)
        f, grads = self._backward(levels, self.a * f, want_grad=True)
        g = grads.ravel()
        if self.scale:
            g = np.append(g, s)          # dS_eff/da = phi^dag A'(U_theta)^{-1} phi
        if self.offset:
            g = np.append(g, 1.0)
        return self.a * s + self.c0, f, g

    def value_and_grad(self, field, tol: float | None = None):
        """(S_eff, dS_eff/dtheta) from one solve."""
        s, _, g = self.value_force_and_grad(field, tol=tol)
        return s, g

    def grad_parameters(self, field) -> np.ndarray:
        """dS_eff/dtheta (analytic; same order as :meth:`parameters`)."""
        return self.value_and_grad(field)[1]

    def refresh(self, field, rng) -> None:
        """No-op: the true action draws phi."""

    # -- storage ---------------------------------------------------------------------------
    def config(self) -> dict:
        return {"heavy": self.heavy.config(), "n_layers": self.n_layers,
                "loops": list(self.loops), "offset": self.offset, "scale": self.scale,
                "rho_bounds": list(self.rho_bounds)}

    @classmethod
    def from_config(cls, config: dict, source=None) -> "StoutNetworkSurrogate":
        heavy = config["heavy"]
        return cls(fermion_from_config(heavy["fermion"]), source=source,
                   n_layers=config.get("n_layers", 2), loops=config.get("loops", ("plaq",)),
                   offset=config.get("offset", False), scale=config.get("scale", False),
                   solver=SolverSettings(**heavy.get("solver", {})),
                   rho_bounds=config.get("rho_bounds", RHO_BOUNDS))

    def __repr__(self):
        return (f"StoutNetworkSurrogate({self.fermion!r}, n_layers={self.n_layers}, "
                f"loops={self.loops}, scale={self.scale}, offset={self.offset})")

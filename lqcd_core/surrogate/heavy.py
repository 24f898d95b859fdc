"""Surrogate (b): the pseudofermion action of a heavier fermion on the true action's phi.

    S_eff[U] = phi^dag A'(U)^{-1} phi,     phi = source.phi,

where A' is the Hermitian operator of the same discretisation as the true action but at a
heavier mass (smaller kappa for Wilson, larger m for staggered) and ``source`` is the true
pseudofermion action (:class:`lqcd_core.actions.fermion.TwoFlavourAction`), whose
``refresh`` draws phi at the start of each SLHMC trajectory.  Because A' is better
conditioned, the solves of the molecular dynamics are cheaper; the Metropolis test with the
true action keeps the chain exact (docs/_draft_slhmc_neural.md).

The value and force are those of :class:`TwoFlavourAction` (the class is a
TwoFlavourAction whose ``phi`` is read from the source), so the force is exact,
F = -hermitian_deriv(X, X) with X = A'^{-1} phi, and every solve is logged in
``self.cost`` (the HMC's cost collection counts surrogate solves too).  Nothing is
trainable: ``parameters()`` is an empty vector; ``config()`` holds the heavy fermion.
"""
from __future__ import annotations

import numpy as np

from ..actions.fermion import SolverSettings, TwoFlavourAction
from .base import Surrogate, register


# ---------------------------------------------------------------------------
# fermion <-> JSON
# ---------------------------------------------------------------------------
def fermion_config(fermion) -> dict:
    """JSON-able description of a Wilson or Staggered fermion (inverse: fermion_from_config)."""
    from ..dirac import Staggered, Wilson
    if isinstance(fermion, Wilson):
        return {"type": "wilson", "kappa": fermion.kappa, "mass": fermion.mass,
                "csw": fermion.csw, "antiperiodic": fermion.antiperiodic,
                "even_odd": fermion.even_odd}
    if isinstance(fermion, Staggered):
        return {"type": "staggered", "mass": fermion.mass,
                "antiperiodic": fermion.antiperiodic, "even_odd": fermion.even_odd}
    raise TypeError("surrogates support Wilson and Staggered fermions, "
                    f"got {type(fermion).__name__}")


def fermion_from_config(cfg: dict):
    from ..dirac import Staggered, Wilson
    cfg = dict(cfg)
    kind = cfg.pop("type", None)
    if kind == "wilson":
        kappa = cfg.get("kappa")
        return Wilson(kappa=kappa, mass=cfg.get("mass") if kappa is None else None,
                      csw=cfg.get("csw", 0.0), antiperiodic=cfg.get("antiperiodic", True),
                      even_odd=cfg.get("even_odd", False))
    if kind == "staggered":
        return Staggered(mass=cfg["mass"], antiperiodic=cfg.get("antiperiodic", True),
                         even_odd=cfg.get("even_odd", True))
    raise ValueError(f"unknown fermion type {kind!r} in surrogate config (wilson or staggered)")


def check_heavier(fermion, source_fermion) -> None:
    """Raise ValueError unless ``fermion`` is the same discretisation as ``source_fermion``
    (same type, even-odd setting and boundary condition, so phi has the right shape) and
    not lighter.  Masses are compared only where they are given in the same form."""
    if source_fermion is None:
        return
    if type(fermion) is not type(source_fermion):
        raise ValueError(f"the surrogate fermion must be of the true action's type "
                         f"({type(source_fermion).__name__}), got {type(fermion).__name__}")
    for key in ("even_odd", "antiperiodic"):
        if getattr(fermion, key) != getattr(source_fermion, key):
            raise ValueError(f"the surrogate fermion must have the true action's {key} "
                             f"({getattr(source_fermion, key)}), got {getattr(fermion, key)}")
    kappa, kappa0 = getattr(fermion, "kappa", None), getattr(source_fermion, "kappa", None)
    if kappa is not None and kappa0 is not None:
        if kappa > kappa0:
            raise ValueError(f"the surrogate fermion must be heavier: kappa' = {kappa} > "
                             f"kappa = {kappa0} of the true action")
        return
    m, m0 = getattr(fermion, "mass", None), getattr(source_fermion, "mass", None)
    if m is not None and m0 is not None and m < m0:
        raise ValueError(f"the surrogate fermion must be heavier: m' = {m} < m = {m0} "
                         "of the true action")


# ---------------------------------------------------------------------------
@register
class HeavyFermionSurrogate(Surrogate, TwoFlavourAction):
    """S_eff = phi^dag A'^{-1} phi (- nf log|det M'_oo| for clover) with phi = source.phi.

    Parameters
    ----------
    fermion : Wilson or Staggered
        The heavier fermion (same type, even-odd setting and boundary condition as the
        true action's).
    source : object with attribute ``phi``, optional
        The true pseudofermion action; can be attached later (``model.source = action``).
    solver : SolverSettings, optional
    """

    kind = "heavy"
    name = "heavy"

    def __init__(self, fermion, source=None, solver: SolverSettings | None = None):
        self._source = None
        TwoFlavourAction.__init__(self, fermion, solver)
        self.source = source

    # -- phi is the source's ----------------------------------------------------
    @property
    def source(self):
        return self._source

    @source.setter
    def source(self, src):
        if src is not None:
            # a true action on smeared links (SmearedAction) keeps phi in its inner action
            while not hasattr(src, "phi") and hasattr(src, "action"):
                src = src.action
            if not hasattr(src, "phi"):
                raise TypeError(f"source must have a pseudofermion field 'phi' (the true action), "
                                f"got {type(src).__name__}")
            check_heavier(self.fermion, getattr(src, "fermion", None))
        self._source = src

    @property
    def phi(self):
        return None if self._source is None else self._source.phi

    @phi.setter
    def phi(self, value):
        if value is not None:
            raise AttributeError(f"{self.name}: phi belongs to the source action; set source.phi")

    def _need_phi(self):
        if self._source is None:
            raise RuntimeError(f"{self.name}: no source action; pass the true pseudofermion "
                               "action as source (its phi is used)")
        if self._source.phi is None:
            raise RuntimeError(f"{self.name}: the source action has no pseudofermion field; "
                               "call source.refresh(field, rng) first")

    def refresh(self, field, rng: np.random.Generator) -> None:
        """No-op: the true action draws phi."""

    # -- one solve for value and force (training) ---------------------------------
    def value_and_force(self, field, tol: float | None = None):
        """(S_eff, F) from a single solve at ``tol`` (default ``solver.tol_action``)."""
        self._need_phi()
        op = self.bind(field)
        phi = self.phi
        x = self.solve(op, phi, self.solver.tol_action if tol is None else tol)
        s = float(np.vdot(phi, x).real)
        a0 = op.applications
        f = -op.hermitian_deriv(x, x)
        self._charge(op, a0)
        extra = op.log_det_extra()
        if extra != 0.0:
            s -= op.flavours_per_det * extra
            f -= op.flavours_per_det * op.log_det_extra_force()
        return s, f

    # -- Surrogate interface --------------------------------------------------------
    def parameters(self) -> np.ndarray:
        return np.zeros(0)

    def set_parameters(self, theta) -> None:
        theta = np.asarray(theta, float).ravel()
        if theta.size:
            raise ValueError(f"{self.name} has no trainable parameters, got {theta.size}")

    def bounds(self):
        return np.zeros(0), np.zeros(0)

    def grad_parameters(self, field) -> np.ndarray:
        return np.zeros(0)

    def value_and_grad(self, field, tol: float | None = None):
        """(S_eff, dS_eff/dtheta) = (value, empty vector)."""
        self._need_phi()
        op = self.bind(field)
        x = self.solve(op, self.phi, self.solver.tol_action if tol is None else tol)
        s = float(np.vdot(self.phi, x).real) - op.flavours_per_det * op.log_det_extra()
        return s, np.zeros(0)

    def config(self) -> dict:
        return {"fermion": fermion_config(self.fermion), "solver": self.solver.params()}

    @classmethod
    def from_config(cls, config: dict, source=None) -> "HeavyFermionSurrogate":
        return cls(fermion_from_config(config["fermion"]), source=source,
                   solver=SolverSettings(**config.get("solver", {})))

    def params(self) -> dict:
        return Surrogate.params(self)

    def __repr__(self):
        return f"HeavyFermionSurrogate({self.fermion!r})"

"""Observables along the gradient flow and the scales t0 and w0.

Energy density (Lüscher 2010, eq. (3.1)-(3.2); docs/conventions.md, "Gradient flow"):
with U_P ~ exp(a^2 G_{mu nu}), Re tr(1 - U_P) = -(a^4/2) tr G^2 + ..., so

    E_plaq(x) = 2 sum_{mu<nu} Re tr(1 - U_{mu nu}(x))  ->  -(1/2) tr G_{mu nu} G_{mu nu} = (1/4) G^a G^a,

averaged over sites: E_plaq = 2 N (D(D-1)/2) (1 - <P>).  The clover definition
comes from :mod:`lqcd_core.observables.clover`.

Scales: t0 solves t^2 E(t) = 0.3 (Lüscher 2010), w0 solves W(t) = t d/dt [t^2 E(t)] = 0.3
at t = w0^2 (BMW, Borsanyi et al., JHEP 09 (2012) 010); both by interpolation on
the flow history.
"""
from __future__ import annotations

import numpy as np

from ..observables.clover import energy_density_clover, energy_density_plaquette
from ..observables.topology import topological_charge
from .gradient_flow import GradientFlow

REFERENCE = 0.3


def default_reference(group) -> float:
    """0.3 (N^2 - 1)/8: the SU(3) reference 0.3 scaled by the number of generators, so that
    t0 and w0 probe comparable physics for every group (0.1125 for SU(2), 0.0375 for U(1))."""
    return REFERENCE * group.dim / 8.0


class FlowError(ValueError):
    """The flow did not reach what was asked (message says what and how far it got)."""


#: E_plaq per site in Lüscher's normalisation (lqcd_core.observables.clover)
energy_plaquette = energy_density_plaquette


def flow_history(field, kind: str = "wilson", tmax: float | None = None, eps: float = 0.01,
                 adaptive: bool = False, tol: float = 1e-5, measure_every: float = 0.0,
                 clover: bool = True, charge: bool = True, stop_above: float | None = None) -> dict:
    """Flow a copy of ``field`` from t = 0 to ``tmax`` and measure along the way.

    Parameters
    ----------
    kind : 'wilson', 'symanzik' or 'zeuthen'
    tmax : float, optional
        Final flow time; default L_min^2 / 32 (smearing radius sqrt(8t) = L/2).
    eps : float
        (Initial) step size; with ``adaptive`` the step is controlled by ``tol``.
    measure_every : float
        Minimal flow-time spacing of measurements (0: after every step).
    stop_above : float, optional
        Stop once t^2 E_plaq exceeds this value (after both references are passed).

    Returns
    -------
    dict of lists: ``t``, ``E`` (plaquette), ``t2E``, and ``E_clover``, ``t2E_clover``,
    ``Q`` when requested, plus ``steps`` (number of accepted steps).
    """
    if eps <= 0 or not np.isfinite(eps):
        raise FlowError(f"flow step must be positive, got {eps}")
    lmin = min(field.lattice.extents)
    tmax = lmin ** 2 / 32.0 if tmax is None else float(tmax)
    if tmax <= 0:
        raise FlowError(f"tmax must be positive, got {tmax}")
    if charge and (field.lattice.ndim != 4 and not (field.lattice.ndim == 2 and field.group.nc == 1)):
        charge = False
    flow = GradientFlow(kind)
    f = field.copy()
    hist = {"t": [], "E": [], "t2E": []}
    if clover:
        hist["E_clover"], hist["t2E_clover"] = [], []
    if charge:
        hist["Q"] = []

    def record(t):
        e = energy_plaquette(f)
        hist["t"].append(t)
        hist["E"].append(e)
        hist["t2E"].append(t * t * e)
        if clover:
            ec = energy_density_clover(f)
            hist["E_clover"].append(ec)
            hist["t2E_clover"].append(t * t * ec)
        if charge:
            hist["Q"].append(float(topological_charge(f)))

    t, h, steps, last = 0.0, float(eps), 0, 0.0
    record(0.0)
    while t < tmax - 1e-12:
        h = min(h, tmax - t)
        if adaptive:
            taken, h_next = flow.adaptive_step(f, h, tol)
            if taken == 0.0:
                h = h_next
                continue
            t += taken
            h = h_next
        else:
            flow.step(f, h)
            t += h
        steps += 1
        if t - last >= measure_every - 1e-12 or t >= tmax - 1e-12:
            record(t)
            last = t
            if stop_above is not None and hist["t2E"][-1] > stop_above:
                break
    hist["steps"] = steps
    hist["kind"] = kind
    return hist


def _crossing(t, y, target, name):
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    idx = np.flatnonzero((y[:-1] < target) & (y[1:] >= target))
    if idx.size == 0:
        raise FlowError(f"{name}: the flow reached only {np.nanmax(y):.4g} < {target} up to t = {t[-1]:.4g}; "
                        "the lattice is too small (or coarse) or tmax too short for this scale")
    i = idx[0]
    # linear interpolation between the bracketing points
    return float(t[i] + (target - y[i]) * (t[i + 1] - t[i]) / (y[i + 1] - y[i]))


def t0_from(t, e, reference: float = REFERENCE) -> float:
    """t0 with t0^2 E(t0) = reference, by interpolation of t^2 E on the history."""
    t = np.asarray(t, float)
    return _crossing(t, t * t * np.asarray(e, float), reference, "t0")


def w0_from(t, e, reference: float = REFERENCE) -> float:
    """w0 = sqrt(t) with t d/dt[t^2 E] = reference (derivative by central differences)."""
    t = np.asarray(t, float)
    y = t * t * np.asarray(e, float)
    w = t * np.gradient(y, t)
    return float(np.sqrt(_crossing(t, w, reference, "w0")))

"""The ``fermion:`` block of a chain: validation and the actions it builds.

Keys (all but ``type`` optional; docs/fermions.md has the full table)::

    fermion:
      type: wilson | staggered
      nf: 2                  # wilson: 2 (plain / Hasenbusch), 1 (RHMC), "2+1";
                             # staggered: 4 (plain), 2 or 1 (rooted, RHMC), "2+1"
      kappa: 0.15            # wilson hopping parameter (or mass: bare mass m0)
      mass: 0.1              # staggered mass (> 0) or wilson bare mass
      kappa_strange / mass_strange   # the strange quark of nf = "2+1"
      csw: 0.0               # wilson clover coefficient
      even_odd: true         # Schur-complement preconditioning
      antiperiodic: true     # antiperiodic in time
      hasenbusch: [k2, ...]  # wilson nf = 2: heavier kappas, light to heavy
      rational: {tol: 1e-12, order: null, n_pf: 1}
      solver: {tol_action: 1e-10, tol_force: 1e-8, maxiter: 10000, mixed_precision: false}
      smearing: {rho: 0.1, levels: 2}      # stout-smeared links for the fermions
      inner_steps: 4         # gauge-action steps per fermion step (nested integrator)

Everything is checked before any trajectory: a wrong key or value raises ValueError
naming ``fermion.<key>``; rational approximations are built (and their error bounds
checked) by :func:`fermion_actions` with a probe field.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

KEYS = {"type", "nf", "kappa", "mass", "kappa_strange", "mass_strange", "csw", "even_odd",
        "antiperiodic", "hasenbusch", "rational", "solver", "smearing", "inner_steps"}
RATIONAL_KEYS = {"tol", "order", "n_pf"}
SOLVER_KEYS = {"tol_action", "tol_force", "maxiter", "mixed_precision"}
SMEARING_KEYS = {"rho", "levels"}


def _parse_nf(nf):
    s = str(nf).replace(" ", "")
    if s == "2+1":
        return "2+1"
    try:
        v = Fraction(s)
    except ValueError:
        raise ValueError(f"fermion.nf: cannot read {nf!r}; give 1, 2, 4 or \"2+1\"") from None
    if v <= 0 or v.denominator != 1:
        raise ValueError(f"fermion.nf must be a positive integer or \"2+1\", got {nf!r}")
    return int(v)


def _unknown(block, allowed, where):
    extra = sorted(set(block) - allowed)
    if extra:
        raise ValueError(f"{where}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}")


def validate_fermion(spec, ndim: int | None = None) -> dict | None:
    """Check a ``fermion:`` block and return it normalised (None for quenched)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError(f"fermion must be a mapping, got {type(spec).__name__}")
    _unknown(spec, KEYS, "fermion")
    s = dict(spec)
    kind = str(s.get("type", "")).lower()
    if kind not in ("wilson", "staggered"):
        raise ValueError(f"fermion.type must be wilson or staggered, got {s.get('type')!r}")
    s["type"] = kind
    if ndim is not None and ndim not in (2, 4):
        raise ValueError(f"fermion: dynamical fermions need a D = 2 or D = 4 lattice, not D = {ndim}")
    s["nf"] = _parse_nf(s.get("nf", 2 if kind == "wilson" else 4))
    for key in ("kappa", "mass", "kappa_strange", "mass_strange", "csw"):
        if s.get(key) is not None:
            v = float(s[key])
            if not np.isfinite(v):
                raise ValueError(f"fermion.{key} must be finite, got {s[key]!r}")
            s[key] = v
    if kind == "wilson":
        for light, strange in (("kappa", "mass"), ("kappa_strange", "mass_strange")):
            if light in s and s.get(light) is not None and s.get(strange) is not None:
                raise ValueError(f"fermion: give either {light} or {strange}, not both")
        if s.get("kappa") is None and s.get("mass") is None:
            raise ValueError("fermion: wilson fermions need kappa (or the bare mass 'mass')")
        for key in ("kappa", "kappa_strange"):
            if s.get(key) is not None and s[key] <= 0:
                raise ValueError(f"fermion.{key} must be positive, got {s[key]}")
        if s.get("csw", 0.0) < 0:
            raise ValueError(f"fermion.csw must be >= 0, got {s['csw']}")
    else:
        for key in ("kappa", "kappa_strange", "csw", "hasenbusch"):
            if s.get(key) not in (None, 0, 0.0, []):
                raise ValueError(f"fermion.{key} applies to wilson fermions, not staggered")
        if s.get("mass") is None:
            raise ValueError("fermion: staggered fermions need a mass")
        for key in ("mass", "mass_strange"):
            if s.get(key) is not None and s[key] <= 0:
                raise ValueError(f"fermion.{key} must be positive for staggered fermions, got {s[key]}")
    if s["nf"] == "2+1" and s.get("kappa_strange") is None and s.get("mass_strange") is None:
        raise ValueError("fermion: nf = \"2+1\" needs the strange quark "
                         f"({'kappa_strange or mass_strange' if kind == 'wilson' else 'mass_strange'})")
    hb = s.get("hasenbusch") or []
    if hb:
        if kind != "wilson" or s["nf"] != 2:
            raise ValueError("fermion.hasenbusch applies to wilson nf = 2 only")
        hb = [float(k) for k in hb]
        light = s.get("kappa")
        if any(k <= 0 for k in hb):
            raise ValueError(f"fermion.hasenbusch kappas must be positive, got {hb}")
        chain = ([light] if light is not None else []) + hb
        if any(b >= a for a, b in zip(chain[:-1], chain[1:])):
            raise ValueError(f"fermion.hasenbusch kappas must decrease from the light kappa "
                             f"(heavier masses), got {chain}")
    s["hasenbusch"] = hb
    rat = dict(s.get("rational") or {})
    _unknown(rat, RATIONAL_KEYS, "fermion.rational")
    rat.setdefault("tol", 1e-12)
    rat.setdefault("order", None)
    rat.setdefault("n_pf", 1)
    if not (0 < float(rat["tol"]) < 1):
        raise ValueError(f"fermion.rational.tol must be in (0, 1), got {rat['tol']}")
    if int(rat["n_pf"]) < 1:
        raise ValueError(f"fermion.rational.n_pf must be >= 1, got {rat['n_pf']}")
    if rat["order"] is not None and int(rat["order"]) < 1:
        raise ValueError(f"fermion.rational.order must be >= 1, got {rat['order']}")
    s["rational"] = rat
    solver = dict(s.get("solver") or {})
    _unknown(solver, SOLVER_KEYS, "fermion.solver")
    from .fermion import SolverSettings
    s["solver"] = SolverSettings(**solver).params()
    sm = s.get("smearing")
    if sm:
        _unknown(sm, SMEARING_KEYS, "fermion.smearing")
        rho, levels = float(sm.get("rho", 0.1)), int(sm.get("levels", 1))
        if not (0 < rho < 0.5) or levels < 1:
            raise ValueError(f"fermion.smearing needs 0 < rho < 0.5 and levels >= 1, got {sm}")
        s["smearing"] = {"rho": rho, "levels": levels}
    else:
        s["smearing"] = None
    s["inner_steps"] = int(s.get("inner_steps", 4))
    if s["inner_steps"] < 1:
        raise ValueError(f"fermion.inner_steps must be >= 1, got {s['inner_steps']}")
    s["even_odd"] = bool(s.get("even_odd", True))
    s["antiperiodic"] = bool(s.get("antiperiodic", True))
    s.setdefault("csw", 0.0)
    return s


def make_fermion(spec: dict, strange: bool = False, even_odd: bool | None = None, kappa=None):
    """The :class:`lqcd_core.dirac.Fermion` of a validated spec (light or strange quark)."""
    from ..dirac import Staggered, Wilson
    eo = spec["even_odd"] if even_odd is None else even_odd
    if spec["type"] == "staggered":
        mass = spec["mass_strange"] if strange else spec["mass"]
        return Staggered(mass=mass, antiperiodic=spec["antiperiodic"], even_odd=eo)
    k, m = (spec.get("kappa_strange"), spec.get("mass_strange")) if strange else \
        (spec.get("kappa"), spec.get("mass"))
    if kappa is not None:
        k, m = kappa, None
    return Wilson(kappa=k, mass=m if k is None else None, csw=spec.get("csw", 0.0),
                  antiperiodic=spec["antiperiodic"], even_odd=eo)


def fermion_actions(spec: dict | None, probe_field=None) -> list:
    """The pseudofermion actions of a validated spec (empty list for quenched).

    ``probe_field`` (the starting configuration) builds the rational approximations now,
    so an unreachable error bound fails before the first trajectory.
    """
    if spec is None:
        return []
    from .fermion import SolverSettings, TwoFlavourAction
    from .hasenbusch import hasenbusch_actions
    from .rational import RationalAction
    solver = SolverSettings(**spec["solver"])
    rat = spec["rational"]
    per_det = 2 if spec["type"] == "wilson" else (4 if spec["even_odd"] else 8)

    def quark(nf, strange=False):
        ferm = make_fermion(spec, strange=strange)
        if nf == per_det and not spec["hasenbusch"]:
            return [TwoFlavourAction(ferm, solver)]
        if nf == per_det:
            heavy = [make_fermion(spec, kappa=k) for k in spec["hasenbusch"]]
            return hasenbusch_actions([ferm] + heavy, solver)
        return [RationalAction(ferm, nf, solver, tol=rat["tol"], order=rat["order"],
                               n_pf=rat["n_pf"], probe_field=probe_field)]

    nf = spec["nf"]
    acts = quark(2) + quark(1, strange=True) if nf == "2+1" else quark(nf)
    if spec["smearing"]:
        from ..smearing import Stout
        from .smeared import SmearedAction
        stout = Stout(spec["smearing"]["rho"], n_levels=spec["smearing"]["levels"])
        acts = [SmearedAction(a, stout) for a in acts]
    return acts


def collect_cost(action) -> dict:
    """Sum the cost logs of every fermion action inside ``action`` (sums, smearings)."""
    from .fermion import new_cost
    total = new_cost()
    stack, seen = [action], set()
    while stack:
        a = stack.pop()
        if id(a) in seen:
            continue
        seen.add(id(a))
        if hasattr(a, "actions"):
            stack.extend(a.actions)
        elif hasattr(a, "action") and not hasattr(a, "cost"):
            stack.append(a.action)
        elif hasattr(a, "cost"):
            for k in total:
                total[k] += a.cost[k]
    return total


def reset_cost(action) -> None:
    stack = [action]
    while stack:
        a = stack.pop()
        if hasattr(a, "actions"):
            stack.extend(a.actions)
        elif hasattr(a, "reset_cost"):
            a.reset_cost()
        elif hasattr(a, "action"):
            stack.append(a.action)

"""Fermionic measurements on a gauge configuration: the chiral condensate and meson correlators.

Formulas, normalisations and their derivations: ``docs/fermion_measurements.md``.
Operators (docs/conventions.md; :mod:`lqcd_core.dirac`), always on the full lattice:

* Wilson:     M = 1 − κ Σ_μ [(1 − γ_μ) U_μ(x) δ_{x+μ,y} + (1 + γ_μ) U_μ(x−μ)† δ_{x−μ,y}] (+ clover),
  fields (V, ns, nc); the continuum-normalised operator is D_w = M / (2κ) = m0 + D + … .
* staggered:  M = m + ½ Σ_μ η_μ(x) [U_μ(x) δ_{x+μ,y} − U_μ(x−μ)† δ_{x−μ,y}], fields (V, nc).

Quark propagators are those of the continuum-normalised operator D: S = D_w^{-1} = 2κ M^{-1}
(Wilson) and G = M^{-1} (staggered).

Condensate (per flavour, lattice units, sign convention pbp = +tr D^{-1}/V > 0, i.e.
pbp = −⟨ψ̄ψ⟩ of the Grassmann integral)::

    Wilson:    pbp = (1/V) Re tr D_w^{-1} = (2κ / V) Re tr M^{-1}
    staggered: pbp = (1 / (n_t V)) Re tr M^{-1},   n_t = 2^{D/2} tastes (4 in D = 4, 2 in D = 2)

estimated with complex Z2 (Z4) noise η_i ∈ {±1 ± i}/√2: tr A ≈ (1/N) Σ_n η_n† A η_n, error
= standard deviation of the N estimates / √N.

Zero-momentum correlators from a point source at x_src, t = (x_{D−1} − x_src,{D−1}) mod T::

    Wilson pion:      C_π(t) = Σ_x⃗ Σ_{αa,βb} |S(x, x_src)_{αa,βb}|²                 (γ5-hermiticity)
    Wilson rho:       C_ρ(t) = (1/(D−1)) Σ_k Σ_x⃗ tr[γ_k S γ_k γ5 S† γ5]          (k spatial; > 0)
    staggered pion:   C_π(t) = Σ_x⃗ Σ_{ab} |G(x, x_src)_{ab}|²                     (γ5 ⊗ ξ5, Goldstone)
    staggered rho:    C_ρ(t) = (1/(D−1)) Σ_k Σ_x⃗ (−1)^{(x − x_src)_k} Σ_{ab} |G_{ab}|²   (γ_k ⊗ ξ_k, local)

The registry wrappers :func:`condensate` and :func:`correlators` flatten these into scalar
dicts for :data:`lqcd_core.observables.MEASUREMENTS`.
"""
from __future__ import annotations

import math
from numbers import Integral

import numpy as np

__all__ = ["chiral_condensate", "meson_correlators", "condensate", "correlators", "CHANNELS",
           "correlator_key", "dirac_operator", "point_propagator", "n_tastes"]

#: correlator channels of :func:`meson_correlators`
CHANNELS = ("pion", "rho")


# ---------------------------------------------------------------------------
# the operator
# ---------------------------------------------------------------------------
def _is_fermion(obj) -> bool:
    return callable(getattr(obj, "bind", None))


def dirac_operator(field, fermion):
    """Bind ``fermion`` (a :class:`lqcd_core.dirac.base.Fermion` with ``even_odd=False``, or a
    ``fermion:`` block as a dict) to ``field`` and return ``(operator, kind, kappa)``.

    A dict is validated by :func:`lqcd_core.actions.fermion_spec.validate_fermion` and built
    with ``even_odd=False``; its ``smearing`` (stout) is applied to the links first, so the
    valence operator equals the sea operator of the ensemble.  ``kind`` is "wilson" (fields
    (V, ns, nc)) or "staggered" ((V, nc)); ``kappa`` is the Wilson hopping parameter (None
    for staggered).
    """
    if fermion is None:
        raise ValueError("fermion: a fermionic measurement needs a fermion (Wilson/Staggered "
                         "object or a fermion block), got None")
    if isinstance(fermion, dict):
        from ..actions.fermion_spec import make_fermion, validate_fermion
        spec = validate_fermion(fermion, field.lattice.ndim)
        if spec.get("smearing"):
            from ..smearing import Stout
            field = Stout(spec["smearing"]["rho"], n_levels=spec["smearing"]["levels"]).smear(field)
        fermion = make_fermion(spec, even_odd=False)
    elif not _is_fermion(fermion):
        raise ValueError(f"fermion must be a Fermion (with bind(field)) or a fermion block (dict), "
                         f"got {type(fermion).__name__}")
    if getattr(fermion, "even_odd", False):
        raise ValueError(f"fermion: measurements use the full-lattice operator; construct "
                         f"{type(fermion).__name__}(..., even_odd=False)")
    op = fermion.bind(field)
    if getattr(op, "even_odd", False):
        raise ValueError("fermion: the bound operator is even-odd preconditioned; measurements "
                         "need the full-lattice operator (even_odd=False)")
    shape = tuple(op.shape)
    vol = field.lattice.volume
    if len(shape) == 3 and shape[0] == vol:
        kappa = getattr(op, "kappa", None)
        if kappa is None:
            kappa = getattr(fermion, "kappa", None)
        if kappa is None:
            m0 = getattr(fermion, "mass", None)
            if m0 is None:
                raise ValueError("fermion: Wilson fermion without kappa or mass")
            kappa = 1.0 / (2.0 * float(m0) + 2.0 * field.lattice.ndim)
        return op, "wilson", float(kappa)
    if len(shape) == 2 and shape[0] == vol:
        return op, "staggered", None
    raise ValueError(f"fermion: operator fields of shape {shape} are neither Wilson (V, ns, nc) nor "
                     f"staggered (V, nc) full-lattice fields (V = {vol})")


def n_tastes(ndim: int) -> int:
    """Tastes of one staggered field: 2^{D/2} (4 in D = 4, 2 in D = 2)."""
    return 2 ** (ndim // 2)


def _solve(op, b, tol, maxiter):
    from ..solvers import cg_normal
    return cg_normal(op.apply, op.apply_dagger, b, tol=tol, maxiter=maxiter)


def _check_tol(tol) -> float:
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}") from None
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be in (0, 1), got {tol}")
    return tol


def _check_maxiter(maxiter):
    if maxiter is None:
        return None
    if isinstance(maxiter, bool) or not isinstance(maxiter, Integral) or maxiter < 1:
        raise ValueError(f"maxiter must be a positive integer or None, got {maxiter!r}")
    return int(maxiter)


def _check_seed(seed):
    items = seed if isinstance(seed, (list, tuple, np.ndarray)) else [seed]
    if len(items) == 0 or any(isinstance(s, bool) or not isinstance(s, Integral) or s < 0 for s in items):
        raise ValueError(f"seed must be a non-negative integer or a sequence of them "
                         f"(e.g. (ensemble seed, stream, trajectory)), got {seed!r}")
    return [int(s) for s in items]


# ---------------------------------------------------------------------------
# chiral condensate
# ---------------------------------------------------------------------------
def _z4_noise(rng: np.random.Generator, shape) -> np.ndarray:
    """Complex Z2 noise (±1 ± i)/√2: |η_i| = 1, E[η_i* η_j] = δ_ij, E[η_i²] = 0."""
    bits = rng.integers(0, 2, size=tuple(shape) + (2,))
    z = (1.0 - 2.0 * bits) / math.sqrt(2.0)
    return np.ascontiguousarray(z[..., 0] + 1j * z[..., 1])


def chiral_condensate(field, fermion, n_noise: int = 8, seed=0, tol: float = 1e-10,
                      maxiter: int | None = None) -> dict:
    """Stochastic chiral condensate per flavour and site.

    Parameters
    ----------
    field : GaugeField
    fermion : Fermion or dict
        Wilson/Staggered with ``even_odd=False``, or a ``fermion:`` block
        (:func:`dirac_operator`).
    n_noise : int, default 8
        Number N of complex Z2 noise vectors (one solve each).
    seed : int or sequence of int, default 0
        Seed of the noise (``numpy.random.default_rng(seed)``); the pipeline passes
        (ensemble seed, stream, trajectory), so a measurement is reproducible and the
        noise differs between configurations.
    tol : float, default 1e-10
        Relative residual ||η − M x|| / ||η|| of each solve (CGNE).
    maxiter : int, optional
        Iteration cap per solve (default: the solver's).

    Returns
    -------
    dict
        ``pbp``: (1/N) Σ_n Re η_n† D^{-1} η_n / (n_t V) with D = M/(2κ), n_t = 1 (Wilson) or
        the continuum-normalised D = M, n_t = 2^{D/2} (staggered), i.e.
        Wilson (2κ/V) Re tr M^{-1}, staggered Re tr M^{-1} / (n_t V);
        ``pbp_err``: standard deviation of the N single-noise estimates / √N (NaN for N = 1);
        ``pbp_solver_iterations``, ``pbp_dirac_applications``: the cost.

    Notes
    -----
    With E[η_i* η_j] = δ_ij, E[η† A η] = tr A; for complex Z2 noise the variance of one
    estimate is Σ_{i≠j} |A_ij|² (no diagonal contribution, E[η_i²] = 0), so the error falls
    as 1/√N.  tr M^{-1} is real for both discretisations (γ5- / ε-hermiticity); the imaginary
    part of the estimate is noise and dropped.
    """
    if isinstance(n_noise, bool) or not isinstance(n_noise, Integral) or n_noise < 1:
        raise ValueError(f"n_noise must be a positive integer, got {n_noise!r}")
    tol = _check_tol(tol)
    maxiter = _check_maxiter(maxiter)
    seeds = _check_seed(seed)
    op, kind, kappa = dirac_operator(field, fermion)
    vol = field.lattice.volume
    norm = 2.0 * kappa / vol if kind == "wilson" else 1.0 / (n_tastes(field.lattice.ndim) * vol)
    rng = np.random.default_rng(seeds)
    a0 = op.applications
    iters = 0
    est = np.empty(int(n_noise))
    for n in range(int(n_noise)):
        eta = _z4_noise(rng, op.shape)
        x, info = _solve(op, eta, tol, maxiter)
        iters += int(info.iterations)
        est[n] = norm * float(np.vdot(eta, x).real)
    err = float(est.std(ddof=1) / math.sqrt(est.size)) if est.size > 1 else float("nan")
    return {"pbp": float(est.mean()), "pbp_err": err, "pbp_solver_iterations": float(iters),
            "pbp_dirac_applications": float(op.applications - a0)}


# ---------------------------------------------------------------------------
# meson correlators
# ---------------------------------------------------------------------------
def _check_source(source, lattice) -> np.ndarray:
    d = lattice.ndim
    if source is None:
        return np.zeros(d, dtype=np.int64)
    try:
        src = np.asarray(source)
    except (TypeError, ValueError):
        src = None
    if src is None or src.shape != (d,) or not np.issubdtype(src.dtype, np.integer):
        raise ValueError(f"source must be {d} integer coordinates (x_0, ..., x_{d - 1}), got {source!r}")
    if np.any(src < 0) or np.any(src >= np.asarray(lattice.extents)):
        raise ValueError(f"source {tuple(int(s) for s in src)} lies outside the lattice {lattice.extents}")
    return src.astype(np.int64)


def _check_channels(channels) -> tuple:
    if isinstance(channels, str):
        channels = (channels,)
    try:
        channels = tuple(channels)
    except TypeError:
        raise ValueError(f"channels must be a sequence of {CHANNELS}, got {channels!r}") from None
    bad = [c for c in channels if c not in CHANNELS]
    if not channels or bad:
        raise ValueError(f"channels must be a non-empty subset of {CHANNELS}, got {channels!r}")
    return tuple(dict.fromkeys(channels))


def point_propagator(op, source_index: int, tol: float = 1e-10, maxiter=None, colour=None):
    """Columns of M^{-1} for point sources at ``source_index``: (S, iterations).

    Wilson (fields (V, ns, nc)): S[x, α, a, β, b] = (M^{-1})(x α a; src β b) for the colours
    b in ``colour`` (default all), shape (V, ns, nc, ns, n_colours) — ns·n_colours solves.
    Staggered ((V, nc)): S[x, a, b], shape (V, nc, n_colours).  Unnormalised (multiply by
    2κ for the Wilson D_w^{-1}).
    """
    shape = tuple(op.shape)
    colours = range(shape[-1]) if colour is None else [colour] if np.ndim(colour) == 0 else colour
    colours = list(colours)
    spins = range(shape[1]) if len(shape) == 3 else [None]
    out = np.empty(shape + ((len(spins),) if len(shape) == 3 else ()) + (len(colours),), dtype=complex)
    iters = 0
    for j, b in enumerate(colours):
        for i, beta in enumerate(spins):
            rhs = np.zeros(shape, dtype=complex)
            if beta is None:
                rhs[source_index, b] = 1.0
                x, info = _solve(op, rhs, tol, maxiter)
                out[..., j] = x
            else:
                rhs[source_index, beta, b] = 1.0
                x, info = _solve(op, rhs, tol, maxiter)
                out[..., i, j] = x
            iters += int(info.iterations)
    return out, iters


def _time_slices(lattice, src) -> tuple[np.ndarray, int]:
    t_dir = lattice.ndim - 1
    T = lattice.extents[t_dir]
    return (lattice.coords[:, t_dir] - src[t_dir]) % T, T


def _wilson_correlators(op, kappa, lattice, src, channels, tol, maxiter):
    """Contractions per source colour (memory V ns nc ns per colour)."""
    from ..dirac.gamma import gamma5, gammas
    d = lattice.ndim
    g = gammas(d)
    g5 = gamma5(d)
    tslice, T = _time_slices(lattice, src)
    src_idx = int(lattice.index(src))
    nc = op.shape[-1]
    site = {c: np.zeros(lattice.volume) for c in channels}
    iters = 0
    # Γ_L = γ5 γ_k acts on the sink spin, Γ_R = γ_k γ5 on the source spin (see below)
    left = [g5 @ g[k] for k in range(d - 1)]
    right = [g[k] @ g5 for k in range(d - 1)]
    for b in range(nc):
        s, it = point_propagator(op, src_idx, tol, maxiter, colour=b)
        iters += it
        s = (2.0 * kappa) * s[..., 0]          # D_w^{-1}: (V, ns(sink), nc(sink), ns(source))
        if "pion" in channels:
            site["pion"] += np.einsum("xaib,xaib->x", s.conj(), s).real
        if "rho" in channels:
            acc = np.zeros(lattice.volume)
            for gl, gr in zip(left, right):
                # tr[γ_k S γ_k γ5 S† γ5] = Σ conj(S) ⊙ (γ5 γ_k S γ_k γ5)   (γ5 diagonal, real)
                t = np.einsum("ac,xcib,bd->xaid", gl, s, gr)
                acc += np.einsum("xaib,xaib->x", s.conj(), t).real
            site["rho"] += acc / (d - 1)
    return {c: np.bincount(tslice, weights=site[c], minlength=T) for c in channels}, iters


def _staggered_correlators(op, lattice, src, channels, tol, maxiter):
    tslice, T = _time_slices(lattice, src)
    src_idx = int(lattice.index(src))
    g, iters = point_propagator(op, src_idx, tol, maxiter)
    mod2 = np.sum(np.abs(g) ** 2, axis=(1, 2))
    out = {}
    if "pion" in channels:
        out["pion"] = np.bincount(tslice, weights=mod2, minlength=T)
    if "rho" in channels:
        d = lattice.ndim
        rel = lattice.coords - src
        sign = np.zeros(lattice.volume)
        for k in range(d - 1):
            sign += 1.0 - 2.0 * (rel[:, k] % 2)
        out["rho"] = np.bincount(tslice, weights=sign * mod2 / (d - 1), minlength=T)
    return out, iters


def _correlators(field, fermion, source, tol, channels, maxiter):
    tol = _check_tol(tol)
    maxiter = _check_maxiter(maxiter)
    channels = _check_channels(channels)
    src = _check_source(source, field.lattice)
    op, kind, kappa = dirac_operator(field, fermion)
    a0 = op.applications
    if kind == "wilson":
        res, iters = _wilson_correlators(op, kappa, field.lattice, src, channels, tol, maxiter)
    else:
        res, iters = _staggered_correlators(op, field.lattice, src, channels, tol, maxiter)
    return res, {"solver_iterations": iters, "dirac_applications": op.applications - a0}


def meson_correlators(field, fermion, source=None, tol: float = 1e-10, channels=CHANNELS,
                      maxiter: int | None = None) -> dict:
    """Zero-momentum pion and ρ correlators from a point source.

    Parameters
    ----------
    field : GaugeField
    fermion : Fermion or dict
        Wilson/Staggered with ``even_odd=False``, or a ``fermion:`` block.
    source : sequence of D int, optional
        Source site (x_0, …, x_{D−1}); default the origin.
    tol : float, default 1e-10
        Relative residual of each of the ns·nc (Wilson) or nc (staggered) solves.
    channels : sequence of {"pion", "rho"}
    maxiter : int, optional

    Returns
    -------
    dict
        channel → real array C(t), t = 0 … T−1 relative to the source time slice.

        Wilson (S = D_w^{-1}(x, x_src) = 2κ M^{-1}, a ns nc × ns nc matrix per site):
        C_π(t) = Σ_x⃗ Σ |S|² = Σ_x⃗ tr[γ5 S γ5 S(x_src, x)] (γ5-hermiticity
        S(x_src, x) = γ5 S(x, x_src)† γ5), and
        C_ρ(t) = (1/(D−1)) Σ_k Σ_x⃗ tr[γ_k S γ_k γ5 S† γ5], both positive.

        Staggered (G = M^{-1}(x, x_src), nc × nc): Goldstone pion (γ5 ⊗ ξ5)
        C_π(t) = Σ_x⃗ Σ |G|² and local vector (γ_k ⊗ ξ_k)
        C_ρ(t) = (1/(D−1)) Σ_k Σ_x⃗ (−1)^{(x − x_src)_k} Σ |G|², which also contains the
        oscillating (−1)^t contribution of its opposite-parity partner.
    """
    res, _ = _correlators(field, fermion, source, tol, channels, maxiter)
    return res


def correlator_key(channel: str, t: int, T: int) -> str:
    """Column name of C(t): ``pion_t00`` … (at least two digits, more for T > 100)."""
    width = max(2, len(str(max(int(T) - 1, 0))))
    return f"{channel}_t{int(t):0{width}d}"


# ---------------------------------------------------------------------------
# registry wrappers (flat dicts of floats)
# ---------------------------------------------------------------------------
def condensate(field, fermion=None, **kw) -> dict:
    """pbp, pbp_err (chiral condensate per flavour, stochastic), pbp_solver_iterations,
    pbp_dirac_applications; keywords of :func:`chiral_condensate`.  Without a fermion there
    is nothing to measure: {}."""
    if fermion is None:
        return {}
    extra = sorted(set(kw) - {"n_noise", "seed", "tol", "maxiter"})
    if extra:
        raise ValueError(f"condensate: unknown keyword(s) {', '.join(extra)}; "
                         "allowed: n_noise, seed, tol, maxiter")
    return chiral_condensate(field, fermion, **kw)


def correlators(field, fermion=None, **kw) -> dict:
    """pion_t00 …, rho_t00 … (zero-momentum point-source correlators), correlators_solver_iterations,
    correlators_dirac_applications; keywords of :func:`meson_correlators`.  Without a fermion
    there is nothing to measure: {}."""
    if fermion is None:
        return {}
    res, cost = _correlators(field, fermion, kw.pop("source", None), kw.pop("tol", 1e-10),
                             kw.pop("channels", CHANNELS), kw.pop("maxiter", None))
    if kw:
        raise ValueError(f"correlators: unknown keyword(s) {', '.join(sorted(kw))}; "
                         "allowed: source, tol, channels, maxiter")
    out = {}
    for ch, c in res.items():
        T = c.size
        out.update({correlator_key(ch, t, T): float(v) for t, v in enumerate(c)})
    out["correlators_solver_iterations"] = float(cost["solver_iterations"])
    out["correlators_dirac_applications"] = float(cost["dirac_applications"])
    return out

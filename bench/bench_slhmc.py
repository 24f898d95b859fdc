"""Figure of merit of self-learning HMC against a tuned HMC, one JSON document on stdout.

    python bench/bench_slhmc.py --out bench/results/slhmc.json --plot bench/results/slhmc.png
    python bench/bench_slhmc.py --quick          # smoke mode: 2^4, a handful of trajectories
    python bench/bench_slhmc.py --tau 4 --inner 1 --tol-action 1e-6 --algorithms hmc,truncated \
        --ntraj 20000 --max-seconds 800 --out bench/results/slhmc_v2_tau4.json
    (one trajectory length per run; bench/slhmc_scan.py combines them, docs/slhmc_benchmark.md)

Test case of the SLHMC literature: 4^4 SU(2), Wilson gauge action beta = 2.45, Nf = 4
even-odd staggered fermions at m = 0.3 (one pseudofermion, TwoFlavourAction).  Algorithms:

* ``hmc``    HMC, fermion force on the outer level, gauge force inside (Omelyan), the force
             solves at the default tol_force = 1e-8 (the reference of the speed-ups);
* ``hmc_tol`` the same HMC with a loose force tolerance (--hmc-tol, CG from zero: still
             reversible and exact); a second reference, ``speedup_vs_hmc_tol``;
* ``heavy``  SLHMC with the heavier-quark surrogate (staggered m_eff = 0.4 on the true phi);
* ``loops``  SLHMC with the linear Wilson-loop action fitted to pseudofermion forces on
             thermalised configurations (no solver in the MD);
* ``neural`` SLHMC with the stout-network surrogate (heavier quark on trainable stout links);
* ``truncated`` SLHMC with the truncated-CG force of the true operator (k CG iterations from
             zero at the true mass, --truncated-iterations; not a gradient, exact by the
             shear argument of docs/slhmc.md); its Metropolis solves share the Krylov
             sequence with the first and last force evaluations.

Procedure (single process, numba.set_num_threads(1)): hot start, thermalisation with HMC;
the surrogates are trained on the last thermalisation configurations; every algorithm tunes
its number of outer MD steps on short runs from the thermalised field (smallest value with
acceptance >= --target-acc, otherwise the best acceptance per Dirac application), then runs
N production trajectories from the same thermalised field.  Every algorithm (tuning and
production) uses the trajectory length --tau (default 1); the thermalisation always uses
tau = 1, so the thermalised field does not depend on --tau.  Measured per algorithm:
acceptance, Dirac applications and seconds per trajectory (the chiral-condensate solves are
NOT part of the production cost), tau_int (Gamma method, S = 2) of the plaquette, |Polyakov
loop| and of the stochastic chiral condensate (measured every k-th trajectory; its tau_int
is converted to trajectories, resolution k/2), the cost per independent configuration
= cost per trajectory x 2 tau_int, and the ratios HMC / algorithm (> 1: the algorithm is
cheaper).  Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

from lqcd_core.actions import GaugeAction  # noqa: E402
from lqcd_core.actions.fermion import TwoFlavourAction  # noqa: E402
from lqcd_core.actions.fermion_spec import validate_fermion  # noqa: E402
from lqcd_core.analysis import gamma_method  # noqa: E402
from lqcd_core.dirac import Staggered  # noqa: E402
from lqcd_core.gauge import GaugeField  # noqa: E402
from lqcd_core.integrators import Integrator  # noqa: E402
from lqcd_core.lattice import Lattice  # noqa: E402
from lqcd_core.markov.hmc import HMC  # noqa: E402
from lqcd_core.markov.slhmc import slhmc  # noqa: E402
from lqcd_core.observables.fermionic import chiral_condensate  # noqa: E402
from lqcd_core.observables.polyakov import polyakov_loop  # noqa: E402

ALGORITHMS = ("hmc", "heavy", "loops", "neural", "truncated", "hmc_tol")
OBSERVABLES = ("plaquette", "polyakov_abs", "pbp")
TARGET_SPEEDUP = 3.0
SCHEME = "omelyan"


def log(msg: str) -> None:
    print(f"[bench_slhmc {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _finite(x):
    """JSON-safe float (NaN/inf -> None)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _finite(obj)
    return obj


# --------------------------------------------------------------------------
# updaters
# --------------------------------------------------------------------------
class Physics:
    def __init__(self, L: int, beta: float, mass: float, heavy_mass: float, inner: int,
                 hmc_tol: float = 1e-2, tau: float = 1.0, tol_action: float = 1e-10):
        self.L, self.beta, self.mass, self.heavy_mass, self.inner = L, beta, mass, heavy_mass, inner
        self.tau = float(tau)
        from lqcd_core.actions.fermion import SolverSettings
        # tol_action: every heatbath and Metropolis solve (docs/slhmc.md, "Action tolerance")
        self.solver = SolverSettings(tol_action=tol_action)
        self.true_loose = TwoFlavourAction(Staggered(mass=mass),
                                           SolverSettings(tol_action=tol_action, tol_force=hmc_tol))
        self.lattice = Lattice((L,) * 4)
        self.gauge = GaugeAction(beta)
        self.true = TwoFlavourAction(Staggered(mass=mass), self.solver)   # even-odd: Nf = 4
        self.spec = validate_fermion({"type": "staggered", "mass": mass, "nf": 4}, 4)
        self.measure_fermion = Staggered(mass=mass, even_odd=False)
        self.surrogates = {}

    def updater(self, algo: str, steps: int, tau: float | None = None):
        """The update of ``algo`` with ``steps`` outer steps over trajectory length ``tau``
        (default: the benchmark's --tau)."""
        tau = self.tau if tau is None else float(tau)
        if algo == "hmc":
            integ = Integrator([([self.true], int(steps), SCHEME), (self.gauge, self.inner, SCHEME)])
            return HMC(integ, tau)
        if algo == "hmc_tol":
            integ = Integrator([([self.true_loose], int(steps), SCHEME), (self.gauge, self.inner, SCHEME)])
            return HMC(integ, tau)
        return slhmc(self.gauge, [self.true], self.surrogates[algo], steps, self.inner, SCHEME, tau=tau)


def run_chain(upd, field, rng, n, phys, pbp_every=0, n_noise=4, seed=0, max_seconds=None,
              label=""):
    """n trajectories; returns the per-trajectory arrays (the chain as produced)."""
    rows = {"accepted": [], "delta_h": [], "plaquette": [], "polyakov_abs": [], "seconds": [],
            "dirac_applications": [], "solver_iterations": []}
    pbp, pbp_err, pbp_traj, pbp_apps = [], [], [], []
    t_start = time.perf_counter()
    for k in range(n):
        e = upd.trajectory(field, rng)
        rows["accepted"].append(e["accepted"])
        rows["delta_h"].append(e["delta_h"])
        rows["plaquette"].append(e["plaquette"])
        rows["polyakov_abs"].append(abs(polyakov_loop(field)))
        rows["seconds"].append(e["seconds"])
        rows["dirac_applications"].append(e.get("dirac_applications", 0))
        rows["solver_iterations"].append(e.get("solver_iterations", 0))
        if pbp_every and k % pbp_every == pbp_every - 1:
            c = chiral_condensate(field, phys.measure_fermion, n_noise=n_noise, seed=(seed, k))
            pbp.append(c["pbp"])
            pbp_err.append(c["pbp_err"])
            pbp_apps.append(c["pbp_dirac_applications"])
            pbp_traj.append(k)
        if label and (k + 1) % max(1, n // 10) == 0:
            log(f"{label}: {k + 1}/{n}  acc {np.mean(rows['accepted']):.3f}  "
                f"plaq {np.mean(rows['plaquette']):.5f}  "
                f"{time.perf_counter() - t_start:.0f} s")
        if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
            log(f"{label}: time cap {max_seconds:.0f} s reached after {k + 1} trajectories")
            break
    out = {k: np.asarray(v, float) for k, v in rows.items()}
    out["pbp"] = np.asarray(pbp, float)
    out["pbp_noise_err"] = np.asarray(pbp_err, float)
    out["pbp_dirac_applications"] = np.asarray(pbp_apps, float)
    out["wall"] = time.perf_counter() - t_start
    return out


def tune_steps(phys, algo, field0, candidates, n_tune, target_acc, seed):
    """Smallest outer step number with acceptance >= target_acc on n_tune trajectories from
    the thermalised field; if none reaches it, the best acceptance per Dirac application.
    The acceptance is the mean of min(1, exp(-dH)) (lower noise than the accept flags, see
    lqcd_core.pipeline.stages.expected_acceptance); the flags' mean is recorded beside it."""
    from lqcd_core.pipeline.stages import expected_acceptance
    trials = []
    for i, steps in enumerate(candidates):
        field = field0.copy()
        rng = np.random.default_rng([seed, 7, i])
        r = run_chain(phys.updater(algo, steps), field, rng, n_tune, phys)
        acc = float(np.mean([expected_acceptance(x) for x in r["delta_h"]]))
        apps = float(r["dirac_applications"].mean())
        trials.append({"steps": int(steps), "acceptance": acc,
                       "accepted_fraction": float(r["accepted"].mean()), "dirac_per_traj": apps,
                       "seconds_per_traj": float(r["seconds"].mean()),
                       "mean_abs_delta_h": float(np.abs(r["delta_h"]).mean())})
        log(f"tune {algo}: steps {steps}: acc {acc:.3f}, {apps:.0f} Dirac/traj, "
            f"<|dH|> {trials[-1]['mean_abs_delta_h']:.3f}")
        if acc >= target_acc:
            return int(steps), trials, "smallest steps with acceptance >= target"
    best = max(trials, key=lambda t: t["acceptance"] / max(t["dirac_per_traj"], 1.0))
    return best["steps"], trials, "target acceptance not reached: best acceptance per Dirac application"


def gamma(x, every=1):
    """Gamma-method summary in units of trajectories (x sampled every `every` trajectories)."""
    x = np.asarray(x, float)
    if x.size < 4 or not np.all(np.isfinite(x)) or np.ptp(x) == 0:
        return {"mean": _finite(x.mean()) if x.size else None, "error": None, "tau_int": None,
                "dtau_int": None, "n": int(x.size), "sampling": every}
    note = None
    try:
        g = gamma_method(x, S=2.0)
    except ValueError as exc:      # too short a series for the windowing: naive error
        g = gamma_method(x, S=0.0)
        note = f"S=2 failed ({exc}); naive S=0 estimate, tau_int = 1/2"
    return {"note": note, "mean": g.mean, "error": g.error, "tau_int": every * g.tau_int,
            "dtau_int": every * g.dtau_int, "n": int(g.n), "window": int(g.window),
            "window_converged": bool(g.window_converged), "sampling": every}


def summarise(algo, steps, chain, pbp_every):
    n = len(chain["accepted"])
    res = {"steps": int(steps), "n_traj": n, "acceptance": float(chain["accepted"].mean()),
           "exp_minus_dh": float(np.exp(-chain["delta_h"]).mean()),
           "dirac_per_traj": float(chain["dirac_applications"].mean()),
           "solver_iterations_per_traj": float(chain["solver_iterations"].mean()),
           "seconds_per_traj": float(chain["seconds"].mean()),
           "seconds_per_traj_median": float(np.median(chain["seconds"])),
           "production_wall_seconds": float(chain["wall"]),
           "pbp_dirac_per_measurement": float(chain["pbp_dirac_applications"].mean())
           if chain["pbp"].size else None,
           "observables": {}}
    for obs in OBSERVABLES:
        every = pbp_every if obs == "pbp" else 1
        g = gamma(chain[obs], every)
        if g["tau_int"] is not None:
            two_tau = 2.0 * g["tau_int"]
            g["dirac_per_indep"] = res["dirac_per_traj"] * two_tau
            g["seconds_per_indep"] = res["seconds_per_traj"] * two_tau
            g["ddirac_per_indep"] = res["dirac_per_traj"] * 2.0 * g["dtau_int"]
            g["dseconds_per_indep"] = res["seconds_per_traj"] * 2.0 * g["dtau_int"]
        res["observables"][obs] = g
    if chain["accepted"].sum() == 0:
        invalidate_frozen(res)
    # headline: the slowest of plaquette and |P| (the condensate is sampled too coarsely)
    taus = [(res["observables"][o]["tau_int"], o) for o in ("plaquette", "polyakov_abs")
            if res["observables"][o]["tau_int"] is not None]
    if taus:
        tau, o = max(taus)
        res["headline"] = {"observable": o, "tau_int": tau,
                           "dtau_int": res["observables"][o]["dtau_int"],
                           "dirac_per_indep": res["observables"][o]["dirac_per_indep"],
                           "seconds_per_indep": res["observables"][o]["seconds_per_indep"],
                           "seconds_per_indep_from_median": res["seconds_per_traj_median"] * 2 * tau}
    return res


def invalidate_frozen(res):
    """A chain that accepted nothing never moved: the condensate's fluctuations are then only
    its noise, and no tau_int or cost per independent configuration is defined."""
    for obs, g in res["observables"].items():
        for key in list(g):
            if key.startswith(("tau_int", "dtau_int", "dirac_per", "ddirac_per", "seconds_per",
                               "dseconds_per")):
                g[key] = None
        g["note"] = "no trajectory accepted: the chain did not move, tau_int undefined"
        g["error"] = None
    res.pop("headline", None)
    return res


def _ratio(a, da, b, db):
    """a/b with the error from independent da, db (None if undefined)."""
    if None in (a, b) or not b:
        return None, None
    r = a / b
    rel = math.hypot((da or 0.0) / a if a else 0.0, (db or 0.0) / b)
    return r, abs(r) * rel


def compare(results, reference="hmc"):
    """Speed-ups reference/algorithm per observable (> 1: cheaper than the reference HMC) and
    agreement in sigma."""
    ratios, agree = {}, {}
    ref = results.get(reference)
    if ref is None:
        return ratios, agree
    for algo, res in results.items():
        if algo == reference:
            continue
        ratios[algo], agree[algo] = {}, {}
        for obs in OBSERVABLES:
            a, b = ref["observables"][obs], res["observables"][obs]
            entry = {}
            for unit in ("dirac", "seconds"):
                key = f"{unit}_per_indep"
                if a.get(key) is not None and b.get(key) is not None:
                    r, dr = _ratio(a[key], a[f"d{key}"], b[key], b[f"d{key}"])
                    entry[f"speedup_{unit}"] = r
                    entry[f"dspeedup_{unit}"] = dr
            ratios[algo][obs] = entry
            if a["error"] and b["error"]:
                agree[algo][obs] = {"difference": b["mean"] - a["mean"],
                                    "sigma": (b["mean"] - a["mean"]) / math.hypot(a["error"], b["error"])}
        if "headline" in ref and "headline" in res:
            h0, h1 = ref["headline"], res["headline"]
            ratios[algo]["headline"] = {
                "speedup_dirac": h0["dirac_per_indep"] / h1["dirac_per_indep"],
                "speedup_seconds": h0["seconds_per_indep"] / h1["seconds_per_indep"],
                "speedup_seconds_from_median": h0["seconds_per_indep_from_median"]
                / h1["seconds_per_indep_from_median"],
                "observable_hmc": h0["observable"], "observable": h1["observable"]}
        ratios[algo]["per_trajectory"] = {
            "dirac": ref["dirac_per_traj"] / res["dirac_per_traj"] if res["dirac_per_traj"] else None,
            "seconds": ref["seconds_per_traj"] / res["seconds_per_traj"]}
    return ratios, agree


def targets(ratios):
    target = {}
    for algo, r in ratios.items():
        h = r.get("headline")
        if h:
            target[algo] = {"speedup_dirac": h["speedup_dirac"], "speedup_seconds": h["speedup_seconds"],
                            "met_dirac": h["speedup_dirac"] >= TARGET_SPEEDUP,
                            "met_seconds": h["speedup_seconds"] >= TARGET_SPEEDUP}
        else:
            target[algo] = {"speedup_dirac": None, "speedup_seconds": None, "met_dirac": False,
                            "met_seconds": False, "note": "no cost per independent configuration"}
    return target


def replot(path_in, out=None, plot=None):
    """Re-derive the ratios, agreement and target of a stored document (and redraw)."""
    doc = json.loads(Path(path_in).read_text())
    for res in doc["algorithms"].values():
        if res["acceptance"] == 0:
            invalidate_frozen(res)
    doc["speedup_vs_hmc"], doc["agreement_with_hmc_sigma"] = compare(doc["algorithms"])
    doc["target"]["per_algorithm"] = targets(doc["speedup_vs_hmc"])
    if "hmc_tol" in doc["algorithms"]:
        doc["speedup_vs_hmc_tol"] = compare(doc["algorithms"], "hmc_tol")[0]
    doc = _clean(doc)
    text = json.dumps(doc, indent=1)
    if out:
        Path(out).write_text(text + "\n")
    if plot:
        make_plot(doc, plot)
    return doc


# --------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------
def make_plot(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    algos = list(doc["algorithms"])
    obs_list = [o for o in OBSERVABLES]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(obs_list)
    for ax, unit, label in ((axes[0], "dirac", "Dirac applications / independent config"),
                            (axes[1], "seconds", "wall seconds / independent config")):
        for j, obs in enumerate(obs_list):
            vals, errs, taus = [], [], []
            for a in algos:
                o = doc["algorithms"][a]["observables"][obs]
                vals.append(o.get(f"{unit}_per_indep") or 0.0)
                errs.append(o.get(f"d{unit}_per_indep") or 0.0)
                taus.append(o.get("tau_int"))
            x = np.arange(len(algos)) + (j - (len(obs_list) - 1) / 2) * width
            bars = ax.bar(x, vals, width, yerr=errs, capsize=2, label=obs)
            for b, t, e in zip(bars, taus, errs):
                if t is not None:
                    ax.text(b.get_x() + b.get_width() / 2, (b.get_height() + e) * 1.05,
                            f"τ={t:.1f}", ha="center", va="bottom", fontsize=6, rotation=90)
        ax.set_xticks(np.arange(len(algos)))
        ax.set_xticklabels([f"{a}\nacc {doc['algorithms'][a]['acceptance']:.2f}" for a in algos])
        ax.set_ylabel(label)
        ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    c = doc["config"]
    fig.suptitle(f"{c['L']}^4 SU(2), β={c['beta']}, Nf=4 staggered m={c['mass']}, trajectory length {c.get('tau', 1.0):g}: "
                 "cost per independent configuration (= cost/traj × 2τ_int)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke mode (2^4, few trajectories)")
    p.add_argument("--L", type=int, default=None, help="lattice extent (4^4; --quick: 2^4)")
    p.add_argument("--beta", type=float, default=2.45)
    p.add_argument("--mass", type=float, default=0.3)
    p.add_argument("--heavy-mass", type=float, default=0.4)
    p.add_argument("--inner", type=int, default=4, help="gauge steps per outer step")
    p.add_argument("--tau", type=float, default=1.0,
                   help="trajectory length of every algorithm (tuning and production; the "
                        "thermalisation keeps tau = 1)")
    p.add_argument("--ntherm", type=int, default=None)
    p.add_argument("--ntraj", type=int, default=None)
    p.add_argument("--ntune", type=int, default=None, help="trajectories per tuning trial")
    p.add_argument("--target-acc", type=float, default=0.8)
    p.add_argument("--hmc-steps", default="2,3,4,5,6,8", help="candidates, tried in order")
    p.add_argument("--hmc-tol", type=float, default=1e-2,
                   help="force tolerance of the hmc_tol algorithm (CG from zero)")
    p.add_argument("--slhmc-steps", default="2,3,4,6,8")
    p.add_argument("--tol-action", type=float, default=1e-10,
                   help="relative residual of every heatbath and Metropolis solve (all algorithms); "
                        "the error of S_pf is <= tol^2 |phi|^2 / m^2 (docs/slhmc.md)")
    p.add_argument("--pbp-every", type=int, default=5)
    p.add_argument("--n-noise", type=int, default=4)
    p.add_argument("--n-train", type=int, default=30, help="configurations for the surrogate fits")
    p.add_argument("--neural-epochs", type=int, default=10)
    p.add_argument("--truncated-iterations", type=int, default=8,
                   help="CG iterations of the truncated surrogate's force")
    p.add_argument("--truncated-mass", type=float, default=None,
                   help="mass of the truncated surrogate's operator (default: the true mass)")
    p.add_argument("--algorithms", default=",".join(ALGORITHMS))
    p.add_argument("--no-reference", action="store_true",
                   help="do not add the reference hmc run (its result comes from another document; "
                        "see bench/slhmc_scan.py)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="cap on the production wall time per algorithm")
    p.add_argument("--caps", default="",
                   help="per-algorithm production wall-time caps, e.g. loops=60,neural=200")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", default=None)
    p.add_argument("--plot", default=None)
    p.add_argument("--replot", default=None, metavar="JSON",
                   help="re-derive ratios/target of a stored document, write --out/--plot, no run")
    a = p.parse_args(argv)
    if a.replot:
        doc = replot(a.replot, a.out, a.plot)
        print(json.dumps(doc, indent=1))
        return doc

    numba.set_num_threads(1)
    L = a.L if a.L is not None else (2 if a.quick else 4)
    ntherm = a.ntherm if a.ntherm is not None else (5 if a.quick else 100)
    ntraj = a.ntraj if a.ntraj is not None else (16 if a.quick else 2000)
    ntune = a.ntune if a.ntune is not None else (3 if a.quick else 40)
    n_train = min(a.n_train, ntherm) if not a.quick else min(4, ntherm)
    if a.quick:
        hmc_cands, sl_cands = [3], [3]
        pbp_every = a.pbp_every if a.pbp_every <= 2 else 2
    else:
        hmc_cands = [int(s) for s in a.hmc_steps.split(",")]
        sl_cands = [int(s) for s in a.slhmc_steps.split(",")]
        pbp_every = a.pbp_every
    if not (math.isfinite(a.tau) and a.tau > 0):
        p.error(f"--tau must be positive, got {a.tau}")
    algos = [s.strip() for s in a.algorithms.split(",") if s.strip()]
    for s in algos:
        if s not in ALGORITHMS:
            p.error(f"unknown algorithm {s!r}")
    if "hmc" not in algos and not a.no_reference:
        algos.insert(0, "hmc")

    caps = {}
    for item in filter(None, (x.strip() for x in a.caps.split(","))):
        k, _, v = item.partition("=")
        caps[k.strip()] = float(v)
    t_all = time.perf_counter()
    phys = Physics(L, a.beta, a.mass, a.heavy_mass, a.inner, a.hmc_tol, a.tau, a.tol_action)
    rng = np.random.default_rng(a.seed)
    field = GaugeField.hot(phys.lattice, "su2", rng)

    # ---- thermalisation with HMC (4 outer steps) ------------------------------------------
    log(f"thermalising {L}^4 with HMC: {ntherm} trajectories")
    therm_upd = phys.updater("hmc", 4, tau=1.0)     # independent of --tau
    therm_fields, therm_plaq, therm_acc = [], [], []
    for k in range(ntherm):
        e = therm_upd.trajectory(field, rng)
        therm_plaq.append(e["plaquette"])
        therm_acc.append(e["accepted"])
        if k >= ntherm - n_train:
            therm_fields.append(field.copy())
    thermalised = field.copy()
    therm = {"n_traj": ntherm, "steps": 4, "tau": 1.0, "acceptance": float(np.mean(therm_acc)),
             "plaquette_last_10": float(np.mean(therm_plaq[-10:])),
             "plaquette_history": [float(x) for x in therm_plaq]}

    # ---- surrogates -------------------------------------------------------------------------
    from lqcd_core.surrogate import HeavyFermionSurrogate
    training = {}
    if "heavy" in algos:
        phys.surrogates["heavy"] = HeavyFermionSurrogate(Staggered(mass=a.heavy_mass), source=phys.true,
                                                         solver=phys.solver)
    if "truncated" in algos:
        from lqcd_core.surrogate import TruncatedFermionSurrogate
        m_tr = a.mass if a.truncated_mass is None else a.truncated_mass
        phys.surrogates["truncated"] = TruncatedFermionSurrogate(
            Staggered(mass=m_tr), source=phys.true, iterations=a.truncated_iterations,
            solver=phys.solver)
        training["truncated"] = {"kind": "truncated", "mass": m_tr,
                                 "iterations": a.truncated_iterations, "theta": [1.0]}
    if "loops" in algos or "neural" in algos:
        from lqcd_core.surrogate.stage import train_surrogate
    if "loops" in algos:
        log(f"training the loops surrogate on {len(therm_fields)} configurations")
        model, summ, _ = train_surrogate("loops", therm_fields, phys.spec, a.beta, fit="forces",
                                         n_phi=8 if not a.quick else 2, seed=a.seed)
        phys.surrogates["loops"] = model
        training["loops"] = summ
        log(f"loops: {summ.get('fit', {}).get('coefficients')}, {summ['seconds']:.1f} s")
    if "neural" in algos:
        log(f"training the neural surrogate on {len(therm_fields)} configurations")
        model, summ, _ = train_surrogate("neural", therm_fields, phys.spec, a.beta,
                                         heavy=a.heavy_mass, epochs=a.neural_epochs if not a.quick else 1,
                                         seed=a.seed)
        model.source = phys.true
        phys.surrogates["neural"] = model
        training["neural"] = summ
        log(f"neural: theta {summ['theta']}, {summ['seconds']:.1f} s")

    # ---- tuning and production --------------------------------------------------------------
    results, tuning = {}, {}
    for i, algo in enumerate(algos):
        cands = hmc_cands if algo in ("hmc", "hmc_tol") else sl_cands
        steps, trials, rule = tune_steps(phys, algo, thermalised, cands, ntune, a.target_acc, a.seed + i)
        tuning[algo] = {"chosen_steps": steps, "rule": rule, "trials": trials}
        log(f"{algo}: production with {steps} outer steps, tau {a.tau:g}, {ntraj} trajectories")
        f = thermalised.copy()
        chain = run_chain(phys.updater(algo, steps), f, np.random.default_rng([a.seed, 100 + i]), ntraj,
                          phys, pbp_every=pbp_every, n_noise=a.n_noise, seed=a.seed + 1000 * i,
                          max_seconds=caps.get(algo, a.max_seconds), label=algo)
        results[algo] = summarise(algo, steps, chain, pbp_every)
        results[algo]["tau"] = a.tau
        h = results[algo].get("headline", {})
        log(f"{algo}: acc {results[algo]['acceptance']:.3f}, {results[algo]['dirac_per_traj']:.0f} Dirac/traj, "
            f"{results[algo]['seconds_per_traj'] * 1e3:.1f} ms/traj, tau_int {h.get('tau_int')}")

    ratios, agree = compare(results)
    target = targets(ratios)
    ratios_tol = compare(results, "hmc_tol")[0] if "hmc_tol" in results else None

    doc = {
        "benchmark": "slhmc_vs_hmc",
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "numba": numba.__version__, "numba_threads": int(numba.get_num_threads()),
                    "cpu_count": os.cpu_count(),
                    "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        "config": {"quick": bool(a.quick), "L": L, "group": "su2", "beta": a.beta,
                   "fermion": "staggered even-odd, one pseudofermion (Nf = 4)", "mass": a.mass,
                   "heavy_mass": a.heavy_mass, "hmc_force_tol": 1e-8, "hmc_tol_force_tol": a.hmc_tol,
                   "tol_action": a.tol_action,
                   "truncated_iterations": a.truncated_iterations,
                   "truncated_mass": a.mass if a.truncated_mass is None else a.truncated_mass,
                   "scheme": SCHEME, "tau": a.tau, "inner_steps": a.inner,
                   "ntherm": ntherm, "ntraj": ntraj, "ntune": ntune, "target_acceptance": a.target_acc,
                   "pbp_every": pbp_every, "pbp_n_noise": a.n_noise, "n_train": len(therm_fields),
                   "seed": a.seed, "algorithms": algos, "max_seconds": a.max_seconds, "caps": caps,
                   "cost_definition": "cost per independent configuration = cost per trajectory x 2 tau_int; "
                                      "tau_int (Gamma method, S=2) in trajectories on the chain as produced "
                                      "(rejections included); Dirac applications of the heatbath, the "
                                      "Metropolis actions and the MD (true action and surrogate); the "
                                      "condensate solves are excluded; headline = max tau_int of "
                                      "plaquette and |P|"},
        "thermalisation": therm,
        "training": training,
        "tuning": tuning,
        "algorithms": results,
        "speedup_vs_hmc": ratios,
        "speedup_vs_hmc_tol": ratios_tol,
        "agreement_with_hmc_sigma": agree,
        "target": {"speedup_required": TARGET_SPEEDUP, "per_algorithm": target},
        "total_seconds": time.perf_counter() - t_all,
    }
    doc = _clean(doc)
    text = json.dumps(doc, indent=1)
    print(text)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text + "\n")
    if a.plot:
        Path(a.plot).parent.mkdir(parents=True, exist_ok=True)
        make_plot(doc, a.plot)
    return doc


if __name__ == "__main__":
    main()

"""Trajectory-length scan of SLHMC against HMC from several bench_slhmc.py documents.

    python bench/slhmc_scan.py bench/results/slhmc_v2_tau*.json \
        --out bench/results/slhmc_scan.json --plot bench/results/slhmc_scan.png

Every input is one run of bench/bench_slhmc.py at one trajectory length (--tau), with the
reference ``hmc`` and other algorithms, each with its outer steps tuned at that length. The
scan prints one JSON document: per algorithm and length the acceptance, Dirac applications and
wall time per trajectory, tau_int and the cost per independent configuration of every
observable; per observable the length at which each algorithm is cheapest and the speed-up
HMC(best length) / algorithm(best length), with its error from the two tau_int errors; and the
speed-up at every common length, which is free of the selection of the best length.
The figure shows the cost per independent configuration against the length.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

#: "headline": the slower of plaquette and |P| of each run (bench_slhmc.py's headline)
OBSERVABLES = ("plaquette", "polyakov_abs", "pbp", "headline")
UNITS = ("dirac", "seconds")


def load_runs(paths) -> dict:
    """{algorithm: {tau: result}} from bench_slhmc documents (a later file wins on a clash)."""
    runs: dict = {}
    for p in paths:
        doc = json.loads(Path(p).read_text())
        tau = float(doc["config"]["tau"])
        for algo, res in doc["algorithms"].items():
            if algo == "truncated":     # one line per CG truncation k
                algo = f"truncated_k{doc['config']['truncated_iterations']}"
            runs.setdefault(algo, {})[tau] = dict(res, source=str(p),
                                                  config={k: doc["config"].get(k) for k in
                                                          ("tol_action", "inner_steps",
                                                           "truncated_iterations", "ntune")})
    if "hmc" not in runs:
        raise ValueError("no run contains the reference algorithm 'hmc'")
    return runs


def cost(res: dict, obs: str, unit: str):
    """(cost per independent configuration, error) or (None, None)."""
    if obs == "headline":
        h = res.get("headline")
        if not h:
            return None, None
        c = h[f"{unit}_per_indep"]
        return c, c * h["dtau_int"] / h["tau_int"]
    g = res["observables"].get(obs, {})
    c = g.get(f"{unit}_per_indep")
    return (c, g.get(f"d{unit}_per_indep")) if c is not None else (None, None)


def ratio(a, da, b, db):
    r = a / b
    return r, r * math.hypot(da / a, db / b)


def best(runs_algo: dict, obs: str, unit: str):
    """(tau, cost, error) of the cheapest length."""
    cands = [(cost(r, obs, unit), t) for t, r in runs_algo.items()]
    cands = [(c, dc, t) for (c, dc), t in cands if c is not None]
    if not cands:
        return None
    c, dc, t = min(cands)
    return t, c, dc


def scan(runs: dict) -> dict:
    ref = runs["hmc"]
    out = {"rows": [], "best": {}, "common": {}}
    for algo, by_tau in runs.items():
        for tau, r in sorted(by_tau.items()):
            row = {"algorithm": algo, "tau": tau, "steps": r["steps"], "n_traj": r["n_traj"],
                   "acceptance": r["acceptance"], "exp_minus_dh": r["exp_minus_dh"],
                   "dirac_per_traj": r["dirac_per_traj"], "ms_per_traj": 1e3 * r["seconds_per_traj"],
                   "source": r["source"], "settings": r["config"]}
            for obs in OBSERVABLES:
                g = (r.get("headline") if obs == "headline" else r["observables"].get(obs)) or {}
                row[f"tau_int_{obs}"] = g.get("tau_int")
                row[f"dtau_int_{obs}"] = g.get("dtau_int")
                for unit in UNITS:
                    row[f"{unit}_per_indep_{obs}"], row[f"d{unit}_per_indep_{obs}"] = cost(r, obs, unit)
            out["rows"].append(row)
        if algo == "hmc":
            continue
        out["best"][algo], out["common"][algo] = {}, {}
        for obs in OBSERVABLES:
            for unit in UNITS:
                b0, b1 = best(ref, obs, unit), best(by_tau, obs, unit)
                if b0 and b1:
                    s, ds = ratio(b0[1], b0[2], b1[1], b1[2])
                    out["best"][algo][f"{obs}_{unit}"] = {"tau_hmc": b0[0], "tau": b1[0],
                                                          "speedup": s, "dspeedup": ds}
                common = {}
                for tau in sorted(set(ref) & set(by_tau)):
                    (a, da), (b, db) = cost(ref[tau], obs, unit), cost(by_tau[tau], obs, unit)
                    if a is not None and b is not None:
                        common[str(tau)] = dict(zip(("speedup", "dspeedup"), ratio(a, da, b, db)))
                out["common"][algo][f"{obs}_{unit}"] = common
    return out


def plot(runs: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(OBSERVABLES), figsize=(4.2 * len(OBSERVABLES), 7), sharex=True)
    for j, obs in enumerate(OBSERVABLES):
        for i, (unit, label) in enumerate((("dirac", "Dirac applications"), ("seconds", "wall s"))):
            ax = axes[i, j]
            for algo, by_tau in runs.items():
                pts = [(t, *cost(r, obs, unit)) for t, r in sorted(by_tau.items())]
                pts = [p for p in pts if p[1] is not None]
                if pts:
                    t, c, dc = zip(*pts)
                    ax.errorbar(t, c, yerr=dc, marker="o", capsize=3, label=algo)
            ax.set_yscale("log")
            ax.set_title(f"{obs}: {label} / indep. conf.", fontsize=9)
            if i == 1:
                ax.set_xlabel("trajectory length τ")
            ax.grid(alpha=0.3, which="both")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("cost per independent configuration (cost/traj × 2τ_int), 4⁴ SU(2) Nf = 4", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", help="bench_slhmc.py documents, one per trajectory length")
    p.add_argument("--out", default=None)
    p.add_argument("--plot", default=None)
    a = p.parse_args(argv)
    missing = [x for x in a.inputs if not Path(x).is_file()]
    if missing:
        p.error(f"no such file: {', '.join(missing)}")
    runs = load_runs(a.inputs)
    doc = scan(runs)
    text = json.dumps(doc, indent=1)
    if a.out:
        Path(a.out).write_text(text + "\n")
    if a.plot:
        plot(runs, a.plot)
    print(text)
    return doc


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

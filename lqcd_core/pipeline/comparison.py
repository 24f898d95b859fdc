"""Algorithm comparison: ensembles with the same physics, produced by different algorithms.

Ensembles whose physics agree (gauge group, lattice, β, gauge action, and the physical part of
the fermion block: discretisation, flavours, masses, c_sw, boundary conditions, smearing) form a
comparison group automatically, whatever their algorithm, integrator, step count, surrogate,
streams or seeds.  For each group the rule compare_algorithms writes ``comparison/<group>.csv``:
one row per (observable, ensemble) with the estimate, τ_int, acceptance and the cost per
independent configuration (wall seconds, Dirac applications), and per observable the χ²
agreement test of :func:`lqcd_core.analysis.agreement_test` (Bonferroni-corrected over the
observables), plus the panels of :func:`comparison_figure`.  docs/adaptive.md.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from ..analysis import agreement_test

#: fermion keys that define the physics (the rest - even_odd, hasenbusch, rational, solver,
#: inner_steps - only changes how it is sampled)
FERMION_PHYSICS = ("type", "nf", "kappa", "mass", "kappa_strange", "mass_strange", "csw",
                   "antiperiodic", "smearing")

COLUMNS = ["observable", "ensemble", "algorithm", "mean", "error", "tau_int", "dtau_int", "n_indep",
           "acceptance", "seconds_per_traj", "cost_per_indep_seconds", "dirac_per_indep", "pull",
           "weighted_mean", "weighted_error", "chi2", "dof", "p_value", "alpha", "agree"]


def _wilson_kappa(f: dict, ndim: int):
    if f.get("kappa") is not None:
        return float(f["kappa"])
    return 1.0 / (2.0 * float(f["mass"]) + 2.0 * ndim)


def physics_key(ens: dict) -> dict:
    """The physics an ensemble samples (what must agree for a comparison)."""
    key = {"group": ens["group"], "lattice": list(ens["lattice"]), "beta": float(ens["beta"]),
           "action": ens.get("action", "wilson")}
    f = ens.get("fermion")
    if f:
        fk = {k: f.get(k) for k in FERMION_PHYSICS if f.get(k) is not None}
        if f.get("type") == "wilson":  # kappa and m0 are one parameter
            fk.pop("mass", None)
            fk["kappa"] = round(_wilson_kappa(f, len(ens["lattice"])), 12)
        fk["nf"] = str(fk.get("nf"))
        key["fermion"] = fk
    return key


def _slug(key: dict) -> str:
    s = f"{key['group']}_{'x'.join(map(str, key['lattice']))}_b{key['beta']:g}"
    if key["action"] != "wilson":
        s += f"_{key['action']}"
    f = key.get("fermion")
    if f:
        m = f.get("kappa") if f["type"] == "wilson" else f.get("mass")
        s += f"_{f['type']}{f['nf']}_{'k' if f['type'] == 'wilson' else 'm'}{m:g}"
    return s.replace("+", "p")


def comparison_groups(ensembles: dict) -> dict:
    """{group name: [ensemble names]} for physics shared by at least two ensembles.  The name is
    readable (group, lattice, β, quark); groups whose names collide get a short hash."""
    by_key: dict = {}
    for name, ens in ensembles.items():
        by_key.setdefault(json.dumps(physics_key(ens), sort_keys=True), []).append(name)
    groups = {}
    slugs = [(_slug(json.loads(k)), k, v) for k, v in by_key.items() if len(v) >= 2]
    counts = pd.Series([s for s, _, _ in slugs]).value_counts() if slugs else pd.Series(dtype=int)
    for slug, k, members in slugs:
        if counts[slug] > 1:
            slug += "_" + hashlib.sha1(k.encode()).hexdigest()[:6]
        groups[slug] = members
    return groups


def algorithm_label(ens: dict) -> str:
    """A short description of how an ensemble is sampled (algorithm, integrator, surrogate)."""
    alg = ens.get("algorithm", "hmc")
    if alg == "heatbath":
        return f"heatbath + {ens.get('or_per_hb', 4)} OR"
    label = f"{alg} {ens.get('integrator', 'omelyan')}"
    if alg == "slhmc" and ens.get("surrogate"):
        label += f" ({ens['surrogate']['kind']} surrogate)"
    return label


def comparison_table(summaries: dict, labels: dict, alpha: float = 0.01) -> pd.DataFrame:
    """Side-by-side figures of merit and χ² agreement of every observable the ensembles share.

    Parameters
    ----------
    summaries : dict
        {ensemble: summary DataFrame (SUMMARY_COLUMNS)}, at least two.
    labels : dict
        {ensemble: algorithm label}.
    alpha : float
        Family-wise significance level; each of the m shared observables is tested at alpha / m.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, one row per (observable, ensemble).
    """
    if len(summaries) < 2:
        raise ValueError(f"a comparison needs at least two ensembles, got {list(summaries)}")
    finite = {e: s[np.isfinite(s["mean"].astype(float)) & np.isfinite(s["error"].astype(float))
                   & (s["error"].astype(float) > 0)].set_index("observable")
              for e, s in summaries.items()}
    shared = [o for o in next(iter(finite.values())).index if all(o in f.index for f in finite.values())]
    if not shared:
        raise ValueError("the ensembles share no observable with a finite estimate and error")
    level = alpha / len(shared)
    rows = []
    for obs in shared:
        est = {e: f.loc[obs] for e, f in finite.items()}
        res = agreement_test([r["mean"] for r in est.values()], [r["error"] for r in est.values()],
                             alpha=level)
        for (e, r), pull in zip(est.items(), res.pulls):
            row = {"observable": obs, "ensemble": e, "algorithm": labels.get(e, ""), "pull": pull}
            row.update({c: r.get(c, np.nan) for c in ("mean", "error", "tau_int", "dtau_int", "n_indep",
                                                      "acceptance", "seconds_per_traj",
                                                      "cost_per_indep_seconds", "dirac_per_indep")})
            row.update(res.summary())
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def comparison_figure(table: pd.DataFrame, path, title: str = "") -> None:
    """One row of panels sharing the observables (horizontal bars, one colour per ensemble, the
    acceptance in the legend): the pull with each observable's p-value; τ_int; wall seconds
    per independent configuration; Dirac applications per independent configuration (only
    with fermions)."""
    from ..plots._common import check_path, new_figure, save
    path = check_path(path)
    obs = list(dict.fromkeys(table["observable"]))
    ens = list(dict.fromkeys(table["ensemble"]))
    dirac = bool(table["dirac_per_indep"].notna().any())
    n_panels = 4 if dirac else 3
    y = np.arange(len(obs))[::-1]
    height = 0.8 / len(ens)
    fig, axes = new_figure(1, n_panels, figsize=(4.2 * n_panels, 2.4 + 0.32 * len(obs) * max(1, len(ens) / 2)),
                           sharey=True)
    axes = axes.ravel()
    cols = [("pull", "pull (x_i - weighted mean) / sigma", False),
            ("tau_int", "tau_int (trajectories)", False),
            ("cost_per_indep_seconds", "wall s / independent config", True)]
    if dirac:
        cols.append(("dirac_per_indep", "Dirac applications / independent config", True))
    for i, e in enumerate(ens):
        sub = table[table["ensemble"] == e].set_index("observable").reindex(obs)
        acc = sub["acceptance"].iloc[0]
        lab = f"{e} ({sub['algorithm'].dropna().iloc[0]}" + (f", acc. {acc:.2f})" if np.isfinite(acc) else ")")
        off = y + 0.4 - (i + 0.5) * height
        for ax, (col, _, _) in zip(axes, cols):
            xerr = sub["dtau_int"] if col == "tau_int" else None
            ax.barh(off, sub[col], height, xerr=xerr, label=lab)
    first = table.drop_duplicates("observable").set_index("observable").reindex(obs)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([f"{o} (p={p:.2g}){'' if ok else ' !'}"
                             for o, p, ok in zip(obs, first["p_value"], first["agree"])], fontsize=7)
    for a in (-2, 2):
        axes[0].axvline(a, color="k", ls=":", lw=1)
    for ax, (_, label, log) in zip(axes, cols):
        ax.set_xlabel(label, fontsize=8)
        if log:
            ax.set_xscale("log")
    axes[0].set_title("agreement (chi^2 p-value; ! = flagged)", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.05),
               ncol=min(len(ens), 3))
    flagged = sorted(set(table.loc[~table["agree"].astype(bool), "observable"]))
    verdict = "all observables agree" if not flagged else "DISAGREE: " + ", ".join(flagged)
    fig.suptitle(f"{title}: {verdict}", fontsize=10)
    save(fig, path)

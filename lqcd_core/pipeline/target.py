"""Precision-driven production: how many more blocks an ensemble needs for its target.

An ensemble with a ``target:`` block (workflow/schemas/config.schema.yaml, docs/adaptive.md) is
produced in rounds.  Round 0 is the fixed start, ``n_traj`` production trajectories per stream.
After each round the data are analysed (:func:`lqcd_core.pipeline.summarize`, the same Γ-method
summary as the final one) and :func:`plan_round` decides:

* every criterion met                    -> stop, reason ``target met``;
* the budget ``max_traj`` (trajectories per stream, rounded down to whole blocks) is spent
                                         -> stop, reason ``budget spent``;
* otherwise                              -> grow every stream to the projected number of blocks.

Criteria, for each observable ``o`` of ``target.observables`` (and of ``rel_error``):

* ``n_indep``: N_indep(o) = N / (2 τ_up) >= n_indep, with the conservative
  τ_up = τ_int + safety · δτ_int (the Γ-method error of τ_int, Wolff 2004 eq. (42));
* ``rel_error``: err_up / |mean| <= rel_error(o), with err_up = err · sqrt(τ_up / τ_int)
  (the error grows as sqrt(τ_int) at fixed N).

Projection.  At fixed τ_int, N_indep grows like N and err like N^(-1/2), so a criterion that
reaches a fraction q of its goal needs f = 1/q (n_indep) or f = (1/q)^2 (rel_error) times the
analysed trajectories: P_need = cut + f (P - cut) per stream, with P the production trajectories
per stream and ``cut`` the thermalisation cut of the analysis.  The new block count is
ceil(P_need / block), at least one block more, at most ``max_growth`` times the current count
(τ_int from a short chain is biased low or noisy), and never above the budget.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

#: stop reasons of an ensemble with a target (target.json, the report, the end-of-run message)
MET, BUDGET = "target met", "budget spent"

#: observables each measurement name puts in the summary (regular expressions)
_MEASURED = {
    "plaquette": [r"plaquette_[st]"],
    "rectangle": [r"rectangle"],
    "polyakov": [r"polyakov\d?_(re|im|abs)"],
    "wilson_loops": [r"W_\d+_\d+", r"V_\d+"],
    "topology": [r"Q_(clover|5li|geometric|field)"],
    "energy": [r"E_(plaq|clover)"],
    "condensate": [r"pbp"],
    "correlators": [],
}


def known_observables(ens: dict) -> list[str]:
    """Patterns (regular expressions) of the summary rows an ensemble produces."""
    pats = [r"plaquette"]
    for m in ens.get("measure", []):
        pats += _MEASURED.get(m, [])
    if ens.get("flow"):
        pats += [r"t0", r"w0", r"Q_flow"]
    return pats


def validate_target(where: str, ens: dict) -> None:
    """Checks of ``target`` beyond the schema; raises ValueError naming the key."""
    tg = ens.get("target")
    if not tg:
        return
    where = f"{where}.target"
    if tg.get("n_indep") is None and not tg.get("rel_error"):
        raise ValueError(f"{where}: give n_indep and/or rel_error (a target with neither would "
                         "never be met)")
    if tg["max_traj"] < ens["n_traj"]:
        raise ValueError(f"{where}.max_traj ({tg['max_traj']}) is below n_traj ({ens['n_traj']}), "
                         "the trajectories of the first round")
    if tg["max_traj"] < ens["block"]:
        raise ValueError(f"{where}.max_traj ({tg['max_traj']}) is below one block ({ens['block']})")
    pats = known_observables(ens)
    names = list(tg.get("observables") or []) + list((tg.get("rel_error") or {}).keys())
    for name in names:
        if not any(re.fullmatch(p, name) for p in pats):
            raise ValueError(
                f"{where}: observable {name!r} is not produced by this ensemble (measure: "
                f"{ens.get('measure')}, flow: {'yes' if ens.get('flow') else 'no'}); "
                f"available: plaquette and the rows of {', '.join(pats[1:]) or 'no measurement'}")


def max_blocks(ens: dict) -> int:
    """Blocks per stream that the budget allows (max_traj rounded down to whole blocks)."""
    return int(ens["target"]["max_traj"]) // int(ens["block"])


def criteria(summary: pd.DataFrame, target: dict) -> list[dict]:
    """Each criterion of ``target`` evaluated on ``summary`` (rows of SUMMARY_COLUMNS).

    Returns one dict per (observable, criterion) with ``value`` (the conservative estimate),
    ``goal``, ``met``, ``factor`` (the projected growth of the analysed data that meets it; inf if
    it cannot be projected), and the Γ-method figures it came from.
    """
    z = float(target.get("safety", 1.0))
    rows = summary.set_index("observable")
    out = []
    wanted = [(o, "n_indep", float(target["n_indep"])) for o in target.get("observables") or []
              if target.get("n_indep") is not None]
    wanted += [(o, "rel_error", float(v)) for o, v in (target.get("rel_error") or {}).items()]
    for obs, kind, goal in wanted:
        rec = {"observable": obs, "criterion": kind, "goal": goal, "value": math.nan,
               "met": False, "factor": math.inf, "note": ""}
        if obs not in rows.index:
            rec["note"] = "not in the summary yet"
            out.append(rec)
            continue
        r = rows.loc[obs]
        tau, dtau = float(r.get("tau_int", np.nan)), float(r.get("dtau_int", np.nan))
        rec.update({"mean": float(r.get("mean", np.nan)), "error": float(r.get("error", np.nan)),
                    "tau_int": tau, "dtau_int": dtau, "n": float(r.get("n", np.nan))})
        if not (np.isfinite(tau) and tau > 0 and np.isfinite(dtau)):
            rec["note"] = str(r.get("note", "")) or "no tau_int estimate yet"
            rec["factor"] = 2.0
            out.append(rec)
            continue
        tau_up = tau + z * dtau
        if kind == "n_indep":
            value = float(r["n_indep"]) * tau / tau_up
            rec["value"] = value
            rec["met"] = value >= goal
            rec["factor"] = goal / value if value > 0 else math.inf
        else:
            mean, err = float(r["mean"]), float(r["error"])
            if mean == 0 or not np.isfinite(err):
                rec["note"] = "mean is zero: a relative error cannot be reached"
                out.append(rec)
                continue
            value = err * math.sqrt(tau_up / tau) / abs(mean)
            rec["value"] = value
            rec["met"] = value <= goal
            rec["factor"] = (value / goal) ** 2
        out.append(rec)
    return out


def plan_round(summary: pd.DataFrame, ens: dict, blocks_done: int, round_: int = 1) -> dict:
    """The decision after a round (module docstring): stop (``done``, ``reason``) or the block
    count per stream of the next round (``blocks``), with the criteria and the projected cost."""
    if blocks_done < 1:
        raise ValueError(f"blocks_done must be >= 1, got {blocks_done}")
    tg = ens["target"]
    block = int(ens["block"])
    bmax = max_blocks(ens)
    crit = criteria(summary, tg)
    produced = blocks_done * block
    cut = _cut(summary)
    factor = max([c["factor"] for c in crit if not c["met"]] or [1.0])
    need = cut + factor * max(produced - cut, 1) if math.isfinite(factor) else math.inf
    plan = {"round": int(round_), "blocks_done": int(blocks_done), "traj_per_stream": produced,
            "streams": int(ens["streams"]), "max_blocks": bmax, "criteria": crit,
            "projected_traj_per_stream": need if math.isfinite(need) else None}
    if all(c["met"] for c in crit):
        plan.update(done=True, reason=MET, blocks=blocks_done)
    elif blocks_done >= bmax:
        plan.update(done=True, reason=BUDGET, blocks=blocks_done)
    else:
        growth = float(tg.get("max_growth", 4.0))
        want = math.ceil(need / block) if math.isfinite(need) else bmax
        cap = max(blocks_done + 1, math.floor(growth * blocks_done))
        plan.update(done=False, reason="continue",
                    blocks=int(min(bmax, cap, max(blocks_done + 1, want))))
    plan["remaining"] = remaining_cost(summary, ens, plan)
    return plan


def _cut(summary: pd.DataFrame) -> int:
    rows = summary[summary["observable"] == "plaquette"]
    if len(rows) and np.isfinite(rows["therm_cut"].iloc[0]):
        return int(rows["therm_cut"].iloc[0])
    return 0


def remaining_cost(summary: pd.DataFrame, ens: dict, plan: dict) -> dict:
    """Projected trajectories (all streams), wall seconds and Dirac applications still needed to
    meet the target (zero once met; beyond the budget they are what a larger max_traj would
    cost)."""
    need = plan.get("projected_traj_per_stream")
    if plan.get("reason") == MET:
        need = plan["traj_per_stream"]
    if need is None:
        return {"trajectories": None, "seconds": None, "dirac_applications": None}
    more = max(0.0, need - plan["traj_per_stream"]) * plan["streams"]
    row = summary[summary["observable"] == "plaquette"]
    sec = float(row["seconds_per_traj"].iloc[0]) if len(row) else math.nan
    dirac = float(row["dirac_per_traj"].iloc[0]) if len(row) and "dirac_per_traj" in row else math.nan
    return {"trajectories": math.ceil(more), "seconds": more * sec if np.isfinite(sec) else None,
            "dirac_applications": more * dirac if np.isfinite(dirac) else None}


def final_status(plans: list[dict], ens: dict) -> dict:
    """target.json of an ensemble: the target, the last decision and the history of rounds."""
    last = plans[-1]
    return {"target": ens["target"], "reason": last["reason"], "done": last["done"],
            "rounds": len(plans), "blocks_per_stream": last["blocks"],
            "traj_per_stream": last["blocks"] * int(ens["block"]), "streams": int(ens["streams"]),
            "max_traj": int(ens["target"]["max_traj"]), "criteria": last["criteria"],
            "remaining": last["remaining"],
            "history": [{k: p[k] for k in ("round", "blocks_done", "blocks", "reason")} for p in plans]}


def remaining_text(rem: dict) -> str:
    """The projected remaining cost in words (trajectories of all streams, wall time, Dirac
    applications when there are fermions)."""
    if rem.get("trajectories") is None:
        return "remaining cost cannot be projected yet"
    out = f"projected {rem['trajectories']} more trajectories"
    if rem.get("seconds") is not None:
        out += f", {rem['seconds'] / 60:.1f} min"
    if rem.get("dirac_applications") is not None:
        out += f", {rem['dirac_applications']:.3g} Dirac applications"
    return out


def status_line(name: str, status: dict) -> str:
    """One line per ensemble for the end of a run: the stop reason and each criterion."""
    parts = []
    for c in status["criteria"]:
        v = c["value"]
        vs = "n/a" if v is None or not math.isfinite(v) else (f"{v:.1f}" if c["criterion"] == "n_indep"
                                                             else f"{v:.2e}")
        op = ">=" if c["criterion"] == "n_indep" else "<="
        parts.append(f"{c['observable']} {c['criterion']} {vs} (goal {op} {c['goal']:g})")
    line = (f"{name}: {status['reason']} after {status['traj_per_stream']} trajectories x "
            f"{status['streams']} stream(s) (max_traj {status['max_traj']}): " + "; ".join(parts))
    if status["reason"] != MET:
        line += "; " + remaining_text(status["remaining"])
    return line

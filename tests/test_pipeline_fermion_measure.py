"""Fermionic measurements in the pipeline: schema, DAG, the measure stage, correlator table and plot.

The measure stage runs on a saved configuration directly; Snakemake is only asked for a dry
run (the full workflow is exercised by tests/test_pipeline.py).
"""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lqcd_core.gauge import GaugeField
from lqcd_core.io import write_config as write_gauge_config
from smk_helpers import job_counts
from lqcd_core.lattice import Lattice
from lqcd_core.markov.rundir import COLUMNS
from lqcd_core.pipeline import ConfigError, load_schema, measure, summarize, validate_config
from lqcd_core.pipeline.correlator_figures import (correlator_figure, correlator_table,
                                                   measurement_cut)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"

RES = {"generate": {"threads": 1, "mem_mb": 500, "runtime": 5},
       "measure": {"threads": 1, "mem_mb": 500, "runtime": 5},
       "analyse": {"threads": 1, "mem_mb": 500, "runtime": 5}}
QUENCHED = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "steps": 6, "n_therm": 4, "n_traj": 20,
            "block": 20, "save_every": 4, "seed": 3,
            "measure": ["plaquette", "condensate", "correlators"],
            "fermion_measure": {"n_noise": 4, "valence": {"type": "wilson", "kappa": 0.2}}}
DYNAMICAL = {"group": "su2", "lattice": [4, 4, 4, 4], "beta": 2.2, "steps": 4, "n_therm": 2,
             "n_traj": 4, "block": 4, "save_every": 2, "seed": 5,
             "fermion": {"type": "staggered", "mass": 0.5, "nf": 4},
             "measure": ["plaquette", "condensate"]}
GAUGE_ONLY = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "n_therm": 4, "n_traj": 20, "block": 20,
              "save_every": 4, "measure": ["plaquette", "polyakov"]}


def config(**ensembles):
    return {"results": "results", "resources": RES, "ensembles": ensembles}


def copy(d):
    return json.loads(json.dumps(d))


# ---------------------------------------------------------------------------
# schema
# ---------------------------------------------------------------------------
def test_config_with_fermion_measurements_validates_and_gets_defaults():
    cfg = validate_config(config(q=copy(QUENCHED), dyn=copy(DYNAMICAL), g=copy(GAUGE_ONLY)),
                          load_schema(SCHEMA))
    q, dyn, g = (cfg["ensembles"][k] for k in ("q", "dyn", "g"))
    assert q["fermion_measure"] == {"n_noise": 4, "tol": 1e-10, "source": None,
                                    "valence": {"type": "wilson", "kappa": 0.2, "csw": 0.0,
                                                "antiperiodic": True}}
    assert dyn["fermion_measure"] == {"n_noise": 8, "tol": 1e-10, "valence": None, "source": None}
    assert g["fermion_measure"]["valence"] is None


@pytest.mark.parametrize("change,key", [
    ({"n_noise": 0}, "fermion_measure.n_noise"),
    ({"tol": 2.0}, "fermion_measure.tol"),
    ({"valence": {"type": "wilson"}}, "fermion_measure.valence"),
    ({"valence": {"type": "domainwall", "kappa": 0.1}}, "fermion_measure.valence.type"),
    ({"valence": {"type": "wilson", "kappa": 0.1, "nf": 2}}, "fermion_measure.valence"),
    ({"source": [0, -1]}, "fermion_measure.source"),
    ({"noise": "z2"}, "fermion_measure"),
])
def test_bad_fermion_measure_blocks_are_rejected_naming_the_key(change, key):
    ens = copy(QUENCHED)
    ens["fermion_measure"].update(change)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config(q=ens), load_schema(SCHEMA))


def test_unknown_measurement_is_still_rejected():
    ens = copy(QUENCHED)
    ens["measure"] = ["plaquette", "baryons"]
    with pytest.raises(ConfigError, match=r"ensembles\.q\.measure"):
        validate_config(config(q=ens), load_schema(SCHEMA))


# ---------------------------------------------------------------------------
# DAG
# ---------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake is not installed")
def test_dry_run_plans_correlator_rules_only_for_ensembles_measuring_correlators(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config(q=copy(QUENCHED), g=copy(GAUGE_ONLY))))
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--configfile",
           str(tmp_path / "config.yaml"), "--profile", str(ROOT / "profiles" / "default"), "--cores", "1",
           "-n"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    text = res.stdout + res.stderr
    assert res.returncode == 0, text[-3000:]
    counts = job_counts(text)
    assert counts["correlators"] == 1 and counts["correlator_plots"] == 1
    assert counts["measure"] == 10          # 5 saved configurations per ensemble
    assert "results/q/correlators.csv" in text and "results/q/plots/correlators.png" in text
    assert "results/g/correlators.csv" not in text


# ---------------------------------------------------------------------------
# the measure stage
# ---------------------------------------------------------------------------
def saved_config(tmp_path, ext, group, trajectory=12, seed=3, stream=0):
    field = GaugeField.hot(Lattice(ext), group, np.random.default_rng(trajectory))
    path = tmp_path / f"config_{trajectory:06d}.h5"
    write_gauge_config(path, field, "hdf5", overwrite=True,
                       metadata={"trajectory": trajectory, "params": {"seed": seed, "stream": stream}})
    return path


def test_measure_stage_gives_pbp_and_correlators_of_the_valence_quark(tmp_path):
    path = saved_config(tmp_path, (8, 8), "u1")
    fm = {"n_noise": 4, "tol": 1e-10, "valence": {"type": "wilson", "kappa": 0.2}, "source": None}
    res = measure(path, ["plaquette", "condensate", "correlators"], None, fermion=None, fermion_measure=fm)
    assert res["trajectory"] == 12 and abs(res["plaquette"]) < 1
    assert res["pbp"] > 0 and res["pbp_err"] > 0 and res["pbp_dirac_applications"] > 0
    assert [f"pion_t{t:02d}" for t in range(8)] == [k for k in res if k.startswith("pion_t")]
    assert all(res[f"pion_t{t:02d}"] > 0 for t in range(8))
    assert "rho_t07" in res and res["correlators_dirac_applications"] > 0
    json.dumps(res)                                            # the JSON the rule writes
    again = measure(path, ["condensate"], None, fermion=None, fermion_measure=fm)
    assert again["pbp"] == res["pbp"]                          # seeded by (seed, stream, trajectory)
    (tmp_path / "s1").mkdir()
    other = saved_config(tmp_path / "s1", (8, 8), "u1", trajectory=12, stream=1)
    assert measure(other, ["condensate"], None, fermion=None, fermion_measure=fm)["pbp"] != res["pbp"]
    moved = measure(path, ["correlators"], None, fermion=None, fermion_measure=dict(fm, source=[2, 3]))
    assert moved["pion_t00"] != res["pion_t00"]


def test_measure_stage_uses_the_sea_quark_of_a_dynamical_ensemble(tmp_path):
    path = saved_config(tmp_path, (4, 4, 4, 4), "su2", trajectory=6, seed=5)
    cfg = validate_config(config(dyn=copy(DYNAMICAL)), load_schema(SCHEMA))["ensembles"]["dyn"]
    res = measure(path, cfg["measure"], cfg["wilson_loops"], fermion=cfg["fermion"],
                  fermion_measure=dict(cfg["fermion_measure"], n_noise=2))
    assert res["pbp"] > 0 and "pion_t00" not in res
    from lqcd_core.dirac.staggered import Staggered
    from lqcd_core.io import read_config
    from lqcd_core.observables.fermionic import chiral_condensate
    field, _ = read_config(path)
    ref = chiral_condensate(field, Staggered(0.5, even_odd=False), n_noise=2, seed=(5, 0, 6))
    assert res["pbp"] == pytest.approx(ref["pbp"], rel=1e-12)


def test_quenched_ensemble_without_valence_quark_is_refused(tmp_path):
    path = saved_config(tmp_path, (8, 8), "u1")
    with pytest.raises(ValueError, match="valence"):
        measure(path, ["plaquette", "correlators"], None, fermion=None,
                fermion_measure={"n_noise": 2, "tol": 1e-10, "valence": None, "source": None})
    assert set(measure(path, ["plaquette"], None)) == {"trajectory", "plaquette", "plaquette_s",
                                                        "plaquette_t"}


# ---------------------------------------------------------------------------
# tables and figure
# ---------------------------------------------------------------------------
def synthetic_tables(rng, T=8, n=40, streams=2, mass=0.45):
    t = np.arange(T)
    c = np.cosh(mass * (T / 2 - t))
    rows, traj = [], []
    for s in range(streams):
        for i in range(n):
            rec = {"stream": s, "trajectory": 4 * (i + 1),
                   "plaquette": 0.8 + 0.01 * rng.standard_normal(),
                   "pbp": 0.3 + 0.01 * rng.standard_normal(), "pbp_err": 0.002 * (1 + rng.random())}
            noisy = c * (1 + 0.01 * rng.standard_normal(T))
            rec.update({f"pion_t{k:02d}": v for k, v in enumerate(noisy)})
            rho = 2 * noisy * (1 + 0.01 * rng.standard_normal(T))
            rec.update({f"rho_t{k:02d}": v for k, v in enumerate(rho)})
            rows.append(rec)
        for j in range(1, 4 * n + 1):
            traj.append({"stream": s, "trajectory": j, "phase": "prod",
                         "plaquette": 0.8 + 0.01 * rng.standard_normal(),
                         "delta_h": 0.1 * rng.standard_normal(), "exp_mdh": 1.0, "accepted": 1,
                         "seconds": 0.01, "force_mean": 1.0, "force_max": 2.0, "force_feps": 0.1,
                         "solver_iterations": 0, "dirac_applications": 0})
    return pd.DataFrame(traj, columns=["stream"] + COLUMNS), pd.DataFrame(rows), mass


def test_summary_lists_pbp_and_correlator_table_gives_the_mass(tmp_path):
    rng = np.random.default_rng(0)
    traj, meas, mass = synthetic_tables(rng)
    ens = {"save_every": 4, "wilson_loops": {}, "flow": None}
    summary = summarize(traj, meas, ens, S=2.0)
    row = summary.set_index("observable").loc["pbp"]
    assert row["mean"] == pytest.approx(0.3, abs=0.02) and row["error"] > 0
    tab = correlator_table(meas, S=2.0, cut=measurement_cut(summary, 4))
    assert list(tab["channel"].unique()) == ["pion", "rho"]
    assert len(tab) == 16 and (tab["kind"] == "cosh").all()
    assert (tab["n"] == 80 - 2 * measurement_cut(summary, 4)).all()
    pion = tab[tab["channel"] == "pion"]
    ok = pion["m_eff"].notna()
    assert ok.sum() == 7
    assert np.all(np.abs(pion["m_eff"][ok] - mass) < 5 * pion["m_eff_err"][ok])
    assert measurement_cut(summary.assign(therm_cut=8), 4) == 2
    png = correlator_figure(tab, tmp_path / "plots" / "correlators.png", title="test")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_correlator_table_needs_correlator_columns():
    with pytest.raises(ValueError, match="correlators"):
        correlator_table(pd.DataFrame({"stream": [0, 0], "trajectory": [1, 2], "pbp": [0.1, 0.2]}))

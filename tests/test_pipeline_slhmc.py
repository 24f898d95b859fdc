"""Self-learning HMC as a pipeline stage: schema and cross-key checks, the DAG (thermalize ->
train_surrogate -> production blocks), the stages run directly (HMC thermalisation with training
configurations, training, SLHMC blocks with the frozen model, bit-identical reruns) and one
end-to-end Snakemake run of a tiny 2D U(1) ensemble with two Wilson flavours.
"""
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lqcd_core.io import read_checkpoint, read_config
from lqcd_core.pipeline import ConfigError, load_schema, physics, validate_config
from lqcd_core.pipeline.ensemble import (EnsembleError, chain_config, training_streams,
                                         training_trajectories, validate_ensemble)
from lqcd_core.pipeline.comparison import comparison_groups
from lqcd_core.pipeline.stages import run_block, thermalize
from lqcd_core.pipeline.surrogate_figures import train_stage, training_figure
from lqcd_core.surrogate.io import read_model_file
from smk_helpers import job_counts, smk

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
needs_snakemake = pytest.mark.skipif(shutil.which("snakemake") is None,
                                     reason="snakemake is not installed")

RES = {"generate": {"threads": 1, "mem_mb": 500, "runtime": 5},
       "measure": {"threads": 1, "mem_mb": 500, "runtime": 5},
       "analyse": {"threads": 1, "mem_mb": 500, "runtime": 5}}
# n_therm 10 with the defaults train_from 0.5, train_every 2 gives 3 training configurations,
# fewer than training needs (4): the tiny ensembles save every thermalisation trajectory after 5
HEAVY = {"group": "u1", "lattice": [4, 4], "beta": 2.0, "algorithm": "slhmc", "n_therm": 10,
         "n_traj": 20, "block": 10, "save_every": 5, "streams": 1, "seed": 3,
         "fermion": {"type": "wilson", "kappa": 0.2},
         "surrogate": {"kind": "heavy", "heavy": 0.15, "train_every": 1},
         "measure": ["plaquette"]}
LOOPS = dict(HEAVY, surrogate={"kind": "loops", "train_every": 1})
HMC = {"group": "u1", "lattice": [4, 4], "beta": 2.0, "n_therm": 10, "n_traj": 20, "block": 10,
       "save_every": 5, "fermion": {"type": "wilson", "kappa": 0.2}}


def copy(d):
    return json.loads(json.dumps(d))


def config(**ensembles):
    return {"results": "results", "resources": RES, "ensembles": ensembles}


def validated(**ensembles):
    return validate_config(config(**{k: copy(v) for k, v in ensembles.items()}), load_schema(SCHEMA))


# ---------------------------------------------------------------------------
# schema and cross-key checks
# ---------------------------------------------------------------------------
def test_slhmc_ensembles_validate_with_surrogate_defaults():
    cfg = validated(heavy=HEAVY, loops=LOOPS, hmc=HMC)
    heavy, loops, hmc = (cfg["ensembles"][k] for k in ("heavy", "loops", "hmc"))
    assert heavy["surrogate"] == {"kind": "heavy", "heavy": 0.15, "layers": 2, "rect": False,
                                  "epochs": 20, "lr": 0.02, "fit": "forces", "terms": None,
                                  "n_phi": 8, "train_every": 1, "train_from": 0.5}
    assert loops["surrogate"]["heavy"] is None and hmc["surrogate"] is None
    assert training_trajectories(heavy) == [6, 7, 8, 9, 10] and training_streams(heavy) == [0]
    assert training_trajectories(hmc) == [] and training_streams(hmc) == []
    # the thermalisation of an slhmc ensemble is an HMC chain (the model does not exist yet)
    assert chain_config(heavy, 0).algorithm == "hmc" and chain_config(heavy, 0).surrogate is None
    assert physics(heavy)["surrogate"] == heavy["surrogate"]
    # an ensemble without surrogate keeps its physics record (and the rules' params) unchanged
    assert "surrogate" not in physics(hmc)
    defaults = validated(d=dict(HEAVY, surrogate={"kind": "heavy", "heavy": 0.15}, n_therm=20))
    assert training_trajectories(defaults["ensembles"]["d"]) == [12, 14, 16, 18, 20]


@pytest.mark.parametrize("change,key", [
    ({"surrogate": {"kind": "heavy"}}, "ensembles.e.surrogate.heavy"),
    ({"surrogate": {"kind": "neural", "train_every": 1}}, "ensembles.e.surrogate.heavy"),
    ({"surrogate": {"kind": "heavy", "heavy": 0.25, "train_every": 1}}, "ensembles.e.surrogate.heavy"),
    ({"fermion": None}, "ensembles.e.fermion"),
    ({"surrogate": {"kind": "gaussian", "heavy": 0.15}}, "ensembles.e.surrogate.kind"),
    ({"surrogate": None}, "ensembles.e.surrogate"),
    ({"surrogate": {"heavy": 0.15}}, "ensembles.e.surrogate"),
    ({"surrogate": {"kind": "loops", "epochs": 0}}, "ensembles.e.surrogate.epochs"),
    ({"surrogate": {"kind": "loops", "colour": 3}}, "ensembles.e.surrogate"),
    ({"surrogate": {"kind": "loops"}}, "ensembles.e.surrogate.train_every"),
    ({"surrogate": {"kind": "loops", "train_every": 1, "terms": ["chair"]}}, "ensembles.e.surrogate.terms"),
    ({"fermion": {"type": "wilson", "kappa": 0.2, "hasenbusch": [0.15]}}, "ensembles.e.fermion"),
    ({"fermion": {"type": "wilson", "kappa": 0.2, "nf": 1}}, "ensembles.e.fermion"),
    ({"algorithm": "hmc"}, "ensembles.e.surrogate"),
])
def test_bad_slhmc_ensembles_are_rejected_naming_the_key(change, key):
    ens = copy(HEAVY)
    ens.update(copy(change))
    with pytest.raises(ConfigError, match=key.replace(".", r"\.") + r"\b"):
        validated(e=ens)


def test_validate_ensemble_alone_names_the_surrogate_key():
    """Without the schema (library callers), the cross-key check still names the key."""
    ens = validated(e=HEAVY)["ensembles"]["e"]
    for change, key in (({"kind": "gaussian"}, "surrogate.kind"), ({"heavy": None}, "surrogate.heavy")):
        bad = dict(ens, surrogate=dict(ens["surrogate"], **change))
        with pytest.raises(EnsembleError, match=r"ensembles\.e\." + key.replace(".", r"\.")):
            validate_ensemble("e", bad)


# ---------------------------------------------------------------------------
# the DAG
# ---------------------------------------------------------------------------
@needs_snakemake
def test_shipped_slhmc_config_plans_one_hmc_against_slhmc_comparison(tmp_path):
    """config/slhmc_su2_nf4.yaml (the figure of merit of docs/slhmc.md in the pipeline): valid,
    and its two ensembles form one comparison group, so the report compares their costs."""
    cfg = yaml.safe_load((ROOT / "config" / "slhmc_su2_nf4.yaml").read_text())
    ens = validate_config(cfg, load_schema(SCHEMA))["ensembles"]
    assert sorted(e["algorithm"] for e in ens.values()) == ["hmc", "slhmc"]
    assert len(comparison_groups(ens)) == 1
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    counts = job_counts(smk(tmp_path, "-n").stdout)
    streams = {e["streams"] for e in ens.values()}.pop()
    assert counts["compare_algorithms"] == 1 and counts["train_surrogate"] == 1
    assert counts["thermalize"] == 2 * streams


def rule_edges(dot: str) -> set:
    """(from rule, to rule) edges of ``snakemake --rulegraph`` output."""
    names = dict(re.findall(r'(\d+)\[label = "([a-z_]+)"', dot))
    return {(names[a], names[b]) for a, b in re.findall(r"(\d+) -> (\d+)", dot)}


@needs_snakemake
def test_dry_run_plans_thermalize_train_surrogate_then_slhmc_blocks(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config(slh=copy(HEAVY), hmc=copy(HMC))))
    res = smk(tmp_path, "-n")
    text = res.stdout + res.stderr
    counts = job_counts(text)
    assert counts["thermalize"] == 2 and counts["production_block"] == 4
    assert counts["train_surrogate"] == 1 and counts["plot_surrogate_training"] == 1
    assert counts["plot_delta_h"] == 2                       # hmc and slhmc
    assert "results/slh/surrogate/model.h5" in text and "results/hmc/surrogate" not in text
    edges = rule_edges(smk(tmp_path, "--rulegraph").stdout)
    assert ("thermalize", "train_surrogate") in edges
    assert ("train_surrogate", "production_block") in edges
    assert ("train_surrogate", "plot_surrogate_training") in edges
    assert ("thermalize", "production_block") in edges


# ---------------------------------------------------------------------------
# the stages, run directly
# ---------------------------------------------------------------------------
def rows_without_time(path):
    df = pd.read_csv(path)
    return df.drop(columns=["seconds"]).to_dict("records")


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """thermalize -> train (loops) -> block 1 -> block 2 of stream 0."""
    d = tmp_path_factory.mktemp("slhmc_stages")
    ens = validated(e=LOOPS)["ensembles"]["e"]
    thermalize(ens, 0, d / "s0" / "block0000")
    sur = d / "surrogate"
    summary = train_stage(ens, [d / "s0" / "block0000"], sur / "model.h5", sur / "training.csv",
                          sur / "summary.json")
    run_block(ens, 1, d / "s0" / "block0000" / "checkpoint.h5", d / "s0" / "block0001",
              model=sur / "model.h5")
    run_block(ens, 2, d / "s0" / "block0001" / "checkpoint.h5", d / "s0" / "block0002",
              model=sur / "model.h5")
    return d, ens, summary


def test_thermalisation_is_hmc_and_saves_training_configurations(stages, tmp_path):
    d, ens, _ = stages
    b0 = d / "s0" / "block0000"
    ck = read_checkpoint(b0 / "checkpoint.h5")
    assert ck.params["algorithm"] == "hmc" and ck.params["surrogate"] is None and ck.trajectory == 10
    files = sorted(p.name for p in (b0 / "train").iterdir())
    assert files == [f"config_{t:06d}.h5" for t in (6, 7, 8, 9, 10)]
    field, info = read_config(b0 / "train" / "config_000010.h5")
    assert info["trajectory"] == 10 and info["params"]["beta"] == 2.0
    assert np.array_equal(field.links, ck.field.links)       # the last one is the checkpoint's
    thermalize(ens, 1, tmp_path / "s1")                       # only stream 0 saves them
    assert not (tmp_path / "s1" / "train").exists()


def test_training_writes_the_model_table_and_summary(stages, tmp_path):
    d, _, summary = stages
    sur = d / "surrogate"
    rec = read_model_file(sur / "model.h5")
    assert rec.model_dict["kind"] == "loops" and len(rec.model_dict["theta"]) == 3
    assert rec.model_dict["theta"] == summary["theta"]
    assert rec.metadata["n_configs"] == 5 and len(rec.metadata["configs"]) == 5
    table = pd.read_csv(sur / "training.csv")
    vals = dict(zip(table["quantity"], table["value"]))
    assert [q for q in vals if q.startswith("c_")] == ["c_plaquette", "c_rectangle", "c_polyakov"]
    assert [vals[f"c_{t}"] for t in ("plaquette", "rectangle", "polyakov")] == pytest.approx(summary["theta"])
    assert {"r2", "validation_r2", "rms", "n_train", "n_validation"} <= set(vals)
    assert json.loads((sur / "summary.json").read_text())["fit"]["method"] == "forces"
    png = training_figure(table, summary, tmp_path / "loops.png")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_neural_training_table_is_the_loss_per_epoch(stages, tmp_path):
    d, ens, _ = stages
    neural = dict(ens, surrogate=dict(ens["surrogate"], kind="neural", heavy=0.15, epochs=2))
    summary = train_stage(neural, [d / "s0" / "block0000"], tmp_path / "model.h5",
                          tmp_path / "training.csv", tmp_path / "summary.json")
    table = pd.read_csv(tmp_path / "training.csv")
    assert list(table.columns) == ["epoch", "train_loss", "val_loss"]
    assert list(table["epoch"]) == [0, 1, 2] and (table["train_loss"] > 0).all()
    assert read_model_file(tmp_path / "model.h5").training["train_loss"] == pytest.approx(table["train_loss"])
    assert Path(training_figure(table, summary, tmp_path / "n.png")).read_bytes()[:4] == b"\x89PNG"


def test_production_blocks_are_slhmc_with_the_frozen_model(stages):
    d, _, summary = stages
    model = read_model_file(d / "surrogate" / "model.h5").model_dict
    for block, last in ((1, 20), (2, 30)):
        ck = read_checkpoint(d / "s0" / f"block{block:04d}" / "checkpoint.h5")
        assert ck.trajectory == last
        assert ck.params["algorithm"] == "slhmc"
        assert ck.params["surrogate"] == model and ck.params["surrogate"]["theta"] == summary["theta"]
        log = pd.read_csv(d / "s0" / f"block{block:04d}" / "trajectories.csv")
        assert list(log["trajectory"]) == list(range(last - 9, last + 1))
        assert (log["phase"] == "prod").all() and log["delta_h"].notna().all()
        assert (log["solver_iterations"] > 0).all() and (log["dirac_applications"] > 0).all()
        saved = sorted(p.name for p in (d / "s0" / f"block{block:04d}" / "configs").iterdir())
        assert saved == [f"config_{last - 5:06d}.h5", f"config_{last:06d}.h5"]


def test_first_slhmc_block_needs_the_model(stages, tmp_path):
    d, ens, _ = stages
    with pytest.raises(ValueError, match="surrogate model"):
        run_block(ens, 1, d / "s0" / "block0000" / "checkpoint.h5", tmp_path / "b1")


@pytest.mark.parametrize("block", [1, 2])
def test_rerun_of_a_block_is_bit_identical(stages, tmp_path, block):
    d, ens, _ = stages
    previous = d / "s0" / f"block{block - 1:04d}" / "checkpoint.h5"
    run_block(ens, block, previous, tmp_path / "again", model=d / "surrogate" / "model.h5")
    a = read_checkpoint(tmp_path / "again" / "checkpoint.h5")
    b = read_checkpoint(d / "s0" / f"block{block:04d}" / "checkpoint.h5")
    assert a.trajectory == b.trajectory and a.params == b.params
    assert np.array_equal(a.field.links, b.field.links)
    assert a.rng_state == b.rng_state
    assert rows_without_time(tmp_path / "again" / "trajectories.csv") == \
        rows_without_time(d / "s0" / f"block{block:04d}" / "trajectories.csv")


# ---------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------
@needs_snakemake
def test_snakemake_runs_an_slhmc_ensemble_end_to_end(tmp_path):
    # one saved configuration per block: fewer jobs (each starts a Python process)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config(slh=dict(copy(HEAVY), save_every=10))))
    smk(tmp_path)
    res = tmp_path / "results" / "slh"
    rec = read_model_file(res / "surrogate" / "model.h5")
    assert rec.model_dict["kind"] == "heavy" and rec.model_dict["config"]
    table = pd.read_csv(res / "surrogate" / "training.csv")
    assert list(table["stage"]) == ["before", "after"] and (table["rms"] > 0).all()
    for png in ("surrogate_training", "delta_h", "plaquette_history"):
        assert (res / "plots" / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for block in (1, 2):
        ck = read_checkpoint(res / "s0" / f"block{block:04d}" / "checkpoint.h5")
        assert ck.params["algorithm"] == "slhmc" and ck.params["surrogate"] == rec.model_dict
    traj = pd.read_csv(res / "trajectories.csv")
    assert list(traj["trajectory"]) == list(range(1, 31))
    assert (traj[traj["phase"] == "prod"]["dirac_applications"] > 0).all()
    # acceptance and cost in the summary and the comparison, as for HMC
    summary = pd.read_csv(res / "summary.csv").set_index("observable")
    plaq = summary.loc["plaquette"]
    assert 0 < plaq["acceptance"] <= 1 and plaq["seconds_per_traj"] > 0
    assert np.isfinite(plaq["exp_mdh"])
    comp = pd.read_csv(tmp_path / "results" / "comparison.csv")
    assert set(comp["algorithm"]) == {"slhmc"} and comp["acceptance"].notna().all()
    assert json.loads((res / "params.json").read_text())["surrogate"]["kind"] == "heavy"
    assert job_counts(smk(tmp_path, "-n").stdout) == {}      # nothing left to do

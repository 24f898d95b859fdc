"""The truncated-CG surrogate as a first-class surrogate kind (docs/slhmc.md, "Surrogate (d)"):
the pipeline's ``surrogate: {kind: truncated}`` block (schema and cross-key checks), the stages
run directly (HMC thermalisation -> "training", which only writes the model file -> SLHMC
production blocks with the frozen model, bit-identical reruns) and ``lqcd train-surrogate
--kind truncated`` followed by ``lqcd generate --algorithm slhmc --surrogate MODEL``."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqcd_core.cli.main import main
from lqcd_core.io import read_checkpoint
from lqcd_core.pipeline import ConfigError, load_schema, physics, validate_config
from lqcd_core.pipeline.ensemble import EnsembleError, validate_ensemble
from lqcd_core.pipeline.stages import run_block, thermalize
from lqcd_core.pipeline.surrogate_figures import train_stage, training_figure
from lqcd_core.surrogate import TruncatedFermionSurrogate, load_model
from lqcd_core.surrogate.io import read_model_file

pytestmark = pytest.mark.usefixtures("single_numba_thread")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
RES = {"generate": {"threads": 1, "mem_mb": 500, "runtime": 5},
       "measure": {"threads": 1, "mem_mb": 500, "runtime": 5},
       "analyse": {"threads": 1, "mem_mb": 500, "runtime": 5}}
# as tests/test_pipeline_slhmc.py: a tiny 2D U(1) ensemble with two Wilson flavours
TRUNCATED = {"group": "u1", "lattice": [4, 4], "beta": 2.0, "algorithm": "slhmc", "n_therm": 10,
             "n_traj": 20, "block": 10, "save_every": 5, "streams": 1, "seed": 3,
             "fermion": {"type": "wilson", "kappa": 0.2},
             "surrogate": {"kind": "truncated", "train_every": 1},
             "measure": ["plaquette"]}
HEAVY = dict(TRUNCATED, surrogate={"kind": "heavy", "heavy": 0.15, "train_every": 1})


def copy(d):
    return json.loads(json.dumps(d))


def validated(**ensembles):
    cfg = {"results": "results", "resources": RES,
           "ensembles": {k: copy(v) for k, v in ensembles.items()}}
    return validate_config(cfg, load_schema(SCHEMA))


# ---------------------------------------------------------------------------
# schema and cross-key checks
# ---------------------------------------------------------------------------
def test_truncated_kind_validates_with_defaults_and_other_kinds_keep_their_record():
    cfg = validated(t=TRUNCATED, h=HEAVY)
    tr, hv = cfg["ensembles"]["t"], cfg["ensembles"]["h"]
    assert tr["surrogate"]["kind"] == "truncated"
    assert tr["surrogate"]["iterations"] == 8 and tr["surrogate"]["heavy"] is None
    assert physics(tr)["surrogate"]["iterations"] == 8      # the default is in the record
    # the default is filled for truncated only: heavy/loops/neural blocks (and the physics
    # record of existing ensembles of those kinds) are unchanged
    assert "iterations" not in hv["surrogate"]
    given = validated(t=dict(TRUNCATED, surrogate={"kind": "truncated", "iterations": 3,
                                                   "heavy": 0.18, "train_every": 1}))
    assert given["ensembles"]["t"]["surrogate"]["iterations"] == 3
    assert given["ensembles"]["t"]["surrogate"]["heavy"] == 0.18


@pytest.mark.parametrize("surrogate,fermion,key", [
    ({"iterations": 0}, None, "ensembles.e.surrogate.iterations"),
    ({"iterations": 2.5}, None, "ensembles.e.surrogate.iterations"),
    ({"iterations": "eight"}, None, "ensembles.e.surrogate.iterations"),
    ({"heavy": 0.25}, None, "ensembles.e.surrogate.heavy"),          # lighter than kappa 0.2
    ({"heavy": 0.2}, None, "ensembles.e.surrogate.heavy"),           # not heavier
    ({"heavy": 0.05}, {"type": "staggered", "mass": 0.1}, "ensembles.e.surrogate.heavy"),
    ({"heavy": 0.15, "colour": 3}, None, "ensembles.e.surrogate"),
    ({}, {"type": "wilson", "kappa": 0.2, "hasenbusch": [0.15]}, "ensembles.e.fermion"),
])
def test_bad_truncated_blocks_are_refused_naming_the_key(surrogate, fermion, key):
    ens = copy(TRUNCATED)
    ens["surrogate"].update(surrogate)
    if fermion is not None:
        ens["fermion"] = fermion
    with pytest.raises(ConfigError, match=key.replace(".", r"\.") + r"\b"):
        validated(e=ens)


def test_surrogate_kinds_and_default_iterations_agree_everywhere():
    """The kinds and k's default are spelled in four places (the CLI avoids importing Numba)."""
    from lqcd_core.cli import train_surrogate as cli
    from lqcd_core.pipeline.ensemble import SURROGATE_KINDS
    from lqcd_core.surrogate import stage
    schema = load_schema(SCHEMA)["$defs"]["ensemble"]["properties"]["surrogate"]["properties"]
    assert "truncated" in stage.KINDS
    assert tuple(cli.KINDS) == tuple(SURROGATE_KINDS) == tuple(stage.KINDS) == tuple(schema["kind"]["enum"])
    assert cli.DEFAULT_ITERATIONS == stage.DEFAULT_ITERATIONS == 8
    assert "default" not in schema["iterations"] and schema["iterations"]["minimum"] == 1


def test_validate_ensemble_alone_names_the_truncated_keys():
    """Without the schema (library callers), the cross-key check names the key too."""
    ens = validated(e=TRUNCATED)["ensembles"]["e"]
    for change, key in (({"iterations": 0}, "surrogate.iterations"),
                        ({"iterations": True}, "surrogate.iterations"),
                        ({"heavy": 0.3}, "surrogate.heavy")):
        bad = dict(ens, surrogate=dict(ens["surrogate"], **change))
        with pytest.raises(EnsembleError, match=r"ensembles\.e\." + key.replace(".", r"\.")):
            validate_ensemble("e", bad)


# ---------------------------------------------------------------------------
# the stages, run directly
# ---------------------------------------------------------------------------
def rows_without_time(path):
    return pd.read_csv(path).drop(columns=["seconds"]).to_dict("records")


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """thermalize -> train (truncated) -> block 1 -> block 2 of stream 0."""
    d = tmp_path_factory.mktemp("truncated_stages")
    ens = validated(e=TRUNCATED)["ensembles"]["e"]
    thermalize(ens, 0, d / "s0" / "block0000")
    sur = d / "surrogate"
    summary = train_stage(ens, [d / "s0" / "block0000"], sur / "model.h5", sur / "training.csv",
                          sur / "summary.json")
    for block in (1, 2):
        run_block(ens, block, d / "s0" / f"block{block - 1:04d}" / "checkpoint.h5",
                  d / "s0" / f"block{block:04d}", model=sur / "model.h5")
    return d, ens, summary


def test_truncated_training_writes_the_model_with_its_parameters(stages, tmp_path):
    d, _, summary = stages
    sur = d / "surrogate"
    rec = read_model_file(sur / "model.h5")
    assert isinstance(rec.model, TruncatedFermionSurrogate)
    assert rec.model_dict["kind"] == "truncated" and rec.model_dict["theta"] == [1.0]
    assert rec.model_dict["config"]["iterations"] == 8
    assert rec.model_dict["config"]["fermion"]["kappa"] == 0.2          # the true quark
    assert rec.training is None                                          # no training curve
    assert rec.metadata["iterations"] == 8 and rec.metadata["heavy"] is None
    assert rec.metadata["shares_solves"] is True
    table = pd.read_csv(sur / "training.csv")
    assert dict(zip(table["quantity"], table["value"])) == {
        "iterations": 8.0, "kappa": 0.2, "true_quark": 1.0, "a": 1.0}
    on_disk = json.loads((sur / "summary.json").read_text())
    assert on_disk["kind"] == "truncated" and on_disk["surrogate"]["iterations"] == 8
    png = training_figure(table, summary, tmp_path / "truncated.png")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_truncated_training_at_a_heavier_quark_records_it(stages, tmp_path):
    d, ens, _ = stages
    heavier = dict(ens, surrogate=dict(ens["surrogate"], heavy=0.18, iterations=3))
    summary = train_stage(heavier, [d / "s0" / "block0000"], tmp_path / "model.h5",
                          tmp_path / "training.csv", tmp_path / "summary.json")
    model = load_model(tmp_path / "model.h5")
    assert model.iterations == 3 and model.fermion.kappa == 0.18
    assert summary["shares_solves"] is False                 # A' != A: nothing shared
    vals = dict(zip(*pd.read_csv(tmp_path / "training.csv")[["quantity", "value"]].to_numpy().T))
    assert vals["kappa"] == 0.18 and vals["true_quark"] == 0.0 and vals["iterations"] == 3.0
    png = tmp_path / "heavier.png"
    assert Path(training_figure(pd.read_csv(tmp_path / "training.csv"), summary, png)).is_file()


def test_truncated_production_blocks_are_slhmc_with_the_frozen_model(stages):
    d, _, _ = stages
    model = read_model_file(d / "surrogate" / "model.h5").model_dict
    for block, last in ((1, 20), (2, 30)):
        ck = read_checkpoint(d / "s0" / f"block{block:04d}" / "checkpoint.h5")
        assert ck.trajectory == last and ck.params["algorithm"] == "slhmc"
        assert ck.params["surrogate"] == model
        log = pd.read_csv(d / "s0" / f"block{block:04d}" / "trajectories.csv")
        assert list(log["trajectory"]) == list(range(last - 9, last + 1))
        assert log["delta_h"].notna().all() and log["accepted"].sum() > 0
        assert (log["solver_iterations"] > 0).all()


@pytest.mark.parametrize("block", [1, 2])
def test_truncated_block_reruns_bit_identically(stages, tmp_path, block):
    d, ens, _ = stages
    previous = d / "s0" / f"block{block - 1:04d}" / "checkpoint.h5"
    run_block(ens, block, previous, tmp_path / "again", model=d / "surrogate" / "model.h5")
    a = read_checkpoint(tmp_path / "again" / "checkpoint.h5")
    b = read_checkpoint(d / "s0" / f"block{block:04d}" / "checkpoint.h5")
    assert a.trajectory == b.trajectory and a.params == b.params
    assert np.array_equal(a.field.links, b.field.links) and a.rng_state == b.rng_state
    assert rows_without_time(tmp_path / "again" / "trajectories.csv") == \
        rows_without_time(d / "s0" / f"block{block:04d}" / "trajectories.csv")


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------
def test_cli_train_surrogate_kind_truncated_writes_a_loadable_model(tmp_path, capsys):
    base = ["--group", "u1", "--lattice", "4,4", "--beta", "2.0", "--progress", "none"]
    ferm = ["--fermion", "wilson", "--kappa", "0.2"]
    assert main(["generate"] + base + ferm + ["--steps", "4", "--therm", "2", "--ntraj", "2",
                                              "--save-every", "1", "--start", "hot",
                                              "--out", str(tmp_path / "hmc")]) == 0
    out = tmp_path / "truncated.h5"
    train = ["train-surrogate", "--kind", "truncated", "--configs", str(tmp_path / "hmc")] + ferm
    assert main(train + ["--iterations", "5", "--out", str(out)]) == 0
    assert "k = 5 CG iterations at the true quark" in capsys.readouterr().out
    model = load_model(out)
    assert isinstance(model, TruncatedFermionSurrogate)
    assert model.iterations == 5 and model.fermion.kappa == 0.2
    assert read_model_file(out).metadata["beta"] == 2.0
    # the default k, and flags that do not fit are refused before any work
    assert main(train + ["--out", str(tmp_path / "k8.h5")]) == 0
    assert load_model(tmp_path / "k8.h5").iterations == 8
    assert main(train + ["--iterations", "0", "--out", str(tmp_path / "k0.h5")]) == 2
    assert main(["train-surrogate", "--kind", "heavy", "--heavy", "0.15", "--iterations", "4",
                 "--configs", str(tmp_path / "hmc"), "--out", str(tmp_path / "h.h5")] + ferm) == 2
    assert main(train + ["--heavy", "0.25", "--out", str(tmp_path / "light.h5")]) == 2
    assert "heavy kappa" in capsys.readouterr().err
    assert not any((tmp_path / n).exists() for n in ("k0.h5", "h.h5", "light.h5"))
    # and lqcd generate runs SLHMC with it
    assert main(["generate", "--algorithm", "slhmc", "--surrogate", str(out)] + base + ferm + [
        "--steps", "4", "--start", str(tmp_path / "hmc" / "checkpoint.h5"), "--ntraj", "2",
        "--out", str(tmp_path / "slhmc")]) == 0
    ck = read_checkpoint(tmp_path / "slhmc" / "checkpoint.h5")
    assert ck.params["algorithm"] == "slhmc" and ck.params["surrogate"] == model.to_dict()

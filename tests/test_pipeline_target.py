"""Precision-driven production through the real workflow, on tiny 2D U(1) ensembles: the DAG
grows round by round until the target is met or the budget is spent, says which, does nothing on
a rerun, continues the same chains when the target is raised; ensembles of the same physics by
different algorithms are compared."""
import hashlib
import json
import shutil

import pandas as pd
import pytest

from smk_helpers import planned_jobs, smk, write_config

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake is not installed")

RES = {k: {"threads": 1, "mem_mb": 500, "runtime": 5} for k in ("generate", "measure", "analyse")}
HB = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "algorithm": "heatbath", "or_per_hb": 1,
      "n_therm": 20, "n_traj": 40, "block": 40, "save_every": 40, "streams": 2, "seed": 3,
      "measure": ["plaquette"]}
HMC = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "algorithm": "hmc", "steps": 6, "n_therm": 20,
       "n_traj": 120, "block": 120, "save_every": 120, "streams": 1, "seed": 5, "measure": ["plaquette"]}


def config(n_indep, max_traj=400, with_hmc=True):
    ens = {"u1_hb": dict(HB, target={"observables": ["plaquette"], "n_indep": n_indep, "max_traj": max_traj})}
    if with_hmc:
        ens["u1_hmc"] = HMC
    return {"results": "results", "resources": RES, "ensembles": ens}


def checksums(d):
    return {p: hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted((d / "results" / "u1_hb").glob("s*/block*/*")) if p.is_file()}


@pytest.fixture(scope="module")
def met(tmp_path_factory):
    d = tmp_path_factory.mktemp("target")
    write_config(d, config(150))
    res = smk(d)
    return d, res.stdout + res.stderr


def status(d):
    return json.loads((d / "results" / "u1_hb" / "target.json").read_text())


def test_target_is_reached_within_the_budget_and_the_run_says_so(met):
    d, log = met
    st = status(d)
    assert st["reason"] == "target met" and st["done"]
    crit = st["criteria"][0]
    assert crit["observable"] == "plaquette" and crit["value"] >= 150
    assert st["traj_per_stream"] <= 400
    assert st["rounds"] >= 2  # the first round (40 x 2 trajectories) cannot reach 150
    blocks = sorted(p.name for p in (d / "results" / "u1_hb" / "s0").glob("block*"))
    assert len(blocks) == st["blocks_per_stream"] + 1  # thermalisation + production blocks
    traj = pd.read_csv(d / "results" / "u1_hb" / "trajectories.csv")
    assert (traj["phase"] == "prod").sum() == st["traj_per_stream"] * 2
    assert "u1_hb: target met" in log
    progress = pd.read_csv(d / "results" / "u1_hb" / "progress.csv")
    assert progress["traj_per_stream"].max() == st["traj_per_stream"]
    assert (d / "results" / "u1_hb" / "plots" / "progress.png").read_bytes()[:4] == b"\x89PNG"


def test_rerun_after_the_target_is_met_does_nothing(met):
    d, _ = met
    assert planned_jobs(d) == {}


def test_algorithms_of_the_same_physics_are_compared_and_agree(met):
    d, _ = met
    table = pd.read_csv(d / "results" / "comparison" / "u1_8x8_b2.csv")
    assert set(table["ensemble"]) == {"u1_hb", "u1_hmc"}
    assert table["agree"].all(), table.to_string()
    assert (d / "results" / "comparison" / "u1_8x8_b2.png").read_bytes()[:4] == b"\x89PNG"


def test_raising_the_target_continues_the_same_chains(met, tmp_path):
    d = tmp_path / "raised"
    shutil.copytree(met[0], d)
    before = checksums(d)
    old = status(d)
    write_config(d, config(400))
    jobs = planned_jobs(d)
    assert "thermalize" not in jobs and "production_block" not in jobs  # decided by the rounds
    assert jobs.get("target_round") == 1
    smk(d)
    after = checksums(d)
    assert all(after[p] == h for p, h in before.items()), "an existing block was rewritten"
    st = status(d)
    assert st["reason"] in ("target met", "budget spent")
    assert st["traj_per_stream"] > old["traj_per_stream"] and st["traj_per_stream"] <= 400
    assert len(after) > len(before)
    assert planned_jobs(d) == {}


def test_unreachable_target_stops_at_the_budget(tmp_path):
    write_config(tmp_path, config(100_000, max_traj=120, with_hmc=False))
    smk(tmp_path)
    st = status(tmp_path)
    assert st["reason"] == "budget spent"
    assert st["traj_per_stream"] == 120
    assert not (tmp_path / "results" / "u1_hb" / "s0" / "block0004").exists()
    assert st["remaining"]["trajectories"] > 0

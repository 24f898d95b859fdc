"""Dynamical fermions in chains, the command line and the pipeline configuration:
restarts are bit-identical, the cost is logged, bad fermion parameters fail before any work."""
import csv
import re

import numpy as np
import pytest

from lqcd_core.cli.main import main
from lqcd_core.io import read_checkpoint
from lqcd_core.markov.chain import ChainConfig
from lqcd_core.markov.rundir import generate

U1 = ["generate", "--group", "u1", "--lattice", "4,4", "--beta", "2.0", "--progress", "none"]


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _cfg(fermion, **kw):
    base = dict(group="u1", lattice=(4, 4), beta=2.0, steps=4, seed=3, start="hot", n_therm=1,
                fermion=fermion)
    base.update(kw)
    return ChainConfig(**base)


@pytest.mark.parametrize("fermion", [
    {"type": "wilson", "kappa": 0.2, "nf": 2, "hasenbusch": [0.15]},
    {"type": "staggered", "mass": 0.3, "nf": 2},
], ids=["wilson_hasenbusch", "staggered_rhmc"])
def test_resumed_dynamical_chain_is_bit_identical(tmp_path, fermion):
    generate(tmp_path / "full", config=_cfg(fermion), ntraj=4, progress=False, stream=None,
             checkpoint_every=2)
    generate(tmp_path / "split", config=_cfg(fermion), ntraj=2, progress=False, stream=None,
             checkpoint_every=2)
    generate(tmp_path / "split", resume=True, ntraj=2, progress=False, stream=None)
    a = read_checkpoint(tmp_path / "full" / "checkpoint.h5")
    b = read_checkpoint(tmp_path / "split" / "checkpoint.h5")
    assert np.array_equal(a.field.links, b.field.links)
    assert a.rng_state == b.rng_state
    ra, rb = _rows(tmp_path / "full" / "trajectories.csv"), _rows(tmp_path / "split" / "trajectories.csv")
    assert [r["delta_h"] for r in ra] == [r["delta_h"] for r in rb]
    assert all(int(r["solver_iterations"]) > 0 and int(r["dirac_applications"]) > 0 for r in ra)
    assert a.params["fermion"]["type"] == fermion["type"]


def test_generate_with_wilson_fermions_logs_solver_cost(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(U1 + ["--fermion", "wilson", "--kappa", "0.2", "--nf", "2", "--steps", "4",
                    "--inner-steps", "2", "--ntraj", "2", "--out", str(out), "--progress", "lines"])
    assert rc == 0
    rows = _rows(out / "trajectories.csv")
    assert len(rows) == 2 and all(int(r["solver_iterations"]) > 0 for r in rows)
    assert re.search(r"cg \d+ Dirac \d+", (out / "run.log").read_text())


def test_generate_takes_a_yaml_fermion_block(tmp_path):
    out = tmp_path / "run"
    rc = main(U1 + ["--fermion", "{type: staggered, mass: 0.3, nf: 4, inner_steps: 2}", "--steps", "4",
                    "--ntraj", "1", "--out", str(out)])
    assert rc == 0
    assert read_checkpoint(out / "checkpoint.h5").params["fermion"]["mass"] == 0.3


@pytest.mark.parametrize("args,message", [
    (["--fermion", "wilson", "--kappa", "-0.1"], r"fermion.kappa must be positive"),
    (["--fermion", "wilson"], r"wilson fermions need kappa"),
    (["--fermion", "staggered"], r"staggered fermions need a mass"),
    (["--fermion", "staggered", "--mass", "0"], r"fermion.mass must be positive"),
    (["--fermion", "staggered", "--mass", "0.1", "--hasenbusch", "0.1"], r"fermion.hasenbusch"),
    (["--fermion", "wilson", "--kappa", "0.2", "--hasenbusch", "0.25"], r"must decrease"),
    (["--fermion", "wilson", "--kappa", "0.2", "--nf", "2+1"], r"strange quark"),
    (["--fermion", "{type: staggered, mass: 0.01, nf: 2, rational: {order: 2, tol: 1.0e-12}}"],
     r"relative error .* > tol"),
    (["--fermion", "{type: wilson, kappa: 0.1, colour: red}"], r"unknown key\(s\) colour"),
    (["--kappa", "0.1"], r"--kappa needs --fermion"),
    (["--fermion", "wilson", "--kappa", "0.1", "--algorithm", "heatbath"], r"need --algorithm hmc"),
])
def test_bad_fermion_parameters_fail_before_any_work(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    rc = main(U1 + args + ["--ntraj", "1", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not out.exists()


def test_three_dimensional_lattice_is_refused_for_fermions(tmp_path, capsys):
    rc = main(["generate", "--group", "su2", "--lattice", "4,4,4", "--beta", "2", "--fermion", "staggered",
               "--mass", "0.1", "--ntraj", "1", "--out", str(tmp_path / "x")])
    assert rc == 2 and "D = 2 or D = 4" in capsys.readouterr().err


def test_unconverged_solver_exits_with_its_residual_history(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(U1 + ["--fermion", "{type: wilson, kappa: 0.24, solver: {maxiter: 2}}", "--ntraj", "2",
                    "--out", str(out)])
    assert rc == 3
    err = capsys.readouterr().err
    assert "residual" in err and "last checkpoint" in err
    assert read_checkpoint(out / "checkpoint.h5").trajectory == 0

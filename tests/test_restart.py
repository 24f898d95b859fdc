"""Restarts are exact: a chain stopped and resumed equals the uninterrupted chain bit for bit."""
import csv
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from lqcd_core.io import read_checkpoint
from lqcd_core.markov.chain import ChainConfig
from lqcd_core.markov.rundir import RunError, generate


def _cfg(**kw):
    base = dict(group="su2", lattice=(4, 4, 4, 4), beta=2.3, steps=6, seed=11, start="hot")
    base.update(kw)
    return ChainConfig(**base)


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("algorithm,group", [("hmc", "su2"), ("hmc", "su3"), ("heatbath", "su3"),
                                             ("heatbath", "u1")])
def test_resumed_chain_is_bit_identical_to_uninterrupted(tmp_path, algorithm, group):
    lattice = (4, 4) if group == "u1" else (4, 4, 4, 4)
    cfg = dict(algorithm=algorithm, group=group, lattice=lattice, n_therm=2)
    generate(tmp_path / "full", config=_cfg(**cfg), ntraj=6, progress=False, stream=None,
             checkpoint_every=4)
    generate(tmp_path / "split", config=_cfg(**cfg), ntraj=3, progress=False, stream=None,
             checkpoint_every=4)
    generate(tmp_path / "split", resume=True, ntraj=3, progress=False, stream=None)
    a = read_checkpoint(tmp_path / "full" / "checkpoint.h5")
    b = read_checkpoint(tmp_path / "split" / "checkpoint.h5")
    assert a.trajectory == b.trajectory == 8
    assert np.array_equal(a.field.links, b.field.links)  # bitwise
    assert a.rng_state == b.rng_state
    ra, rb = _rows(tmp_path / "full" / "trajectories.csv"), _rows(tmp_path / "split" / "trajectories.csv")
    assert [r["plaquette"] for r in ra] == [r["plaquette"] for r in rb]
    assert [r["delta_h"] for r in ra] == [r["delta_h"] for r in rb]
    assert [int(r["trajectory"]) for r in rb] == list(range(1, 9))


def test_different_streams_and_seeds_differ(tmp_path):
    generate(tmp_path / "s0", config=_cfg(stream=0), ntraj=2, progress=False, stream=None)
    generate(tmp_path / "s1", config=_cfg(stream=1), ntraj=2, progress=False, stream=None)
    a = read_checkpoint(tmp_path / "s0" / "checkpoint.h5").field.links
    b = read_checkpoint(tmp_path / "s1" / "checkpoint.h5").field.links
    assert not np.allclose(a, b)


def test_rows_past_the_checkpoint_are_regenerated_identically(tmp_path):
    out = tmp_path / "run"
    generate(out, config=_cfg(), ntraj=5, progress=False, stream=None, checkpoint_every=5)
    ref = _rows(out / "trajectories.csv")
    ck = read_checkpoint(out / "checkpoint.h5")
    # simulate a crash after rows 6,7 were appended but before their checkpoint
    generate(out, resume=True, ntraj=2, progress=False, stream=None, checkpoint_every=100)
    with_extra = _rows(out / "trajectories.csv")
    assert len(with_extra) == 7
    from lqcd_core.io import write_checkpoint
    write_checkpoint(out / "checkpoint.h5", ck.field, trajectory=ck.trajectory, rng_state=ck.rng_state,
                     params=ck.params, overwrite=True)
    generate(out, resume=True, ntraj=2, progress=False, stream=None)
    again = _rows(out / "trajectories.csv")
    assert [r["plaquette"] for r in again] == [r["plaquette"] for r in with_extra]
    assert [r["plaquette"] for r in again[:5]] == [r["plaquette"] for r in ref]


def test_resume_refuses_a_log_that_misses_rows(tmp_path):
    out = tmp_path / "run"
    generate(out, config=_cfg(), ntraj=4, progress=False, stream=None)
    lines = (out / "trajectories.csv").read_text().splitlines(keepends=True)
    (out / "trajectories.csv").write_text("".join(lines[:-2]))
    with pytest.raises(RunError, match="incomplete"):
        generate(out, resume=True, ntraj=1, progress=False, stream=None)


def test_new_chain_refuses_a_directory_holding_one(tmp_path):
    out = tmp_path / "run"
    generate(out, config=_cfg(), ntraj=1, progress=False, stream=None)
    before = (out / "checkpoint.h5").read_bytes()
    with pytest.raises(RunError, match="already holds a chain"):
        generate(out, config=_cfg(), ntraj=1, progress=False, stream=None)
    assert (out / "checkpoint.h5").read_bytes() == before


def test_sigterm_stops_after_the_trajectory_and_resume_continues_exactly(tmp_path):
    """A SIGTERM (SLURM time limit) leaves a consistent checkpoint; resuming equals the full run."""
    ref = tmp_path / "ref"
    generate(ref, config=_cfg(group="su3", lattice=(4, 4, 4, 8)), ntraj=30, progress=False, stream=None)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "lqcd_core", "generate", "--group", "su3", "--lattice", "4,4,4,8",
           "--beta", "2.3", "--steps", "6", "--seed", "11", "--start", "hot", "--ntraj", "100000",
           "--out", str(out), "--progress", "none", "--checkpoint-every", "1000"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    import time
    deadline = time.time() + 60
    while time.time() < deadline:
        log = out / "run.log"
        if log.exists() and log.read_text().count("\n") >= 3:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err
    ck = read_checkpoint(out / "checkpoint.h5")
    assert 3 <= ck.trajectory < 100000
    rows = _rows(out / "trajectories.csv")
    assert int(rows[-1]["trajectory"]) == ck.trajectory
    # continue to 30 and compare with the uninterrupted reference
    if ck.trajectory <= 30:
        generate(out, resume=True, ntraj=30 - ck.trajectory, progress=False, stream=None)
        assert np.array_equal(read_checkpoint(out / "checkpoint.h5").field.links,
                              read_checkpoint(ref / "checkpoint.h5").field.links)

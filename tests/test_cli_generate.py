"""`lqcd generate`: outputs, continuation, and clear errors before any work."""
import csv
import json

import pytest

from lqcd_core.cli.main import main
from lqcd_core.io import read_checkpoint, read_config


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


BASE = ["generate", "--group", "su2", "--lattice", "4,4,4,4", "--beta", "2.2", "--progress", "none"]


def test_hmc_run_writes_log_checkpoint_and_saved_configs(tmp_path, capsys):
    out = tmp_path / "hmc"
    rc = main(BASE + ["--ntraj", "6", "--therm", "2", "--save-every", "3", "--steps", "8",
                      "--out", str(out), "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["trajectory"] == 8
    rows = _rows(out / "trajectories.csv")
    assert {"trajectory", "plaquette", "delta_h", "accepted", "seconds"} <= set(rows[0])
    assert [r["phase"] for r in rows] == ["therm"] * 2 + ["prod"] * 6
    assert all(r["delta_h"] != "" for r in rows)
    saved = sorted(p.name for p in (out / "configs").iterdir())
    assert saved == ["config_000003.h5", "config_000006.h5"] or saved == ["config_000006.h5"]
    field, info = read_config(out / "configs" / "config_000006.h5")
    assert info["checksum_ok"] in (True, None)
    assert abs(field.plaquette() - float(rows[5]["plaquette"])) < 1e-12


def test_heatbath_rows_have_empty_delta_h_and_accepted_one(tmp_path):
    out = tmp_path / "hb"
    assert main(BASE + ["--algorithm", "heatbath", "--ntraj", "3", "--out", str(out)]) == 0
    rows = _rows(out / "trajectories.csv")
    assert len(rows) == 3
    assert all(r["delta_h"] == "" and r["accepted"] == "1" for r in rows)


def test_resume_appends_without_rewriting_completed_rows(tmp_path):
    out = tmp_path / "r"
    main(BASE + ["--ntraj", "3", "--out", str(out)])
    before = (out / "trajectories.csv").read_text()
    assert main(["generate", "--resume", str(out), "--ntraj", "2", "--progress", "none"]) == 0
    after = (out / "trajectories.csv").read_text()
    assert after.startswith(before)
    assert [int(r["trajectory"]) for r in _rows(out / "trajectories.csv")] == [1, 2, 3, 4, 5]
    assert read_checkpoint(out / "checkpoint.h5").trajectory == 5


def test_start_from_file_continues_from_those_links(tmp_path):
    src = tmp_path / "src"
    main(BASE + ["--ntraj", "2", "--out", str(src)])
    out = tmp_path / "from_file"
    assert main(BASE + ["--ntraj", "1", "--start", str(src / "checkpoint.h5"), "--out", str(out)]) == 0
    rows = _rows(out / "trajectories.csv")
    assert len(rows) == 1


@pytest.mark.parametrize("args,message", [
    (["--group", "su7x", "--lattice", "4,4", "--beta", "1"], "unknown gauge group"),
    (["--group", "su3", "--lattice", "4,5,4,4", "--beta", "6"], "must be even"),
    (["--group", "su3", "--lattice", "4,4,4,4", "--beta", "0"], "beta must be positive"),
    (["--group", "su3", "--lattice", "4,4,4,4", "--beta", "-2"], "beta must be positive"),
    (["--group", "su3", "--lattice", "4,4,4,4", "--beta", "6", "--start", "/nonexistent/cfg"],
     "neither 'cold', 'hot' nor an existing file"),
    (["--group", "su3", "--lattice", "4,4,4,4", "--beta", "6", "--action", "foo"], "unknown gauge action"),
    (["--group", "su3", "--lattice", "4,4,4,4", "--beta", "6", "--algorithm", "heatbath",
      "--action", "iwasaki"], "supports only the Wilson action"),
    (["--group", "su3", "--lattice", "4,4,4,4", "--beta", "6", "--steps", "0"], "--steps"),
    (["--group", "u1", "--lattice", "4,4", "--beta", "6", "--save-format", "nersc"], "only SU\\(3\\) in 4D"),
])
def test_bad_arguments_fail_cleanly_before_any_work(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    rc = main(["generate"] + args + ["--ntraj", "1", "--out", str(out), "--progress", "none"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err
    import re
    assert re.search(message, err), err
    assert not out.exists()


def test_existing_chain_is_not_touched_without_resume(tmp_path, capsys):
    out = tmp_path / "run"
    main(BASE + ["--ntraj", "1", "--out", str(out)])
    snapshot = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    rc = main(BASE + ["--ntraj", "1", "--out", str(out)])
    assert rc == 2
    assert "already holds a chain" in capsys.readouterr().err
    assert snapshot == {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def test_resume_of_a_missing_directory_is_a_clear_error(tmp_path, capsys):
    rc = main(["generate", "--resume", str(tmp_path / "nothing"), "--ntraj", "1"])
    assert rc == 2
    assert "no checkpoint.h5" in capsys.readouterr().err

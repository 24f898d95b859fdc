"""`lqcd measure` and `lqcd flow`: JSON output, agreement with the library, clear errors."""
import json

import numpy as np
import pytest

from lqcd_core.cli.main import main
from lqcd_core.gauge import GaugeField
from lqcd_core.io import write_config


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    rng = np.random.default_rng(5)
    f = GaugeField.hot((4, 4, 4, 4), "su3", rng)
    from lqcd_core.flow import GradientFlow
    fl = GradientFlow("wilson")
    for _ in range(10):  # a smooth-ish field, so the flow reaches t0 on a small lattice
        fl.step(f, 0.1)
    path = tmp_path_factory.mktemp("cfg") / "smooth.h5"
    write_config(path, f, "hdf5")
    return path, f


def test_measure_json_matches_the_library(config_file, capsys):
    path, f = config_file
    assert main(["measure", str(path), "--json", "--observables", "plaquette,polyakov,topology"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["plaquette"] - f.plaquette()) < 1e-14
    from lqcd_core.observables import polyakov_loop, topological_charge
    assert abs(out["polyakov_re"] - polyakov_loop(f).real) < 1e-14
    assert abs(out["Q_clover"] - topological_charge(f)) < 1e-12
    assert out["lattice"] == [4, 4, 4, 4] and out["group"] == "su3"


def test_measure_rejects_unknown_observables_and_missing_files(config_file, capsys, tmp_path):
    path, _ = config_file
    assert main(["measure", str(path), "--observables", "plaquette,colour"]) == 2
    assert "unknown observable" in capsys.readouterr().err
    assert main(["measure", str(tmp_path / "nope.h5")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "garbage.h5"
    bad.write_bytes(b"not a configuration at all")
    assert main(["measure", str(bad)]) == 2
    assert "garbage.h5" in capsys.readouterr().err


def test_flow_json_has_scales_and_history(config_file, capsys):
    path, f = config_file
    rc = main(["flow", str(path), "--json", "--tmax", "3.0", "--eps", "0.05", "--definition", "plaquette",
               "--reference", "0.05"])
    assert rc == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    for key in ("t0", "w0", "Q", "t", "E", "t2E"):
        assert key in out
    t, e = np.array(out["t"]), np.array(out["E"])
    i = np.searchsorted(t, out["t0"])
    y = t * t * e
    assert y[i - 1] <= 0.05 <= y[i]
    assert np.all(np.diff(e) < 0)


def test_flow_that_never_reaches_the_reference_is_a_clear_error(config_file, capsys):
    path, _ = config_file
    rc = main(["flow", str(path), "--tmax", "0.05", "--eps", "0.01"])
    assert rc == 2
    assert "reached only" in capsys.readouterr().err


@pytest.mark.parametrize("args,msg", [(["--flow", "ricci"], "unknown"), (["--eps", "0"], "--eps"),
                                      (["--tmax", "-1"], "--tmax")])
def test_flow_bad_parameters(config_file, capsys, args, msg):
    path, _ = config_file
    assert main(["flow", str(path)] + args) == 2
    assert msg in capsys.readouterr().err

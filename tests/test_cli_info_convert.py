"""``lqcd info`` and ``lqcd convert``: exit codes, JSON output, refusal to overwrite."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lqcd_core.cli.main import main
from lqcd_core.gauge.field import GaugeField
from lqcd_core.io import read_checkpoint, read_config, write_checkpoint, write_config

EXTENTS = (4, 4, 4, 8)
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gauge_configs"


@pytest.fixture(scope="module")
def hot():
    return GaugeField.hot(EXTENTS, "su3", np.random.default_rng(5))


def _info_json(capsys, path):
    code = main(["info", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("fmt,precision", [("nersc", 64), ("ildg", 32), ("hdf5", 64), ("milc", 32)])
def test_info_json_reports_lattice_group_format_and_checks(tmp_path, capsys, hot, fmt, precision):
    p = tmp_path / f"cfg.{fmt}"
    write_config(p, hot, fmt, precision=precision)
    code, out = _info_json(capsys, p)
    assert code == 0
    for key in ("lattice", "group", "format", "plaquette", "link_trace", "checksum_ok",
                "precision", "plaquette_stated", "ok"):
        assert key in out
    assert out["lattice"] == list(EXTENTS) and out["group"] == "su3" and out["format"] == fmt
    assert out["checksum_ok"] is True and out["ok"] is True and out["precision"] == precision
    assert out["plaquette"] == pytest.approx(hot.plaquette(), abs=1e-6)
    assert out["link_trace"] == pytest.approx(hot.link_trace(), abs=1e-6)


def test_info_text_output(tmp_path, capsys, hot):
    p = tmp_path / "cfg.nersc"
    write_config(p, hot, "nersc")
    assert main(["info", str(p)]) == 0
    text = capsys.readouterr().out
    assert "4x4x4x8" in text and "su3" in text and "nersc" in text
    assert "all checks pass" in text and "agrees" in text


def test_info_reports_a_corrupted_file_instead_of_crashing(tmp_path, capsys, hot):
    p = tmp_path / "cfg.ildg"
    write_config(p, hot, "ildg")
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0x08
    p.write_bytes(bytes(b))
    code, out = _info_json(capsys, p)
    assert code == 1
    assert out["checksum_ok"] is False and out["ok"] is False and out["problems"]
    assert main(["info", str(p)]) == 1
    assert "VERIFICATION FAILED" in capsys.readouterr().out


def test_info_on_missing_or_unreadable_file_is_a_usage_error(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.h5")]) == 2
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello, not a gauge field")
    assert main(["info", str(junk)]) == 2
    err = capsys.readouterr().err
    assert "unknown file format" in err and "junk.bin" in err


def test_convert_between_formats_keeps_the_links(tmp_path, capsys, hot):
    src = tmp_path / "a.h5"
    write_config(src, hot, "hdf5")
    assert main(["convert", str(src), str(tmp_path / "b.nersc"), "--format", "nersc"]) == 0
    assert main(["convert", str(tmp_path / "b.nersc"), str(tmp_path / "c.ildg"), "--format", "ildg"]) == 0
    assert main(["convert", str(tmp_path / "c.ildg"), str(tmp_path / "d.h5"), "--format", "hdf5"]) == 0
    assert "wrote" in capsys.readouterr().out
    field, info = read_config(tmp_path / "d.h5")
    assert np.array_equal(field.links, hot.links)
    assert info["extra"]["source_format"] == "ildg"


def test_convert_32bit_and_3x2(tmp_path, hot):
    src = tmp_path / "a.h5"
    write_config(src, hot, "hdf5")
    out = tmp_path / "b.nersc"
    assert main(["convert", str(src), str(out), "--format", "nersc", "--precision", "32",
                 "--nersc-datatype", "3x2"]) == 0
    field, info = read_config(out)
    assert info["precision"] == 32 and info["datatype"] == "4D_SU3_GAUGE"
    assert np.abs(field.links - hot.links).max() < 1e-7


def test_convert_refuses_to_overwrite_without_force(tmp_path, capsys, hot):
    src = tmp_path / "a.nersc"
    write_config(src, hot, "nersc")
    out = tmp_path / "b.ildg"
    out.write_bytes(b"precious")
    assert main(["convert", str(src), str(out), "--format", "ildg"]) == 2
    assert "exists; give --force" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert main(["convert", str(src), str(out), "--format", "ildg", "--force"]) == 0
    assert np.array_equal(read_config(out)[0].links, hot.links)


def test_convert_refuses_a_corrupted_input(tmp_path, capsys, hot):
    src = tmp_path / "a.nersc"
    write_config(src, hot, "nersc")
    b = bytearray(src.read_bytes())
    b[-77] ^= 0x40
    src.write_bytes(bytes(b))
    out = tmp_path / "b.h5"
    assert main(["convert", str(src), str(out), "--format", "hdf5"]) == 2
    assert "fails verification" in capsys.readouterr().err
    assert not out.exists()
    assert main(["convert", str(src), str(out), "--format", "hdf5", "--no-verify"]) == 0


def test_convert_argument_errors(tmp_path, capsys, hot):
    src = tmp_path / "a.h5"
    write_config(src, hot, "hdf5")
    assert main(["convert", str(src), str(tmp_path / "b.h5"), "--format", "hdf5",
                 "--precision", "32"]) == 2
    assert main(["convert", str(tmp_path / "missing"), str(tmp_path / "c"), "--format", "ildg"]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["convert", str(src), str(tmp_path / "c"), "--format", "jpeg"])
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.h5"]


def test_convert_checkpoint_to_checkpoint_keeps_chain_state(tmp_path, hot):
    rng = np.random.Generator(np.random.PCG64(42))
    src = tmp_path / "a.h5"
    write_checkpoint(src, hot, trajectory=31, rng_state=rng.bit_generator.state,
                     params={"beta": 6.0}, extra={"eps": 0.1})
    out = tmp_path / "b.h5"
    assert main(["convert", str(src), str(out), "--format", "hdf5"]) == 0
    ck = read_checkpoint(out)
    assert ck.trajectory == 31 and ck.params == {"beta": 6.0} and ck.extra == {"eps": 0.1}
    assert ck.rng_state == rng.bit_generator.state


def test_info_on_real_files(capsys):
    if not DATA.is_dir():
        pytest.skip(f"shared gauge configurations not found at {DATA}")
    for name, fmt in (("nersc.l8t4b3360", "nersc"), ("lat.sample.l4444.ildg", "ildg"),
                      ("lat.sample.l8888", "milc")):
        code, out = _info_json(capsys, DATA / name)
        assert code == 0 and out["format"] == fmt and out["checksum_ok"] is True

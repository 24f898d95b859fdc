"""HDF5 checkpoints (exact round trip, RNG continuation, verification) and atomic writes."""
from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from lqcd_core.gauge.field import GaugeField
from lqcd_core.io import (ChecksumError, FormatError, atomic_open, atomic_path, atomic_write_bytes,
                          detect_format, read_checkpoint, read_config, rng_from_state,
                          write_checkpoint, write_config)
from lqcd_core.io.checkpoint import _sha

EXTENTS = (4, 4, 4, 8)
PARAMS = {"beta": 5.7, "lattice": [4, 4, 4, 8], "integrator": {"name": "omelyan", "steps": 10},
          "huge": 2**100 + 1, "tiny": 1e-300, "flag": True, "none": None}


@pytest.fixture(scope="module")
def hot():
    return GaugeField.hot(EXTENTS, "su3", np.random.default_rng(3))


def _write(path, field, **kw):
    args = dict(trajectory=17, rng_state=None, params=PARAMS, extra=None)
    args.update(kw)
    return write_checkpoint(path, field, **args)


# -- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("group,extents", [("su3", EXTENTS), ("su2", (4, 6)), ("u1", (4, 4, 2))])
def test_links_trajectory_params_roundtrip_exactly(tmp_path, group, extents):
    field = GaugeField.hot(extents, group, np.random.default_rng(11))
    p = tmp_path / "ck.h5"
    extra = {"step_size": 0.0731, "adapt": [0.1, 0.2], "nested": {"a": 1}}
    _write(p, field, extra=extra)
    assert detect_format(p) == "hdf5"
    ck = read_checkpoint(p)
    assert np.array_equal(ck.field.links, field.links)
    assert ck.field.group.name == group and ck.field.lattice.extents == extents
    assert ck.trajectory == 17 and isinstance(ck.trajectory, int)
    assert ck.params == PARAMS and ck.extra == extra
    assert ck.plaquette == field.plaquette()
    assert ck.code_version and ck.created.endswith("+00:00")
    assert ck.checks["checksum_ok"] and ck.checks["plaquette_ok"]


def test_pcg64_state_restores_the_same_stream(tmp_path, hot):
    rng = np.random.Generator(np.random.PCG64(123456789))
    rng.standard_normal(1001)  # odd count: leaves a cached half word in the state
    rng.integers(0, 10, size=3, dtype=np.int32)
    state = rng.bit_generator.state
    assert state["state"]["state"] >= 2**64 or state["state"]["inc"] >= 2**64  # 128-bit ints
    p = tmp_path / "ck.h5"
    _write(p, hot, rng_state=state)
    expected = (rng.standard_normal(50), rng.integers(0, 2**63, size=7), rng.random(5))

    ck = read_checkpoint(p)
    assert ck.rng_state == state
    restored = np.random.Generator(np.random.PCG64())
    restored.bit_generator.state = ck.rng_state
    got = (restored.standard_normal(50), restored.integers(0, 2**63, size=7), restored.random(5))
    for a, b in zip(expected, got):
        assert np.array_equal(a, b)
    again = ck.rng()
    assert np.array_equal(again.standard_normal(50), expected[0])


@pytest.mark.parametrize("bitgen", ["MT19937", "Philox", "SFC64", "PCG64DXSM"])
def test_other_bit_generator_states_roundtrip_exactly(tmp_path, hot, bitgen):
    bg = getattr(np.random, bitgen)(2024)
    gen = np.random.Generator(bg)
    gen.random(3)
    state = bg.state
    p = tmp_path / "ck.h5"
    _write(p, hot, rng_state={"main": state, "aux": [state, None]})
    ck = read_checkpoint(p)
    restored = rng_from_state(ck.rng_state["main"])
    assert np.array_equal(restored.random(20), gen.random(20))
    assert ck.rng_state["aux"][1] is None


def test_numpy_values_in_params_and_none_rng(tmp_path, hot):
    p = tmp_path / "ck.h5"
    params = {"a": np.float64(0.25), "n": np.int64(7), "arr": np.arange(5, dtype=np.uint64)}
    _write(p, hot, params=params, rng_state=None)
    ck = read_checkpoint(p)
    assert ck.rng_state is None
    assert ck.params["a"] == 0.25 and ck.params["n"] == 7
    assert ck.params["arr"].dtype == np.uint64 and np.array_equal(ck.params["arr"], np.arange(5))


def test_unserialisable_params_are_refused_before_writing(tmp_path, hot):
    p = tmp_path / "ck.h5"
    with pytest.raises(TypeError, match=r"params\['f'\]: object of type function"):
        _write(p, hot, params={"f": lambda x: x})
    with pytest.raises(TypeError, match="not a string"):
        _write(p, hot, params={1: 2})
    assert not list(tmp_path.iterdir())


def test_write_config_hdf5_is_a_trajectory_0_checkpoint(tmp_path, hot):
    p = tmp_path / "c.h5"
    write_config(p, hot, "hdf5")
    field, info = read_config(p)
    assert np.array_equal(field.links, hot.links)
    assert info["trajectory"] == 0 and info["format"] == "hdf5" and info["checksum_ok"]
    with pytest.raises(ValueError, match="64-bit"):
        write_config(tmp_path / "d.h5", hot, "hdf5", precision=32)


# -- refusal of damaged files ---------------------------------------------------------------
def test_truncated_checkpoint_is_refused_naming_the_file(tmp_path, hot):
    p = tmp_path / "ck.h5"
    _write(p, hot)
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    with pytest.raises(FormatError, match=r"ck\.h5: not a readable HDF5 file"):
        read_checkpoint(p)


def test_flipped_link_byte_is_refused_with_both_checksums(tmp_path, hot):
    p = tmp_path / "ck.h5"
    _write(p, hot)
    with h5py.File(p, "r") as f:
        offset = f["links"].id.get_offset()
        stored = f.attrs["links_sha256"]
    b = bytearray(p.read_bytes())
    b[offset + 4321] ^= 0x20
    p.write_bytes(bytes(b))
    with pytest.raises(ChecksumError,
                       match=rf"ck\.h5: link data checksum mismatch: stored sha256 {stored}, "
                             r"computed [0-9a-f]{64}"):
        read_checkpoint(p)
    ck = read_checkpoint(p, verify=False)
    assert ck.checks["checksum_ok"] is False


def test_altered_params_are_refused(tmp_path, hot):
    p = tmp_path / "ck.h5"
    _write(p, hot)
    with h5py.File(p, "r+") as f:
        f.attrs["params_json"] = f.attrs["params_json"].replace("5.7", "5.8")
    with pytest.raises(ChecksumError, match="params JSON checksum mismatch"):
        read_checkpoint(p)


def test_altered_trajectory_is_refused(tmp_path, hot):
    p = tmp_path / "ck.h5"
    _write(p, hot)
    with h5py.File(p, "r+") as f:
        f.attrs["trajectory"] = np.int64(18)
    with pytest.raises(ChecksumError, match="header attributes checksum mismatch"):
        read_checkpoint(p)


def test_plaquette_disagreeing_with_links_is_refused(tmp_path, hot):
    # links replaced consistently with their checksum: only the plaquette check can see it
    p = tmp_path / "ck.h5"
    _write(p, hot)
    other = GaugeField.cold(EXTENTS, "su3").links
    with h5py.File(p, "r+") as f:
        f["links"][...] = other
        f.attrs["links_sha256"] = _sha(np.ascontiguousarray(other, "<c16").tobytes())
    with pytest.raises(ChecksumError, match="stored plaquette .* differs from the links'"):
        read_checkpoint(p)


def test_foreign_hdf5_file_is_refused(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(FormatError, match="not an lqcd_core checkpoint"):
        read_checkpoint(p)


def test_missing_file_raises_file_not_found_with_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        read_checkpoint(tmp_path / "nope.h5")
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        read_config(tmp_path / "nope.h5")


# -- atomic writes ------------------------------------------------------------------------------
def test_checkpoint_refuses_to_overwrite(tmp_path, hot):
    p = tmp_path / "ck.h5"
    _write(p, hot, trajectory=1)
    before = p.read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite existing file .*ck.h5"):
        _write(p, hot, trajectory=2)
    assert p.read_bytes() == before
    write_checkpoint(p, hot, trajectory=2, rng_state=None, params={}, overwrite=True)
    assert read_checkpoint(p).trajectory == 2
    assert sorted(x.name for x in tmp_path.iterdir()) == ["ck.h5"]


def test_atomic_write_refuses_overwrite_and_replaces_when_asked(tmp_path):
    p = tmp_path / "a.bin"
    atomic_write_bytes(p, b"first")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        atomic_write_bytes(p, b"second")
    assert p.read_bytes() == b"first"
    atomic_write_bytes(p, [b"sec", b"ond"], overwrite=True)
    assert p.read_bytes() == b"second"


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    p = tmp_path / "a.bin"
    with pytest.raises(RuntimeError):
        with atomic_open(p) as fh:
            fh.write(b"partial")
            raise RuntimeError("crash mid-write")
    assert not list(tmp_path.iterdir())
    atomic_write_bytes(p, b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(p, overwrite=True) as fh:
            fh.write(b"new but partial")
            raise RuntimeError("crash mid-write")
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.bin"]


def test_atomic_path_gives_normal_permissions_and_needs_existing_dir(tmp_path):
    p = tmp_path / "b.bin"
    with atomic_path(p) as tmp:
        assert tmp.parent == tmp_path and tmp != p
        tmp.write_bytes(b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert (p.stat().st_mode & 0o777) == (0o666 & ~mask)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "no" / "c.bin", b"x")


def test_atomic_write_does_not_clobber_a_file_created_meanwhile(tmp_path):
    p = tmp_path / "race.bin"
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        with atomic_open(p) as fh:
            fh.write(b"ours")
            p.write_bytes(b"theirs")  # another process wins the race
    assert p.read_bytes() == b"theirs"
    assert [x.name for x in tmp_path.iterdir()] == ["race.bin"]

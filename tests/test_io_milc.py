"""MILC v5: checksum rule, round trips in both byte orders, .info checks, damaged files."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqcd_core.gauge.field import GaugeField
from lqcd_core.io import ChecksumError, FormatError, detect_format, read_config, write_config
from lqcd_core.io.milc import milc_checksum, parse_milc_info, read_milc, write_milc

EXTENTS = (4, 4, 4, 8)


@pytest.fixture(scope="module")
def hot():
    return GaugeField.hot(EXTENTS, "su3", np.random.default_rng(99))


def _reference_milc(words):
    """MILC's rule written out word by word: word k rotated left by k mod 29 / k mod 31."""
    s29 = s31 = 0
    for k, w in enumerate(int(x) for x in words):
        a, b = k % 29, k % 31
        s29 ^= ((w << a) | (w >> (32 - a))) & 0xFFFFFFFF
        s31 ^= ((w << b) | (w >> (32 - b))) & 0xFFFFFFFF
    return s29, s31


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 200), st.integers(0, 2**32 - 1), st.sampled_from("<>"))
def test_vectorised_checksum_equals_wordwise_rule(n, seed, bo):
    words = np.random.default_rng(seed).integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    data = words.astype(bo + "u4").tobytes()
    assert milc_checksum(data, bo) == _reference_milc(words)


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_roundtrip_within_1e7_and_reunitarised(tmp_path, hot, byteorder):
    p = tmp_path / "cfg.milc"
    write_milc(p, hot, byteorder=byteorder)
    assert detect_format(p) == "milc"
    field, info = read_config(p)
    assert info["byte_order"] == byteorder and info["precision"] == 32
    assert info["lattice"] == list(EXTENTS)
    assert np.abs(field.links - hot.links).max() < 1e-7
    assert field.unitarity_violation() < 1e-14 and info["reunitarized"]
    assert info["checksum_ok"] and info["plaquette_ok"] and info["link_trace_ok"]
    assert info["info_file"] == str(p) + ".info"


def test_header_layout(tmp_path, hot):
    p = tmp_path / "cfg.milc"
    write_config(p, hot, "milc", precision=32)
    raw = p.read_bytes()
    magic, *dims = struct.unpack_from("<5i", raw)
    order, s29, s31 = struct.unpack_from("<i2I", raw, 84)
    assert magic == 20103 and tuple(dims) == EXTENTS and order == 0
    assert len(raw) == 96 + hot.lattice.volume * 4 * 18 * 4
    assert (s29, s31) == _reference_milc(np.frombuffer(raw[96:], "<u4"))
    meta = parse_milc_info((tmp_path / "cfg.milc.info").read_text())
    assert meta["checksums"] == f"{s29:x} {s31:x}"
    ps, pt = hot.plaquette_st()
    assert float(meta["gauge.ssplaq"]) == pytest.approx(3 * ps, abs=1e-6)
    assert float(meta["gauge.stplaq"]) == pytest.approx(3 * pt, abs=1e-6)


def test_milc_writes_single_precision_only(tmp_path, hot):
    with pytest.raises(ValueError, match="single precision"):
        write_config(tmp_path / "x", hot, "milc", precision=64)


def test_flipped_data_byte_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.milc"
    write_milc(p, hot, info_file=False)
    b = bytearray(p.read_bytes())
    b[5000] ^= 0x04
    p.write_bytes(bytes(b))
    with pytest.raises(ChecksumError, match="MILC checksum mismatch: header says sum29 [0-9a-f]{8}"):
        read_config(p)
    _, info = read_milc(p, verify=False)
    assert info["checksum_ok"] is False


def test_truncated_file_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.milc"
    write_milc(p, hot, info_file=False)
    p.write_bytes(p.read_bytes()[:-288])
    with pytest.raises(FormatError, match=r"cfg\.milc: truncated MILC file"):
        read_config(p)
    p.write_bytes(p.read_bytes()[:50])
    with pytest.raises(FormatError, match="truncated"):
        read_config(p)


def test_info_file_plaquette_mismatch_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.milc"
    write_milc(p, hot)
    ip = tmp_path / "cfg.milc.info"
    lines = [ln if not ln.startswith("gauge.ssplaq") else "gauge.ssplaq = 1.500000"
             for ln in ip.read_text().splitlines()]
    ip.write_text("\n".join(lines) + "\n")
    with pytest.raises(ChecksumError, match="gauge.ssplaq mismatch"):
        read_config(p)


def test_non_natural_order_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.milc"
    write_milc(p, hot, info_file=False)
    b = bytearray(p.read_bytes())
    b[84:88] = struct.pack("<i", 1)
    p.write_bytes(bytes(b))
    with pytest.raises(FormatError, match="site order 1"):
        read_config(p)


def test_writer_refuses_to_overwrite_lattice_or_info(tmp_path, hot):
    p = tmp_path / "cfg.milc"
    (tmp_path / "cfg.milc.info").write_text("something else\n")
    with pytest.raises(FileExistsError, match="cfg.milc.info"):
        write_milc(p, hot)
    assert not p.exists()

"""ILDG / LIME: round trips, record layout, SciDAC checksum, damaged files."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqcd_core.gauge.field import GaugeField
from lqcd_core.io import ChecksumError, FormatError, detect_format, read_config, write_config
from lqcd_core.io.ildg import crc32_rows, parse_xml_fields, read_ildg, scidac_checksum, write_ildg
from lqcd_core.io.lime import LIME_MAGIC, encode_lime, read_lime

EXTENTS = (4, 4, 4, 8)


@pytest.fixture(scope="module")
def hot():
    return GaugeField.hot(EXTENTS, "su3", np.random.default_rng(7))


def _reference_scidac(data: bytes, site_bytes: int):
    """The SciDAC checksum, written out site by site with zlib."""
    suma = sumb = 0
    for r in range(len(data) // site_bytes):
        c = zlib.crc32(data[r * site_bytes:(r + 1) * site_bytes])
        a, b = r % 29, r % 31
        suma ^= ((c << a) | (c >> (32 - a))) & 0xFFFFFFFF
        sumb ^= ((c << b) | (c >> (32 - b))) & 0xFFFFFFFF
    return suma, sumb


def test_roundtrip_64bit_is_bit_exact(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot, precision=64)
    assert detect_format(p) == "ildg"
    field, info = read_config(p)
    assert np.array_equal(field.links, hot.links)
    assert info["precision"] == 64 and info["lattice"] == list(EXTENTS)
    assert info["checksum_ok"] and info["plaquette_ok"] and info["link_trace_ok"]
    assert info["plaquette_stated"] == pytest.approx(hot.plaquette(), abs=1e-15)


def test_roundtrip_32bit_within_1e7_and_reunitarised(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_config(p, hot, "ildg", precision=32)
    field, info = read_config(p)
    assert info["precision"] == 32 and info["reunitarized"]
    assert np.abs(field.links - hot.links).max() < 1e-7
    assert field.unitarity_violation() < 1e-14
    assert info["checksum_ok"]


def test_record_layout_matches_qio_writers(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot, precision=32, metadata={"lfn": "lfn://test/cfg", "beta": 6.0})
    recs = read_lime(p)
    assert [r.type for r in recs] == [
        "scidac-private-file-xml", "scidac-file-xml", "scidac-private-record-xml",
        "scidac-record-xml", "ildg-format", "ildg-data-lfn", "ildg-binary-data", "scidac-checksum"]
    # two messages: MB on the first record of each, ME on the last
    assert [(r.mb, r.me) for r in recs] == [(True, False), (False, True)] + \
        [(True, False)] + [(False, False)] * 4 + [(False, True)]
    raw = p.read_bytes()
    for r in recs:
        assert (r.offset - 144) % 8 == 0
        magic, version = struct.unpack_from(">IH", raw, r.offset - 144)
        assert magic == LIME_MAGIC and version == 1
    fmt = parse_xml_fields(recs[4].text())
    assert fmt["field"] == "su3gauge" and fmt["precision"] == "32"
    assert [int(fmt[k]) for k in ("lx", "ly", "lz", "lt")] == list(EXTENTS)
    priv = parse_xml_fields(recs[2].text())
    assert priv["datatype"] == "QDP_F3_ColorMatrix" and priv["typesize"] == "72"
    assert parse_xml_fields(recs[0].text())["dims"].split() == [str(e) for e in EXTENTS]
    assert parse_xml_fields(recs[3].text())["beta"] == "6.0"
    assert recs[5].text() == "lfn://test/cfg"
    assert recs[6].length == hot.lattice.volume * 4 * 9 * 8


@pytest.mark.parametrize("precision", [32, 64])
def test_written_scidac_checksum_matches_sitewise_zlib_reference(tmp_path, hot, precision):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot, precision=precision)
    recs = read_lime(p)
    data = next(r for r in recs if r.type == "ildg-binary-data").data
    ck = parse_xml_fields(next(r for r in recs if r.type == "scidac-checksum").text())
    ref = _reference_scidac(data, 4 * 18 * precision // 8)
    assert (int(ck["suma"], 16), int(ck["sumb"], 16)) == ref
    assert data == np.ascontiguousarray(hot.links.transpose(1, 0, 2, 3),
                                        f">c{precision // 4}").tobytes()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(0, 300), st.integers(0, 2**32 - 1))
def test_crc32_kernel_equals_zlib(n, m, seed):
    data = np.random.default_rng(seed).integers(0, 256, size=(n, m), dtype=np.uint8)
    crc = crc32_rows(data)
    assert [int(c) for c in crc] == [zlib.crc32(row.tobytes()) for row in data]
    if m:
        assert scidac_checksum(data) == _reference_scidac(data.tobytes(), m)


def _minimal_ildg(field, nul: bool, with_checksum: bool = True) -> bytes:
    x = lambda s: s.encode() + (b"\x00" if nul else b"")  # noqa: E731
    lx, ly, lz, lt = field.lattice.extents
    data = np.ascontiguousarray(field.links.transpose(1, 0, 2, 3), ">c16").tobytes()
    suma, sumb = _reference_scidac(data, 576)
    recs = [("ildg-format", x(
        f'<?xml version="1.0"?><ildgFormat xmlns="http://www.lqcd.org/ildg"><version>1.0</version>'
        f"<field>su3gauge</field><precision>64</precision><lx>{lx}</lx><ly>{ly}</ly>"
        f"<lz>{lz}</lz><lt>{lt}</lt></ildgFormat>")), ("ildg-binary-data", data)]
    if with_checksum:
        recs.append(("scidac-checksum", x(
            f"<scidacChecksum><version>1.0</version><suma>{suma:x}</suma>"
            f"<sumb>{sumb:x}</sumb></scidacChecksum>")))
    return b"".join(encode_lime([recs]))


@pytest.mark.parametrize("nul", [False, True])
def test_minimal_file_with_or_without_trailing_nul_is_read(tmp_path, hot, nul):
    p = tmp_path / "min.ildg"
    p.write_bytes(_minimal_ildg(hot, nul))
    field, info = read_config(p)
    assert np.array_equal(field.links, hot.links)
    assert info["checksum_ok"] is True
    assert info["plaquette_stated"] is None and info["plaquette_ok"] is None


def test_file_without_checksum_record_reports_none(tmp_path, hot):
    p = tmp_path / "min.ildg"
    p.write_bytes(_minimal_ildg(hot, True, with_checksum=False))
    _, info = read_config(p)
    assert info["checksum_ok"] is None and not info["problems"]


def test_truncated_file_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot)
    p.write_bytes(p.read_bytes()[:-3000])
    with pytest.raises(FormatError, match=r"cfg\.ildg: truncated LIME file: record 'ildg-binary-data'"):
        read_config(p)


def test_flipped_data_byte_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot)
    binrec = next(r for r in read_lime(p) if r.type == "ildg-binary-data")
    b = bytearray(p.read_bytes())
    b[binrec.offset + 1234] ^= 0x01
    p.write_bytes(bytes(b))
    with pytest.raises(ChecksumError, match="SciDAC checksum mismatch: file states suma [0-9a-f]{8}"):
        read_config(p)
    _, info = read_ildg(p, verify=False)
    assert info["checksum_ok"] is False


def test_damaged_record_header_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot)
    recs = read_lime(p)
    b = bytearray(p.read_bytes())
    b[recs[2].offset - 144] ^= 0xFF  # magic of the third record
    p.write_bytes(bytes(b))
    with pytest.raises(FormatError, match="bad LIME magic"):
        read_config(p)


def test_altered_stated_plaquette_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.ildg"
    write_ildg(p, hot)
    raw = p.read_bytes()
    i = raw.index(b"<plaquette>") + len(b"<plaquette>")
    j = raw.index(b"</plaquette>")
    fake = b"0.5".ljust(j - i, b"0")  # same length: the LIME structure stays valid
    p.write_bytes(raw[:i] + fake + raw[j:])
    with pytest.raises(ChecksumError, match="plaquette mismatch"):
        read_config(p)


def test_non_su3_is_refused(tmp_path):
    u1 = GaugeField.hot((4, 4, 4, 4), "u1", np.random.default_rng(1))
    with pytest.raises(FormatError, match=r"SU\(3\)"):
        write_ildg(tmp_path / "x.ildg", u1)

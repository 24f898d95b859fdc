"""Configurations written by other codes (../shared/data/gauge_configs, see its README.md).

The readers must reproduce what these files state (checksums, plaquettes, link
traces), and the writers must reproduce the files' binary data and checksums.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from lqcd_core.io import ChecksumError, FormatError, detect_format, read_config, write_config
from lqcd_core.io.ildg import parse_xml_fields
from lqcd_core.io.lime import read_lime
from lqcd_core.io.nersc import parse_nersc_header

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gauge_configs"
NERSC = DATA / "nersc.l8t4b3360"
ILDG = DATA / "lat.sample.l4444.ildg"
MILC = DATA / "lat.sample.l8888"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(),
    reason=f"shared gauge configurations not found at {DATA} (they live beside the repository "
           "in ../shared/data/gauge_configs; absent on a user's machine)")


def _need(path):
    if not path.is_file():
        pytest.skip(f"{path.name} missing from {DATA}")
    return path


def _copy(src, tmp_path):
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    return dst


def _flip(path, offset):
    b = bytearray(path.read_bytes())
    b[offset] ^= 0x01
    path.write_bytes(bytes(b))


def test_formats_are_detected():
    assert detect_format(_need(NERSC)) == "nersc"
    assert detect_format(_need(ILDG)) == "ildg"
    assert detect_format(_need(MILC)) == "milc"
    with pytest.raises(FormatError, match=r"lat\.sample\.l8888\.info: unknown file format"):
        detect_format(_need(DATA / "lat.sample.l8888.info"))


# -- NERSC (AnalysisToolbox) -------------------------------------------------------------
def test_nersc_file_reproduces_checksum_plaquette_and_link_trace():
    field, info = read_config(_need(NERSC))
    assert info["format"] == "nersc" and info["lattice"] == [8, 8, 8, 4]
    assert info["datatype"] == "4D_SU3_GAUGE_3x3" and info["floating_point"] == "IEEE64BIG"
    assert info["checksum_computed"] == "b379560a" == info["checksum_stated"]
    assert abs(info["plaquette"] - 0.5038664469) < 1e-10
    assert abs(info["link_trace"] - 0.005406083858) < 1e-12
    assert info["checksum_ok"] and info["plaquette_ok"] and info["link_trace_ok"]
    assert field.unitarity_violation() < 1e-13


def test_nersc_writer_reproduces_the_file_data_and_header_values(tmp_path):
    field, _ = read_config(_need(NERSC))
    out = tmp_path / "copy.nersc"
    write_config(out, field, "nersc", precision=64)
    orig_header, o1 = parse_nersc_header(NERSC.read_bytes(), NERSC)
    new_header, o2 = parse_nersc_header(out.read_bytes(), out)
    assert out.read_bytes()[o2:] == NERSC.read_bytes()[o1:]
    assert new_header["CHECKSUM"] == orig_header["CHECKSUM"]
    assert float(new_header["PLAQUETTE"]) == pytest.approx(float(orig_header["PLAQUETTE"]), abs=1e-10)
    assert float(new_header["LINK_TRACE"]) == pytest.approx(float(orig_header["LINK_TRACE"]), abs=1e-12)


def test_nersc_file_damaged_copies_are_refused(tmp_path):
    p = _copy(_need(NERSC), tmp_path)
    _flip(p, p.stat().st_size - 4000)
    with pytest.raises(ChecksumError, match="NERSC CHECKSUM mismatch: header says b379560a"):
        read_config(p)
    p.write_bytes(NERSC.read_bytes()[:-8])
    with pytest.raises(FormatError, match="truncated NERSC file"):
        read_config(p)


# -- ILDG (MILC) -------------------------------------------------------------------------------
def test_ildg_file_reproduces_scidac_checksum():
    field, info = read_config(_need(ILDG))
    assert info["format"] == "ildg" and info["lattice"] == [4, 4, 4, 4] and info["precision"] == 32
    assert info["checksum_stated"] == {"suma": "37affb9c", "sumb": "2fc07bbf"}
    assert info["checksum_computed"] == info["checksum_stated"] and info["checksum_ok"]
    assert info["lfn"] == "lfn://USQCD/MILC/test/lat.sample.l4444"
    assert info["reunitarized"] and field.unitarity_violation() < 1e-14
    _, raw = read_config(ILDG, reunitarize=False)
    assert abs(raw["plaquette"] - info["plaquette"]) < 1e-6


def test_ildg_file_has_trailing_nul_in_its_xml_and_is_still_read():
    recs = {r.type: r for r in read_lime(_need(ILDG))}
    assert recs["ildg-format"].data.endswith(b"\x00")
    fields = parse_xml_fields(recs["ildg-format"].data.decode("latin-1"))
    assert fields["field"] == "su3gauge" and fields["precision"] == "32"


def test_ildg_writer_reproduces_the_binary_data_and_checksum(tmp_path):
    field, _ = read_config(_need(ILDG), reunitarize=False)
    out = tmp_path / "copy.ildg"
    write_config(out, field, "ildg", precision=32)
    orig = {r.type: r for r in read_lime(ILDG)}
    new = {r.type: r for r in read_lime(out)}
    assert new["ildg-binary-data"].data == orig["ildg-binary-data"].data
    assert parse_xml_fields(new["scidac-checksum"].text()) == {
        "scidacChecksum": "", "version": "1.0", "suma": "37affb9c", "sumb": "2fc07bbf"}
    assert set(orig) <= set(new) | {"ildg-data-lfn"}


def test_ildg_file_damaged_copies_are_refused(tmp_path):
    p = _copy(_need(ILDG), tmp_path)
    binrec = next(r for r in read_lime(p) if r.type == "ildg-binary-data")
    _flip(p, binrec.offset + 100)
    with pytest.raises(ChecksumError, match="SciDAC checksum mismatch: file states suma 37affb9c sumb 2fc07bbf"):
        read_config(p)
    p.write_bytes(ILDG.read_bytes()[: binrec.offset + 500])
    with pytest.raises(FormatError, match="truncated LIME file"):
        read_config(p)


# -- MILC v5 -------------------------------------------------------------------------------------
def test_milc_file_reproduces_checksums_plaquettes_and_link_trace():
    field, info = read_config(_need(MILC), reunitarize=False)
    assert info["format"] == "milc" and info["lattice"] == [8, 8, 8, 8] and info["byte_order"] == "<"
    assert info["checksum_computed"] == "4f9d000e 8d72f72e" == info["checksum_stated"]
    if info["info_file"] is None:
        pytest.skip("lat.sample.l8888.info missing")
    ps, pt = field.plaquette_st()
    # MILC normalises plaquettes to 3: gauge.ssplaq = 1.779002, gauge.stplaq = 1.782359
    assert round(3 * ps, 6) == 1.779002 and round(3 * pt, 6) == 1.782359
    assert round(field.link_trace(), 6) == -0.000646
    assert info["nersc_checksum_computed"] == 1245429571
    assert info["checksum_ok"] and info["plaquette_ok"] and info["link_trace_ok"]


def test_milc_writer_reproduces_the_data_and_checksums(tmp_path):
    field, _ = read_config(_need(MILC), reunitarize=False)
    out = tmp_path / "copy.milc"
    write_config(out, field, "milc", precision=32)
    assert out.read_bytes()[96:] == MILC.read_bytes()[96:]
    assert out.read_bytes()[88:96] == MILC.read_bytes()[88:96]  # sum29, sum31


def test_milc_file_damaged_copies_are_refused(tmp_path):
    p = _copy(_need(MILC), tmp_path)
    _flip(p, 96 + 123457)
    with pytest.raises(ChecksumError, match="MILC checksum mismatch: header says sum29 4f9d000e sum31 8d72f72e"):
        read_config(p)
    p.write_bytes(MILC.read_bytes()[:-1])
    with pytest.raises(FormatError, match="truncated MILC file"):
        read_config(p)


# -- across formats --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["hdf5", "nersc", "ildg"])
def test_real_configuration_survives_conversion_bit_exactly(tmp_path, fmt):
    field, _ = read_config(_need(ILDG))
    out = tmp_path / f"c.{fmt}"
    write_config(out, field, fmt, precision=64)
    again, info = read_config(out)
    assert np.array_equal(again.links, field.links)
    assert info["checksum_ok"]

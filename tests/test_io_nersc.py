"""NERSC reader/writer: round trips, header values, and refusal of damaged files."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from lqcd_core.gauge.field import GaugeField
from lqcd_core.io import ChecksumError, FormatError, detect_format, read_config, write_config
from lqcd_core.io.nersc import encode_nersc, nersc_checksum, parse_nersc_header, read_nersc, write_nersc

EXTENTS = (4, 4, 4, 8)


@pytest.fixture(scope="module")
def hot():
    return GaugeField.hot(EXTENTS, "su3", np.random.default_rng(20240611))


def _header(path):
    buf = path.read_bytes()
    return parse_nersc_header(buf, path)


@pytest.mark.parametrize("byteorder", [">", "<"])
def test_roundtrip_64bit_3x3_is_bit_exact(tmp_path, hot, byteorder):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot, precision=64, byteorder=byteorder)
    field, info = read_config(p)
    assert detect_format(p) == "nersc"
    assert np.array_equal(field.links, hot.links)
    assert info["floating_point"] == ("IEEE64BIG" if byteorder == ">" else "IEEE64LITTLE")
    assert info["checksum_ok"] and info["plaquette_ok"] and info["link_trace_ok"]
    assert info["lattice"] == list(EXTENTS) and info["group"] == "su3" and info["precision"] == 64


def test_roundtrip_64bit_3x2_reconstructs_third_row(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_config(p, hot, "nersc", precision=64, nersc_datatype="3x2")
    field, info = read_config(p)
    assert info["datatype"] == "4D_SU3_GAUGE"
    assert np.array_equal(field.links[..., :2, :], hot.links[..., :2, :])
    assert np.abs(field.links - hot.links).max() < 1e-14
    assert p.stat().st_size < 0.7 * len(encode_nersc(hot, precision=64))


@pytest.mark.parametrize("datatype", ["3x3", "3x2"])
def test_roundtrip_32bit_within_1e7_and_reunitarised(tmp_path, hot, datatype):
    p = tmp_path / "cfg.nersc"
    write_config(p, hot, "nersc", precision=32, nersc_datatype=datatype)
    field, info = read_config(p)
    assert info["precision"] == 32 and info["floating_point"] == "IEEE32BIG"
    assert info["reunitarized"]
    assert np.abs(field.links - hot.links).max() < 1e-7
    assert field.unitarity_violation() < 1e-14
    assert info["checksum_ok"] and info["plaquette_ok"] and info["link_trace_ok"]


def test_header_checksum_plaquette_linktrace_match_independent_computation(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot, precision=64)
    header, off = _header(p)
    data = p.read_bytes()[off:]
    # checksum: sum of the 32-bit words of the doubles in host (little-endian) order
    doubles = struct.unpack(f">{len(data) // 8}d", data)
    host_words = struct.unpack(f"<{2 * len(doubles)}I", struct.pack(f"<{len(doubles)}d", *doubles))
    assert int(header["CHECKSUM"], 16) == sum(host_words) % 2**32
    assert float(header["PLAQUETTE"]) == pytest.approx(hot.plaquette(), abs=1e-14)
    assert float(header["LINK_TRACE"]) == pytest.approx(hot.link_trace(), abs=1e-14)
    for k in ("HDR_VERSION", "DATATYPE", "STORAGE_FORMAT", "DIMENSION_4", "BOUNDARY_1",
              "FLOATING_POINT", "ENSEMBLE_ID", "SEQUENCE_NUMBER"):
        assert k in header
    assert [int(header[f"DIMENSION_{k}"]) for k in range(1, 5)] == list(EXTENTS)
    assert data == np.ascontiguousarray(hot.links.transpose(1, 0, 2, 3), ">c16").tobytes()


def test_checksum_is_the_same_for_big_and_little_endian_files(tmp_path, hot):
    for bo in "<>":
        write_nersc(tmp_path / f"c{ord(bo)}", hot, precision=64, byteorder=bo)
    h1, _ = _header(tmp_path / f"c{ord('<')}")
    h2, _ = _header(tmp_path / f"c{ord('>')}")
    assert h1["CHECKSUM"] == h2["CHECKSUM"]
    assert nersc_checksum(np.array([1, 2**32 - 1], ">u4").tobytes(), ">") == 0


def test_metadata_goes_into_header_and_reserved_keys_are_refused(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot, metadata={"ensemble_id": "test_ens", "SEQUENCE_NUMBER": 42})
    header, _ = _header(p)
    assert header["ENSEMBLE_ID"] == "test_ens" and header["SEQUENCE_NUMBER"] == "42"
    with pytest.raises(ValueError, match="written by the writer"):
        write_nersc(tmp_path / "x", hot, metadata={"PLAQUETTE": 1.0})


def test_truncated_file_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot)
    p.write_bytes(p.read_bytes()[:-1000])
    with pytest.raises(FormatError, match=r"cfg\.nersc: truncated NERSC file"):
        read_config(p)


def test_missing_end_header_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    p.write_bytes(b"BEGIN_HEADER\nDATATYPE = 4D_SU3_GAUGE_3x3\n")
    with pytest.raises(FormatError, match="END_HEADER"):
        read_config(p)


def test_flipped_data_byte_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot)
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0x10
    p.write_bytes(bytes(b))
    with pytest.raises(ChecksumError, match="NERSC CHECKSUM mismatch: header says [0-9a-f]{8}, data give"):
        read_config(p)
    field, info = read_nersc(p, verify=False)
    assert info["checksum_ok"] is False and info["problems"]


def test_altered_header_plaquette_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot)
    header, _ = _header(p)
    buf = p.read_bytes().replace(f"PLAQUETTE = {header['PLAQUETTE']}".encode(),
                                 b"PLAQUETTE = 0.123456")
    p.write_bytes(buf)
    with pytest.raises(ChecksumError, match="PLAQUETTE mismatch"):
        read_config(p)
    _, info = read_config(p, verify=False)
    assert info["plaquette_ok"] is False and info["checksum_ok"] is True


def test_only_su3_in_4d_is_written(tmp_path):
    su2 = GaugeField.hot((4, 4, 4, 4), "su2", np.random.default_rng(1))
    with pytest.raises(FormatError, match=r"SU\(3\) gauge fields in 4 dimensions"):
        write_config(tmp_path / "x", su2, "nersc")
    su3_3d = GaugeField.hot((4, 4, 4), "su3", np.random.default_rng(1))
    with pytest.raises(FormatError, match="4 dimensions"):
        write_config(tmp_path / "y", su3_3d, "nersc")
    assert not any(tmp_path.iterdir())


def test_unsupported_datatype_is_refused(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot)
    p.write_bytes(p.read_bytes().replace(b"4D_SU3_GAUGE_3x3", b"4D_SU2_GAUGE_2x2"))
    with pytest.raises(FormatError, match="unsupported NERSC DATATYPE"):
        read_config(p)


def test_writer_refuses_to_overwrite(tmp_path, hot):
    p = tmp_path / "cfg.nersc"
    write_nersc(p, hot)
    before = p.read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        write_config(p, GaugeField.cold(EXTENTS, "su3"), "nersc")
    assert p.read_bytes() == before
    write_config(p, GaugeField.cold(EXTENTS, "su3"), "nersc", overwrite=True)
    assert read_config(p)[1]["plaquette"] == pytest.approx(1.0, abs=1e-15)

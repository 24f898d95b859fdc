"""NERSC gauge configuration files (SU(3), 4 dimensions).

Layout (docs/formats.md, "NERSC")::

    BEGIN_HEADER
    KEY = VALUE            (one per line: DATATYPE, DIMENSION_1..4, CHECKSUM,
    ...                     PLAQUETTE, LINK_TRACE, FLOATING_POINT, ...)
    END_HEADER
    <binary data>

Data: for t, z, y, x (x fastest), for mu = x, y, z, t: one link, the first
``rows`` rows of the 3x3 matrix, row-major, each entry (re, im).
``DATATYPE = 4D_SU3_GAUGE_3x3`` stores 3 rows, ``4D_SU3_GAUGE`` 2 rows (the
third is conj(row0 x row1)).  ``FLOATING_POINT`` is IEEE32BIG, IEEE64BIG,
IEEE32LITTLE or IEEE64LITTLE (IEEE32/IEEE64 = big-endian).

CHECKSUM: the sum mod 2^32 of the data's 32-bit words after converting the
numbers to host byte order (for doubles, the two 32-bit halves of each number:
their sum does not depend on the host's byte order).  PLAQUETTE = average
Re tr U_P / 3, LINK_TRACE = average Re tr U / 3 (as :class:`GaugeField`).
"""
from __future__ import annotations

import getpass
import platform
import time
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes, check_writable
from .detect import (ConfigFile, FormatError, as_path, build_field, compare_stated, finish,
                     new_info, read_file_bytes, require_su3_4d, stated_tolerance)

__all__ = ["read_nersc", "write_nersc", "nersc_checksum", "parse_nersc_header",
           "NERSC_FLOATING_POINT", "NERSC_DATATYPES"]

#: FLOATING_POINT value -> (numpy byte order, bytes per real number)
NERSC_FLOATING_POINT = {
    "IEEE32": (">", 4), "IEEE32BIG": (">", 4), "IEEE32LITTLE": ("<", 4),
    "IEEE64": (">", 8), "IEEE64BIG": (">", 8), "IEEE64LITTLE": ("<", 8),
}
#: DATATYPE value -> number of stored rows
NERSC_DATATYPES = {"4D_SU3_GAUGE_3X3": 3, "4D_SU3_GAUGE": 2, "4D_SU3_GAUGE_3X2": 2}
_DATATYPE_ALIASES = {"3x3": "4D_SU3_GAUGE_3x3", "3x2": "4D_SU3_GAUGE",
                     "4d_su3_gauge_3x3": "4D_SU3_GAUGE_3x3", "4d_su3_gauge": "4D_SU3_GAUGE"}

#: tolerance of the PLAQUETTE / LINK_TRACE check, by bytes per number
_TOL = {4: 1e-6, 8: 1e-10}
_END = b"END_HEADER"
_RESERVED = {"DATATYPE", "DIMENSION_1", "DIMENSION_2", "DIMENSION_3", "DIMENSION_4",
             "CHECKSUM", "PLAQUETTE", "LINK_TRACE", "FLOATING_POINT", "HDR_VERSION",
             "STORAGE_FORMAT"}


def nersc_checksum(data: bytes | np.ndarray, byteorder: str) -> int:
    """Sum mod 2^32 of the 32-bit words of ``data`` read in ``byteorder`` ('>' or '<')."""
    words = np.frombuffer(data, dtype=byteorder + "u4")
    return int(np.add.reduce(words, dtype=np.uint64)) & 0xFFFFFFFF


def parse_nersc_header(buf: bytes, path="<bytes>") -> tuple[dict, int]:
    """(header dict with upper-case keys, offset of the first data byte)."""
    name = as_path(path).name
    if not buf.lstrip().startswith(b"BEGIN_HEADER"):
        raise FormatError(f"{name}: not a NERSC file (no BEGIN_HEADER at the start)")
    end = buf.find(_END)
    if end < 0:
        raise FormatError(f"{name}: NERSC header has no END_HEADER line (truncated file?)")
    nl = buf.find(b"\n", end)
    if nl < 0:
        raise FormatError(f"{name}: truncated after END_HEADER")
    text = buf[:end].decode("latin-1").strip()
    header: dict[str, str] = {}
    for line in text.splitlines()[1:]:
        if not line.strip():
            continue
        if "=" not in line:
            raise FormatError(f"{name}: malformed NERSC header line {line!r}")
        key, value = line.split("=", 1)
        header[key.strip().upper()] = value.strip()
    return header, nl + 1


def _reconstruct_third_row(u: np.ndarray) -> None:
    """u[..., 2, :] = conj(u[..., 0, :] x u[..., 1, :]) in place."""
    u[..., 2, :] = np.conj(np.cross(u[..., 0, :], u[..., 1, :]))


def _dims(header: dict, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(header[f"DIMENSION_{k}"]) for k in range(1, 5))
    except KeyError as exc:
        raise FormatError(f"{name}: NERSC header lacks {exc.args[0]}") from None
    except ValueError as exc:
        raise FormatError(f"{name}: bad DIMENSION value in NERSC header ({exc})") from None


def _float_or_none(header, key, name):
    if key not in header:
        return None, None
    text = header[key]
    try:
        return float(text), text
    except ValueError:
        raise FormatError(f"{name}: {key} = {text!r} is not a number") from None


def read_nersc(path, verify: bool = True, reunitarize: bool | None = None) -> ConfigFile:
    """Read a NERSC file; returns ``ConfigFile(field, info)``.

    Verifies CHECKSUM, PLAQUETTE and LINK_TRACE (those present in the header);
    with ``verify=True`` a mismatch raises :class:`ChecksumError`, otherwise it
    is reported in ``info``.  Single-precision data are reunitarised after the
    checks unless ``reunitarize=False``.
    """
    p = as_path(path)
    buf = read_file_bytes(p)
    header, off = parse_nersc_header(buf, p)
    name = p.name

    dtype_key = header.get("DATATYPE", "").upper()
    if dtype_key not in NERSC_DATATYPES:
        raise FormatError(f"{name}: unsupported NERSC DATATYPE {header.get('DATATYPE')!r} "
                          "(supported: 4D_SU3_GAUGE_3x3, 4D_SU3_GAUGE)")
    rows = NERSC_DATATYPES[dtype_key]
    dims = _dims(header, name)
    volume = int(np.prod(dims))
    data = memoryview(buf)[off:]
    n_reals = volume * 4 * rows * 3 * 2

    fp = header.get("FLOATING_POINT")
    if fp is None:  # old files: infer the width from the size, big-endian
        fp = "IEEE64BIG" if len(data) == 8 * n_reals else "IEEE32BIG"
    if fp.upper() not in NERSC_FLOATING_POINT:
        raise FormatError(f"{name}: unsupported FLOATING_POINT {fp!r} "
                          f"(supported: {', '.join(NERSC_FLOATING_POINT)})")
    bo, width = NERSC_FLOATING_POINT[fp.upper()]
    expected = n_reals * width
    if len(data) < expected:
        raise FormatError(f"{name}: truncated NERSC file: the header ({'x'.join(map(str, dims))}, "
                          f"{header.get('DATATYPE')}, {fp}) needs {expected} data bytes, "
                          f"the file has {len(data)}")
    if len(data) > expected:
        raise FormatError(f"{name}: {len(data) - expected} unexpected bytes after the "
                          f"{expected} data bytes of a {'x'.join(map(str, dims))} NERSC file")
    data = data[:expected]

    raw = np.frombuffer(data, dtype=f"{bo}c{2 * width}").reshape(volume, 4, rows, 3)
    links = np.empty((4, volume, 3, 3), np.complex128)
    links[:, :, :rows, :] = raw.transpose(1, 0, 2, 3)
    if rows == 2:
        _reconstruct_third_row(links)
    field = build_field(dims, links)

    info = new_info("nersc", p, field, 8 * width)
    info.update(datatype=header.get("DATATYPE"), floating_point=fp, byte_order=bo,
                header=header)
    computed = nersc_checksum(data, bo)
    info["checksum_computed"] = f"{computed:08x}"
    stated_ck = header.get("CHECKSUM")
    if stated_ck is None:
        info["checksum_stated"] = None
    else:
        try:
            stated = int(stated_ck, 16)
        except ValueError:
            raise FormatError(f"{name}: CHECKSUM = {stated_ck!r} is not hexadecimal") from None
        info["checksum_stated"] = f"{stated:08x}"
        info["checksum_ok"] = stated == computed
        if stated != computed:
            info["problems"].append(
                f"{name}: NERSC CHECKSUM mismatch: header says {stated:08x}, data give "
                f"{computed:08x} (file corrupted?)")
    tol = _TOL[width]
    plaq, plaq_text = _float_or_none(header, "PLAQUETTE", name)
    info["plaquette_stated"] = plaq
    compare_stated(info, "plaquette", "PLAQUETTE", plaq, info["plaquette"],
                   stated_tolerance(plaq_text, tol), p)
    ltr, ltr_text = _float_or_none(header, "LINK_TRACE", name)
    info["link_trace_stated"] = ltr
    compare_stated(info, "link_trace", "LINK_TRACE", ltr, info["link_trace"],
                   stated_tolerance(ltr_text, tol), p)
    return finish(info, field, verify, reunitarize)


def encode_nersc(field, *, precision: int = 64, datatype: str = "3x3",
                 byteorder: str = ">", metadata: dict | None = None) -> bytes:
    """The bytes of a NERSC file holding ``field`` (header + data)."""
    require_su3_4d(field, "NERSC")
    dt = _DATATYPE_ALIASES.get(str(datatype).lower(), str(datatype))
    if dt.upper() not in NERSC_DATATYPES:
        raise ValueError(f"unknown NERSC datatype {datatype!r}; use '3x3' or '3x2'")
    rows = NERSC_DATATYPES[dt.upper()]
    if precision not in (32, 64):
        raise ValueError(f"precision must be 32 or 64, got {precision!r}")
    if byteorder not in "<>":
        raise ValueError(f"byteorder must be '>' or '<', got {byteorder!r}")
    width = precision // 8
    fp = f"IEEE{precision}{'BIG' if byteorder == '>' else 'LITTLE'}"

    stored = np.ascontiguousarray(field.links.transpose(1, 0, 2, 3)[:, :, :rows, :],
                                  dtype=f"{byteorder}c{2 * width}")
    data = stored.tobytes()
    # the stated observables are those of the data as a reader will see them
    seen = np.empty((4, field.lattice.volume, 3, 3), np.complex128)
    seen[:, :, :rows] = stored.transpose(1, 0, 2, 3)
    if rows == 2:
        _reconstruct_third_row(seen)
    from ..gauge.field import GaugeField
    seen_field = GaugeField(field.lattice, field.group, seen)

    meta = {str(k).upper(): v for k, v in (metadata or {}).items()}
    bad = sorted(set(meta) & _RESERVED)
    if bad:
        raise ValueError(f"NERSC header keys {bad} are written by the writer itself")
    for k, v in meta.items():
        if "\n" in str(v) or "=" in k or "\n" in k or not k.strip():
            raise ValueError(f"invalid NERSC header entry {k!r} = {v!r}")
    now = time.strftime("%a %b %d %H:%M:%S %Y", time.localtime())
    try:
        user = getpass.getuser()
    except Exception:  # pragma: no cover - no user name in some containers
        user = "unknown"
    entries = {
        "HDR_VERSION": "1.0",
        "DATATYPE": dt,
        "STORAGE_FORMAT": "1.0",
        **{f"DIMENSION_{k + 1}": str(e) for k, e in enumerate(field.lattice.extents)},
        "LINK_TRACE": f"{seen_field.link_trace():.15g}",
        "PLAQUETTE": f"{seen_field.plaquette():.15g}",
        **{f"BOUNDARY_{k}": "PERIODIC" for k in range(1, 5)},
        "CHECKSUM": f"{nersc_checksum(data, byteorder):08x}",
        "FLOATING_POINT": fp,
        "ENSEMBLE_ID": "lqcd_core",
        "ENSEMBLE_LABEL": "lqcd_core",
        "SEQUENCE_NUMBER": "0",
        "CREATOR": user,
        "CREATOR_HARDWARE": f"{platform.node()}-{platform.machine()}",
        "CREATION_DATE": now,
        "ARCHIVE_DATE": now,
    }
    entries.update({k: str(v) for k, v in meta.items()})
    lines = ["BEGIN_HEADER"] + [f"{k} = {v}" for k, v in entries.items()] + ["END_HEADER", ""]
    return "\n".join(lines).encode("ascii", errors="replace") + data


def write_nersc(path, field, *, precision: int = 64, datatype: str = "3x3",
                byteorder: str = ">", overwrite: bool = False,
                metadata: dict | None = None) -> Path:
    """Write ``field`` as a NERSC file (atomically).

    ``datatype`` '3x3' (``4D_SU3_GAUGE_3x3``) or '3x2' (``4D_SU3_GAUGE``);
    ``precision`` 32/64; ``byteorder`` '>' (IEEE..BIG, the usual) or '<';
    ``metadata``: extra header entries such as ENSEMBLE_ID, SEQUENCE_NUMBER.
    """
    check_writable(path, overwrite)
    blob = encode_nersc(field, precision=precision, datatype=datatype, byteorder=byteorder,
                        metadata=metadata)
    return atomic_write_bytes(path, blob, overwrite=overwrite)

"""ILDG gauge configurations (SciDAC / LIME), with the SciDAC checksum.

Records written (the layout of MILC's and Chroma's QIO-based writers)::

    message 1: scidac-private-file-xml  (MB)   spacetime, dims, volfmt
               scidac-file-xml          (ME)   user file XML
    message 2: scidac-private-record-xml (MB)  datatype QDP_F3/D3_ColorMatrix, ...
               scidac-record-xml               user record XML (plaquette, link trace)
               ildg-format                     <field>su3gauge</field>, precision, lx..lt
               [ildg-data-lfn]                 logical file name, if given
               ildg-binary-data                the links
               scidac-checksum          (ME)   <suma>, <sumb>

Binary data: big-endian, sites in lexicographic order (x fastest, t slowest),
per site the 4 links mu = x, y, z, t, each 3x3 row-major complex (re, im).

SciDAC checksum: for the site of lexicographic rank r, c = CRC32 (zlib
polynomial) of the site's bytes as stored; suma ^= rotl32(c, r mod 29),
sumb ^= rotl32(c, r mod 31).  The per-site CRC32 runs in a Numba kernel.
"""
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from numba import njit

from .atomic import atomic_write_bytes, check_writable
from .detect import (ConfigFile, FormatError, as_path, build_field, compare_stated, finish,
                     new_info, require_su3_4d, stated_tolerance)
from .lime import encode_lime, read_lime_headers, read_record_data

__all__ = ["read_ildg", "write_ildg", "encode_ildg", "scidac_checksum", "crc32_rows",
           "parse_xml_fields"]

_TOL = {32: 1e-6, 64: 1e-10}
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
_SMALL = 1 << 20  # records up to this size are loaded as text


# -- CRC32 and the SciDAC checksum ------------------------------------------------------
def _crc_table() -> np.ndarray:
    c = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        c = np.where(c & 1, np.uint32(0xEDB88320) ^ (c >> np.uint32(1)), c >> np.uint32(1))
    return c.astype(np.uint32)


_CRC_TABLE = _crc_table()


@njit(cache=True)
def _crc32_rows_kernel(data, table):
    n, m = data.shape
    out = np.empty(n, dtype=np.uint32)
    for i in range(n):
        c = np.uint32(0xFFFFFFFF)
        for j in range(m):
            c = table[(c ^ np.uint32(data[i, j])) & np.uint32(0xFF)] ^ (c >> np.uint32(8))
        out[i] = c ^ np.uint32(0xFFFFFFFF)
    return out


def crc32_rows(data: np.ndarray) -> np.ndarray:
    """CRC32 (as ``zlib.crc32``) of each row of a 2-d uint8 array."""
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if data.ndim != 2:
        raise ValueError("crc32_rows needs a 2-d array of bytes")
    return _crc32_rows_kernel(data, _CRC_TABLE)


def _rotl(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint32)
    s = s.astype(np.uint32)
    return (x << s) | (x >> ((np.uint32(32) - s) & np.uint32(31)))


def scidac_checksum(site_bytes: np.ndarray) -> tuple[int, int]:
    """(suma, sumb) of data given as a (V, bytes per site) uint8 array in rank order."""
    crc = crc32_rows(site_bytes)
    r = np.arange(crc.size, dtype=np.uint64)
    suma = np.bitwise_xor.reduce(_rotl(crc, r % 29)) if crc.size else 0
    sumb = np.bitwise_xor.reduce(_rotl(crc, r % 31)) if crc.size else 0
    return int(suma), int(sumb)


# -- XML ---------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml_fields(text: str) -> dict:
    """{local element name: text} of all elements (first occurrence wins).

    Tolerates trailing NULs and, if the XML is not well formed, falls back to
    a simple ``<tag>value</tag>`` scan.
    """
    text = text.replace("\x00", "").strip()
    out: dict[str, str] = {}
    try:
        root = ET.fromstring(text)
        for el in root.iter():
            out.setdefault(_local(el.tag), (el.text or "").strip())
    except ET.ParseError:
        for m in re.finditer(r"<([A-Za-z_][\w.\-:]*)[^>]*>([^<]*)</\1>", text):
            out.setdefault(_local(m.group(1).split(":")[-1]), m.group(2).strip())
    return out


# -- reading ------------------------------------------------------------------------
def read_ildg(path, verify: bool = True, reunitarize: bool | None = None) -> ConfigFile:
    """Read an ILDG (or plain SciDAC ColorMatrix gauge) LIME file.

    Verifies the SciDAC checksum (if the file has one) and a plaquette / link
    trace stated in the record XML (as this package writes them).
    """
    p = as_path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    name = p.name
    with open(p, "rb") as fh:
        records = read_lime_headers(fh, p)
        for r in records:
            if r.length <= _SMALL:
                r.data = read_record_data(fh, r)
        by_type: dict[str, list] = {}
        for r in records:
            by_type.setdefault(r.type, []).append(r)

        def text_of(rtype):
            recs = by_type.get(rtype)
            return recs[0].text() if recs and recs[0].data is not None else None

        fmt_xml = text_of("ildg-format")
        if "ildg-binary-data" in by_type:
            if fmt_xml is None:
                raise FormatError(f"{name}: ILDG file has ildg-binary-data but no ildg-format record")
            fields = parse_xml_fields(fmt_xml)
            if fields.get("field", "").lower() != "su3gauge":
                raise FormatError(f"{name}: ildg-format field is {fields.get('field')!r}; "
                                  "only su3gauge is supported")
            try:
                precision = int(fields["precision"])
                dims = tuple(int(fields[k]) for k in ("lx", "ly", "lz", "lt"))
            except (KeyError, ValueError) as exc:
                raise FormatError(f"{name}: incomplete ildg-format record ({exc!r})") from None
            binrec = by_type["ildg-binary-data"][0]
            kind = "ildg"
        elif "scidac-binary-data" in by_type:  # SciDAC (QIO) file without ILDG records
            prf = parse_xml_fields(text_of("scidac-private-record-xml") or "")
            pff = parse_xml_fields(text_of("scidac-private-file-xml") or "")
            dtype = prf.get("datatype", "")
            if not (dtype.endswith("3_ColorMatrix") and prf.get("datacount") == "4"
                    and pff.get("spacetime") == "4"):
                raise FormatError(f"{name}: SciDAC file does not hold an SU(3) gauge field "
                                  f"(datatype {dtype!r}, datacount {prf.get('datacount')!r})")
            precision = {"F": 32, "D": 64}.get(prf.get("precision", ""), 0)
            if not precision:
                raise FormatError(f"{name}: unknown SciDAC precision {prf.get('precision')!r}")
            dims = tuple(int(x) for x in pff.get("dims", "").split())
            binrec = by_type["scidac-binary-data"][0]
            kind = "scidac"
        else:
            raise FormatError(f"{name}: LIME file without ildg-binary-data or scidac-binary-data "
                              f"record (records: {', '.join(r.type for r in records)})")
        if precision not in (32, 64):
            raise FormatError(f"{name}: unsupported precision {precision}")
        if len(dims) != 4:
            raise FormatError(f"{name}: lattice dimensions {dims} are not 4-dimensional")
        volume = int(np.prod(dims))
        width = precision // 8
        site_bytes = 4 * 9 * 2 * width
        if binrec.length != volume * site_bytes:
            raise FormatError(f"{name}: {binrec.type} has {binrec.length} bytes, expected "
                              f"{volume * site_bytes} for a {'x'.join(map(str, dims))} lattice "
                              f"at {precision}-bit precision")
        raw_bytes = read_record_data(fh, binrec)

    raw = np.frombuffer(raw_bytes, dtype=f">c{2 * width}").reshape(volume, 4, 3, 3)
    field = build_field(dims, raw.transpose(1, 0, 2, 3).astype(np.complex128))
    info = new_info("ildg", p, field, precision)
    info.update(variant=kind, byte_order=">", records=[r.type for r in records])
    if "ildg-data-lfn" in by_type:
        info["lfn"] = text_of("ildg-data-lfn")
    info["record_xml"] = text_of("scidac-record-xml")
    info["file_xml"] = text_of("scidac-file-xml")

    ck_text = text_of("scidac-checksum")
    suma, sumb = scidac_checksum(np.frombuffer(raw_bytes, np.uint8).reshape(volume, site_bytes))
    info["checksum_computed"] = {"suma": f"{suma:08x}", "sumb": f"{sumb:08x}"}
    info["checksum_stated"] = None
    if ck_text is not None:
        ck = parse_xml_fields(ck_text)
        try:
            sa, sb = int(ck["suma"], 16), int(ck["sumb"], 16)
        except (KeyError, ValueError):
            raise FormatError(f"{name}: malformed scidac-checksum record {ck_text!r}") from None
        info["checksum_stated"] = {"suma": f"{sa:08x}", "sumb": f"{sb:08x}"}
        info["checksum_ok"] = (sa, sb) == (suma, sumb)
        if not info["checksum_ok"]:
            info["problems"].append(
                f"{name}: SciDAC checksum mismatch: file states suma {sa:08x} sumb {sb:08x}, "
                f"data give suma {suma:08x} sumb {sumb:08x} (file corrupted?)")

    # plaquette / link trace stated in the user record XML (this package's writer)
    user = parse_xml_fields(info["record_xml"] or "") if info["record_xml"] else {}
    tol = _TOL[precision]
    for key, label, names in (("plaquette", "plaquette", ("plaquette",)),
                              ("link_trace", "link trace", ("linkTrace", "link_trace", "linktrace"))):
        txt = next((user[n] for n in names if n in user), None)
        val = None
        if txt is not None:
            try:
                val = float(txt)
            except ValueError:
                txt = None
        info[f"{key}_stated"] = val
        compare_stated(info, key, label, val, info[key], stated_tolerance(txt, tol), p)
    return finish(info, field, verify, reunitarize)


# -- writing ------------------------------------------------------------------------
_NAME_RE = re.compile(r"^[A-Za-z_][\w.\-]*$")


def _xml_record(body: str) -> bytes:
    # QIO writers (MILC, Chroma) include the terminating NUL in the record
    return (_XML_DECL + body).encode("utf-8") + b"\x00"


def encode_ildg(field, *, precision: int = 64, metadata: dict | None = None) -> list[bytes]:
    """Chunks of an ILDG file holding ``field``."""
    require_su3_4d(field, "ILDG")
    if precision not in (32, 64):
        raise ValueError(f"precision must be 32 or 64, got {precision!r}")
    from .checkpoint import code_version
    from ..gauge.field import GaugeField

    meta = dict(metadata or {})
    lfn = meta.pop("lfn", None)
    width = precision // 8
    lx, ly, lz, lt = field.lattice.extents
    volume = field.lattice.volume
    stored = np.ascontiguousarray(field.links.transpose(1, 0, 2, 3), dtype=f">c{2 * width}")
    data = stored.tobytes()
    seen = GaugeField(field.lattice, field.group, stored.transpose(1, 0, 2, 3).astype(np.complex128))
    suma, sumb = scidac_checksum(np.frombuffer(data, np.uint8).reshape(volume, 36 * 2 * width))

    for k in meta:
        if not _NAME_RE.match(str(k)) or str(k).lower().startswith("xml"):
            raise ValueError(f"metadata key {k!r} is not a valid XML element name")
    user_items = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in meta.items())
    date = time.strftime("%a %b %d %H:%M:%S %Y UTC", time.gmtime())
    letter = "F" if precision == 32 else "D"

    private_file = (f"<scidacFile><version>1.1</version><spacetime>4</spacetime>"
                    f"<dims>{lx} {ly} {lz} {lt} </dims><volfmt>0</volfmt></scidacFile>")
    file_xml = (f"<lqcdCoreFile><title>lqcd_core ILDG archival gauge configuration</title>"
                f"<creator>lqcd_core {escape(code_version())}</creator></lqcdCoreFile>")
    private_record = (f"<scidacRecord><version>1.0</version><date>{date}</date>"
                      f"<globaldata>0</globaldata><datatype>QDP_{letter}3_ColorMatrix</datatype>"
                      f"<precision>{letter}</precision><colors>3</colors>"
                      f"<typesize>{18 * width}</typesize><datacount>4</datacount></scidacRecord>")
    record_xml = (f"<lqcdCoreRecord><plaquette>{seen.plaquette()!r}</plaquette>"
                  f"<linkTrace>{seen.link_trace()!r}</linkTrace>{user_items}</lqcdCoreRecord>")
    ildg_format = ('<ildgFormat xmlns="http://www.lqcd.org/ildg" '
                   'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                   'xsi:schemaLocation="http://www.lqcd.org/ildg/filefmt.xsd">'
                   f"<version>1.0</version><field>su3gauge</field><precision>{precision}</precision>"
                   f"<lx>{lx}</lx><ly>{ly}</ly><lz>{lz}</lz><lt>{lt}</lt></ildgFormat>")
    checksum = (f"<scidacChecksum><version>1.0</version><suma>{suma:08x}</suma>"
                f"<sumb>{sumb:08x}</sumb></scidacChecksum>")

    msg2 = [("scidac-private-record-xml", _xml_record(private_record)),
            ("scidac-record-xml", _xml_record(record_xml)),
            ("ildg-format", _xml_record(ildg_format))]
    if lfn is not None:
        msg2.append(("ildg-data-lfn", str(lfn).encode("utf-8") + b"\x00"))
    msg2 += [("ildg-binary-data", data), ("scidac-checksum", _xml_record(checksum))]
    return encode_lime([[("scidac-private-file-xml", _xml_record(private_file)),
                         ("scidac-file-xml", _xml_record(file_xml))], msg2])


def write_ildg(path, field, *, precision: int = 64, overwrite: bool = False,
               metadata: dict | None = None) -> Path:
    """Write ``field`` as an ILDG file (atomically).

    ``metadata``: entries for the SciDAC record XML (valid XML names); the key
    ``lfn`` becomes the ``ildg-data-lfn`` record.
    """
    check_writable(path, overwrite)
    chunks = encode_ildg(field, precision=precision, metadata=metadata)
    return atomic_write_bytes(path, chunks, overwrite=overwrite)

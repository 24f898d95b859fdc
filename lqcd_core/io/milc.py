"""MILC version 5 binary gauge configurations (single precision SU(3), 4D).

Header (96 bytes, in the writer's byte order)::

    int32   magic = 20103          (read byte-swapped -> the other byte order)
    int32   nx, ny, nz, nt
    char    time_stamp[64]
    int32   order                  (0 = natural lexicographic order; others unsupported)
    uint32  sum29, sum31           checksums

then, for each site in lexicographic order (x fastest), the 4 links mu = x, y,
z, t, each a 3x3 row-major complex matrix of float32 (re, im): 288 bytes/site.

Checksum: the data are taken as 32-bit words in host order (after byte
swapping, if needed); word k of the whole data (k = 72 r + j for word j of
the site of rank r) contributes sum29 ^= rotl32(w, k mod 29) and
sum31 ^= rotl32(w, k mod 31).

MILC writes a text ``<file>.info`` beside the lattice with, among others,
``gauge.ssplaq`` / ``gauge.stplaq`` (spatial / temporal plaquette, normalised
to 3), ``gauge.nersc_linktr`` (Re tr U / 3) and ``gauge.nersc_checksum`` (the
NERSC-style 32-bit sum of the first two rows of every link).  If it is
present the reader checks those values too.
"""
from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes, check_writable
from .detect import (MILC_MAGIC, ConfigFile, FormatError, as_path, build_field,
                     compare_stated, finish, new_info, read_file_bytes, require_su3_4d,
                     stated_tolerance)

__all__ = ["read_milc", "write_milc", "milc_checksum", "parse_milc_info"]

HEADER_SIZE = 96
_SITE_WORDS = 4 * 18
_TOL = 1e-6


def _rotl(x, s):
    x = np.asarray(x, dtype=np.uint32)
    s = np.asarray(s, dtype=np.uint32)
    return (x << s) | (x >> ((np.uint32(32) - s) & np.uint32(31)))


def _rotating_xor(words: np.ndarray, period: int) -> int:
    """XOR over k of rotl32(words[k], k mod period), using linearity of XOR."""
    n = words.size
    m = n // period * period
    acc = np.zeros(period, dtype=np.uint32)
    if m:
        acc ^= np.bitwise_xor.reduce(words[:m].reshape(-1, period), axis=0)
    tail = words[m:]
    acc[:tail.size] ^= tail
    return int(np.bitwise_xor.reduce(_rotl(acc, np.arange(period))))


def milc_checksum(data, byteorder: str) -> tuple[int, int]:
    """(sum29, sum31) of MILC link data given as bytes in ``byteorder``."""
    words = np.frombuffer(data, dtype=byteorder + "u4").astype(np.uint32)
    return _rotating_xor(words, 29), _rotating_xor(words, 31)


def _nersc_rows01_checksum(data, byteorder: str, volume: int) -> int:
    words = np.frombuffer(data, dtype=byteorder + "u4").reshape(volume, 4, 3, 6)[:, :, :2]
    return int(np.add.reduce(words, axis=None, dtype=np.uint64)) & 0xFFFFFFFF


def parse_milc_info(text: str) -> dict:
    """``key = value`` lines of a MILC .info file (quotes stripped)."""
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


def read_milc(path, verify: bool = True, reunitarize: bool | None = None) -> ConfigFile:
    """Read a MILC v5 file; verifies sum29/sum31 and, if ``<path>.info`` exists,
    the plaquettes, link trace and NERSC checksum stated there."""
    p = as_path(path)
    buf = read_file_bytes(p)
    name = p.name
    if len(buf) < HEADER_SIZE:
        raise FormatError(f"{name}: truncated MILC file: {len(buf)} bytes, the header alone "
                          f"has {HEADER_SIZE}")
    if struct.unpack_from("<i", buf)[0] == MILC_MAGIC:
        bo = "<"
    elif struct.unpack_from(">i", buf)[0] == MILC_MAGIC:
        bo = ">"
    else:
        raise FormatError(f"{name}: not a MILC v5 file (magic number is not {MILC_MAGIC} "
                          "in either byte order)")
    dims = struct.unpack_from(bo + "4i", buf, 4)
    stamp = buf[20:84].split(b"\x00", 1)[0].decode("latin-1").strip()
    order, = struct.unpack_from(bo + "i", buf, 84)
    sum29, sum31 = struct.unpack_from(bo + "2I", buf, 88)
    if any(d <= 0 for d in dims):
        raise FormatError(f"{name}: bad MILC lattice dimensions {dims}")
    if order != 0:
        raise FormatError(f"{name}: MILC site order {order} (node dump with a site list) is "
                          "not supported; only natural order 0")
    volume = int(np.prod(dims))
    expected = volume * _SITE_WORDS * 4
    data = memoryview(buf)[HEADER_SIZE:]
    if len(data) < expected:
        raise FormatError(f"{name}: truncated MILC file: a {'x'.join(map(str, dims))} lattice "
                          f"needs {expected} data bytes, the file has {len(data)}")
    if len(data) > expected:
        raise FormatError(f"{name}: {len(data) - expected} unexpected bytes after the data "
                          f"of a {'x'.join(map(str, dims))} MILC file")

    raw = np.frombuffer(data, dtype=bo + "c8").reshape(volume, 4, 3, 3)
    field = build_field(dims, raw.transpose(1, 0, 2, 3).astype(np.complex128))
    info = new_info("milc", p, field, 32)
    info.update(byte_order=bo, time_stamp=stamp, order=order)
    c29, c31 = milc_checksum(data, bo)
    info["checksum_stated"] = f"{sum29:08x} {sum31:08x}"
    info["checksum_computed"] = f"{c29:08x} {c31:08x}"
    info["checksum_ok"] = (c29, c31) == (sum29, sum31)
    if not info["checksum_ok"]:
        info["problems"].append(
            f"{name}: MILC checksum mismatch: header says sum29 {sum29:08x} sum31 {sum31:08x}, "
            f"data give sum29 {c29:08x} sum31 {c31:08x} (file corrupted?)")

    ps, pt = field.plaquette_st()
    info["plaquette_st"] = [ps, pt]
    info_path = p.with_name(p.name + ".info")
    info["info_file"] = None
    if info_path.is_file():
        meta = parse_milc_info(info_path.read_text(errors="replace"))
        info["info_file"] = str(info_path)
        info["info_metadata"] = meta
        _check_info_file(info, meta, data, bo, volume, (sum29, sum31), field, p)
    return finish(info, field, verify, reunitarize)


def _check_info_file(info, meta, data, bo, volume, header_sums, field, p):
    name = p.name

    def num(key):
        if key not in meta:
            return None, None
        try:
            return float(meta[key]), meta[key]
        except ValueError:
            return None, None

    ps, pt = info["plaquette_st"]
    (ss, ss_t), (st, st_t) = num("gauge.ssplaq"), num("gauge.stplaq")
    if ss is not None and st is not None:
        info["plaquette_stated"] = (ss + st) / 6.0
        info["plaquette_st_stated"] = [ss / 3.0, st / 3.0]
        ok = True
        for label, stated, text, comp in (("gauge.ssplaq", ss, ss_t, ps),
                                          ("gauge.stplaq", st, st_t, pt)):
            tol = stated_tolerance(text, _TOL, scale=1.0 / 3.0)
            if abs(stated / 3.0 - comp) > tol:
                ok = False
                info["problems"].append(
                    f"{name}.info: {label} mismatch: states {stated} (= {stated / 3:.7g} in "
                    f"our normalisation), data give {comp:.7g}")
        info["plaquette_ok"] = ok
    ltr, ltr_t = num("gauge.nersc_linktr")
    info["link_trace_stated"] = ltr
    compare_stated(info, "link_trace", f"{name}.info gauge.nersc_linktr", ltr, info["link_trace"],
                   stated_tolerance(ltr_t, _TOL), p)
    if "checksums" in meta:
        try:
            pair = tuple(int(x, 16) for x in meta["checksums"].split())
        except ValueError:
            pair = None
        if pair != tuple(header_sums):
            info["checksum_ok"] = False
            info["problems"].append(f"{name}.info: checksums {meta['checksums']!r} differ from the "
                                    f"lattice header's {header_sums[0]:x} {header_sums[1]:x}")
    if "gauge.nersc_checksum" in meta:
        nck = _nersc_rows01_checksum(data, bo, volume)
        info["nersc_checksum_computed"] = nck
        try:
            stated = int(meta["gauge.nersc_checksum"])
        except ValueError:
            stated = None
        info["nersc_checksum_stated"] = stated
        if stated != nck:
            info["checksum_ok"] = False
            info["problems"].append(f"{name}.info: gauge.nersc_checksum {meta['gauge.nersc_checksum']}"
                                    f" differs from the data's {nck}")


def write_milc(path, field, *, overwrite: bool = False, byteorder: str = "<",
               info_file: bool = True) -> Path:
    """Write ``field`` as a MILC v5 file (single precision, natural order), atomically,
    plus a MILC-style ``<path>.info`` file unless ``info_file=False``."""
    require_su3_4d(field, "MILC")
    if byteorder not in "<>":
        raise ValueError(f"byteorder must be '<' or '>', got {byteorder!r}")
    path = as_path(path)
    info_path = path.with_name(path.name + ".info")
    check_writable(path, overwrite)
    if info_file:
        check_writable(info_path, overwrite)
    stored = np.ascontiguousarray(field.links.transpose(1, 0, 2, 3), dtype=byteorder + "c8")
    data = stored.tobytes()
    s29, s31 = milc_checksum(data, byteorder)
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.localtime())
    header = (struct.pack(byteorder + "5i", MILC_MAGIC, *field.lattice.extents)
              + stamp.encode("ascii").ljust(64, b"\x00")
              + struct.pack(byteorder + "i2I", 0, s29, s31))
    assert len(header) == HEADER_SIZE
    atomic_write_bytes(path, [header, data], overwrite=overwrite)
    if info_file:
        from ..gauge.field import GaugeField
        seen = GaugeField(field.lattice, field.group,
                          stored.transpose(1, 0, 2, 3).astype(np.complex128))
        ps, pt = seen.plaquette_st()
        nx, ny, nz, nt = field.lattice.extents
        lines = [f"magic_number = {MILC_MAGIC}", f'time_stamp = "{stamp}"',
                 f'checksums = "{s29:x} {s31:x}"', f"nx = {nx}", f"ny = {ny}", f"nz = {nz}",
                 f"nt = {nt}", 'gauge.description = "written by lqcd_core"',
                 f"gauge.ssplaq = {3 * ps:.10f}", f"gauge.stplaq = {3 * pt:.10f}",
                 f"gauge.nersc_linktr = {seen.link_trace():.10f}",
                 f"gauge.nersc_checksum = {_nersc_rows01_checksum(data, byteorder, seen.lattice.volume)}"]
        atomic_write_bytes(info_path, ("\n".join(lines) + "\n").encode(), overwrite=overwrite)
    return path

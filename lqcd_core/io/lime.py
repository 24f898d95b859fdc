"""LIME (Lattice QCD Interchange Message Encapsulation) records.

A LIME file is a sequence of records; each is a 144-byte big-endian header

=======  ======  ==============================================
offset   size    content
=======  ======  ==============================================
0        4       magic 0x456789ab (uint32)
4        2       LIME version (uint16, 1)
6        2       flags (uint16): bit 15 = MB (message begin),
                 bit 14 = ME (message end), other bits 0
8        8       payload length in bytes (uint64, without padding)
16       128     record type, ASCII, NUL-padded
=======  ======  ==============================================

followed by the payload, zero-padded to a multiple of 8 bytes.  Records are
grouped into messages: the first record of a message has MB set, the last ME.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field as dc_field
from pathlib import Path

from .detect import FormatError, as_path

__all__ = ["LIME_MAGIC", "LimeRecord", "read_lime_headers", "read_lime", "read_record_data",
           "lime_record_bytes", "encode_lime"]

LIME_MAGIC = 0x456789AB
LIME_VERSION = 1
HEADER_SIZE = 144
_HDR = struct.Struct(">IHHQ")
_MB = 0x8000
_ME = 0x4000


def _padded(n: int) -> int:
    return (n + 7) // 8 * 8


@dataclass
class LimeRecord:
    """One LIME record: type, flags, where its payload is, and (if loaded) the payload."""

    type: str
    length: int
    offset: int  # file offset of the payload
    mb: bool = False
    me: bool = False
    version: int = LIME_VERSION
    data: bytes | None = dc_field(default=None, repr=False)

    def text(self) -> str:
        """The payload as text, with trailing NULs/whitespace removed (XML records)."""
        if self.data is None:
            raise ValueError(f"payload of LIME record {self.type!r} not loaded")
        return bytes(self.data).rstrip(b"\x00").decode("utf-8", errors="replace").strip()


def read_lime_headers(fh, path="<file>", file_size: int | None = None) -> list[LimeRecord]:
    """Scan the record headers of an open binary file (payloads not loaded)."""
    name = as_path(path).name
    if file_size is None:
        pos0 = fh.tell()
        fh.seek(0, 2)
        file_size = fh.tell()
        fh.seek(pos0)
    records = []
    pos = 0
    while pos < file_size:
        fh.seek(pos)
        head = fh.read(HEADER_SIZE)
        if len(head) < HEADER_SIZE:
            if not head.strip(b"\x00"):  # zero padding at the very end
                break
            raise FormatError(f"{name}: truncated LIME record header at byte {pos} "
                              f"({len(head)} of {HEADER_SIZE} bytes)")
        magic, version, flags, length = _HDR.unpack_from(head)
        if magic != LIME_MAGIC:
            raise FormatError(f"{name}: bad LIME magic {magic:#010x} at byte {pos} "
                              f"(expected {LIME_MAGIC:#010x}; corrupted or not a LIME file)")
        rtype = head[16:].split(b"\x00", 1)[0].decode("ascii", errors="replace")
        start = pos + HEADER_SIZE
        if start + length > file_size:
            raise FormatError(f"{name}: truncated LIME file: record {rtype!r} at byte {pos} "
                              f"declares {length} bytes, only {file_size - start} remain")
        records.append(LimeRecord(rtype, int(length), start, bool(flags & _MB),
                                  bool(flags & _ME), int(version)))
        pos = start + _padded(length)
    if not records:
        raise FormatError(f"{name}: empty LIME file")
    return records


def read_record_data(fh, record: LimeRecord) -> bytes:
    fh.seek(record.offset)
    data = fh.read(record.length)
    if len(data) != record.length:
        raise FormatError(f"truncated LIME record {record.type!r}")
    return data


def read_lime(path, load_limit: int | None = None) -> list[LimeRecord]:
    """All records of a LIME file with their payloads (those <= ``load_limit`` bytes if given)."""
    p = as_path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    with open(p, "rb") as fh:
        recs = read_lime_headers(fh, p)
        for r in recs:
            if load_limit is None or r.length <= load_limit:
                r.data = read_record_data(fh, r)
    return recs


def lime_record_bytes(rtype: str, data: bytes, *, mb: bool, me: bool) -> bytes:
    """Header + payload + padding of one record."""
    t = rtype.encode("ascii")
    if len(t) > 128:
        raise ValueError(f"LIME record type {rtype!r} longer than 128 bytes")
    flags = (_MB if mb else 0) | (_ME if me else 0)
    head = _HDR.pack(LIME_MAGIC, LIME_VERSION, flags, len(data)) + t.ljust(128, b"\x00")
    return head + bytes(data) + b"\x00" * (_padded(len(data)) - len(data))


def encode_lime(messages) -> list[bytes]:
    """Chunks of a LIME file from ``messages``: a list of lists of (type, payload).

    MB is set on the first record of each message, ME on the last.
    """
    out = []
    for msg in messages:
        msg = list(msg)
        if not msg:
            raise ValueError("empty LIME message")
        for k, (rtype, data) in enumerate(msg):
            out.append(lime_record_bytes(rtype, data, mb=(k == 0), me=(k == len(msg) - 1)))
    return out


def dump_lime(path) -> list[dict]:
    """A summary of the records (type, length, MB, ME, XML text of small records)."""
    out = []
    for r in read_lime(Path(path), load_limit=1 << 16):
        d = {"type": r.type, "length": r.length, "mb": r.mb, "me": r.me}
        if r.data is not None:
            d["text"] = r.text()
        out.append(d)
    return out

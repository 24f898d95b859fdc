"""Format detection, generic read/write dispatch, and what all readers share.

Formats (docs/formats.md):

========  ==================================  ===========================
name      recognised by (first bytes)         module
========  ==================================  ===========================
hdf5      ``\\x89HDF\\r\\n\\x1a\\n``          :mod:`.checkpoint`
nersc     ``BEGIN_HEADER``                    :mod:`.nersc`
ildg      LIME magic ``45 67 89 ab``          :mod:`.ildg`
milc      int32 20103 in either byte order    :mod:`.milc`
========  ==================================  ===========================

Every reader returns a :class:`ConfigFile` ``(field, info)``; ``info`` is a
plain dict with at least the keys

``format, path, lattice, group, precision, plaquette, link_trace,
plaquette_stated, link_trace_stated, checksum_ok, plaquette_ok,
link_trace_ok, problems, reunitarized``

(``*_ok`` is ``None`` when the file states nothing to compare with).  With
``verify=True`` (the default) a failed check raises :class:`ChecksumError`;
with ``verify=False`` the failures are only listed in ``info["problems"]``.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "ConfigIOError", "FormatError", "ChecksumError", "ConfigFile",
    "FORMATS", "WRITE_FORMATS", "detect_format", "read_config", "write_config",
]

FORMATS = ("hdf5", "nersc", "ildg", "milc")
WRITE_FORMATS = ("hdf5", "nersc", "ildg", "milc")

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
LIME_MAGIC_BYTES = b"\x45\x67\x89\xab"
MILC_MAGIC = 20103


# -- exceptions -----------------------------------------------------------------
class ConfigIOError(Exception):
    """Base class of the errors raised by :mod:`lqcd_core.io`."""


class FormatError(ConfigIOError, ValueError):
    """The file is not a readable configuration of the expected format
    (unknown format, truncated, malformed header, unsupported variant)."""


class ChecksumError(ConfigIOError, ValueError):
    """The file was read, but a stored checksum / plaquette / link trace does
    not agree with the data."""


class ConfigFile(NamedTuple):
    """Result of :func:`read_config`: unpacks as ``field, info = read_config(p)``."""

    field: object  # GaugeField
    info: dict


# -- helpers shared by the readers -------------------------------------------------
def as_path(path) -> Path:
    return Path(os.fspath(path))


def read_file_bytes(path) -> bytes:
    """All bytes of ``path``; FileNotFoundError / FormatError with the path in the message."""
    p = as_path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir():
        raise FormatError(f"{p} is a directory, not a gauge configuration file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {p}: {exc}") from exc


def stated_tolerance(text: str | None, base: float, scale: float = 1.0) -> float:
    """Tolerance for comparing a value printed as ``text`` with a recomputed one.

    ``base`` covers the precision of the data; half a unit in the last printed
    decimal (times ``scale``, for values printed in another normalisation) is
    added so that values printed with few digits are not refused.
    """
    tol = base
    if text is not None:
        s = text.strip().lower()
        mant = s.split("e")[0]
        exp = int(s.split("e")[1]) if "e" in s and s.split("e")[1].lstrip("+-").isdigit() else 0
        decimals = len(mant.split(".")[1]) if "." in mant else 0
        tol = max(tol, 0.5 * 10.0 ** (exp - decimals) * scale * (1 + 1e-9))
    return tol


def compare_stated(info: dict, key: str, label: str, stated: float | None, computed: float,
                   tol: float, path) -> None:
    """Set ``info[key + '_ok']`` and append a problem message on disagreement."""
    if stated is None:
        info[f"{key}_ok"] = None
        return
    ok = bool(math.isfinite(stated) and abs(stated - computed) <= tol)
    info[f"{key}_ok"] = ok
    if not ok:
        info["problems"].append(
            f"{as_path(path).name}: {label} mismatch: file states {stated!r}, "
            f"data give {computed!r} (|diff| = {abs(stated - computed):.3g} > tol {tol:.3g})")


def new_info(fmt: str, path, field, precision: int) -> dict:
    """The common part of a reader's info dict (observables recomputed from ``field``)."""
    return {
        "format": fmt,
        "path": str(path),
        "lattice": [int(e) for e in field.lattice.extents],
        "group": field.group.name,
        "precision": int(precision),
        "plaquette": field.plaquette(),
        "link_trace": field.link_trace(),
        "plaquette_stated": None,
        "link_trace_stated": None,
        "checksum_ok": None,
        "plaquette_ok": None,
        "link_trace_ok": None,
        "reunitarized": False,
        "problems": [],
    }


def finish(info: dict, field, verify: bool, reunitarize: bool | None):
    """Raise on failed checks (if ``verify``), reunitarise single-precision data."""
    if verify and info["problems"]:
        raise ChecksumError("; ".join(info["problems"]))
    if reunitarize is None:
        reunitarize = info["precision"] < 64
    if reunitarize:
        field.reunitarize()
        info["reunitarized"] = True
    return ConfigFile(field, info)


def build_field(extents, links):
    """GaugeField of SU(3) from (4, V, 3, 3) links; bad extents -> FormatError."""
    from ..gauge.field import GaugeField
    from ..lattice import Lattice

    try:
        lat = Lattice(extents)
    except ValueError as exc:
        raise FormatError(f"unsupported lattice {tuple(extents)}: {exc}") from exc
    return GaugeField(lat, "su3", links)


def require_su3_4d(field, fmt: str) -> None:
    if field.group.nc != 3 or field.lattice.ndim != 4:
        raise FormatError(
            f"the {fmt} format holds SU(3) gauge fields in 4 dimensions only; got "
            f"{field.group.name} on a {field.lattice.ndim}-dimensional lattice "
            "(use format 'hdf5' instead)")


# -- detection ---------------------------------------------------------------------
def detect_format(path) -> str:
    """'hdf5' | 'nersc' | 'ildg' | 'milc', from the first bytes of the file."""
    p = as_path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir():
        raise FormatError(f"{p} is a directory, not a gauge configuration file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
            # HDF5 files may start with a user block of 512, 1024, 2048, ... bytes
            hdf5_at = []
            for off in (512, 1024, 2048, 4096):
                fh.seek(off)
                hdf5_at.append(fh.read(8))
    except OSError as exc:
        raise FormatError(f"cannot read {p}: {exc}") from exc
    if not head:
        raise FormatError(f"{p} is empty, not a gauge configuration file")
    if head.startswith(HDF5_SIGNATURE) or HDF5_SIGNATURE in hdf5_at:
        return "hdf5"
    if head.lstrip().startswith(b"BEGIN_HEADER"):
        return "nersc"
    if head.startswith(LIME_MAGIC_BYTES):
        return "ildg"
    if len(head) >= 4 and (int.from_bytes(head[:4], "little") == MILC_MAGIC
                           or int.from_bytes(head[:4], "big") == MILC_MAGIC):
        return "milc"
    raise FormatError(
        f"{p}: unknown file format (not HDF5, NERSC, ILDG/LIME or MILC; first bytes "
        f"{head[:16]!r})")


# -- dispatch ------------------------------------------------------------------------
def read_config(path, verify: bool = True, *, format: str | None = None,
                reunitarize: bool | None = None) -> ConfigFile:
    """Read a gauge configuration of any supported format.

    Returns ``ConfigFile(field, info)`` (a tuple).  ``format`` overrides the
    detection.  ``reunitarize=None`` projects single-precision data back onto
    SU(3) (after the checks, which use the data as stored).
    """
    fmt = format or detect_format(path)
    if fmt == "hdf5":
        from .checkpoint import read_checkpoint_config
        return read_checkpoint_config(path, verify=verify)
    if fmt == "nersc":
        from .nersc import read_nersc
        return read_nersc(path, verify=verify, reunitarize=reunitarize)
    if fmt == "ildg":
        from .ildg import read_ildg
        return read_ildg(path, verify=verify, reunitarize=reunitarize)
    if fmt == "milc":
        from .milc import read_milc
        return read_milc(path, verify=verify, reunitarize=reunitarize)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


_CHECKPOINT_KEYS = ("trajectory", "rng_state", "params", "extra")


def write_config(path, field, format: str, *, precision: int = 64, overwrite: bool = False,
                 metadata: dict | None = None, nersc_datatype: str = "3x3"):
    """Write ``field`` to ``path`` in ``format`` (atomically).

    * ``hdf5``: a checkpoint (always 64-bit).  ``metadata`` keys ``trajectory``
      (default 0), ``rng_state``, ``params``, ``extra`` go to the checkpoint;
      any other keys are merged into ``params``.
    * ``nersc``: ``precision`` 32/64 (big-endian), ``nersc_datatype`` '3x3' or
      '3x2'; ``metadata`` entries become header lines (e.g. ENSEMBLE_ID).
    * ``ildg``: ``precision`` 32/64; ``metadata`` goes into the SciDAC record
      XML (key ``lfn`` into an ``ildg-data-lfn`` record).
    * ``milc``: MILC v5, single precision only (plus a ``.info`` file).
    """
    if precision not in (32, 64):
        raise ValueError(f"precision must be 32 or 64, got {precision!r}")
    fmt = str(format).lower()
    meta = dict(metadata or {})
    if fmt == "hdf5":
        if precision != 64:
            raise ValueError("hdf5 checkpoints always store 64-bit links; use precision=64")
        from .checkpoint import write_checkpoint
        kw = {k: meta.pop(k) for k in _CHECKPOINT_KEYS if k in meta}
        params = dict(kw.pop("params", None) or {})
        params.update(meta)
        return write_checkpoint(path, field, trajectory=int(kw.pop("trajectory", 0)),
                                rng_state=kw.pop("rng_state", None), params=params,
                                extra=kw.pop("extra", None), overwrite=overwrite)
    if fmt == "nersc":
        from .nersc import write_nersc
        return write_nersc(path, field, precision=precision, datatype=nersc_datatype,
                           overwrite=overwrite, metadata=meta)
    if fmt == "ildg":
        from .ildg import write_ildg
        return write_ildg(path, field, precision=precision, overwrite=overwrite, metadata=meta)
    if fmt == "milc":
        if precision != 32:
            raise ValueError("MILC v5 files are single precision; use precision=32")
        from .milc import write_milc
        return write_milc(path, field, overwrite=overwrite)
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(WRITE_FORMATS)}")

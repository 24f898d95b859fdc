"""HDF5 checkpoints: links + everything needed to continue a Markov chain exactly.

File layout (docs/formats.md, "HDF5 checkpoint")::

    /links              complex128 (D, V, n, n), U[mu, site, a, b], little-endian
    attributes of /:
      format = "lqcd_core.checkpoint", format_version = 1
      group ("u1" | "su2" | "su3" | "suN"), extents (int64[D])
      trajectory (int64), plaquette, link_trace (float64)
      params_json, rng_state_json, extra_json      (JSON text)
      links_sha256, params_sha256, rng_state_sha256, extra_sha256, header_sha256
      code_version, created (ISO 8601, UTC)

``links_sha256`` is the SHA-256 of the link array as little-endian complex128
bytes in C order; the ``*_json`` digests are of the UTF-8 JSON text;
``header_sha256`` covers group, extents, trajectory, plaquette, link trace,
code version and creation time.

JSON is written with Python's ``json`` module, whose integers are exact at any
size (bit-generator states hold 128-bit integers).  numpy arrays and scalars
(e.g. the MT19937 key, Philox counters) are encoded as tagged objects
``{"__ndarray__": ..., "dtype": ..., "shape": ...}`` and restored with their
dtype, so a restored ``bit_generator.state`` is bit-for-bit the saved one.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field as dc_field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .atomic import atomic_path, check_writable
from .detect import ChecksumError, ConfigFile, FormatError, as_path

__all__ = ["Checkpoint", "write_checkpoint", "read_checkpoint", "read_checkpoint_config",
           "rng_from_state", "code_version", "to_json", "from_json"]

FORMAT_NAME = "lqcd_core.checkpoint"
FORMAT_VERSION = 1
PLAQUETTE_TOL = 1e-12


def code_version() -> str:
    """Installed version of lqcd_core ("unknown" if not installed)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("lqcd_core")
        except PackageNotFoundError:
            return "unknown"
    except Exception:  # pragma: no cover
        return "unknown"


# -- exact JSON ------------------------------------------------------------------------
def _encode(obj, where="value"):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, (complex, np.complexfloating)):
        return {"__complex__": [float(obj.real), float(obj.imag)]}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biuf":
            data = obj.ravel().tolist()
        elif obj.dtype.kind == "c":
            data = [obj.real.ravel().tolist(), obj.imag.ravel().tolist()]
        else:
            raise TypeError(f"{where}: numpy arrays of dtype {obj.dtype} cannot be stored as JSON")
        return {"__ndarray__": data, "dtype": obj.dtype.str, "shape": list(obj.shape)}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: dictionary key {k!r} is not a string "
                                "(JSON keys must be strings)")
            out[k] = _encode(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"{where}: object of type {type(obj).__name__} is not JSON-serialisable")


def _decode_hook(d: dict):
    if "__ndarray__" in d and "dtype" in d:
        dt = np.dtype(d["dtype"])
        if dt.kind == "c":
            re, im = d["__ndarray__"]
            arr = (np.array(re, dtype=np.float64) + 1j * np.array(im, dtype=np.float64)).astype(dt)
        else:
            arr = np.array(d["__ndarray__"], dtype=dt)
        return arr.reshape(d["shape"])
    if "__complex__" in d and len(d) == 1:
        return complex(*d["__complex__"])
    return d


def to_json(obj, where="value") -> str:
    """Exact, canonical (sorted keys) JSON text of ``obj``."""
    return json.dumps(_encode(obj, where), sort_keys=True)


def from_json(text: str):
    return json.loads(text, object_hook=_decode_hook)


def rng_from_state(state: dict) -> np.random.Generator:
    """A ``numpy.random.Generator`` continuing from a saved ``bit_generator.state``."""
    name = state["bit_generator"]
    bitgen_cls = getattr(np.random, name, None)
    if bitgen_cls is None:
        raise ValueError(f"unknown numpy bit generator {name!r}")
    bg = bitgen_cls()
    bg.state = state
    return np.random.Generator(bg)


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _links_bytes(links: np.ndarray) -> bytes:
    return np.ascontiguousarray(links, dtype="<c16").tobytes()


def _header_text(group, extents, trajectory, plaquette, link_trace, version, created) -> str:
    return json.dumps([FORMAT_VERSION, str(group), [int(e) for e in extents], int(trajectory),
                       repr(float(plaquette)), repr(float(link_trace)), version, created])


# -- the checkpoint ------------------------------------------------------------------------
@dataclass
class Checkpoint:
    """Contents of a checkpoint file."""

    field: object  # GaugeField
    trajectory: int
    rng_state: dict | None
    params: dict
    extra: dict | None
    plaquette: float
    code_version: str
    created: str
    path: str = ""
    link_trace: float | None = None
    #: verification results: checksum_ok, plaquette_ok, link_trace_ok, problems
    checks: dict = dc_field(default_factory=dict)

    def rng(self) -> np.random.Generator:
        """A Generator continuing from the stored RNG state."""
        if self.rng_state is None:
            raise ValueError(f"checkpoint {self.path} stores no RNG state")
        return rng_from_state(self.rng_state)


def write_checkpoint(path, field, *, trajectory: int, rng_state: dict | None = None,
                     params: dict | None = None, extra: dict | None = None,
                     overwrite: bool = False) -> Path:
    """Write an HDF5 checkpoint atomically (refuses to overwrite unless ``overwrite``).

    ``rng_state`` is a numpy ``bit_generator.state`` dict (or any nested dict
    of them, or None); ``params`` and ``extra`` are JSON-serialisable dicts.
    """
    import h5py

    check_writable(path, overwrite)
    if isinstance(trajectory, bool) or not isinstance(trajectory, (int, np.integer)):
        raise TypeError(f"trajectory must be an int, got {trajectory!r}")
    params_json = to_json({} if params is None else params, "params")
    rng_json = to_json(rng_state, "rng_state")
    extra_json = to_json(extra, "extra")
    links = np.ascontiguousarray(field.links, dtype=np.complex128)
    plaq = field.plaquette()
    ltr = field.link_trace()
    version = code_version()
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    extents = np.asarray(field.lattice.extents, dtype=np.int64)
    header = _header_text(field.group.name, extents, trajectory, plaq, ltr, version, created)

    with atomic_path(path, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("links", data=links.astype("<c16"))
            a = f.attrs
            a["format"] = FORMAT_NAME
            a["format_version"] = FORMAT_VERSION
            a["group"] = field.group.name
            a["extents"] = extents
            a["trajectory"] = np.int64(trajectory)
            a["plaquette"] = np.float64(plaq)
            a["link_trace"] = np.float64(ltr)
            a["params_json"] = params_json
            a["rng_state_json"] = rng_json
            a["extra_json"] = extra_json
            a["code_version"] = version
            a["created"] = created
            a["links_sha256"] = _sha(_links_bytes(links))
            a["params_sha256"] = _sha(params_json.encode())
            a["rng_state_sha256"] = _sha(rng_json.encode())
            a["extra_sha256"] = _sha(extra_json.encode())
            a["header_sha256"] = _sha(header.encode())
    return as_path(path)


def _attr_str(a, key):
    v = a[key]
    return v.decode() if isinstance(v, bytes) else str(v)


def read_checkpoint(path, verify: bool = True) -> Checkpoint:
    """Read and verify a checkpoint.

    FileNotFoundError if missing; :class:`FormatError` if not a readable
    checkpoint (truncated, not HDF5, missing entries); :class:`ChecksumError`
    if a SHA-256 or the stored plaquette disagrees with the data (with
    ``verify=False`` these are only recorded in ``Checkpoint.checks``).
    """
    import h5py
    from ..gauge.field import GaugeField
    from ..lattice import Lattice

    p = as_path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise FormatError(f"{p}: not a readable HDF5 file (truncated or corrupted?): {exc}") from None
    try:
        with f:
            a = f.attrs
            if "format" not in a or _attr_str(a, "format") != FORMAT_NAME:
                raise FormatError(f"{p}: HDF5 file is not an lqcd_core checkpoint "
                                  "(attribute format != 'lqcd_core.checkpoint')")
            links = np.asarray(f["links"][...], dtype=np.complex128)
            group = _attr_str(a, "group")
            extents = [int(e) for e in np.asarray(a["extents"])]
            trajectory = int(a["trajectory"])
            plaq_stored = float(a["plaquette"])
            ltr_stored = float(a["link_trace"]) if "link_trace" in a else None
            texts = {k: _attr_str(a, f"{k}_json") for k in ("params", "rng_state", "extra")}
            shas = {k: _attr_str(a, f"{k}_sha256")
                    for k in ("links", "params", "rng_state", "extra", "header")}
            version = _attr_str(a, "code_version")
            created = _attr_str(a, "created")
    except (FormatError, ChecksumError):
        raise
    except (KeyError, OSError, ValueError, TypeError) as exc:
        raise FormatError(f"{p}: damaged or incomplete checkpoint ({type(exc).__name__}: {exc})") from None

    problems = []
    sha_links = _sha(_links_bytes(links))
    if sha_links != shas["links"]:
        problems.append(f"{p}: link data checksum mismatch: stored sha256 {shas['links']}, "
                        f"computed {sha_links} (file corrupted?)")
    for k in ("params", "rng_state", "extra"):
        got = _sha(texts[k].encode())
        if got != shas[k]:
            problems.append(f"{p}: {k} JSON checksum mismatch: stored sha256 {shas[k]}, "
                            f"computed {got}")
    header = _header_text(group, extents, trajectory, plaq_stored,
                          ltr_stored if ltr_stored is not None else float("nan"), version, created)
    got = _sha(header.encode())
    if got != shas["header"]:
        problems.append(f"{p}: header attributes checksum mismatch: stored sha256 "
                        f"{shas['header']}, computed {got}")
    checksum_ok = not problems

    try:
        field = GaugeField(Lattice(extents), group, links)
    except ValueError as exc:
        raise FormatError(f"{p}: inconsistent checkpoint: {exc}") from None
    plaq = field.plaquette()
    plaquette_ok = abs(plaq - plaq_stored) <= PLAQUETTE_TOL
    if not plaquette_ok:
        problems.append(f"{p}: stored plaquette {plaq_stored!r} differs from the links' "
                        f"{plaq!r} by {abs(plaq - plaq_stored):.3g} (> {PLAQUETTE_TOL})")
    ltr = field.link_trace()
    link_trace_ok = None
    if ltr_stored is not None:
        link_trace_ok = abs(ltr - ltr_stored) <= PLAQUETTE_TOL
        if not link_trace_ok:
            problems.append(f"{p}: stored link trace {ltr_stored!r} differs from the links' {ltr!r}")
    if verify and problems:
        raise ChecksumError("; ".join(problems))

    def load(k):
        try:
            return from_json(texts[k])
        except (ValueError, TypeError, KeyError) as exc:
            if verify:
                raise FormatError(f"{p}: {k}_json is not valid JSON ({exc})") from None
            problems.append(f"{p}: {k}_json is not valid JSON ({exc})")
            return None

    params = load("params")
    return Checkpoint(
        field=field, trajectory=trajectory, rng_state=load("rng_state"),
        params=params if params is not None else {}, extra=load("extra"),
        plaquette=plaq_stored, code_version=version, created=created, path=str(p),
        link_trace=ltr_stored,
        checks={"checksum_ok": checksum_ok, "plaquette_ok": plaquette_ok,
                "link_trace_ok": link_trace_ok, "problems": problems,
                "plaquette_computed": plaq, "link_trace_computed": ltr,
                "links_sha256": sha_links, "links_sha256_stated": shas["links"]},
    )


def read_checkpoint_config(path, verify: bool = True) -> ConfigFile:
    """A checkpoint as ``ConfigFile(field, info)`` (the :func:`read_config` interface)."""
    ck = read_checkpoint(path, verify=verify)
    c = ck.checks
    info = {
        "format": "hdf5",
        "path": str(path),
        "lattice": [int(e) for e in ck.field.lattice.extents],
        "group": ck.field.group.name,
        "precision": 64,
        "plaquette": c["plaquette_computed"],
        "link_trace": c["link_trace_computed"],
        "plaquette_stated": ck.plaquette,
        "link_trace_stated": ck.link_trace,
        "checksum_ok": c["checksum_ok"],
        "plaquette_ok": c["plaquette_ok"],
        "link_trace_ok": c["link_trace_ok"],
        "reunitarized": False,
        "problems": list(c["problems"]),
        "checksum_stated": c["links_sha256_stated"],
        "checksum_computed": c["links_sha256"],
        "trajectory": ck.trajectory,
        "params": ck.params,
        "extra": ck.extra,
        "has_rng_state": ck.rng_state is not None,
        "code_version": ck.code_version,
        "created": ck.created,
    }
    return ConfigFile(ck.field, info)

"""``lqcd info PATH``: what a gauge configuration file holds, and whether it checks out.

Reads any supported format (docs/formats.md) without stopping at a failed
check, recomputes plaquette and link trace, and compares them and the stored
checksum with the data.  Exit status: 0 if every check the file allows
passes, 1 if the file was read but a check failed, 2 if it cannot be read.
"""
from __future__ import annotations

import json
import math

from .errors import UsageError


def add_parser(sub):
    p = sub.add_parser(
        "info", help="show lattice, group, format, plaquette and checksum status of a configuration",
        description="Read a gauge configuration (HDF5 checkpoint, NERSC, ILDG or MILC; detected "
                    "from the file), recompute plaquette and link trace and check them and the "
                    "stored checksum against the data. Exit status 0: all checks pass; 1: the file "
                    "was read but a check failed; 2: the file cannot be read.")
    p.add_argument("path", help="configuration file")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of text")
    p.set_defaults(func=run)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return _jsonable(obj.tolist())
    return str(obj)


def load(path):
    """(field, info) of ``path`` with verify=False; unreadable -> UsageError."""
    from ..io import ConfigIOError, read_config
    try:
        return read_config(path, verify=False)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    except (ConfigIOError, OSError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def _agree(ok):
    return {True: "agrees", False: "DISAGREES", None: "not checked"}[ok]


def _checksum_text(info) -> str:
    ok = info.get("checksum_ok")
    stated, computed = info.get("checksum_stated"), info.get("checksum_computed")
    if ok is None:
        return "none stored in the file"
    if isinstance(computed, dict):
        computed = " ".join(f"{k} {v}" for k, v in computed.items())
        stated = " ".join(f"{k} {v}" for k, v in (stated or {}).items())
    if ok:
        return f"ok ({computed})"
    return f"MISMATCH (file: {stated}, data: {computed})"


def run(args) -> int:
    field, info = load(args.path)
    ok = not info["problems"]
    if args.json:
        out = dict(info)
        out["ok"] = ok
        out["volume"] = field.lattice.volume
        print(json.dumps(_jsonable(out), indent=2, sort_keys=True))
        return 0 if ok else 1

    detail = [v for v in (info.get("datatype"), info.get("floating_point"), info.get("variant"))
              if v and v != info["format"]]
    lines = [
        ("file", info["path"]),
        ("format", info["format"] + (f" ({', '.join(detail)})" if detail else "")),
        ("lattice", f"{'x'.join(map(str, info['lattice']))} (volume {field.lattice.volume})"),
        ("group", info["group"]),
        ("precision", f"{info['precision']}-bit"),
    ]
    for key, label in (("plaquette", "plaquette"), ("link_trace", "link trace")):
        text = f"{info[key]:.12f}"
        if info.get(f"{key}_stated") is not None:
            text += f"  (stated {info[f'{key}_stated']!r}: {_agree(info[f'{key}_ok'])})"
        else:
            text += "  (not stated in the file)"
        lines.append((label, text))
    if info.get("plaquette_st"):
        ps, pt = info["plaquette_st"]
        lines.append(("plaq s/t", f"{ps:.12f} {pt:.12f}"))
    lines.append(("checksum", _checksum_text(info)))
    for key in ("trajectory", "code_version", "created", "time_stamp", "lfn"):
        if info.get(key) is not None:
            lines.append((key.replace("_", " "), str(info[key])))
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        print(f"{k:<{width}}  {v}")
    if ok:
        print(f"{'status':<{width}}  all checks pass")
    else:
        print(f"{'status':<{width}}  VERIFICATION FAILED")
        for prob in info["problems"]:
            print(f"  - {prob}")
    return 0 if ok else 1

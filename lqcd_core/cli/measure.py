"""``lqcd measure``: gauge observables of one configuration file (any supported format)."""
from __future__ import annotations

import json

from .errors import UsageError

DEFAULT = ("plaquette", "polyakov")


def add_parser(sub):
    p = sub.add_parser("measure", help="measure gluonic observables on a configuration",
                       description="Read a configuration (HDF5, NERSC, ILDG or MILC; verified on read) "
                                   "and measure gauge-invariant observables.")
    p.add_argument("path", help="configuration file")
    p.add_argument("--observables", default=",".join(DEFAULT),
                   help="comma-separated list (default: plaquette,polyakov); 'all' for every one; "
                        "see --list")
    p.add_argument("--list", action="store_true", help="list the available observables and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def load(path):
    """Read a configuration or raise UsageError naming the problem."""
    from ..io import ConfigIOError, read_config
    try:
        field, info = read_config(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (ConfigIOError, ValueError, OSError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    return field, info


def run(args) -> int:
    from ..observables import MEASUREMENTS
    if args.list:
        for name, fn in MEASUREMENTS.items():
            doc = (fn.__doc__ or "").strip().splitlines()
            print(f"{name:14s} {doc[0] if doc else ''}")
        return 0
    names = list(MEASUREMENTS) if args.observables == "all" else \
        [s.strip() for s in args.observables.split(",") if s.strip()]
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown:
        raise UsageError(f"unknown observable(s) {', '.join(unknown)}; available: {', '.join(MEASUREMENTS)}")
    field, info = load(args.path)
    out = {"path": str(args.path), "format": info["format"], "group": field.group.name,
           "lattice": list(field.lattice.extents)}
    for name in names:
        try:
            out.update(MEASUREMENTS[name](field))
        except ValueError as exc:
            raise UsageError(f"{name}: {exc}") from None
    if args.json:
        print(json.dumps(out, default=float))
    else:
        for k, v in out.items():
            print(f"{k:20s} {v}")
    return 0

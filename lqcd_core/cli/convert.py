"""``lqcd convert IN OUT --format FMT``: convert a gauge configuration between formats.

The input's format is detected; it is verified (checksums, stated plaquette)
before anything is written.  OUT is written atomically and never replaced
unless ``--force`` is given.
"""
from __future__ import annotations

from pathlib import Path

from .errors import UsageError

OUT_FORMATS = ("hdf5", "nersc", "ildg", "milc")


def add_parser(sub):
    p = sub.add_parser(
        "convert", help="convert a gauge configuration to another format",
        description="Read IN (format detected: HDF5 checkpoint, NERSC, ILDG or MILC), verify it, "
                    "and write it to OUT in --format. Refuses to replace an existing OUT "
                    "without --force.")
    p.add_argument("input", metavar="IN", help="input configuration file")
    p.add_argument("output", metavar="OUT", help="output file")
    p.add_argument("--format", required=True, choices=OUT_FORMATS, help="output format")
    p.add_argument("--precision", type=int, choices=(32, 64), default=None,
                   help="floating-point precision of the output (default 64; milc: 32 only, "
                        "hdf5: 64 only)")
    p.add_argument("--nersc-datatype", choices=("3x3", "3x2"), default="3x3",
                   help="NERSC storage: full 3x3 matrices (4D_SU3_GAUGE_3x3, default) or two rows "
                        "(4D_SU3_GAUGE)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.add_argument("--no-verify", action="store_true",
                   help="convert even if the input fails its checksum / plaquette checks")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io import ChecksumError, ConfigIOError, read_checkpoint, read_config, write_config
    from ..io.atomic import check_writable

    src, dst = Path(args.input), Path(args.output)
    fmt = args.format
    precision = args.precision or (32 if fmt == "milc" else 64)
    if fmt == "hdf5" and precision != 64:
        raise UsageError("--format hdf5 stores 64-bit links; drop --precision 32")
    if fmt == "milc" and precision != 32:
        raise UsageError("MILC v5 files are single precision; use --precision 32")
    if not src.exists():
        raise UsageError(f"no such file: {src}")
    try:
        check_writable(dst, overwrite=args.force)
        if fmt == "milc":
            check_writable(dst.with_name(dst.name + ".info"), overwrite=args.force)
    except FileExistsError:
        raise UsageError(f"{dst} exists; give --force to replace it") from None
    except OSError as exc:
        raise UsageError(str(exc)) from None

    verify = not args.no_verify
    try:
        field, info = read_config(src, verify=verify)
        metadata = {"extra": {"converted_from": str(src), "source_format": info["format"]}}
        if info["format"] == "hdf5" and fmt == "hdf5":  # keep the chain state
            ck = read_checkpoint(src, verify=verify)
            metadata = {"trajectory": ck.trajectory, "rng_state": ck.rng_state,
                        "params": ck.params, "extra": ck.extra}
        elif fmt != "hdf5":
            metadata = None
    except ChecksumError as exc:
        raise UsageError(f"input {src} fails verification ({exc}); "
                         "give --no-verify to convert it anyway") from None
    except (ConfigIOError, OSError) as exc:
        raise UsageError(f"cannot read {src}: {exc}") from None

    try:
        write_config(dst, field, fmt, precision=precision, overwrite=args.force,
                     metadata=metadata, nersc_datatype=args.nersc_datatype)
    except FileExistsError:
        raise UsageError(f"{dst} exists; give --force to replace it") from None
    except (ConfigIOError, ValueError, OSError) as exc:
        raise UsageError(f"cannot write {dst}: {exc}") from None
    print(f"wrote {dst} ({fmt}, {precision}-bit, {field.group.name} on "
          f"{'x'.join(map(str, field.lattice.extents))}, plaquette {field.plaquette():.12f}) "
          f"from {src} ({info['format']}, {info['precision']}-bit)")
    return 0

"""The ``lqcd`` command: one sub-command per module in :mod:`lqcd_core.cli`.

Each sub-command module defines ``add_parser(subparsers)`` (which registers its
arguments and sets ``func``) and a ``run(args) -> int``.  Errors that are the
user's (bad argument, missing file, refusing to overwrite) are raised as
:class:`UsageError`; ``main`` prints them as one line and exits non-zero
before any work is done.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import UsageError

#: sub-command modules, in the order ``lqcd --help`` lists them
SUBCOMMANDS = ["generate", "train-surrogate", "info", "convert", "measure", "flow", "autocorr"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lqcd",
        description="Lattice gauge theory ensemble production and analysis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"lqcd_core.cli.{name.replace('-', '_')}")
        except ModuleNotFoundError as exc:  # a sub-command not built yet
            if exc.name == f"lqcd_core.cli.{name.replace('-', '_')}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"lqcd {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lqcd {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

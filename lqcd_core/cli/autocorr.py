"""``lqcd autocorr``: Γ-method error and autocorrelation analysis of one CSV column."""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np

from .errors import UsageError

#: keys the --json output always contains (first), and the table prints
MAIN_KEYS = ("mean", "error", "tau_int", "dtau_int", "window", "n", "n_indep")


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "autocorr",
        help="error and integrated autocorrelation time of a CSV column (Wolff's Gamma method)",
        description=(
            "Mean, error, integrated autocorrelation time tau_int (with its error) and the "
            "summation window of one column of a CSV file, by Wolff's Gamma method. "
            "Rows of different replicas (streams) are combined when --replica-column is given."
        ),
    )
    p.add_argument("file", metavar="FILE.csv", help="CSV file with a header row")
    p.add_argument("--column", required=True, help="column to analyse")
    p.add_argument("--S", dest="S", type=float, default=2.0,
                   help="windowing parameter S (default 2.0; 0 gives the naive error)")
    p.add_argument("--replica-column", default=None,
                   help="column labelling the replica/stream of each row")
    p.add_argument("--skip", default="0",
                   help="rows discarded at the start of each replica: an integer, or 'auto' "
                        "for the MSER thermalization rule (default 0)")
    p.add_argument("--tau-exp", type=float, default=None,
                   help="exponential autocorrelation time: attach the exponential tail")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)
    return p


def _read(path: Path, column: str, replica_column):
    import pandas as pd

    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        df = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
    for name in (column, replica_column):
        if name is not None and name not in df.columns:
            raise UsageError(f"column {name!r} not in {path}; available: {', '.join(map(str, df.columns))}")
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise UsageError(
            f"column {column!r} has {bad.size} non-numeric or non-finite value(s) "
            f"(first at data row {bad[0] + 1})"
        )
    labels = df[replica_column].astype(str).to_numpy() if replica_column is not None else None
    return values, labels


def _skip(arg: str, replicas: list[np.ndarray]) -> list[int]:
    from lqcd_core.analysis import thermalization_cut

    if arg.strip().lower() == "auto":
        try:
            return [thermalization_cut(r) for r in replicas]
        except ValueError as exc:
            raise UsageError(f"--skip auto: {exc}") from None
    try:
        n = int(arg)
    except ValueError:
        raise UsageError(f"--skip must be a non-negative integer or 'auto', got {arg!r}") from None
    if n < 0:
        raise UsageError(f"--skip must be non-negative, got {n}")
    return [n] * len(replicas)


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    from lqcd_core.analysis import gamma_method, split_replicas

    if not math.isfinite(args.S) or args.S < 0:
        raise UsageError(f"--S must be a finite number >= 0, got {args.S}")
    if args.tau_exp is not None and not (math.isfinite(args.tau_exp) and args.tau_exp > 0):
        raise UsageError(f"--tau-exp must be positive, got {args.tau_exp}")
    path = Path(args.file)
    values, labels = _read(path, args.column, args.replica_column)
    replicas = [values] if labels is None else split_replicas(values, labels)
    skips = _skip(args.skip, replicas)
    kept = []
    for i, (r, s) in enumerate(zip(replicas, skips)):
        if s >= r.size:
            raise UsageError(f"--skip {s} discards all {r.size} rows of replica {i}")
        kept.append(r[s:])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            res = gamma_method(kept, args.S, tau_exp=args.tau_exp)
        except ValueError as exc:
            raise UsageError(f"column {args.column!r}: {exc}") from None
    for w in caught:
        print(f"lqcd autocorr: warning: {w.message}", file=sys.stderr)

    out = {k: getattr(res, k) for k in MAIN_KEYS}
    out.update(
        dvalue_error=res.dvalue_error,
        S=res.S,
        n_replicas=res.n_replicas,
        window_converged=res.window_converged,
        tau_exp=res.tau_exp,
        tail_window=res.tail_window,
        column=args.column,
        file=str(path),
        skip=skips[0] if len(set(skips)) == 1 else skips,
    )
    if args.json:
        print(json.dumps(out))
    else:
        width = max(len(k) for k in out) + 2
        for k, v in out.items():
            if v is not None:
                print(f"{k:<{width}}{_format(v)}")
    return 0

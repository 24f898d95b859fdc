"""``lqcd train-surrogate``: train (fit) an SLHMC surrogate on configurations and store the
frozen model (HDF5, checksummed) for ``lqcd generate --algorithm slhmc --surrogate MODEL``."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError
from .fermion_args import add_fermion_arguments, fermion_block

# lqcd_core.surrogate.stage.KINDS and DEFAULT_ITERATIONS, without importing the surrogate
# package (and Numba) when the command-line parser is built
KINDS = ("loops", "heavy", "neural", "truncated")
DEFAULT_ITERATIONS = 8


def add_parser(sub):
    p = sub.add_parser(
        "train-surrogate", help="train an SLHMC surrogate action on configurations",
        description="Fit or train a surrogate (loops: Wilson-loop action by force matching or "
                    "log-det fit; heavy: heavier-quark action; neural: heavier quark on trainable "
                    "stout layers, Adam; truncated: force from --iterations CG iterations, nothing "
                    "to train) on configurations of the true theory; docs/slhmc.md.")
    p.add_argument("--kind", required=True, choices=list(KINDS))
    p.add_argument("--configs", nargs="+", required=True,
                   help="configuration files, or run directories (their configs/ are used)")
    p.add_argument("--beta", type=float, default=None,
                   help="gauge coupling (default: from the configurations' chain parameters)")
    add_fermion_arguments(p)
    p.add_argument("--heavy", type=float, default=None,
                   help="heavier quark of the heavy/neural surrogates (required) and of truncated "
                        "(optional, default the true quark): kappa (wilson) or mass (staggered)")
    p.add_argument("--iterations", type=int, default=None, metavar="K",
                   help=f"truncated: CG iterations of the force (default {DEFAULT_ITERATIONS})")
    p.add_argument("--layers", type=int, default=2, help="stout layers of the neural surrogate")
    p.add_argument("--rect", action="store_true", help="rectangle staples in the stout layers too")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.02, help="Adam learning rate")
    p.add_argument("--fit", choices=["forces", "logdet"], default="forces",
                   help="loops: force matching (default) or exact log-det (small lattices)")
    p.add_argument("--terms", default=None,
                   help="loops: comma-separated loop types (plaquette,rectangle,chair,twisted,polyakov)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="model file (HDF5) to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model file")
    p.add_argument("--json", action="store_true", help="print the training summary as JSON")
    p.set_defaults(func=run)


def _config_files(items) -> list[Path]:
    files = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted((path / "configs").glob("config_*")) if (path / "configs").is_dir() \
                else sorted(path.glob("config_*"))
            if not found:
                raise UsageError(f"--configs: no config_* files in {path}")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"--configs: {path} does not exist")
    return files


def run(args) -> int:
    from ..actions.fermion_spec import validate_fermion
    from ..io import read_config
    from ..surrogate import save_model
    from ..surrogate.stage import train_surrogate
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise UsageError(f"{out} exists; pass --overwrite to replace it")
    if args.iterations is not None and args.kind != "truncated":
        raise UsageError(f"--iterations applies to --kind truncated, not {args.kind}")
    iterations = DEFAULT_ITERATIONS if args.iterations is None else args.iterations
    if iterations < 1:
        raise UsageError(f"--iterations must be >= 1, got {iterations}")
    spec = fermion_block(args)
    if spec is None:
        raise UsageError("give the true quark with --fermion (e.g. --fermion wilson --kappa 0.24)")
    fields, beta = [], args.beta
    for path in _config_files(args.configs):
        field, info = read_config(path)
        fields.append(field)
        params = info.get("params") or {}
        if beta is None and params.get("beta") is not None:
            beta = float(params["beta"])
    if beta is None:
        raise UsageError("--beta is needed (the configurations do not record it)")
    try:
        spec = validate_fermion(spec, fields[0].lattice.ndim)
        terms = tuple(args.terms.split(",")) if args.terms else None
        model, summary, result = train_surrogate(
            args.kind, fields, spec, beta, heavy=args.heavy, layers=args.layers, rect=args.rect,
            epochs=args.epochs, lr=args.lr, fit=args.fit, terms=terms, seed=args.seed,
            iterations=iterations)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    summary.update({"beta": beta, "fermion": spec})
    save_model(out, model, training=result, metadata=summary, overwrite=args.overwrite)
    if args.json:
        print(json.dumps(summary, default=float))
    else:
        msg = f"{out}: {args.kind} surrogate from {len(fields)} configurations, theta = {summary['theta']}"
        if "after" in summary:
            msg += f", RMS(dS_f - dS_eff) {summary['before']['rms']:.4g} -> {summary['after']['rms']:.4g}"
        if "iterations" in summary:
            quark = "the true quark" if summary["heavy"] is None else f"heavy {summary['heavy']:g}"
            msg += f", k = {summary['iterations']} CG iterations at {quark} (nothing to train)"
        if "fit" in summary:
            msg += f", validation R^2 {summary['fit']['validation_r2']:.3f}"
        print(msg)
    return 0

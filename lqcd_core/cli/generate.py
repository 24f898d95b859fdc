"""``lqcd generate``: produce (or continue) a Markov chain (quenched or with dynamical
fermions) in a directory."""
from __future__ import annotations

import json
import sys

from .errors import UsageError
from .fermion_args import FERMION_FLAGS, add_fermion_arguments, fermion_block

_PHYSICS = ("group", "lattice", "beta", "action", "algorithm", "integrator", "steps",
            "traj_length", "or_per_hb", "therm", "seed", "stream", "start",
            "surrogate") + FERMION_FLAGS


def add_parser(sub):
    p = sub.add_parser(
        "generate", help="generate a gauge ensemble with HMC (quenched or dynamical) or heatbath",
        description="Generate a Markov chain into --out DIR (trajectories.csv, "
                    "checkpoint.h5, configs/), or continue one with --resume DIR.")
    p.add_argument("--group", help="gauge group: u1, su2 or su3")
    p.add_argument("--lattice", help="extents, comma separated, e.g. 8,8,8,8 (D = 2..4, even)")
    p.add_argument("--beta", type=float, help="inverse coupling beta = 2N/g^2 (> 0)")
    p.add_argument("--action", default=None, help="wilson (default), symanzik, iwasaki, dbw2")
    p.add_argument("--algorithm", default=None,
                   help="hmc (default), heatbath, or slhmc (self-learning HMC with --surrogate)")
    p.add_argument("--surrogate", default=None, metavar="MODEL.h5",
                   help="trained surrogate model for --algorithm slhmc (lqcd train-surrogate)")
    p.add_argument("--integrator", default=None, help="omelyan (default) or leapfrog")
    p.add_argument("--steps", type=int, default=None, help="MD steps per trajectory (default 10)")
    p.add_argument("--traj-length", type=float, default=None, help="trajectory length tau (default 1)")
    p.add_argument("--or-per-hb", type=int, default=None,
                   help="overrelaxation sweeps per heatbath sweep (default 4)")
    add_fermion_arguments(p)
    p.add_argument("--ntraj", type=int, required=True, help="production trajectories (sweeps) to run")
    p.add_argument("--therm", type=int, default=None, help="thermalisation trajectories first (default 0)")
    p.add_argument("--seed", type=int, default=None, help="ensemble seed (default 0)")
    p.add_argument("--stream", type=int, default=None, help="stream (replica) number (default 0)")
    p.add_argument("--start", default=None, help="cold (default), hot, or a configuration file")
    p.add_argument("--save-every", type=int, default=0, help="save a configuration every K trajectories")
    p.add_argument("--save-format", default="hdf5", help="hdf5 (default), nersc or ildg")
    p.add_argument("--checkpoint-every", type=int, default=10, help="checkpoint every K trajectories")
    p.add_argument("--out", help="run directory of a new chain")
    p.add_argument("--resume", metavar="DIR", help="continue the chain in DIR")
    p.add_argument("--progress", choices=["auto", "bar", "lines", "none"], default="auto",
                   help="progress display on stderr (auto: bar on a terminal, lines otherwise)")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    p.set_defaults(func=run)


def _config_from_args(args):
    from ..markov.chain import ChainConfig
    missing = [f"--{k}" for k in ("group", "lattice", "beta") if getattr(args, k) is None]
    if missing:
        raise UsageError(f"a new chain needs {', '.join(missing)}")
    try:
        lattice = tuple(int(v) for v in args.lattice.replace("x", ",").split(",") if v.strip())
    except ValueError:
        raise UsageError(f"--lattice: cannot read {args.lattice!r}; give extents like 8,8,8,8") from None
    kw = {k: getattr(args, k) for k in ("action", "algorithm", "integrator", "steps", "traj_length",
                                        "or_per_hb", "seed", "stream", "start")
          if getattr(args, k) is not None}
    if args.therm is not None:
        kw["n_therm"] = args.therm
    fermion = fermion_block(args)
    if fermion is not None:
        kw["fermion"] = fermion
    if args.surrogate is not None:
        kw["surrogate"] = _surrogate_from_file(args.surrogate)
    return ChainConfig(group=args.group, lattice=lattice, beta=args.beta, **kw)


def _surrogate_from_file(path):
    """The frozen model of a surrogate file, as the dict stored in the chain's parameters."""
    from pathlib import Path
    if not Path(path).is_file():
        raise UsageError(f"--surrogate: no model file {path}")
    from ..surrogate import load_model
    try:
        return load_model(path).to_dict()
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"--surrogate {path}: {exc}") from None


def run(args) -> int:
    from ..markov.rundir import RunError, generate
    from ..solvers import SolverError
    if args.resume and args.out:
        raise UsageError("give either --out (new chain) or --resume DIR (continue), not both")
    if not args.resume and not args.out:
        raise UsageError("give --out DIR for a new chain or --resume DIR to continue one")
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k in _PHYSICS if getattr(args, k) is not None]
        if given:
            raise UsageError(f"--resume takes its parameters from the checkpoint; drop {', '.join(given)}")
        config = None
    else:
        config = _config_from_args(args)
    progress = {"auto": None, "bar": True, "lines": False, "none": "none"}[args.progress]
    stream = None if progress == "none" else sys.stderr
    try:
        summary = generate(args.resume or args.out, config=config, ntraj=args.ntraj,
                           resume=bool(args.resume), save_every=args.save_every,
                           save_format=args.save_format, checkpoint_every=args.checkpoint_every,
                           progress=(False if progress == "none" else progress), stream=stream)
    except RunError as exc:
        raise UsageError(str(exc)) from None
    except SolverError as exc:
        print(f"error: {exc}\nthe chain stays at its last checkpoint in {args.resume or args.out}",
              file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['out']}: {summary['done']} trajectories in {summary['seconds']:.1f} s, "
              f"now at trajectory {summary['trajectory']}, acceptance {summary['acceptance']:.3f}, "
              f"plaquette {summary['plaquette']:.8f}")
    if summary["stopped_by"]:
        print(f"stopped by {summary['stopped_by']}; continue with: lqcd generate --resume "
              f"{summary['out']} --ntraj N", file=sys.stderr)
        return 130
    return 0

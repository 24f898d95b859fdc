"""``lqcd generate``: produce (or continue) a Markov chain (quenched or with dynamical
fermions) in a directory."""
from __future__ import annotations

import json
import sys

from .errors import UsageError

_PHYSICS = ("group", "lattice", "beta", "action", "algorithm", "integrator", "steps",
            "traj_length", "or_per_hb", "therm", "seed", "stream", "start", "fermion",
            "kappa", "mass", "csw", "nf", "hasenbusch", "inner_steps")
#: fermion flags that fill the fermion block (``--fermion wilson --kappa 0.15``)
_FERMION_FLAGS = ("kappa", "mass", "csw", "nf", "hasenbusch", "inner_steps")


def add_parser(sub):
    p = sub.add_parser(
        "generate", help="generate a gauge ensemble with HMC (quenched or dynamical) or heatbath",
        description="Generate a Markov chain into --out DIR (trajectories.csv, "
                    "checkpoint.h5, configs/), or continue one with --resume DIR.")
    p.add_argument("--group", help="gauge group: u1, su2 or su3")
    p.add_argument("--lattice", help="extents, comma separated, e.g. 8,8,8,8 (D = 2..4, even)")
    p.add_argument("--beta", type=float, help="inverse coupling beta = 2N/g^2 (> 0)")
    p.add_argument("--action", default=None, help="wilson (default), symanzik, iwasaki, dbw2")
    p.add_argument("--algorithm", default=None, help="hmc (default) or heatbath")
    p.add_argument("--integrator", default=None, help="omelyan (default) or leapfrog")
    p.add_argument("--steps", type=int, default=None, help="MD steps per trajectory (default 10)")
    p.add_argument("--traj-length", type=float, default=None, help="trajectory length tau (default 1)")
    p.add_argument("--or-per-hb", type=int, default=None,
                   help="overrelaxation sweeps per heatbath sweep (default 4)")
    f = p.add_argument_group("dynamical fermions (docs/fermions.md)")
    f.add_argument("--fermion", default=None,
                   help="wilson or staggered (with the flags below), or a YAML mapping / file with "
                        "the full fermion block, e.g. '{type: staggered, mass: 0.1, nf: 2}'")
    f.add_argument("--kappa", type=float, default=None, help="Wilson hopping parameter (> 0)")
    f.add_argument("--mass", type=float, default=None, help="staggered mass (> 0) or Wilson bare mass")
    f.add_argument("--csw", type=float, default=None, help="clover coefficient (Wilson, default 0)")
    f.add_argument("--nf", default=None, help="flavours: wilson 2 (default), 1, 2+1; staggered 4 "
                                              "(default), 2, 1, 2+1 (rooted: RHMC)")
    f.add_argument("--hasenbusch", default=None,
                   help="Hasenbusch kappas, light to heavy, comma separated (Wilson nf = 2)")
    f.add_argument("--inner-steps", type=int, default=None,
                   help="gauge steps per fermion step (nested integrator, default 4)")
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
    fermion = _fermion_from_args(args)
    if fermion is not None:
        kw["fermion"] = fermion
    return ChainConfig(group=args.group, lattice=lattice, beta=args.beta, **kw)


def _fermion_from_args(args):
    """The fermion block from --fermion (type, YAML text or file) and the shortcut flags."""
    flags = {k: getattr(args, k) for k in _FERMION_FLAGS if getattr(args, k) is not None}
    if args.fermion is None:
        if flags:
            raise UsageError(f"--{next(iter(flags)).replace('_', '-')} needs --fermion wilson|staggered")
        return None
    text = args.fermion
    if text.lower() in ("wilson", "staggered"):
        block = {"type": text.lower()}
    else:
        import yaml
        from pathlib import Path
        try:
            block = yaml.safe_load(Path(text).read_text() if Path(text).is_file() else text)
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"--fermion: cannot read {text!r}: {exc}") from None
        if not isinstance(block, dict):
            raise UsageError(f"--fermion: expected wilson, staggered or a YAML mapping, got {text!r}")
    if "hasenbusch" in flags:
        try:
            flags["hasenbusch"] = [float(v) for v in str(flags["hasenbusch"]).split(",") if v.strip()]
        except ValueError:
            raise UsageError(f"--hasenbusch: cannot read {flags['hasenbusch']!r}") from None
    block.update(flags)
    return block


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

"""The fermion options shared by ``lqcd generate`` and ``lqcd train-surrogate``."""
from __future__ import annotations

from .errors import UsageError

#: ``--fermion`` and the shortcut flags that fill the fermion block (``--fermion wilson --kappa 0.15``)
FERMION_FLAGS = ("fermion", "kappa", "mass", "csw", "nf", "hasenbusch", "inner_steps")


def add_fermion_arguments(parser) -> None:
    f = parser.add_argument_group("dynamical fermions (docs/fermions.md)")
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


def fermion_block(args):
    """The fermion block from --fermion (type, YAML text or file) and the shortcut flags."""
    flags = {k: getattr(args, k) for k in FERMION_FLAGS[1:] if getattr(args, k) is not None}
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

"""``lqcd flow``: gradient flow of one configuration, E(t), t^2 E(t), Q(t), t0 and w0."""
from __future__ import annotations

import json
import math

from .errors import UsageError


def add_parser(sub):
    p = sub.add_parser("flow", help="gradient flow: t0, w0, topological charge",
                       description="Flow a configuration with Lüscher's RK3 integrator and measure the "
                                   "energy density (plaquette and clover), t^2 E, the topological charge, "
                                   "and the scales t0 (t^2 E = 0.3) and w0 (t d/dt t^2 E = 0.3).")
    p.add_argument("path", help="configuration file")
    p.add_argument("--flow", default="wilson", help="wilson (default), symanzik or zeuthen")
    p.add_argument("--tmax", type=float, default=None, help="final flow time (default L_min^2/32)")
    p.add_argument("--eps", type=float, default=0.01, help="step size (initial step when --adaptive)")
    p.add_argument("--adaptive", action="store_true", help="adaptive step size (step doubling)")
    p.add_argument("--tol", type=float, default=1e-5, help="local error tolerance of --adaptive")
    p.add_argument("--measure-every", type=float, default=0.0, help="flow-time spacing of measurements")
    p.add_argument("--definition", choices=["plaquette", "clover"], default="clover",
                   help="energy density used for t0 and w0 (default clover)")
    p.add_argument("--reference", type=float, default=None,
                   help="t^2 E value defining t0 and w0 (default 0.3 (N^2-1)/8: 0.3 for SU(3))")
    p.add_argument("--json", action="store_true", help="print one JSON object with the history")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..flow import KINDS, FlowError, default_reference, flow_history, t0_from, w0_from
    from .measure import load
    if args.flow not in KINDS:
        raise UsageError(f"--flow: unknown {args.flow!r}; choose one of {', '.join(KINDS)}")
    for name in ("eps", "tol"):
        v = getattr(args, name)
        if not (v > 0 and math.isfinite(v)):
            raise UsageError(f"--{name} must be positive, got {v}")
    if args.tmax is not None and not (args.tmax > 0 and math.isfinite(args.tmax)):
        raise UsageError(f"--tmax must be positive, got {args.tmax}")
    field, _ = load(args.path)
    try:
        hist = flow_history(field, kind=args.flow, tmax=args.tmax, eps=args.eps, adaptive=args.adaptive,
                            tol=args.tol, measure_every=args.measure_every)
    except FlowError as exc:
        raise UsageError(str(exc)) from None
    e = hist["E_clover"] if args.definition == "clover" else hist["E"]
    ref = args.reference if args.reference is not None else default_reference(field.group)
    try:
        t0 = t0_from(hist["t"], e, ref)
        w0 = w0_from(hist["t"], e, ref)
    except FlowError as exc:
        raise UsageError(f"{args.path}: {exc}") from None
    out = {"path": str(args.path), "flow": args.flow, "definition": args.definition, "reference": ref, "t0": t0, "w0": w0,
           "Q": hist["Q"][-1] if "Q" in hist else None, **{k: hist[k] for k in hist if k not in ("kind",)}}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"t0/a^2 = {t0:.6f}   w0/a = {w0:.6f}   Q(tmax) = {out['Q']}")
        print(f"{'t':>8s} {'t2E':>12s} {'t2E_clover':>12s} {'Q':>10s}")
        for i in range(len(hist["t"])):
            q = hist["Q"][i] if "Q" in hist else float("nan")
            print(f"{hist['t'][i]:8.4f} {hist['t2E'][i]:12.6f} {hist['t2E_clover'][i]:12.6f} {q:10.4f}")
    return 0

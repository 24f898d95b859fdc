"""A chain on disk: the run directory and its continuation rules.

``DIR/`` holds (docs/restarts.md):

* ``checkpoint.h5``    links, generator state, trajectory number, parameters
                       (atomic, checksummed; the chain's only state);
* ``trajectories.csv`` one row per completed trajectory, appended;
* ``configs/``         saved configurations, every ``save_every`` trajectories
                       after thermalisation;
* ``run.log``          one human-readable line per trajectory.

Order of writes: rows are appended (and fsync'ed) before the checkpoint that
covers them is written.  A crash can therefore leave rows *after* the last
checkpoint, never before; on resume those rows are cut away and the chain,
being bit-reproducible, produces them again.  Completed rows at or before the
checkpoint are never rewritten.  SIGINT/SIGTERM (e.g. the end of a SLURM time
limit) finish the current trajectory, write the checkpoint and exit cleanly.
"""
from __future__ import annotations

import csv
import math
import os
import signal
import sys
import time
from pathlib import Path

from .chain import Chain, ChainConfig

CHECKPOINT = "checkpoint.h5"
LOG_CSV = "trajectories.csv"
RUN_LOG = "run.log"
CONFIG_DIR = "configs"
COLUMNS = ["trajectory", "phase", "plaquette", "delta_h", "exp_mdh", "accepted", "seconds",
           "force_mean", "force_max", "force_feps", "solver_iterations", "dirac_applications"]
SAVE_SUFFIX = {"hdf5": ".h5", "nersc": ".nersc", "ildg": ".ildg"}
#: the first min(WARMUP, n_therm / 5) HMC trajectories of a thermalisation skip the Metropolis
#: test (far from equilibrium they would nearly all be rejected)
WARMUP = 10


class RunError(ValueError):
    """A run directory cannot be used as asked (message names the problem)."""


def holds_chain(out: Path) -> bool:
    return (out / CHECKPOINT).exists() or (out / LOG_CSV).exists()


def config_path(out: Path, trajectory: int, save_format: str) -> Path:
    return out / CONFIG_DIR / f"config_{trajectory:06d}{SAVE_SUFFIX[save_format]}"


def log_row(entry: dict, phase: str) -> list:
    dh = entry.get("delta_h")
    fin = dh is not None and math.isfinite(dh)
    vals = {
        "trajectory": entry["trajectory"], "phase": phase, "plaquette": repr(entry["plaquette"]),
        "delta_h": repr(dh) if dh is not None else "",
        "exp_mdh": repr(math.exp(-dh)) if fin else "",
        "accepted": int(entry["accepted"]), "seconds": f"{entry['seconds']:.6f}",
        "force_mean": repr(entry["force0_mean"]) if "force0_mean" in entry else "",
        "force_max": repr(entry["force0_max"]) if "force0_max" in entry else "",
        "force_feps": repr(entry["force0_feps"]) if "force0_feps" in entry else "",
        "solver_iterations": str(entry["solver_iterations"]) if "solver_iterations" in entry else "",
        "dirac_applications": str(entry["dirac_applications"]) if "dirac_applications" in entry else "",
    }
    return [vals[c] for c in COLUMNS]


def log_line(entry: dict, phase: str) -> str:
    """The human-readable line of one trajectory (run.log, progress lines, pipeline logs)."""
    dh = entry.get("delta_h")
    return (f"traj {entry['trajectory']:6d} {phase:5s} plaq {entry['plaquette']:.10f} "
            + (f"dH {dh:+.4e} " if dh is not None else "")
            + f"acc {entry['accepted']} t {entry['seconds']:.3f}s"
            + (f" |F|max {entry['force0_max']:.3f} F*eps {entry['force0_feps']:.3f}"
               if "force0_max" in entry else "")
            + (f" cg {entry['solver_iterations']} Dirac {entry['dirac_applications']}"
               if "solver_iterations" in entry else ""))


def _append_rows(path: Path, rows: list) -> None:
    if not rows:
        return
    with open(path, "a", newline="") as fh:
        csv.writer(fh).writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())


def _reconcile_csv(path: Path, trajectory: int) -> None:
    """Cut rows past the checkpoint's trajectory; refuse if rows are missing."""
    with open(path, newline="") as fh:
        lines = fh.readlines()
    if not lines or lines[0].strip().split(",") != COLUMNS:
        raise RunError(f"{path}: not a trajectory log of this version (header differs)")
    keep = [lines[0]]
    last = 0
    for line in lines[1:]:
        t = int(line.split(",", 1)[0])
        if t <= trajectory:
            keep.append(line)
            last = t
    if last != trajectory:
        raise RunError(f"{path}: log ends at trajectory {last} but the checkpoint is at {trajectory}; "
                       "the log is incomplete, refusing to continue")
    if len(keep) != len(lines):
        tmp = path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as fh:
            fh.writelines(keep)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


class _Stop:
    """Turns SIGINT/SIGTERM into a flag checked between trajectories."""

    def __init__(self):
        self.requested = None
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handler)
            except ValueError:  # not the main thread
                pass
        return self

    def _handler(self, signum, frame):
        self.requested = signal.Signals(signum).name

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _save_format_ok(fmt: str, config: ChainConfig) -> None:
    if fmt not in SAVE_SUFFIX:
        raise RunError(f"--save-format: unknown {fmt!r}; choose one of {', '.join(SAVE_SUFFIX)}")
    if fmt != "hdf5" and (config.group != "su3" or len(config.lattice) != 4):
        raise RunError(f"--save-format {fmt} stores only SU(3) in 4D; use hdf5 for "
                       f"{config.group} in {len(config.lattice)}D")


def generate(out, *, config: ChainConfig | None = None, ntraj: int, resume: bool = False,
             save_every: int = 0, save_format: str = "hdf5", checkpoint_every: int = 10,
             progress: bool | None = None, stream=sys.stderr) -> dict:
    """Run (or continue) a chain in directory ``out``; returns a short summary.

    All arguments are checked before any work is done or any file touched.
    """
    out = Path(out)
    if int(ntraj) < 0:
        raise RunError(f"--ntraj must be >= 0, got {ntraj}")
    if int(save_every) < 0 or int(checkpoint_every) < 1:
        raise RunError("--save-every must be >= 0 and --checkpoint-every >= 1")
    if resume:
        if not (out / CHECKPOINT).is_file():
            raise RunError(f"--resume {out}: no {CHECKPOINT} there, nothing to continue")
        try:
            chain = Chain.from_checkpoint(out / CHECKPOINT)
        except (OSError, ValueError) as exc:
            raise RunError(f"--resume {out}: {exc}") from None
        _save_format_ok(save_format, chain.config)
        if (out / LOG_CSV).exists():
            _reconcile_csv(out / LOG_CSV, chain.trajectory)
        else:
            raise RunError(f"--resume {out}: {LOG_CSV} is missing")
    else:
        if config is None:
            raise RunError("a new chain needs its parameters")
        try:
            config.validate()
        except ValueError as exc:
            raise RunError(str(exc)) from None
        _save_format_ok(save_format, config)
        if holds_chain(out):
            raise RunError(f"{out} already holds a chain ({CHECKPOINT} or {LOG_CSV} exists); "
                           "use --resume to continue it or choose another --out")
        try:
            chain = Chain.start(config)
        except (OSError, ValueError) as exc:
            raise RunError(str(exc)) from None
        out.mkdir(parents=True, exist_ok=True)
        with open(out / LOG_CSV, "w", newline="") as fh:
            csv.writer(fh).writerow(COLUMNS)
        chain.write_checkpoint(out / CHECKPOINT, overwrite=False)

    cfg = chain.config
    target = chain.trajectory + int(ntraj) + (max(0, cfg.n_therm - chain.trajectory) if not resume else 0)
    if resume and chain.trajectory < cfg.n_therm:  # interrupted during thermalisation
        target = cfg.n_therm + int(ntraj)
    return _loop(out, chain, target, save_every, save_format, checkpoint_every, progress, stream)


def _loop(out, chain, target, save_every, save_format, checkpoint_every, progress, stream):
    cfg = chain.config
    todo = target - chain.trajectory
    if todo > 0:
        chain.warmup()
    rows, n_acc, n_done, t_start = [], 0, 0, time.perf_counter()
    if progress is None:
        progress = stream.isatty() if hasattr(stream, "isatty") else False
    bar = None
    if progress and todo > 0:
        from tqdm import tqdm
        bar = tqdm(total=todo, file=stream, unit="traj", dynamic_ncols=True)
    stopped = None
    with _Stop() as stop, open(out / RUN_LOG, "a") as log:
        warmup = min(WARMUP, cfg.n_therm // 5) if cfg.algorithm == "hmc" else 0
        while chain.trajectory < target:
            entry = chain.step(metropolis=chain.trajectory >= warmup)
            n_done += 1
            n_acc += entry["accepted"]
            phase = "therm" if entry["trajectory"] <= cfg.n_therm else "prod"
            rows.append(log_row(entry, phase))
            line = log_line(entry, phase)
            log.write(line + "\n")
            if bar is not None:
                bar.update(1)
                bar.set_postfix(acc=f"{n_acc / n_done:.2f}", plaq=f"{entry['plaquette']:.5f}")
            elif progress is False and stream is not None:
                print(line, file=stream, flush=True)
            if save_every and phase == "prod" and entry["trajectory"] % save_every == 0:
                from ..io import write_config
                (out / CONFIG_DIR).mkdir(exist_ok=True)
                write_config(config_path(out, entry["trajectory"], save_format), chain.field, save_format,
                             overwrite=True, metadata=_save_meta(chain, save_format))
            if stop.requested or chain.trajectory % checkpoint_every == 0 or chain.trajectory == target:
                _append_rows(out / LOG_CSV, rows)
                rows = []
                chain.write_checkpoint(out / CHECKPOINT)
                log.flush()
            if stop.requested:
                stopped = stop.requested
                break
    if bar is not None:
        bar.close()
    secs = time.perf_counter() - t_start
    summary = {"out": str(out), "trajectory": chain.trajectory, "done": n_done,
               "acceptance": n_acc / n_done if n_done else float("nan"),
               "plaquette": chain.field.plaquette(), "seconds": secs, "stopped_by": stopped}
    return summary


def _save_meta(chain, fmt):
    if fmt == "hdf5":
        return {"trajectory": chain.trajectory, "params": chain.config.to_dict()}
    return {"ENSEMBLE_ID": f"lqcd_{chain.config.group}_b{chain.config.beta}"[:32],
            "SEQUENCE_NUMBER": str(chain.trajectory)} if fmt == "nersc" else {}

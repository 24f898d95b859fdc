"""A Markov chain: its parameters, its state and one update step.

The state of a chain is exactly (docs/conventions.md, "Restarts"):

* the links,
* the number of completed trajectories ``trajectory``,
* the state of the chain's ``numpy.random.Generator`` (PCG64), which draws HMC
  momenta, Metropolis numbers and hot starts,
* for heatbath, nothing more: its Philox counter-based stream is addressed by
  (seed key, trajectory number, link), so it needs no state of its own.

Both generators come from ``numpy.random.SeedSequence(seed, spawn_key=(stream,))``,
so the streams of one ensemble are independent and reproducible.  Restoring the
three items from a checkpoint and calling :meth:`Chain.step` gives bit-for-bit
the trajectories the uninterrupted chain would have produced.
"""
from __future__ import annotations

import time

from dataclasses import asdict, dataclass, field as dc_field
from pathlib import Path

import numpy as np

from ..actions import C1, GaugeAction
from ..gauge import GaugeField
from ..group import get_group
from ..integrators import SCHEMES, Integrator
from ..lattice import Lattice
from .hmc import HMC

ALGORITHMS = ("hmc", "heatbath", "slhmc")


@dataclass
class ChainConfig:
    """Everything that defines a chain (stored in every checkpoint as ``params``)."""

    group: str
    lattice: tuple
    beta: float
    action: str = "wilson"
    algorithm: str = "hmc"
    integrator: str = "omelyan"
    steps: int = 10
    traj_length: float = 1.0
    or_per_hb: int = 4
    seed: int = 0
    stream: int = 0
    start: str = "cold"
    n_therm: int = 0
    fermion: dict | None = None
    surrogate: dict | None = None
    extra: dict = dc_field(default_factory=dict)

    def validate(self) -> "ChainConfig":
        """Check every parameter; raise ValueError naming the first bad one."""
        try:
            self.group = get_group(self.group).name
        except ValueError as exc:
            raise ValueError(f"--group: {exc}") from None
        try:
            self.lattice = Lattice(self.lattice).extents
        except (ValueError, TypeError) as exc:
            raise ValueError(f"--lattice: {exc}") from None
        self.beta = float(self.beta)
        if not np.isfinite(self.beta) or self.beta <= 0:
            raise ValueError(f"--beta must be positive, got {self.beta}")
        self.action = str(self.action).lower()
        if self.action not in C1:
            raise ValueError(f"--action: unknown gauge action {self.action!r}; choose one of {', '.join(C1)}")
        self.algorithm = str(self.algorithm).lower()
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"--algorithm: unknown {self.algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
        if self.algorithm == "heatbath" and self.action != "wilson":
            raise ValueError(f"--algorithm heatbath supports only the Wilson action, not {self.action!r}; use hmc")
        self.integrator = str(self.integrator).lower()
        if self.integrator not in SCHEMES:
            raise ValueError(f"--integrator: unknown {self.integrator!r}; choose one of {', '.join(SCHEMES)}")
        if int(self.steps) < 1:
            raise ValueError(f"--steps must be >= 1, got {self.steps}")
        self.steps = int(self.steps)
        self.traj_length = float(self.traj_length)
        if not np.isfinite(self.traj_length) or self.traj_length <= 0:
            raise ValueError(f"--traj-length must be positive, got {self.traj_length}")
        if int(self.or_per_hb) < 0:
            raise ValueError(f"--or-per-hb must be >= 0, got {self.or_per_hb}")
        self.or_per_hb = int(self.or_per_hb)
        if int(self.seed) < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        self.seed = int(self.seed)
        self.stream = int(self.stream)
        if self.stream < 0:
            raise ValueError(f"stream must be >= 0, got {self.stream}")
        if int(self.n_therm) < 0:
            raise ValueError(f"--therm must be >= 0, got {self.n_therm}")
        self.n_therm = int(self.n_therm)
        from ..actions.fermion_spec import validate_fermion
        try:
            self.fermion = validate_fermion(self.fermion, len(self.lattice))
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        if self.fermion is not None and self.algorithm == "heatbath":
            raise ValueError(f"dynamical fermions need --algorithm hmc or slhmc, not {self.algorithm!r}")
        if self.algorithm == "slhmc":
            if self.fermion is None:
                raise ValueError("--algorithm slhmc needs dynamical fermions (--fermion)")
            if not isinstance(self.surrogate, dict) or "kind" not in self.surrogate:
                raise ValueError("--algorithm slhmc needs a trained surrogate model (--surrogate MODEL.h5)")
        elif self.surrogate is not None:
            raise ValueError(f"--surrogate applies to --algorithm slhmc, not {self.algorithm!r}")
        start = str(self.start)
        if start not in ("cold", "hot") and not Path(start).is_file():
            raise ValueError(f"--start: {start!r} is neither 'cold', 'hot' nor an existing file")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["lattice"] = list(self.lattice)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ChainConfig":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["lattice"] = tuple(known["lattice"])
        return cls(**known)


def seed_sequence(seed: int, stream: int) -> np.random.SeedSequence:
    """The seed sequence of stream ``stream`` of an ensemble seeded with ``seed``."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(stream),))


class Chain:
    """A chain in memory: config, field, generator and trajectory counter."""

    def __init__(self, config: ChainConfig, field: GaugeField, rng: np.random.Generator,
                 trajectory: int = 0):
        self.config = config
        self.field = field
        self.rng = rng
        self.trajectory = int(trajectory)
        self.action = GaugeAction(config.beta, config.action)
        if config.algorithm == "hmc":
            self.updater = HMC(self._integrator(config, field), config.traj_length)
        elif config.algorithm == "slhmc":
            self.updater = self._slhmc(config, field)
        else:
            from .heatbath import Heatbath
            key = int(seed_sequence(config.seed, config.stream).generate_state(1, np.uint64)[0])
            self.updater = Heatbath(self.action, or_per_hb=config.or_per_hb, seed_key=key)

    def _integrator(self, config: ChainConfig, field) -> Integrator:
        """Quenched: one level.  Dynamical: fermions outside (``steps`` per trajectory),
        the gauge action inside (``fermion.inner_steps`` per fermion step)."""
        if config.fermion is None:
            return Integrator([(self.action, config.steps, config.integrator)])
        from ..actions.fermion_spec import fermion_actions
        self.fermion_actions = fermion_actions(config.fermion, probe_field=field)
        return Integrator([(self.fermion_actions, config.steps, config.integrator),
                           (self.action, config.fermion["inner_steps"], config.integrator)])

    def _slhmc(self, config: ChainConfig, field) -> HMC:
        """MD with the frozen surrogate of ``config.surrogate``, Metropolis with the true action."""
        from ..actions.fermion import TwoFlavourAction
        from ..actions.fermion_spec import fermion_actions
        from ..surrogate import from_dict
        from .slhmc import slhmc
        self.fermion_actions = fermion_actions(config.fermion, probe_field=field)
        source = self.fermion_actions[0] if len(self.fermion_actions) == 1 else None
        inner = getattr(source, "action", source)
        if config.surrogate["kind"] in ("heavy", "neural", "truncated") and not isinstance(inner, TwoFlavourAction):
            raise ValueError(f"the {config.surrogate['kind']} surrogate shares the pseudofermion field "
                             "of a single two-flavour action; it cannot be used with Hasenbusch "
                             "terms, rooted (RHMC) or 2+1 flavours (use a loops surrogate)")
        self.surrogate = from_dict(config.surrogate, source=source)
        return slhmc(self.action, self.fermion_actions, self.surrogate, config.steps,
                     config.fermion["inner_steps"], config.integrator, config.traj_length)

    # -- construction ------------------------------------------------------
    @classmethod
    def start(cls, config: ChainConfig) -> "Chain":
        """A new chain from a cold, hot or file start (config already validated)."""
        rng = np.random.Generator(np.random.PCG64(seed_sequence(config.seed, config.stream)))
        lat = Lattice(config.lattice)
        if config.start == "cold":
            field = GaugeField.cold(lat, config.group)
        elif config.start == "hot":
            field = GaugeField.hot(lat, config.group, rng)
        else:
            from ..io import read_config
            field, _ = read_config(config.start)
            if field.lattice != lat or field.group.name != config.group:
                raise ValueError(
                    f"--start file {config.start} holds {field.group.name} on "
                    f"{'x'.join(map(str, field.lattice.extents))}, but the chain is "
                    f"{config.group} on {'x'.join(map(str, lat.extents))}")
        return cls(config, field, rng)

    @classmethod
    def from_checkpoint(cls, path) -> "Chain":
        from ..io import read_checkpoint
        ck = read_checkpoint(path)
        config = ChainConfig.from_dict(ck.params)
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = ck.rng_state
        return cls(config, ck.field, rng, ck.trajectory)

    def write_checkpoint(self, path, overwrite: bool = True):
        from ..io import write_checkpoint
        return write_checkpoint(path, self.field, trajectory=self.trajectory,
                                rng_state=self.rng.bit_generator.state,
                                params=self.config.to_dict(), overwrite=overwrite)

    # -- update ------------------------------------------------------------
    def warmup(self) -> None:
        """Compile (or load from cache) every kernel of one update on a copy of the field.

        Uses no random numbers of the chain, so timings of the first trajectory are
        clean and the chain is unchanged.
        """
        scratch = self.field.copy()
        if isinstance(self.updater, HMC):
            mom = np.zeros_like(scratch.links)
            # pseudofermions from a private generator: the chain's stream is untouched
            self.updater.accept_action.refresh(scratch, np.random.default_rng(0))
            self.updater.integrator.action.refresh(scratch, np.random.default_rng(0))
            self.updater.integrator.integrate(scratch, mom, self.updater.tau)
            self.updater.hamiltonian(scratch, mom)
            scratch.reunitarize()
        else:
            self.updater.sweep(scratch, 0)
        scratch.plaquette()

    def step(self, metropolis: bool = True) -> dict:
        """One trajectory (HMC) or one heatbath + overrelaxation sweep.

        ``metropolis=False`` accepts every HMC trajectory (only for the first trajectories of a
        thermalisation from a cold or hot start, where the chain is not yet in equilibrium and
        the exactness of the update does not matter).
        """
        if isinstance(self.updater, HMC):
            entry = self.updater.trajectory(self.field, self.rng, metropolis=metropolis)
        else:
            t0 = time.perf_counter()
            entry = self.updater.sweep(self.field, self.trajectory)
            entry["seconds"] = time.perf_counter() - t0
            entry.setdefault("plaquette", self.field.plaquette())
            entry.setdefault("delta_h", None)
            entry.setdefault("accepted", 1)
        self.trajectory += 1
        entry["trajectory"] = self.trajectory
        return entry

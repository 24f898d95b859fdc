"""Training data and the training loop of surrogates that share the true action's phi.

A sample is (U, phi, S_f): a configuration U, a pseudofermion field phi drawn by the true
action's heatbath on U (``true_action.refresh(U, rng)``) and the true value
S_f = phi^dag A(U)^{-1} phi.  The loss of one sample is

    l(theta) = (S_f - S_eff[U; phi, theta])^2,      dl/dtheta = -2 (S_f - S_eff) dS_eff/dtheta,

(S_eff includes the trainable offset c0 when the model has one; this is the loss
(S_f - S_eff - c0)^2 of docs/_draft_slhmc_neural.md), averaged over mini-batches and
minimised by :class:`.adam.Adam` with the model's bounds.  A validation set (a random
fraction of the samples, never used for the updates) monitors over-fitting; the
parameters with the lowest validation loss are kept.

What controls the SLHMC acceptance is the change of r = S_f - S_eff between the start and
the end of a trajectory at fixed phi (a constant cancels; when the surrogate's H is
conserved, Delta H = Delta r).  The single-sample loss above also fits the phi fluctuation
of r, which cancels in Delta H.  Pair samples (``make_samples(..., partner=md_partner(...))``:
a second configuration at the end of an MD trajectory, same phi) train on

    l(theta) = (Delta S_f - Delta S_eff)^2,     Delta = value at field2 - value at field,

i.e. on <Delta H^2> directly.  :func:`residual_stats` gives the RMS, mean and standard
deviation of the residual (r, or Delta r for pairs) on a set of samples and
:func:`acceptance_estimate` the RMS.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field as dc_field

import numpy as np

from .adam import Adam


@dataclass
class Sample:
    """One training sample: configuration, pseudofermion field, true action value; for a
    pair sample also a second configuration ``field2`` (the end of a molecular-dynamics
    trajectory from ``field``) with its true action value ``s_true2`` on the same phi."""

    field: object
    phi: np.ndarray
    s_true: float
    field2: object = None
    s_true2: float = float("nan")

    @property
    def is_pair(self) -> bool:
        return self.field2 is not None


@dataclass
class TrainingResult:
    """History and outcome of :func:`train`.

    ``history``: one dict per epoch (epoch 0 = before training) with ``epoch``,
    ``train_loss`` (mean loss over the epoch's mini-batch evaluations; at epoch 0 over all
    training samples) and ``val_loss`` (mean loss on the validation samples at the end of
    the epoch, NaN without validation set).
    """

    history: list
    theta_initial: np.ndarray
    theta_final: np.ndarray
    theta_best: np.ndarray
    best_epoch: int
    best_loss: float
    seconds: float
    n_train: int
    n_val: int
    train_indices: list = dc_field(default_factory=list)
    val_indices: list = dc_field(default_factory=list)
    settings: dict = dc_field(default_factory=dict)

    @property
    def epochs(self) -> np.ndarray:
        return np.array([h["epoch"] for h in self.history], dtype=np.int64)

    @property
    def train_loss(self) -> np.ndarray:
        return np.array([h["train_loss"] for h in self.history], dtype=float)

    @property
    def val_loss(self) -> np.ndarray:
        return np.array([h["val_loss"] for h in self.history], dtype=float)

    def summary(self) -> dict:
        """JSON-able summary (without the per-epoch arrays)."""
        return {"theta_initial": [float(v) for v in self.theta_initial],
                "theta_final": [float(v) for v in self.theta_final],
                "theta_best": [float(v) for v in self.theta_best],
                "best_epoch": int(self.best_epoch), "best_loss": float(self.best_loss),
                "seconds": float(self.seconds), "n_train": int(self.n_train),
                "n_val": int(self.n_val), "train_indices": [int(i) for i in self.train_indices],
                "val_indices": [int(i) for i in self.val_indices],
                "settings": dict(self.settings)}


class _PhiHolder:
    """A stand-in source action holding the phi of the current sample."""

    def __init__(self):
        self.phi = None


@contextlib.contextmanager
def sample_source(model):
    """Temporarily give ``model`` a source whose ``phi`` the caller sets per sample."""
    holder = _PhiHolder()
    old = model.source
    model.source = holder
    try:
        yield holder
    finally:
        model.source = old


def make_samples(fields, true_action, rng: np.random.Generator, partner=None) -> list:
    """For each configuration draw phi with ``true_action.refresh(field, rng)`` and record
    (field, phi, S_f = true_action.value(field)).  The fields are not copied.

    ``partner`` (optional): a callable ``partner(field, rng) -> new field`` run after the
    refresh, e.g. :func:`md_partner`; then every sample is a pair with the partner's field
    and its true value on the *same* phi (the difference loss, see :func:`sample_loss`).
    """
    out = []
    for f in fields:
        true_action.refresh(f, rng)
        phi = np.array(true_action.phi, copy=True)
        s = float(true_action.value(f))
        if partner is None:
            out.append(Sample(f, phi, s))
            continue
        f2 = partner(f, rng)
        if true_action.phi is None or not np.array_equal(true_action.phi, phi):
            raise RuntimeError("make_samples: the partner must not refresh the pseudofermions")
        out.append(Sample(f, phi, s, f2, float(true_action.value(f2))))
    return out


def md_partner(integrator, tau: float = 1.0):
    """A ``partner`` for :func:`make_samples`: the end point of one molecular-dynamics
    trajectory of ``integrator`` (fresh Gaussian momenta, no refresh, no Metropolis) from
    a copy of the field.  With the surrogate's own MD (surrogate + gauge action), the
    true-action change of a pair is what the SLHMC Metropolis test sees."""
    def partner(field, rng):
        g = field.copy()
        mom = g.group.momenta(g.links.shape[:2], rng)
        integrator.integrate(g, mom, float(tau))
        g.reunitarize()
        return g
    return partner


def _residual(model, sample, holder, with_grad):
    """r = S_f - S_eff (single sample) or r = Delta S_f - Delta S_eff (pair, Delta = value
    at field2 minus value at field), and dr/dtheta (or None)."""
    holder.phi = sample.phi
    if with_grad:
        s_eff, g = model.value_and_grad(sample.field)
        g = np.asarray(g, float)
    else:
        s_eff, g = float(model.value(sample.field)), None
    r = sample.s_true - s_eff
    if sample.is_pair:
        if with_grad:
            s2, g2 = model.value_and_grad(sample.field2)
            g = np.asarray(g2, float) - g
        else:
            s2 = float(model.value(sample.field2))
        r = (sample.s_true2 - s2) - r
    return r, (None if g is None else -g)


def sample_loss(model, sample, holder, with_grad: bool = True):
    """(loss, dloss/dtheta or None, residual) of one sample (``holder`` from sample_source).

    Single sample: l = (S_f - S_eff)^2, dl/dtheta = -2 (S_f - S_eff) dS_eff/dtheta.
    Pair:          l = (Delta S_f - Delta S_eff)^2 with Delta = (value at field2) - (value
                   at field) on the same phi, dl/dtheta = -2 r (dS_eff/dtheta(field2) -
                   dS_eff/dtheta(field)).  A constant offset c0 drops out.
    """
    r, dr = _residual(model, sample, holder, with_grad)
    return r * r, (None if dr is None else 2.0 * r * dr), r


def loss(model, samples) -> float:
    """Mean loss over ``samples`` at the model's current parameters."""
    if not samples:
        return float("nan")
    with sample_source(model) as holder:
        return float(np.mean([sample_loss(model, s, holder, with_grad=False)[0] for s in samples]))


def loss_and_grad(model, samples):
    """(mean loss, its gradient w.r.t. theta) over ``samples``."""
    with sample_source(model) as holder:
        vals = [sample_loss(model, s, holder) for s in samples]
    return float(np.mean([v[0] for v in vals])), np.mean([v[1] for v in vals], axis=0)


def residuals(model, samples) -> np.ndarray:
    """S_f - S_eff for every sample (Delta S_f - Delta S_eff for pairs)."""
    with sample_source(model) as holder:
        return np.array([_residual(model, s, holder, False)[0] for s in samples])


def residual_stats(model, samples) -> dict:
    """RMS, mean and standard deviation of S_f - S_eff over ``samples``."""
    r = residuals(model, samples)
    return {"rms": float(np.sqrt(np.mean(r * r))), "mean": float(np.mean(r)),
            "std": float(np.std(r)), "n": int(r.size)}


def acceptance_estimate(model, samples) -> float:
    """RMS of S_f - S_eff on ``samples`` (use the validation samples): the quantity that
    controls the SLHMC acceptance (see residual_stats for its mean and spread)."""
    return residual_stats(model, samples)["rms"]


def split(n: int, validation_fraction: float, rng: np.random.Generator):
    """Random (train, validation) index lists; at least one training sample."""
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    perm = [int(i) for i in rng.permutation(n)]
    n_val = int(round(validation_fraction * n))
    if validation_fraction > 0 and n > 1:
        n_val = max(1, n_val)
    n_val = min(n_val, n - 1)
    return sorted(perm[n_val:]), sorted(perm[:n_val])


def train(model, samples, epochs: int = 50, lr: float = 0.01, batch: int = 8,
          validation_fraction: float = 0.25, rng: np.random.Generator | None = None,
          init_offset: bool = True, restore_best: bool = True, adam: Adam | None = None,
          callback=None) -> TrainingResult:
    """Train ``model`` on ``samples`` (from :func:`make_samples`) with Adam.

    Parameters
    ----------
    epochs : int
        Passes over the training samples (shuffled every epoch).
    lr : float
        Adam learning rate (ignored if ``adam`` is given).
    batch : int
        Mini-batch size: one Adam step per batch, with the mean gradient.
    validation_fraction : float
        Fraction of the samples held out for validation.
    init_offset : bool
        If the model has an offset c0, start it at the mean of S_f - S_eff over the
        training samples (the loss-minimising c0 at the initial rho), so that the
        optimiser does not spend its steps on a trivial shift.
    restore_best : bool
        Leave the model at the parameters with the lowest validation loss (training loss
        without validation set) instead of the last ones.
    callback : callable(epoch, entry, model), optional
        Called after every epoch.
    """
    rng = np.random.default_rng() if rng is None else rng
    samples = list(samples)
    if not samples:
        raise ValueError("train: no samples")
    if int(epochs) < 0 or int(batch) < 1:
        raise ValueError(f"train: need epochs >= 0 and batch >= 1, got {epochs}, {batch}")
    t0 = time.perf_counter()
    tr_idx, va_idx = split(len(samples), validation_fraction, rng)
    tr = [samples[i] for i in tr_idx]
    va = [samples[i] for i in va_idx]
    theta0 = np.asarray(model.parameters(), float).copy()
    singles = [s for s in tr if not s.is_pair]
    if init_offset and getattr(model, "offset", False) and singles:
        theta = model.parameters()
        theta[-1] = 0.0
        model.set_parameters(theta)
        theta[-1] = float(np.mean(residuals(model, singles)))
        model.set_parameters(theta)
    opt = adam if adam is not None else Adam(lr=lr, bounds=model.bounds())
    theta = opt.clip(model.parameters())
    model.set_parameters(theta)

    history = [{"epoch": 0, "train_loss": loss(model, tr),
                "val_loss": loss(model, va) if va else float("nan")}]
    key = "val_loss" if va else "train_loss"
    best = (history[0][key], 0, theta.copy())
    with sample_source(model) as holder:
        for epoch in range(1, int(epochs) + 1):
            order = rng.permutation(len(tr))
            losses = []
            for start in range(0, len(tr), int(batch)):
                batch_samples = [tr[i] for i in order[start:start + int(batch)]]
                vals = [sample_loss(model, s, holder) for s in batch_samples]
                losses.extend(v[0] for v in vals)
                grad = np.mean([v[1] for v in vals], axis=0)
                if theta.size:
                    theta = opt.step(theta, grad)
                    model.set_parameters(theta)
            entry = {"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": float("nan")}
            if va:
                entry["val_loss"] = float(np.mean(
                    [sample_loss(model, s, holder, with_grad=False)[0] for s in va]))
            else:  # the loss at the end of the epoch, comparable to epoch 0
                entry["train_loss_end"] = float(np.mean(
                    [sample_loss(model, s, holder, with_grad=False)[0] for s in tr]))
            history.append(entry)
            score = entry["val_loss"] if va else entry["train_loss_end"]
            if score < best[0]:
                best = (score, epoch, theta.copy())
            if callback is not None:
                callback(epoch, entry, model)
    theta_final = model.parameters()
    if restore_best:
        model.set_parameters(best[2])
    return TrainingResult(
        history=history, theta_initial=theta0, theta_final=theta_final, theta_best=best[2],
        best_epoch=best[1], best_loss=float(best[0]), seconds=time.perf_counter() - t0,
        n_train=len(tr), n_val=len(va), train_indices=tr_idx, val_indices=va_idx,
        settings={"epochs": int(epochs), "lr": float(opt.lr), "batch": int(batch),
                  "validation_fraction": float(validation_fraction),
                  "init_offset": bool(init_offset), "restore_best": bool(restore_best)})

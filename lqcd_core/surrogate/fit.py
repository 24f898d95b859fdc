"""Training linear surrogates: least squares on log-determinants and on pseudofermion forces.

Both fits are linear because the surrogate is (:class:`lqcd_core.surrogate.loops.LoopAction`)

    S_eff[U] = c_0 - sum_i c_i f_i[U],          F_eff[U] = sum_i c_i F_i[U],

with the features f_i (``model.features``) and their forces F_i (``model.feature_forces``;
F_i is the gradient of -f_i).

1. Value fit (``fit_logdet``).  The fermions contribute det A^{nf / flavours_per_det} to the
   weight, i.e. the effective action  S_f[U] = -w log det A,  w = nf / flavours_per_det
   (w = 1 for the two-flavour action of the operator, e.g. Nf = 2 Wilson).  Given exact
   values y_k = -w logdet_k on configurations U_k, minimise over (c_0, c)

       sum_{k in train} (y_k - c_0 + sum_i c_i f_i[U_k])^2 + ridge * sum_i c_i^2

   (the offset c_0 is not penalised): centre features and targets on the training set,
   solve the ridge problem for c by least squares (minimum-norm solution if the features are
   degenerate), then c_0 = mean(y) + sum_i c_i mean(f_i).

2. Force fit (``fit_forces``).  Minimise

       sum_k || F_k - sum_i c_i F_i[U_k] ||^2 + ridge * |c|^2,
       ||X||^2 = <X, X> = -(1/c) Re sum tr(X X)     (the algebra inner product, group.inner),

   whose normal equations are  (G + ridge 1) c = b  with  G_ij = sum_k <F_i[U_k], F_j[U_k]>,
   b_i = sum_k <F_i[U_k], F_k>.  The targets F_k may be noisy estimates: with pseudofermion
   forces (one heatbath phi per configuration) E_phi[F_k] = grad S_f[U_k], and since G and the
   F_i depend on U only, the estimate of c is unbiased for the same problem with the exact
   forces; the noise only widens it.

   Why the pseudofermion force estimates grad(-log det A).  With phi drawn from
   exp(-phi^dag A^{-1} phi) / Z, <phi phi^dag>_phi = A.  The action S_pf = phi^dag A^{-1} phi has,
   with X = A^{-1} phi, the derivative dS_pf = -phi^dag A^{-1} dA A^{-1} phi = -X^dag dA X, so

       <dS_pf>_phi = -tr(dA <X X^dag>) = -tr(dA A^{-1} <phi phi^dag> A^{-1}) = -tr(A^{-1} dA)
                   = -d log det A,

   i.e. <F_pf>_phi = grad(-log det A) = grad S_f for w = 1 (the force of
   ``TwoFlavourAction``; for w != 1 multiply the targets by w).

Validation.  Both fits hold out the *last* ``validation`` fraction of the configurations
(the later part of a Markov chain: an honest test of extrapolation along the chain) and
report the residual RMS and R^2 on it; the coefficients are fitted on the rest only.
R^2 = 1 - SS_res / SS_tot with SS_tot the spread of y about its mean (value fit) or
sum_k ||F_k||^2 (force fit: the fraction of the squared force norm explained).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field as dc_field

import numpy as np


@dataclass
class FitResult:
    """Outcome of a linear surrogate fit (``apply(model)`` writes it into the model)."""

    method: str                 # "logdet" or "forces"
    terms: tuple
    coefficients: np.ndarray    # c_i, in the order of ``terms``
    offset: float               # c_0 (value fit); 0 for the force fit
    rms: float                  # training residual RMS (per configuration / per force component)
    r2: float                   # training R^2
    validation_rms: float       # on the held-out configurations (nan without them)
    validation_r2: float
    n_train: int
    n_validation: int
    ridge: float = 0.0
    extra: dict = dc_field(default_factory=dict)

    def apply(self, model):
        """Set the model's coefficients (and offset, for a value fit); returns the model."""
        if tuple(model.terms) != tuple(self.terms):
            raise ValueError(f"model: terms {model.terms} differ from the fit's {self.terms}")
        model.set_parameters(self.coefficients)
        if self.method == "logdet":
            model.offset = float(self.offset)
        return model

    def as_dict(self) -> dict:
        return {"method": self.method, "terms": list(self.terms),
                "coefficients": [float(c) for c in self.coefficients],
                "offset": float(self.offset), "rms": float(self.rms), "r2": float(self.r2),
                "validation_rms": float(self.validation_rms),
                "validation_r2": float(self.validation_r2), "n_train": self.n_train,
                "n_validation": self.n_validation, "ridge": float(self.ridge)}


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------
def _check_fields(fields):
    if isinstance(fields, (str, bytes)) or not hasattr(fields, "__len__"):
        raise ValueError(f"fields must be a list of gauge fields, got {type(fields).__name__}")
    fields = list(fields)
    if not fields:
        raise ValueError("fields is empty: need at least one configuration")
    for i, f in enumerate(fields):
        if not hasattr(f, "links") or not hasattr(f, "lattice"):
            raise ValueError(f"fields[{i}] is not a gauge field ({type(f).__name__})")
    return fields


def _check_ridge(ridge):
    ridge = float(ridge)
    if not (math.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be finite and >= 0, got {ridge}")
    return ridge


def _split(n, validation, minimum):
    validation = float(validation)
    if not 0.0 <= validation < 1.0:
        raise ValueError(f"validation must be a fraction in [0, 1), got {validation}")
    n_val = int(math.floor(validation * n + 0.5)) if validation > 0 else 0
    if validation > 0 and n_val == 0 and n > minimum:
        n_val = 1
    n_train = n - n_val
    if n_train < minimum:
        raise ValueError(f"fields: {n} configurations leave {n_train} for training with "
                         f"validation={validation}; need at least {minimum}")
    return n_train, n_val


def _solve_ridge(a, y, ridge):
    """argmin_c |a c - y|^2 + ridge |c|^2 by least squares (minimum norm if degenerate)."""
    m = a.shape[1]
    if ridge > 0:
        a = np.vstack([a, math.sqrt(ridge) * np.eye(m)])
        y = np.concatenate([y, np.zeros(m)])
    c, *_ = np.linalg.lstsq(a, y, rcond=None)
    return c


def _r2(res2, tot2):
    return float(1.0 - res2 / tot2) if tot2 > 0 else float("nan")


# ---------------------------------------------------------------------------
# value fit
# ---------------------------------------------------------------------------
def fit_logdet(model, fields, logdets, ridge: float = 0.0, weight: float = 1.0,
               validation: float = 0.25) -> FitResult:
    """Fit S_eff = c_0 - sum_i c_i f_i to y_k = -weight * logdets[k] (module docstring).

    ``logdets``: log det A per configuration (:func:`exact_logdet`); ``weight`` = nf /
    flavours_per_det; ``validation``: fraction of configurations held out (the last ones).
    The model is not changed; use ``result.apply(model)``.
    """
    fields = _check_fields(fields)
    ridge = _check_ridge(ridge)
    weight = float(weight)
    if not (math.isfinite(weight) and weight != 0):
        raise ValueError(f"weight must be finite and non-zero, got {weight}")
    y = np.asarray(logdets, dtype=float)
    if y.ndim != 1 or y.size != len(fields):
        raise ValueError(f"logdets: need one value per field ({len(fields)}), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("logdets contains non-finite values")
    y = -weight * y
    n_train, n_val = _split(len(fields), validation, 2)
    x = np.array([model.features(f) for f in fields])
    xt, yt = x[:n_train], y[:n_train]
    xm, ym = xt.mean(axis=0), yt.mean()
    c = _solve_ridge(-(xt - xm), yt - ym, ridge)
    c0 = float(ym + xm @ c)
    pred = c0 - x @ c
    res = y - pred
    rms = float(np.sqrt(np.mean(res[:n_train] ** 2)))
    r2 = _r2(np.sum(res[:n_train] ** 2), np.sum((yt - ym) ** 2))
    if n_val:
        yv = y[n_train:]
        vrms = float(np.sqrt(np.mean(res[n_train:] ** 2)))
        vr2 = _r2(np.sum(res[n_train:] ** 2), np.sum((yv - yv.mean()) ** 2))
    else:
        vrms = vr2 = float("nan")
    return FitResult("logdet", tuple(model.terms), c, c0, rms, r2, vrms, vr2, n_train, n_val,
                     ridge, {"features": x, "targets": y, "predictions": pred})


# ---------------------------------------------------------------------------
# force fit
# ---------------------------------------------------------------------------
def fit_forces(model, fields, forces, ridge: float = 0.0, validation: float = 0.25) -> FitResult:
    """Force matching: minimise sum_k ||F_k - sum_i c_i F_i[U_k]||^2 + ridge |c|^2.

    ``forces``: one algebra-valued array of the links' shape per field (e.g.
    :func:`pseudofermion_force_sample`).  Normal equations (G + ridge) c = b, module docstring.
    """
    fields = _check_fields(fields)
    ridge = _check_ridge(ridge)
    if isinstance(forces, np.ndarray) and forces.ndim == fields[0].links.ndim:
        forces = [forces]
    forces = list(forces)
    if len(forces) != len(fields):
        raise ValueError(f"forces: need one force per field ({len(fields)}), got {len(forces)}")
    for k, (f, fk) in enumerate(zip(fields, forces)):
        fk = np.asarray(fk)
        if fk.shape != f.links.shape:
            raise ValueError(f"forces[{k}] has shape {fk.shape}, expected the links' shape "
                             f"{f.links.shape}")
        if not np.all(np.isfinite(fk)):
            raise ValueError(f"forces[{k}] contains non-finite values")
    n_train, n_val = _split(len(fields), validation, 1)
    m = len(model.terms)
    g = np.zeros((m, m))
    b = np.zeros(m)
    per_config = []
    for k, (f, fk) in enumerate(zip(fields, forces)):
        fi = model.feature_forces(f)
        inner = f.group.inner
        gk = np.array([[inner(fi[i], fi[j]) for j in range(m)] for i in range(m)])
        bk = np.array([inner(fi[i], fk) for i in range(m)])
        nk = inner(fk, fk)
        per_config.append((gk, bk, nk, fk.size // (f.links.shape[-1] ** 2) * f.group.dim))
        if k < n_train:
            g += gk
            b += bk
    c = np.linalg.lstsq(g + ridge * np.eye(m), b, rcond=None)[0]

    def stats(sel):
        res = sum(nk - 2 * c @ bk + c @ gk @ c for gk, bk, nk, _ in sel)
        tot = sum(nk for _, _, nk, _ in sel)
        ncomp = sum(nc for *_, nc in sel)
        res = max(float(res), 0.0)
        return float(np.sqrt(res / ncomp)), _r2(res, tot)

    rms, r2 = stats(per_config[:n_train])
    vrms, vr2 = stats(per_config[n_train:]) if n_val else (float("nan"), float("nan"))
    return FitResult("forces", tuple(model.terms), c, 0.0, rms, r2, vrms, vr2, n_train, n_val,
                     ridge, {"gram": g, "rhs": b})


# ---------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------
def dense_hermitian(op, max_dim: int = 4096) -> np.ndarray:
    """The matrix of A = ``op.hermitian`` on the flattened field space (columns A e_i)."""
    shape = tuple(op.shape)
    n = int(np.prod(shape))
    if n > max_dim:
        raise ValueError(f"dense A would be {n} x {n} (> max_dim = {max_dim}); "
                         "exact determinants are for small lattices")
    a = np.empty((n, n), np.complex128)
    e = np.zeros(n, np.complex128)
    for i in range(n):
        e[i] = 1.0
        a[:, i] = np.asarray(op.hermitian(e.reshape(shape).astype(op.dtype))).ravel()
        e[i] = 0.0
    return a


def exact_logdet(fermion, field, max_dim: int = 4096) -> float:
    """log det A + flavours_per_det * log|det M_oo| by a dense ``np.linalg.slogdet``.

    This is the log-determinant that :class:`lqcd_core.actions.fermion.TwoFlavourAction`
    represents (``log_det_extra`` is non-zero for even-odd clover only): the weight of
    flavours_per_det flavours is exp(logdet), of nf flavours exp((nf / flavours_per_det)
    logdet), so S_f = -(nf / flavours_per_det) * exact_logdet.
    """
    if not callable(getattr(fermion, "bind", None)):
        raise ValueError(f"fermion must provide bind(field), got {type(fermion).__name__}")
    op = fermion.bind(field)
    a = dense_hermitian(op, max_dim)
    sign, logabs = np.linalg.slogdet(a)
    if abs(sign - 1.0) > 1e-8:
        raise ValueError(f"A is not positive definite on this field (det sign {sign})")
    return float(logabs + op.flavours_per_det * op.log_det_extra())


def pseudofermion_force_sample(action, field, rng: np.random.Generator, samples: int = 1):
    """Refresh phi and return the pseudofermion force (mean over ``samples`` fresh phi):
    an unbiased estimate of grad S_f (module docstring).  Leaves ``action.phi`` at the last
    draw."""
    samples = int(samples)
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    out = None
    for _ in range(samples):
        action.refresh(field, rng)
        f = action.force(field)
        out = f if out is None else out + f
    return out / samples

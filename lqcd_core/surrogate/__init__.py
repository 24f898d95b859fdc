"""Trainable surrogate actions for self-learning HMC (docs/slhmc.md).

* :class:`HeavyFermionSurrogate` (kind ``heavy``): the pseudofermion action of a heavier
  fermion on the true action's phi;
* :class:`StoutNetworkSurrogate` (kind ``neural``): the same on links passed through
  trainable stout layers (Nagai & Tomiya, arXiv:2103.11965);
* :class:`TruncatedFermionSurrogate` (kind ``truncated``): the pseudofermion force from a
  fixed number of CG iterations (not a gradient; exact in SLHMC, :mod:`.truncated`);
* :class:`LoopAction` (kind ``loops``, :mod:`.loops`);
* training (:func:`make_samples`, :func:`train`, :class:`Adam`) and HDF5 storage
  (:func:`save_model`, :func:`load_model`).
"""
from .base import REGISTRY, Surrogate, from_dict, register
from .adam import Adam
from .heavy import HeavyFermionSurrogate
from .neural import StoutNetworkSurrogate
from .truncated import KrylovState, TruncatedFermionSurrogate
from .training import (Sample, TrainingResult, acceptance_estimate, make_samples,
                       residual_stats, train)
from .io import load_model, save_model

try:  # lqcd_core/surrogate/loops.py is being written separately
    from .loops import LoopAction
except ImportError:  # pragma: no cover - until loops.py lands
    LoopAction = None

__all__ = ["Surrogate", "register", "from_dict", "REGISTRY", "HeavyFermionSurrogate",
           "StoutNetworkSurrogate", "TruncatedFermionSurrogate", "KrylovState", "LoopAction", "Adam", "train", "make_samples", "Sample",
           "TrainingResult", "acceptance_estimate", "residual_stats", "save_model",
           "load_model"]

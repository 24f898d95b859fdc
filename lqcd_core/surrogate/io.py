"""Surrogate models in HDF5: the model, its training curve and metadata, checksummed.

File layout::

    attributes of /:
      format = "lqcd_core.surrogate", format_version = 1
      kind                     the registry name of the model
      model_json               Surrogate.to_dict() (kind, config, theta) as JSON text
      training_json            TrainingResult.summary() (theta initial/final/best, best epoch,
                               validation loss, seconds, settings) or "null"
      metadata_json            free JSON dict (e.g. the SLHMC acceptance reached, filled later
                               with update_metadata)
      *_sha256                 SHA-256 of each JSON text (UTF-8) and of each training array
      code_version, created (ISO 8601, UTC)
    /training/epoch, /training/train_loss, /training/val_loss   (only with a training result)

Writes are atomic (:func:`lqcd_core.io.atomic.atomic_path`: temporary file in the target's
directory, fsync, rename/link); an existing file is not replaced unless
``overwrite=True``.  Reading verifies every checksum and raises
:class:`lqcd_core.io.ChecksumError` naming the entry whose checksum disagrees; a file that is
not a readable surrogate raises :class:`lqcd_core.io.FormatError`.  JSON uses the exact
encoding of the checkpoints (:func:`lqcd_core.io.checkpoint.to_json`), so floats round-trip
bit for bit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_path, check_writable
from ..io.checkpoint import code_version, from_json, to_json
from ..io.detect import ChecksumError, FormatError
from .base import from_dict

__all__ = ["save_model", "load_model", "read_model_file", "update_metadata", "ModelRecord"]

FORMAT_NAME = "lqcd_core.surrogate"
FORMAT_VERSION = 1
_JSON_KEYS = ("model", "training", "metadata")
_ARRAYS = ("epoch", "train_loss", "val_loss")


@dataclass
class ModelRecord:
    """Everything stored in a model file."""

    model: object            # the Surrogate (None if not rebuilt)
    model_dict: dict
    training: dict | None    # summary + arrays "epoch", "train_loss", "val_loss"
    metadata: dict
    code_version: str
    created: str
    path: str


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _array_bytes(a) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def _training_parts(training):
    if training is None:
        return None, None
    if isinstance(training, dict):
        summary = {k: v for k, v in training.items() if k not in _ARRAYS}
        arrays = {k: np.asarray(training[k], float) for k in _ARRAYS if k in training}
    else:
        summary = training.summary()
        arrays = {"epoch": training.epochs.astype(float), "train_loss": training.train_loss,
                  "val_loss": training.val_loss}
    return summary, arrays


def save_model(path, model, training=None, metadata=None, overwrite: bool = False) -> Path:
    """Write ``model`` (a Surrogate, or its ``to_dict()``) with an optional training result
    (:class:`TrainingResult` or a dict as returned in ``ModelRecord.training``) and metadata
    (JSON-able dict) to ``path`` atomically.  Refuses to overwrite unless ``overwrite``."""
    import h5py

    check_writable(path, overwrite)
    model_dict = model if isinstance(model, dict) else model.to_dict()
    if "kind" not in model_dict or "theta" not in model_dict:
        raise ValueError("model dict needs 'kind', 'config' and 'theta' (Surrogate.to_dict())")
    summary, arrays = _training_parts(training)
    texts = {"model": to_json(model_dict, "model"), "training": to_json(summary, "training"),
             "metadata": to_json({} if metadata is None else dict(metadata), "metadata")}
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with atomic_path(path, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            a = f.attrs
            a["format"] = FORMAT_NAME
            a["format_version"] = FORMAT_VERSION
            a["kind"] = str(model_dict["kind"])
            for k in _JSON_KEYS:
                a[f"{k}_json"] = texts[k]
                a[f"{k}_sha256"] = _sha(texts[k].encode())
            if arrays:
                g = f.create_group("training")
                for k, arr in arrays.items():
                    g.create_dataset(k, data=np.asarray(arr, dtype="<f8"))
                    a[f"training_{k}_sha256"] = _sha(_array_bytes(arr))
            a["code_version"] = code_version()
            a["created"] = created
    return Path(path)


def _attr_str(a, key):
    v = a[key]
    return v.decode() if isinstance(v, bytes) else str(v)


def read_model_file(path, source=None, build: bool = True) -> ModelRecord:
    """Read and verify a model file; ``build`` rebuilds the surrogate (with ``source``)."""
    import h5py

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise FormatError(f"{p}: not a readable HDF5 file (truncated or corrupted?): "
                          f"{exc}") from None
    try:
        with f:
            a = f.attrs
            if "format" not in a or _attr_str(a, "format") != FORMAT_NAME:
                raise FormatError(f"{p}: HDF5 file is not an lqcd_core surrogate model "
                                  f"(attribute format != {FORMAT_NAME!r})")
            version = int(a["format_version"])
            if version != FORMAT_VERSION:
                raise FormatError(f"{p}: surrogate file format_version {version} is not "
                                  f"supported (expected {FORMAT_VERSION})")
            texts = {k: _attr_str(a, f"{k}_json") for k in _JSON_KEYS}
            shas = {k: _attr_str(a, f"{k}_sha256") for k in _JSON_KEYS}
            arrays, array_shas = {}, {}
            if "training" in f:
                for k in _ARRAYS:
                    if k in f["training"]:
                        arrays[k] = np.asarray(f["training"][k][...], dtype=float)
                        array_shas[k] = _attr_str(a, f"training_{k}_sha256")
            stored_version = _attr_str(a, "code_version")
            created = _attr_str(a, "created")
    except (FormatError, ChecksumError):
        raise
    except (KeyError, OSError, ValueError, TypeError) as exc:
        raise FormatError(f"{p}: damaged or incomplete surrogate model file "
                          f"({type(exc).__name__}: {exc})") from None

    problems = []
    for k in _JSON_KEYS:
        got = _sha(texts[k].encode())
        if got != shas[k]:
            problems.append(f"{k}_json checksum mismatch: stored sha256 {shas[k]}, computed {got}")
    for k, arr in arrays.items():
        got = _sha(_array_bytes(arr))
        if got != array_shas[k]:
            problems.append(f"training/{k} checksum mismatch: stored sha256 {array_shas[k]}, "
                            f"computed {got}")
    if problems:
        raise ChecksumError(f"{p}: file corrupted: " + "; ".join(problems))

    try:
        parsed = {k: from_json(texts[k]) for k in _JSON_KEYS}
    except ValueError as exc:  # pragma: no cover - the checksum guards the text
        raise FormatError(f"{p}: invalid JSON in a surrogate model file ({exc})") from None
    training = parsed["training"]
    if training is not None or arrays:
        training = dict(training or {})
        training.update(arrays)
    model = from_dict(parsed["model"], source=source) if build else None
    return ModelRecord(model=model, model_dict=parsed["model"], training=training,
                       metadata=parsed["metadata"] or {}, code_version=stored_version,
                       created=created, path=str(p))


def load_model(path, source=None):
    """The surrogate stored in ``path`` (checksums verified), sharing ``source``'s phi."""
    return read_model_file(path, source=source).model


def update_metadata(path, **entries) -> Path:
    """Merge ``entries`` into the stored metadata (e.g. acceptance=0.93 after a run);
    the file is verified, then rewritten atomically."""
    rec = read_model_file(path, build=False)
    meta = dict(rec.metadata)
    meta.update(entries)
    return save_model(path, rec.model_dict, training=rec.training, metadata=meta, overwrite=True)

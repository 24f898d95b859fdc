"""Validation of the pipeline configuration against its JSON schema, with defaults.

Errors name the key (``ensembles.su3_small.beta: -1 is less than or equal to the
minimum of 0``) and are raised before any job runs.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .ensemble import EnsembleError, validate_ensemble


class ConfigError(ValueError):
    """The configuration does not satisfy the schema (message names the key)."""


def _path(err) -> str:
    return ".".join(str(p) for p in err.absolute_path) or "(top level)"


def _fill(schema: dict, node, root: dict):
    """Insert defaults of ``schema`` into ``node`` (dicts only), recursively."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        merged = dict(root["$defs"][ref])
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        schema = merged
    if not isinstance(node, dict):
        return node
    for key, sub in schema.get("properties", {}).items():
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if key in node:
            node[key] = _fill(sub, node[key], root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key in node:
            if key not in schema.get("properties", {}):
                node[key] = _fill(extra, node[key], root)
    return node


def load_schema(path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def validate_config(config: dict, schema: dict) -> dict:
    """Validate ``config``, fill defaults, check cross-key rules; returns a new dict."""
    cfg = copy.deepcopy(config)
    errors = sorted(Draft202012Validator(schema).iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(f"config: {_path(e)}: {e.message}{more}")
    cfg = _fill(schema, cfg, schema)
    try:
        for name, ens in cfg["ensembles"].items():
            validate_ensemble(name, ens)
    except EnsembleError as exc:
        raise ConfigError(f"config: {exc}") from None
    return cfg

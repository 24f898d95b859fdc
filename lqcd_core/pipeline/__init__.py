"""The production pipeline's stages as testable functions (the Snakemake rules call them)."""
from .config import ConfigError, load_schema, validate_config
from .ensemble import (PHYSICS_KEYS, EnsembleError, block_of, chain_config, check_physics, n_blocks,
                       physics, saved_trajectories)
from .stages import measure, run_block, thermalize, tune_steps
from .tables import SUMMARY_COLUMNS, concat_measurements, concat_trajectories, summarize

__all__ = ["ConfigError", "load_schema", "validate_config", "PHYSICS_KEYS", "EnsembleError",
           "block_of", "chain_config", "check_physics", "n_blocks", "physics", "saved_trajectories",
           "measure", "run_block", "thermalize", "tune_steps", "SUMMARY_COLUMNS",
           "concat_measurements", "concat_trajectories", "summarize"]

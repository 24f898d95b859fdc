"""Checkpoint target_round: analyse the blocks of one round and decide whether the ensemble
needs more (lqcd_core.pipeline.progress.run_round; docs/adaptive.md)."""
from pathlib import Path

from lqcd_core.pipeline.progress import run_round
from lqcd_core.pipeline.script import setup

setup(snakemake)  # noqa: F821 (injected by Snakemake)
run_round(list(snakemake.input.logs), list(snakemake.input.meas),  # noqa: F821
          list(snakemake.input.flows), snakemake.params.ens, snakemake.params.S,  # noqa: F821
          snakemake.params.round, Path(snakemake.output[0]))  # noqa: F821

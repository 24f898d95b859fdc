"""Rule target_status: the decisions of all rounds of an ensemble with a target, ending with its
stop reason (lqcd_core.pipeline.progress.write_decisions)."""
from pathlib import Path

from lqcd_core.pipeline.progress import write_decisions
from lqcd_core.pipeline.script import setup

setup(snakemake)  # noqa: F821 (injected by Snakemake)
write_decisions(list(snakemake.input), snakemake.params.ens, Path(snakemake.output[0]),  # noqa: F821
                name=snakemake.params.name)  # noqa: F821

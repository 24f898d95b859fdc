"""Rule thermalize: block 0 of one stream (lqcd_core.pipeline.thermalize)."""
from pathlib import Path

from lqcd_core.pipeline import thermalize
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
tuning = thermalize(snakemake.params.ens, int(snakemake.wildcards.stream),  # noqa: F821
                    Path(snakemake.output.checkpoint).parent)  # noqa: F821
log.info(f"thermalised; MD steps frozen at {tuning['steps']}")

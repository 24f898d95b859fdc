"""Rule production_block: continue a stream by one block (lqcd_core.pipeline.run_block; SLHMC
ensembles also get the surrogate model file)."""
from pathlib import Path

from lqcd_core.pipeline import run_block
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
model = snakemake.input.get("model") or []  # noqa: F821 (SLHMC: the frozen surrogate; else empty)
model = [model] if isinstance(model, str) else list(model)
last = run_block(snakemake.params.ens, snakemake.params.block, Path(snakemake.input.previous),  # noqa: F821
                 Path(snakemake.output.checkpoint).parent,  # noqa: F821
                 model=Path(model[0]) if model else None)
log.info(f"block {snakemake.params.block} done at trajectory {last}")  # noqa: F821

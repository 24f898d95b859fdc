"""Rule flow: gradient flow history of one saved configuration, as JSON."""
import json

from lqcd_core.io import atomic_write_bytes
from lqcd_core.pipeline.script import setup
from lqcd_core.pipeline.stages import flow_measure

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
hist = flow_measure(snakemake.params.config, snakemake.params.flow)  # noqa: F821
atomic_write_bytes(snakemake.output[0], (json.dumps(hist) + "\n").encode(), overwrite=True)  # noqa: F821
log.info(f"flowed to t = {hist['t'][-1]:.4f} in {hist['steps']} steps; t2E = {hist['t2E'][-1]:.5f}")

"""Rule measure: gauge observables of one saved configuration, as JSON."""
import json

from lqcd_core.io import atomic_write_bytes
from lqcd_core.pipeline import measure
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
res = measure(snakemake.params.config, snakemake.params.observables,  # noqa: F821
              snakemake.params.wilson_loops)  # noqa: F821
atomic_write_bytes(snakemake.output[0], (json.dumps(res) + "\n").encode(), overwrite=True)  # noqa: F821
log.info(json.dumps(res))

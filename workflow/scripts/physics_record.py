"""Rule physics_record: the physics parameters the ensemble's results belong to."""
import json

from lqcd_core.io import atomic_write_bytes
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
atomic_write_bytes(snakemake.output[0], (json.dumps(snakemake.params.physics, indent=1) + "\n").encode(),  # noqa: F821
                   overwrite=True)
log.info("physics parameters recorded")

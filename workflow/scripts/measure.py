"""Rule measure: observables of one saved configuration (gauge and fermionic), as JSON."""
import json

from lqcd_core.io import atomic_write_bytes
from lqcd_core.pipeline import measure
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
fermionic = snakemake.params.fermionic  # noqa: F821
fermionic = fermionic if isinstance(fermionic, dict) else {}  # Ellipsis: no fermionic measurements
res = measure(snakemake.params.config, snakemake.params.observables,  # noqa: F821
              snakemake.params.wilson_loops,  # noqa: F821
              fermion=fermionic.get("fermion"), fermion_measure=fermionic.get("fermion_measure"))
atomic_write_bytes(snakemake.output[0], (json.dumps(res) + "\n").encode(), overwrite=True)  # noqa: F821
log.info(json.dumps(res))

"""Rule target_report: target.json, the progress table and figure of an ensemble with a target
(lqcd_core.pipeline.progress.write_report)."""
from pathlib import Path

import pandas as pd

from lqcd_core.pipeline.progress import write_report
from lqcd_core.pipeline.script import setup

setup(snakemake)  # noqa: F821 (injected by Snakemake)
inp, out = snakemake.input, snakemake.output  # noqa: F821
flow = pd.read_csv(inp.flow[0]) if len(inp.flow) else None
write_report(Path(inp.status), pd.read_csv(inp.trajectories), pd.read_csv(inp.measurements), flow,
             snakemake.params.ens, snakemake.params.S, Path(out.status), Path(out.progress),  # noqa: F821
             Path(out.plot), name=snakemake.params.name)  # noqa: F821

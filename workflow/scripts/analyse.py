"""Rule analyse: Gamma-method summary of every observable of one ensemble."""
import pandas as pd

from lqcd_core.analysis import format_table
from lqcd_core.pipeline import summarize
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
traj = pd.read_csv(snakemake.input.trajectories)  # noqa: F821
meas = pd.read_csv(snakemake.input.measurements)  # noqa: F821
flow = pd.read_csv(snakemake.input.flow[0]) if len(snakemake.input.flow) else None  # noqa: F821
summary = summarize(traj, meas, snakemake.params.ens, S=snakemake.params.S, flow=flow)  # noqa: F821
summary.to_csv(snakemake.output.summary, index=False)  # noqa: F821
log.info("\n" + format_table(summary))

"""Rule aggregate: the blocks' logs and the measurements as two tidy tables per ensemble."""
from lqcd_core.pipeline import concat_measurements, concat_trajectories
from lqcd_core.pipeline.script import setup
from lqcd_core.pipeline.tables import by_stream

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
traj = concat_trajectories(by_stream(snakemake.input.logs))  # noqa: F821
meas = concat_measurements(by_stream(snakemake.input.meas))  # noqa: F821
traj.to_csv(snakemake.output.trajectories, index=False)  # noqa: F821
meas.to_csv(snakemake.output.measurements, index=False)  # noqa: F821
log.info(f"{len(traj)} trajectories, {len(meas)} measurements")

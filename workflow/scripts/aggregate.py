"""Rule aggregate: the blocks' logs and the measurements as two tidy tables per ensemble."""
import re

from lqcd_core.pipeline import concat_measurements, concat_trajectories
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)


def by_stream(paths):
    out = {}
    for p in paths:
        s = int(re.search(r"/s(\d+)/", str(p)).group(1))
        out.setdefault(s, []).append(p)
    return out


traj = concat_trajectories(by_stream(snakemake.input.logs))  # noqa: F821
meas = concat_measurements(by_stream(snakemake.input.meas))  # noqa: F821
traj.to_csv(snakemake.output.trajectories, index=False)  # noqa: F821
meas.to_csv(snakemake.output.measurements, index=False)  # noqa: F821
log.info(f"{len(traj)} trajectories, {len(meas)} measurements")

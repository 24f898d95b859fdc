"""Rule aggregate_flow: all flow histories of an ensemble as one long table."""
from lqcd_core.pipeline.script import setup
from lqcd_core.pipeline.tables import by_stream, concat_flow

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
table = concat_flow(by_stream(snakemake.input))  # noqa: F821
table.to_csv(snakemake.output[0], index=False)  # noqa: F821
log.info(f"{table[['stream', 'trajectory']].drop_duplicates().shape[0]} flowed configurations")

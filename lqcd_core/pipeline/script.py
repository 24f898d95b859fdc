"""What every pipeline script does first: logging to the rule's log, Numba threads."""
from __future__ import annotations

import logging
import sys


def setup(snakemake) -> logging.Logger:
    """Log to ``snakemake.log[0]`` (and stderr) and give Numba exactly the rule's threads."""
    logger = logging.getLogger("lqcd")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    if len(snakemake.log):
        fh = logging.FileHandler(snakemake.log[0], mode="w")
        fh.setFormatter(fmt)
        logger.addHandler(fh)
    sh = logging.StreamHandler(sys.stderr)
    sh.setFormatter(fmt)
    sh.setLevel(logging.WARNING)
    logger.addHandler(sh)
    import numba
    threads = max(1, min(int(snakemake.threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(threads)
    logger.info(f"rule {snakemake.rule}: {threads} Numba thread(s)")
    return logger

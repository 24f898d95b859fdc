# Shared set-up: validate the configuration (schema + cross-key rules), refuse changed physics
# under existing results, and the path helpers every rule uses.
import hashlib
import json
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from lqcd_core.pipeline import (ConfigError, EnsembleError, block_of, check_physics, load_schema,
                                n_blocks, physics, saved_trajectories, validate_config)
from lqcd_core.pipeline.comparison import algorithm_label, comparison_groups
from lqcd_core.pipeline.target import status_line
from lqcd_core.pipeline.ensemble import flowed_trajectories, is_slhmc, training_streams

_schema = load_schema(workflow.source_path("../schemas/config.schema.yaml"))
try:
    config = validate_config(config, _schema)
    for _name, _ens in config["ensembles"].items():
        check_physics(_name, _ens, Path(config["results"]))
except (ConfigError, EnsembleError) as _exc:
    raise WorkflowError(str(_exc))

RESULTS = config["results"]
ENSEMBLES = config["ensembles"]
RES = config["resources"]
#: {group: [ensembles]} of ensembles that sample the same physics (rule compare_algorithms)
COMPARISON_GROUPS = comparison_groups(ENSEMBLES)


wildcard_constraints:
    ens="|".join(map(re.escape, ENSEMBLES)) if ENSEMBLES else "NONE",
    stream=r"\d+",
    block=r"\d{4}",
    traj=r"\d{6}",


def ens_dir(ens):
    return f"{RESULTS}/{ens}"


def block_dir(ens, stream, block):
    return f"{RESULTS}/{ens}/s{stream}/block{int(block):04d}"


def production_blocks(ens):
    """Production blocks per stream: n_traj / block, or for an ensemble with a target the count
    its last round decided (workflow/rules/target.smk; evaluated lazily in input functions)."""
    e = ENSEMBLES[ens]
    return final_blocks(ens) if e.get("target") else n_blocks(e)


def stream_blocks(ens, stream, blocks=None):
    """Trajectory logs of all blocks of one stream (thermalisation first)."""
    blocks = production_blocks(ens) if blocks is None else blocks
    return [f"{block_dir(ens, stream, b)}/trajectories.csv" for b in range(blocks + 1)]


def stream_measurements(ens, stream, blocks=None):
    e = ENSEMBLES[ens]
    blocks = production_blocks(ens) if blocks is None else blocks
    return [f"{RESULTS}/{ens}/s{stream}/meas/{t:06d}.json"
            for b in range(1, blocks + 1) for t in saved_trajectories(e, b)]


def stream_flows(ens, stream, blocks=None):
    e = ENSEMBLES[ens]
    blocks = production_blocks(ens) if blocks is None else blocks
    return [f"{RESULTS}/{ens}/s{stream}/flow/{t:06d}.json"
            for b in range(1, blocks + 1) for t in flowed_trajectories(e, b)]


def all_flows(ens, blocks=None):
    return [p for s in range(ENSEMBLES[ens]["streams"]) for p in stream_flows(ens, s, blocks)]


def flow_table(ens):
    """The aggregated flow table, if the ensemble is flowed (input of the analysis)."""
    return [f"{RESULTS}/{ens}/flow.csv"] if ENSEMBLES[ens].get("flow") else []


def observables(ens):
    """Observables with plots: the trajectory-level plaquette plus the measured ones."""
    e = ENSEMBLES[ens]
    obs = ["plaquette"]
    if "polyakov" in e["measure"]:
        obs += ["polyakov_re", "polyakov_abs"]
    if "condensate" in e["measure"]:
        obs += ["pbp"]
    return obs


def ensemble_plots(ens):
    out = [f"{RESULTS}/{ens}/plots/{o}_{kind}.png" for o in observables(ens)
           for kind in ("history", "rho", "tauint", "hist")]
    if ENSEMBLES[ens]["algorithm"] in ("hmc", "slhmc"):
        out.append(f"{RESULTS}/{ens}/plots/delta_h.png")
    if is_slhmc(ENSEMBLES[ens]):
        out.append(f"{RESULTS}/{ens}/plots/surrogate_training.png")
    e = ENSEMBLES[ens]
    if e.get("flow"):
        out += [f"{RESULTS}/{ens}/plots/flow_{k}.png" for k in ("t2E", "W")]
        if len(e["lattice"]) == 4 or (len(e["lattice"]) == 2 and e["group"] == "u1"):
            out += [f"{RESULTS}/{ens}/plots/flow_{k}.png" for k in ("Q_history", "Q_hist")]
    return out + correlator_outputs(ens)


def fermionic_params(ens):
    """The quark blocks of the fermionic measurements of an ensemble (param of the measure jobs).

    An ensemble without condensate/correlators gets Ellipsis, a value Snakemake leaves out of its
    params record: with rerun-triggers on params (profiles/default), a new recorded parameter
    would re-measure every saved configuration of existing productions.
    """
    e = ENSEMBLES[ens]
    if not {"condensate", "correlators"} & set(e["measure"]):
        return Ellipsis
    return {"fermion": e.get("fermion"), "fermion_measure": e["fermion_measure"]}


def correlator_outputs(ens):
    """Correlator table and figure of an ensemble that measures correlators (else none)."""
    if "correlators" not in ENSEMBLES[ens]["measure"]:
        return []
    return [f"{RESULTS}/{ens}/correlators.csv", f"{RESULTS}/{ens}/plots/correlators.png"]


def group_of(ens):
    """The comparison group of an ensemble (None if no other ensemble shares its physics)."""
    return next((g for g, members in COMPARISON_GROUPS.items() if ens in members), None)


def all_outputs():
    out = []
    for ens in ENSEMBLES:
        out += [f"{RESULTS}/{ens}/summary.csv"] + ensemble_plots(ens) + target_outputs(ens)
        if group_of(ens):
            out.append(f"{RESULTS}/{ens}/plots/comparison.png")
    out.append(f"{RESULTS}/comparison.csv")
    out += [f"{RESULTS}/comparison/{g}.{ext}" for g in COMPARISON_GROUPS for ext in ("csv", "png")]
    return out


def previous_checkpoint(wc):
    """Input of production block k: the checkpoint of block k-1 (block 0: thermalisation)."""
    return f"{block_dir(wc.ens, wc.stream, int(wc.block) - 1)}/checkpoint.h5"


def config_of(wc):
    """Input of a measurement: the configs directory of the block that saved trajectory traj."""
    e = ENSEMBLES[wc.ens]
    return f"{block_dir(wc.ens, wc.stream, block_of(e, int(wc.traj)))}/configs"


def surrogate_dir(ens):
    """Where the surrogate of an SLHMC ensemble is trained (model.h5, training.csv, summary.json)."""
    return f"{RESULTS}/{ens}/surrogate"


def surrogate_training_input(wc):
    """Input of train_surrogate: the thermalisation checkpoints of the training streams (their
    block0000/train/ configurations are written before the checkpoint)."""
    e = ENSEMBLES[wc.ens]
    return [f"{block_dir(wc.ens, s, 0)}/checkpoint.h5" for s in training_streams(e)]


def surrogate_model(wc):
    """Extra input of the production blocks of an SLHMC ensemble: the frozen surrogate model
    (none for other ensembles, so their jobs keep the inputs they had)."""
    return [f"{surrogate_dir(wc.ens)}/model.h5"] if is_slhmc(ENSEMBLES[wc.ens]) else []


# --- precision-driven production (workflow/rules/target.smk, docs/adaptive.md) ---
def target_key(ens):
    """8 hex digits naming the decisions of the ensemble's current definition (and S)."""
    text = json.dumps({"ens": ENSEMBLES[ens], "S": config["analysis"]["S"]}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def round_file(ens, r):
    return f"{RESULTS}/{ens}/target/{target_key(ens)}/round{r:03d}.json"


def round_decision(ens, r):
    """The decision of round r (raises Snakemake's IncompleteCheckpointException until it exists)."""
    path = checkpoints.target_round.get(ens=ens, key=target_key(ens), round=f"{r:03d}").output[0]
    with open(path) as fh:
        return json.load(fh)


def final_rounds(ens):
    """The decisions of all rounds up to the one that stopped."""
    plans, r = [], 1
    while True:
        plans.append(round_decision(ens, r))
        if plans[-1]["done"]:
            return plans
        r += 1


def final_blocks(ens):
    return final_rounds(ens)[-1]["blocks"]


def round_inputs(wc):
    """Data of round r: the blocks that round r-1 decided (round 1: the n_traj start)."""
    r = int(wc.round)
    blocks = n_blocks(ENSEMBLES[wc.ens]) if r == 1 else round_decision(wc.ens, r - 1)["blocks"]
    streams = range(ENSEMBLES[wc.ens]["streams"])
    return {"logs": [p for s in streams for p in stream_blocks(wc.ens, s, blocks)],
            "meas": [p for s in streams for p in stream_measurements(wc.ens, s, blocks)],
            "flows": all_flows(wc.ens, blocks)}


def target_outputs(ens):
    if not ENSEMBLES[ens].get("target"):
        return []
    return [f"{RESULTS}/{ens}/target/{target_key(ens)}/status.json", f"{RESULTS}/{ens}/target.json",
            f"{RESULTS}/{ens}/plots/progress.png"]

# Lattice gauge theory production pipeline: thermalise (-> train the SLHMC surrogate) ->
# production blocks -> measure -> aggregate -> analyse -> plots -> report.  Configuration:
# config/config.yaml (schema: workflow/schemas/config.schema.yaml); documentation: config/README.md.
from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/surrogate.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/target.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_outputs(),
    default_target: True


onsuccess:
    # precision-driven ensembles: why each one stopped (docs/adaptive.md)
    for _ens in ENSEMBLES:
        _status = Path(f"{RESULTS}/{_ens}/target.json")
        if ENSEMBLES[_ens].get("target") and _status.is_file():
            print(status_line(_ens, json.loads(_status.read_text())))

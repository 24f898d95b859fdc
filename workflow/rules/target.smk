# Precision-driven production (ensembles with a target: block; docs/adaptive.md).
#
# Round 0 is the fixed start (n_traj trajectories per stream). Checkpoint target_round r (r = 1,
# 2, ...) analyses the blocks that round r-1 asked for and decides: stop (target met, or the
# max_traj budget spent) or grow every stream to B_r blocks. The DAG grows by exactly those blocks
# (production_blocks in common.smk walks the rounds), so a finished ensemble has nothing to do
# and a raised target continues the same chains. Round files live under target/<key>/, where key
# hashes the ensemble's definition and S: any change of them starts new decisions from round 1
# (the blocks already produced are reused, never rewritten). The functions that walk the rounds
# are in common.smk (target_key, round_decision, final_rounds, round_inputs, target_outputs).

checkpoint target_round:
    input:
        unpack(round_inputs),
    output:
        f"{RESULTS}/{{ens}}/target/{{key}}/round{{round}}.json",
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
        S=config["analysis"]["S"],
        round=lambda wc: int(wc.round),
    wildcard_constraints:
        key="[0-9a-f]{8}",
        round=r"\d{3}",
    log:
        f"{RESULTS}/logs/{{ens}}/target_{{key}}_round{{round}}.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/target_round.py"


rule target_status:
    input:
        lambda wc: [round_file(wc.ens, p["round"]) for p in final_rounds(wc.ens)],
    output:
        f"{RESULTS}/{{ens}}/target/{{key}}/status.json",
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
        name=lambda wc: wc.ens,
    wildcard_constraints:
        key="[0-9a-f]{8}",
    log:
        f"{RESULTS}/logs/{{ens}}/target_{{key}}_status.log",
    localrule: True
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/target_status.py"


rule target_report:
    input:
        status=lambda wc: f"{RESULTS}/{wc.ens}/target/{target_key(wc.ens)}/status.json",
        trajectories=f"{RESULTS}/{{ens}}/trajectories.csv",
        measurements=f"{RESULTS}/{{ens}}/measurements.csv",
        flow=lambda wc: flow_table(wc.ens),
    output:
        status=f"{RESULTS}/{{ens}}/target.json",
        progress=report(f"{RESULTS}/{{ens}}/progress.csv", caption="../report/target.rst",
                        category="{ens}", subcategory="target"),
        plot=report(f"{RESULTS}/{{ens}}/plots/progress.png", caption="../report/target.rst",
                    category="{ens}", subcategory="target"),
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
        name=lambda wc: wc.ens,
        S=config["analysis"]["S"],
    log:
        f"{RESULTS}/logs/{{ens}}/target_report.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/target_report.py"

# Analysis: tidy tables per ensemble, the Gamma-method summary, and a comparison of ensembles.


rule aggregate:
    input:
        logs=lambda wc: [p for s in range(ENSEMBLES[wc.ens]["streams"]) for p in stream_blocks(wc.ens, s)],
        meas=lambda wc: [p for s in range(ENSEMBLES[wc.ens]["streams"])
                         for p in stream_measurements(wc.ens, s)],
    output:
        trajectories=f"{RESULTS}/{{ens}}/trajectories.csv",
        measurements=f"{RESULTS}/{{ens}}/measurements.csv",
    params:
        streams=lambda wc: ENSEMBLES[wc.ens]["streams"],
    log:
        f"{RESULTS}/logs/{{ens}}/aggregate.log",
    threads: RES["analyse"]["threads"]
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/aggregate.py"


rule aggregate_flow:
    input:
        lambda wc: all_flows(wc.ens),
    output:
        f"{RESULTS}/{{ens}}/flow.csv",
    log:
        f"{RESULTS}/logs/{{ens}}/aggregate_flow.log",
    threads: RES["analyse"]["threads"]
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/aggregate_flow.py"


rule analyse:
    input:
        trajectories=f"{RESULTS}/{{ens}}/trajectories.csv",
        measurements=f"{RESULTS}/{{ens}}/measurements.csv",
        flow=lambda wc: flow_table(wc.ens),
    output:
        summary=report(f"{RESULTS}/{{ens}}/summary.csv", caption="../report/summary.rst",
                       category="{ens}", subcategory="tables"),
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
        S=config["analysis"]["S"],
    log:
        f"{RESULTS}/logs/{{ens}}/analyse.log",
    threads: RES["analyse"]["threads"]
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/analyse.py"


rule compare:
    input:
        expand(f"{RESULTS}/{{ens}}/summary.csv", ens=list(ENSEMBLES)),
    output:
        table=report(f"{RESULTS}/comparison.csv", caption="../report/comparison.rst",
                     category="comparison"),
        plot=report(f"{RESULTS}/comparison.png", caption="../report/comparison.rst",
                    category="comparison"),
    params:
        ensembles=list(ENSEMBLES),
        algorithms=[ENSEMBLES[e]["algorithm"] for e in ENSEMBLES],
    log:
        f"{RESULTS}/logs/compare.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/compare.py"


rule correlators:
    input:
        measurements=f"{RESULTS}/{{ens}}/measurements.csv",
        summary=f"{RESULTS}/{{ens}}/summary.csv",
    output:
        table=report(f"{RESULTS}/{{ens}}/correlators.csv", caption="../report/correlators.rst",
                     category="{ens}", subcategory="correlators"),
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
        S=config["analysis"]["S"],
    log:
        f"{RESULTS}/logs/{{ens}}/correlators.log",
    threads: RES["analyse"]["threads"]
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/correlators.py"


rule compare_algorithms:
    input:
        lambda wc: [f"{RESULTS}/{e}/summary.csv" for e in COMPARISON_GROUPS[wc.group]],
    output:
        table=report(f"{RESULTS}/comparison/{{group}}.csv", caption="../report/agreement.rst",
                     category="comparison", subcategory="{group}"),
        plot=report(f"{RESULTS}/comparison/{{group}}.png", caption="../report/agreement.rst",
                    category="comparison", subcategory="{group}"),
    params:
        ensembles=lambda wc: COMPARISON_GROUPS[wc.group],
        labels=lambda wc: {e: algorithm_label(ENSEMBLES[e]) for e in COMPARISON_GROUPS[wc.group]},
        alpha=config["analysis"]["agreement_alpha"],
    wildcard_constraints:
        group="|".join(map(re.escape, COMPARISON_GROUPS)) if COMPARISON_GROUPS else "NONE",
    log:
        f"{RESULTS}/logs/compare_{{group}}.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/compare_algorithms.py"


rule ensemble_comparison:
    input:
        lambda wc: f"{RESULTS}/comparison/{group_of(wc.ens)}.csv",
    output:
        report(f"{RESULTS}/{{ens}}/plots/comparison.png", caption="../report/agreement.rst",
               category="{ens}", subcategory="comparison"),
    params:
        title=lambda wc: f"{wc.ens} among {group_of(wc.ens)}",
    log:
        f"{RESULTS}/logs/{{ens}}/plots_comparison.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/ensemble_comparison.py"

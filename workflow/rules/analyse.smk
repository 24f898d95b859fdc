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

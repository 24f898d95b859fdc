"""Markdown tables (for docs/performance.md) from a bench_dirac.py JSON result:
``python bench/bench_dirac.py --report FILE`` or ``report(doc)``."""
from __future__ import annotations

LABELS = {
    "wilson": "Wilson M",
    "wilson_clover": "Wilson–clover M (csw = 1)",
    "wilson_eo": "Wilson even-odd M̂",
    "wilson_clover_eo": "Wilson–clover even-odd M̂",
    "staggered": "staggered M",
    "staggered_eo": "staggered even-odd A",
    "wilson_eo_normal": "Wilson M̂†M̂",
    "wilson_clover_eo_normal": "Wilson–clover M̂†M̂",
    "wilson_access": "access pattern of Wilson M (adds only)",
    "staggered_access": "access pattern of staggered M (adds only)",
}


def _f(x, fmt="{:.1f}"):
    return "–" if x is None else fmt.format(x)


def _pct(x):
    return "–" if x is None else f"{100 * x:.0f} %"


def _busy(e):
    b = e.get("others_cpu_fraction")
    return "–" if b is None else f"{100 * b:.0f} %"


def render_markdown(doc: dict) -> str:
    m, lim, C = doc["machine"], doc["machine"]["limits"], doc["counts"]
    nts = [str(t) for t in doc["settings"]["threads"]]
    L = [f"Machine: {m['cpu_model']}, {m['logical_cpus']} CPUs, Numba {m['numba_version']} "
         f"({m.get('numba_threading_layer')}); run {doc['date']} ({doc['mode']}).", "",
         "| threads | triad GB/s (STREAM, 24 B) | FMA peak GFLOP/s (SIMD) | FMA peak GFLOP/s (scalar) |",
         "|---|---|---|---|"]
    for nt in nts:
        t, f = lim["triad"][nt], lim["fma"][nt]
        L.append(f"| {nt} | {t['gbytes_per_s_stream']:.1f} | {f['gflops']:.1f} | {f['gflops_scalar']:.1f} |")
    L += ["", "| operator | lattice | threads | ns/site | applications/s | flop/site | bytes/site | "
          "GFLOP/s | GB/s | roofline ns/site | of roofline | of scalar FMA peak | others' CPU |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, ops in doc["operators"].items():
        for name, res in ops.items():
            for nt in nts:
                e = res.get(nt)
                if e:
                    L.append(f"| {LABELS.get(name, name)} | {key} | {nt} | **{e['ns_per_site']:.0f}** | "
                             f"{e['applications_per_second']:,.0f} | {C[name]['flops']:.0f} | "
                             f"{C[name]['bytes']:.0f} | {e['gflops']:.1f} | {e['gbytes_per_s']:.1f} | "
                             f"{e['roofline_ns_per_site']:.0f} | {_pct(e['fraction_of_roofline'])} | "
                             f"{_pct(e['fraction_of_scalar_fma_peak'])} | {_busy(e)} |")
    acc = doc.get("access_pattern") or {}
    if acc:
        L += ["", "| kernel | lattice | threads | ns/site | GB/s | of roofline | same bytes as: ns/site |",
              "|---|---|---|---|---|---|---|"]
        for key, ks in acc.items():
            for name, res in ks.items():
                for nt in nts:
                    e = res.get(nt)
                    ref = doc["operators"][key][res["same_bytes_as"]].get(nt)
                    if e:
                        L.append(f"| {LABELS.get(name, name)} | {key} | {nt} | {e['ns_per_site']:.0f} | "
                                 f"{e['gbytes_per_s']:.1f} | {_pct(e['fraction_of_roofline'])} | "
                                 f"{LABELS[res['same_bytes_as']]}: {_f(ref and ref['ns_per_site'], '{:.0f}')} |")
    L += ["", "| CG iteration on | lattice | threads | **ns/site/iter.** | operator | linear algebra "
          "| of which BLAS kernels | linalg share | roofline ns/site | of roofline | others' CPU |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, cgs in doc["cg"].items():
        for name, res in cgs.items():
            if not isinstance(res, dict):
                continue
            for nt in nts:
                e = res.get(nt)
                if e:
                    L.append(f"| {LABELS.get(name, name)} | {key} | {nt} | **{e['ns_per_site']:.0f}** | "
                             f"{e['operator_ns_per_site']:.0f} | {e['linalg_ns_per_site']:.0f} | "
                             f"{e['blas_kernels_ns_per_site']:.0f} | {_pct(e['linalg_share'])} | "
                             f"{e['roofline_ns_per_site']:.0f} | {_pct(e['fraction_of_roofline'])} | {_busy(e)} |")
    tr = doc.get("trajectory", {})
    if "skipped" not in tr:
        L += ["", f"HMC trajectories on {tr['lattice']}, β = {tr['beta']}, Omelyan, τ = 1 "
              f"(start: {tr['start']}):", "",
              "| fermion | steps | threads | s/traj. | solver s | CG iter. | Dirac applications | s/application "
              "| solver share | Dirac share (appl. × time) | Dirac share of solver (est.) | fermion outside solver "
              "| bind | outside fermion | acc. | others' CPU |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, res in tr.items():
            if not isinstance(res, dict) or "fermion" not in res:
                continue
            fs = res["fermion"]
            label = (f"Wilson–clover κ = {fs['kappa']}, csw = {fs['csw']}, nf = {fs['nf']}"
                     if fs["type"] == "wilson" else f"staggered m = {fs['mass']}, nf = {fs['nf']}")
            for nt in nts:
                e = res.get(nt)
                if e:
                    L.append(f"| {label} | {res.get('steps', tr.get('steps'))} | {nt} | "
                             f"{e['seconds_per_trajectory']:.2f} | "
                             f"{e['solver_seconds']:.2f} | {e['solver_iterations']:.0f} | "
                             f"{e['dirac_applications']:.0f} | {1e3 * e['seconds_per_application']:.2f} ms | "
                             f"{_pct(e['solver_share'])} | {_pct(e['dirac_share'])} | "
                             f"{_pct(e.get('dirac_share_of_solver_estimate'))} | "
                             f"{_pct(e['fermion_outside_solver_share'])} | {_pct(e['bind_share'])} | "
                             f"{_pct(e['outside_fermion_share'])} | {e['acceptance']:.2f} | {_busy(e)} |")
        comp = [(name, nt, e) for name, res in tr.items() if isinstance(res, dict) and "fermion" in res
                for nt, e in res.items() if isinstance(e, dict) and "seconds_per_call" in e]
        if comp:
            L += ["", "| fermion | threads | bind ms | apply ms | hermitian_deriv ms | log_det_extra_force ms "
                  "| mean solve ms | fermion outside solver per force evaluation ms |",
                  "|---|---|---|---|---|---|---|---|"]
            for name, nt, e in comp:
                c, pf = e["seconds_per_call"], e["per_force_evaluation_seconds"]
                ms = lambda v: "–" if v is None else f"{1e3 * v:.1f}"  # noqa: E731
                L.append(f"| {name} | {nt} | {ms(c.get('bind'))} | {ms(c.get('apply'))} | "
                         f"{ms(c.get('hermitian_deriv'))} | {ms(c.get('log_det_extra_force'))} | "
                         f"{ms(pf['solve'])} | {ms(pf['outside_solver'])} |")
    L += ["", "| comparison | value |", "|---|---|"]
    for k, v in doc["comparison"].items():
        if k == "ratio_definition":
            continue
        if isinstance(v, list):
            v = f"{v[0]:.2f}–{v[1]:.2f}" if abs(v[0] - v[1]) > 5e-3 else f"{v[0]:.2f}"
        elif isinstance(v, float):
            v = f"{v:.2f}"
        L.append(f"| {k} | {v} |")
    return "\n".join(L) + "\n"


report = render_markdown

"""Benchmarks of lqcd_core (run as scripts: python bench/bench_gauge.py); see bench/README.md."""

"""Benchmarks: `quality` (MaxMatch scores on the Arabic GEC test sets, pair accuracy) and `speed`.

Each module owns one benchmark and returns plain results; `nahawi.cli.bench` prints them.
"""

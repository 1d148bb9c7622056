"""The benchmark harness of `sweep`: `python -m bench.run [--quick | --smoke]` (see bench/run.py)."""

"""``python -m bench.quality.pool A.json B.json ... [--out POOLED.json]``: several bench results as one.

Seeds are the bench's unit: each seed's runs (every method's) are independent of the other seeds', so the runs
of several results taken with the same budget, epoch cap, cores and preset, over different seeds
(``--first-seed``), pool into one table over all their seeds, with the targets evaluated on it (the paired
comparison pairs each seed's runs, which a result always holds together). Results that disagree on the
setting, or hold the same method at the same seed twice, are refused: their figures would not be one
experiment's.

Example:
    >>> setting({"preset": "p", "cores": 2, "mode": {"budget_s": 120.0, "epochs": 30, "name": "full"}, "runs": []})
    {'preset': 'p', 'cores': 2, 'budget_s': 120.0, 'epochs': 30}
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.quality.aggregate import run_figures
from bench.quality.modes import Mode
from bench.quality.run import finish
from bench.report import RESULTS


class PoolError(ValueError):
    """Results that cannot be pooled; the message is one line naming the file and what differs."""


def setting(result: dict[str, Any], path: str = "") -> dict[str, Any]:
    """What must agree between pooled results: the same experiment, run again on other seeds.

    Raises:
        PoolError: `result` (read from `path`) is not a quality bench result.
    """
    if not isinstance(result, dict) or not isinstance(result.get("runs"), list):
        raise PoolError(f"{path}: not a quality bench result (no runs)")
    try:
        mode = result["mode"]
        return {
            "preset": result["preset"],
            "cores": result["cores"],
            "budget_s": mode["budget_s"],
            "epochs": mode["epochs"],
        }
    except (KeyError, TypeError) as err:
        raise PoolError(f"{path}: not a quality bench result (no {err})") from None


def pool(results: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]], Mode]:
    """The pooled result's header, its runs and its mode, from `results` (path → loaded JSON)."""
    if not results:
        raise PoolError("nothing to pool: give the results to pool (bench/results/quality-*.json)")
    first_path, first = next(iter(results.items()))
    want = setting(first, first_path)
    runs: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], str] = {}
    methods: dict[str, str] = {}
    for path, result in results.items():
        got = setting(result, path)
        for key in want:
            if got[key] != want[key]:
                raise PoolError(f"{path}: {key} is {got[key]!r}, {first_path} has {want[key]!r}: "
                                "pool only results of the same setting")  # fmt: skip
        for run in result["runs"]:
            where = (run["method"], int(run["seed"]))
            if where in seen:
                raise PoolError(f"{path}: {run['method']} seed {where[1]} is in {seen[where]} too: "
                                "pool results of different seeds (./dev bench quality --first-seed N)")  # fmt: skip
            seen[where] = path
            if run.get("found_model") and run.get("trials_detail"):  # figures as this bench computes them now
                run = {**run, "figures": run_figures(run["trials_detail"], float(want["budget_s"]))}
            runs.append(run)
        methods.update(result["methods"])
    seeds = sorted({seed for _, seed in seen})
    known = {field.name for field in dataclasses.fields(Mode)}
    mode = dataclasses.replace(Mode(**{k: v for k, v in first["mode"].items() if k in known}), seeds=len(seeds))
    header = {
        "mode": mode.to_dict(),
        "pooled_from": list(results),
        "seeds": seeds,
        "cores": want["cores"],
        "preset": want["preset"],
        "spec": first["spec"],
        "methods": methods,
        "notes": list(dict.fromkeys(note for result in results.values() for note in result.get("notes", []))),
    }
    return header, runs, mode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.quality.pool", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", nargs="+", type=Path, help="quality bench results (JSON) to pool")
    parser.add_argument("--out", type=Path, help="JSON path (default bench/results/quality-pooled-<stamp>.json)")
    args = parser.parse_args(argv)
    try:
        loaded = {}
        for path in args.results:
            try:
                loaded[str(path)] = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as err:
                raise PoolError(f"{path}: not a readable bench result ({err})") from None
        header, runs, mode = pool(loaded)
    except PoolError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = args.out or RESULTS / f"quality-pooled-{time.strftime('%Y%m%d-%H%M%S')}.json"
    finish(header, runs, mode, header["cores"], out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One report path for every bench: the result's header, a summary per runner (or method) over repetitions
(or seeds), its markdown table, the targets' lines, and the JSON written under bench/results/.

Example:
    >>> cell({"mean": 0.65, "ci95": 0.01}, "{:.3f}"), cell(None, "{:.1f}"), cell(2.0, "{:.1f}")
    ('0.650 ± 0.010', '–', '2.0')
    >>> summarize([{"runner": "a", "ok": True, "wall": 3.0}, {"runner": "a", "ok": False}], "runner", {"wall": None})
    {'a': {'runs': 1, 'failed': 1, 'wall': 3.0}}
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.measure import REPO

RESULTS = REPO / "bench" / "results"
Column = tuple[str, str, str]  # (key in a summary row, title, format)


def arguments(prog: str, doc: str | None, quick: str, smoke: str, stem: str) -> argparse.ArgumentParser:
    """A bench's command line: its size (``--quick`` | ``--smoke``; full without), the cores every run gets, where
    the JSON goes (default ``bench/results/<stem><stamp>.json``) and ``--keep`` (the runs' scratch directories)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help=quick)
    size.add_argument("--smoke", action="store_true", help=smoke)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores every run gets")
    parser.add_argument("--out", type=Path, help=f"JSON path (default bench/results/{stem}<stamp>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the runs' scratch directories")
    return parser


@contextmanager
def running(result: dict[str, Any], prefix: str, keep: bool) -> Iterator[Path]:
    """The bench's scratch directory (removed afterwards unless `keep`); `result` gets the bench's seconds and
    the load at its end."""
    scratch, began = Path(tempfile.mkdtemp(prefix=prefix)), time.perf_counter()
    try:
        yield scratch
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
        result.update(bench_seconds=time.perf_counter() - began, load_at_end=list(os.getloadavg()))


def header(**fields: Any) -> dict[str, Any]:
    """The start of a result: when, on what machine, under what load, and the bench's own `fields`."""
    return {
        **fields,
        "started_at": time.strftime("%Y%m%d-%H%M%S"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_at_start": list(os.getloadavg()),
    }


def summarize(
    records: list[dict[str, Any]],
    by: str,
    figures: dict[str, Callable[[dict[str, Any]], Any] | None],
    stat: Callable[[list[float]], Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per value of `by` (the runner, the method): its runs, its failed runs, and `stat` (default: the median,
    None for no values) over its ok runs of each figure (a record's own key when its getter is None); values
    that are missing or NaN are left out."""
    stat = stat or median
    out: dict[str, dict[str, Any]] = {}
    for group in dict.fromkeys(r[by] for r in records):
        mine = [r for r in records if r[by] == group and r.get("ok")]
        row: dict[str, Any] = {"runs": len(mine), "failed": sum(1 for r in records if r[by] == group) - len(mine)}
        for name, get in figures.items():
            raw = [r.get(name) if get is None else get(r) for r in mine]
            values = [float(v) for v in raw if isinstance(v, int | float) and not math.isnan(v)]
            row[name] = stat(values)
        out[group] = row
    return out


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def cell(value: Any, fmt: str) -> str:
    """A number in `fmt`, ``mean ± ci95`` for a figure over seeds (``mean`` alone for one seed), ``–`` for none."""
    if isinstance(value, dict):
        if value.get("mean") is None:
            return "–"
        text = fmt.format(value["mean"])
        return text if value.get("ci95") is None else f"{text} ± {fmt.format(value['ci95'])}"
    return "–" if value is None else fmt.format(value)


def table(summary: dict[str, dict[str, Any]], columns: tuple[Column, ...], labels: dict[str, str] | None = None) -> str:
    """One row per summary key (its label first, titled by the first column); a column no row has a figure for
    is left out."""
    shown = [c for c in columns[1:] if any(row.get(c[0]) is not None for row in summary.values())]
    lines = ["| " + " | ".join(title for _, title, _ in (columns[0], *shown)) + " |", "|" + "---|" * (1 + len(shown))]
    for key, row in summary.items():
        cells = [(labels or {}).get(key, key), *(cell(row.get(name), fmt) for name, _, fmt in shown)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target(name: str, met: bool | None, figures: str) -> dict[str, Any]:
    """One of a bench's targets: met (True/False) or not measured (None), with the figures that decide it."""
    return {"target": name, "met": met, "figures": figures}


def publish(result: dict[str, Any], out: Path, sections: list[str]) -> None:
    """Writes `result` to `out` and prints `sections`, its targets, its notes and where the JSON went."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    print("\n".join(sections))
    mark = {True: "met", False: "NOT met", None: "not measured"}
    print("\nTargets:\n" + "\n".join(f"- {mark[t['met']]}: {t['target']} ({t['figures']})" for t in result["targets"]))
    for note in result["notes"]:
        print(f"note: {note}")
    print(f"\nJSON: {out}")


def phase_lines(records: list[dict[str, Any]]) -> list[str]:
    """Per runner, the median seconds of each phase (from the process's start) and what no phase covers."""
    by_runner: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if record.get("ok") and isinstance(record.get("phases"), dict):
            for name, value in record["phases"].items():
                by_runner[record["runner"]][name].append(float(value))
            for key in ("unaccounted", "before_start", "after_phases"):
                if record.get(key) is not None:
                    by_runner[record["runner"]][key].append(record[key])
            by_runner[record["runner"]]["wall"].append(record["wall"])
    lines = []
    for runner, phases in by_runner.items():
        parts = [f"{name} {statistics.median(values):.2f}" for name, values in phases.items() if name != "wall"]
        lines.append(f"- {runner} (wall {statistics.median(phases['wall']):.1f} s): " + ", ".join(parts))
    return lines

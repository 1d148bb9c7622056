"""The damaged-directory corpus: one good sweep directory (tests/fixtures/legacy-per-round-sweep), and a table
of ways to damage each file the layout names (sweep.store.layout.SweepDir). Each case is run through every
command that reads a sweep directory (tests/fuzz/test_damaged_dirs.py).

A case names the file it damages, how, and which readers must refuse it: `load` (sweep.json and the tables,
read by every command), `spec` (spec.yaml: analyze, retest, resume), `run` (what only the commands that run
trials need: retest, resume), `edited` (a spec inconsistent with its rounds: analyze), `rounds` (the round
spaces: analyze, retest, resume), `plans` (plans and regions: retest and resume). A case refused by no reader
must read, with at most a `warning:` line.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-per-round-sweep"
JUNK = bytes(range(128, 256)) * 4  # not UTF-8, not CSV, not JSON
TAG = "!!python/object/apply:os.system ['touch /tmp/sweep-pwned']\n"


@dataclass(frozen=True)
class Damage:
    """One damaged file: which, how (a function of the sweep directory), and who must refuse it."""

    name: str
    file: str  # relative to the sweep directory
    damage: Callable[[Path], None]
    refused_by: str  # "load", "spec", "rounds", "plans", or "" (reads, maybe with a warning)
    expect: str = ""  # a fragment of the error line (besides the file's name)


def _write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    return apply


def _edit(relative: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.write_text(change(path.read_text()))

    return apply


def _cut(relative: str, keep: float) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return apply


def _loop(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.unlink()
        os.symlink(path.name, path)  # points at itself

    return apply


def _dir(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.unlink()
        path.mkdir()

    return apply


def _remove(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return apply


def _json_key(key: str, value: str) -> Callable[[Path], None]:
    import json

    def change(text: str) -> str:
        data = json.loads(text)
        data[key] = json.loads(value)
        return json.dumps(data)

    return _edit("sweep.json", change)


STATE, SPEC, TRIALS, HISTORY = "sweep.json", "spec.yaml", "trials.csv", "history.csv"
ROUND, PLAN, REGIONS = "rounds/round-1.yaml", "rounds/round-1.plan.csv", "rounds/round-2.regions.yaml"

CASES = [
    # sweep.json: every reader needs it
    Damage("state-truncated", STATE, _cut(STATE, 0.5), "load", "not valid JSON (cut off"),
    Damage("state-json-list", STATE, _write(STATE, "[1, 2, 3]\n"), "load", "holds a JSON list, not an object"),
    Damage("state-empty", STATE, _write(STATE, ""), "load", "not valid JSON"),
    Damage("state-junk", STATE, _write(STATE, JUNK), "load", "not UTF-8 text"),
    Damage("state-null", STATE, _write(STATE, "null"), "load", "holds null"),
    Damage("state-rounds-text", STATE, _json_key("rounds", '"two"'), "load", "rounds is a str, not a list"),
    Damage("state-options-list", STATE, _json_key("options", "[]"), "load", "options is a list"),
    Damage("state-mode", STATE, _json_key("mode", '"maximize"'), "load", "mode is 'maximize'"),
    Damage("state-round-entry", STATE, _json_key("rounds", '[{"number": "1"}]'), "load", "rounds[0].number"),
    Damage("state-params-number", STATE, _json_key("params", "5"), "load", "params is a int"),
    Damage("state-started-text", STATE, _json_key("started_at", '"yesterday"'), "load", "started_at is a str"),
    Damage(
        "state-summary-statuses", STATE, _json_key("summary", '{"statuses": [1]}'), "load", "summary.statuses is a list"
    ),  # fmt: skip
    Damage("state-deep", STATE, _write(STATE, "[" * 100_000), "load", "not valid JSON"),
    Damage("state-symlink-loop", STATE, _loop(STATE), "load", "symlink"),
    Damage("state-directory", STATE, _dir(STATE), "load", "not found"),
    # spec.yaml: read by analyze (scales, advice) and by everything that runs trials
    Damage("spec-yaml-tag", SPEC, _write(SPEC, TAG), "spec", "holds a YAML tag sweep does not load"),
    Damage("spec-syntax", SPEC, _write(SPEC, "name: [unclosed\nspace: {\n"), "spec", "not valid YAML"),
    Damage("spec-list", SPEC, _write(SPEC, "- a\n- b\n"), "spec", "not a spec"),
    Damage("spec-junk", SPEC, _write(SPEC, JUNK), "spec", "not UTF-8 text"),
    Damage(
        "spec-bad-samples", SPEC, _edit(SPEC, lambda t: t.replace("samples: 4", "samples: -1")), "spec", "samples"
    ),  # fmt: skip
    Damage("spec-empty", SPEC, _write(SPEC, ""), "spec", "not a spec"),
    Damage("spec-directory", SPEC, _dir(SPEC), "run", "a directory where a file belongs"),
    Damage(
        "spec-scale-edited",
        SPEC,
        _edit(SPEC, lambda t: t.replace("loguniform:", "uniform:", 1)),
        "edited",
        "lr is uniform here but round 1 ran it loguniform",
    ),  # fmt: skip
    Damage("spec-deleted", SPEC, _remove(SPEC), "run", "cannot read it"),  # analyze reads it where it is
    # the round spaces, plans and regions
    Damage("round-yaml-tag", ROUND, _write(ROUND, TAG), "rounds", "holds a YAML tag"),
    Damage("round-list", ROUND, _write(ROUND, "- lr\n"), "rounds", "not a search space"),
    Damage("round-bad-scale", ROUND, _write(ROUND, "lr:\n  loguniform: [0, 1]\n"), "rounds", "not a valid search"),
    Damage("round-junk", ROUND, _write(ROUND, JUNK), "rounds", "not UTF-8 text"),
    Damage("round-truncated", ROUND, _write(ROUND, "lr:\n  loguniform: [0.001,\n"), "rounds", "not valid YAML"),
    Damage("rounds-deleted", "rounds", _remove("rounds"), "", ""),  # scales from spec.yaml, with a note
    Damage(
        "plan-no-plan-id", PLAN, _edit(PLAN, lambda t: t.replace(",plan_id\n", ",planid\n", 1)), "plans", "no plan_id"
    ),  # fmt: skip
    Damage("plan-junk", PLAN, _write(PLAN, JUNK), "plans", "not UTF-8 text"),
    Damage("plan-empty", PLAN, _write(PLAN, ""), "plans", "not a readable CSV"),
    Damage("regions-yaml-tag", REGIONS, _write(REGIONS, TAG), "plans", "holds a YAML tag"),
    # trials.csv and history.csv: read by every command
    Damage(
        "trials-no-status",
        TRIALS,
        _edit(TRIALS, lambda t: t.replace(",status,", ",state,", 1)),
        "load",
        "has no status column",
    ),  # fmt: skip
    Damage("trials-junk", TRIALS, _write(TRIALS, JUNK), "load", "has no plan_id"),
    Damage("trials-directory", TRIALS, _dir(TRIALS), "load", "a directory where a table belongs"),
    Damage("trials-symlink-loop", TRIALS, _loop(TRIALS), "load", "cannot read it"),
    Damage("trials-extra-field", TRIALS, _edit(TRIALS, lambda t: t + "r9-000,x,1,,completed,1,1\n"), ""),
    Damage("trials-unknown-status", TRIALS, _edit(TRIALS, lambda t: t.replace(",pruned,", ",halted,", 1)), ""),
    Damage("trials-cut-mid-row", TRIALS, _cut(TRIALS, 0.8), ""),
    Damage("trials-open-quote", TRIALS, _edit(TRIALS, lambda t: t + 'r9-001,"unclosed\n'), ""),
    Damage("trials-empty", TRIALS, _write(TRIALS, ""), ""),
    Damage("trials-header-only", TRIALS, _edit(TRIALS, lambda t: t.split("\n", 1)[0] + "\n"), ""),
    Damage(
        "history-no-epoch",
        HISTORY,
        _edit(HISTORY, lambda t: t.replace(",epoch,", ",ep,", 1)),
        "load",
        "has no epoch column",
    ),  # fmt: skip
    Damage("history-junk", HISTORY, _write(HISTORY, JUNK), "load", "has no plan_id"),
    Damage("history-text-metric", HISTORY, _edit(HISTORY, lambda t: t.replace(",1,21.9", ",one,21.9", 1)), ""),
    Damage("history-cut", HISTORY, _cut(HISTORY, 0.5), ""),
    # the other tables and logs
    Damage("retest-junk", "retest.csv", _write("retest.csv", JUNK), ""),
    Damage("retest-summary-open-quote", "retest_summary.csv", _write("retest_summary.csv", 'a,b\n"x,1\n'), ""),
    Damage("pbt-changes-short-row", "pbt_changes.csv", _write("pbt_changes.csv", "a,b\n1\n"), ""),
    Damage("errors-log-junk", "trial-errors.log", _write("trial-errors.log", JUNK), ""),
    Damage("ray-log-junk", "ray-tune.log", _write("ray-tune.log", JUNK), ""),
]


def make_sweep(parent: Path, name: str = "fixture-20261204-120000") -> Path:
    """A copy of the good sweep directory under `parent`."""
    root = parent / name
    shutil.copytree(FIXTURE, root, symlinks=True)
    return root

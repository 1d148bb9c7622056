"""Every damaged file of a sweep directory, through every command that reads one: one `error:` line naming the
file (exit 2), or a read with at most `warning:` lines; never `unexpected`, never a traceback, and never Ray
started for a directory that is damaged. `sweep ls` lists a damaged sweep as such beside a good one, and
`sweep.load` raises a SweepError subclass."""

from __future__ import annotations

import contextlib
import io
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import sweep
from sweep.store.damage import DamagedSweep
from sweep.store.tables import TableWarning
from sweep_errors import SweepError
from tests.fuzz.damaged_dirs import CASES, Damage, make_sweep

COMMANDS = ["show", "export", "analyze", "ls", "retest", "resume", "load"]
REFUSED_BY = {
    "load": set(COMMANDS) - {"ls"},  # ls lists the sweep as damaged instead
    "spec": {"analyze", "retest", "resume"},
    "run": {"retest", "resume"},
    "edited": {"analyze"},
    "rounds": {"analyze", "retest", "resume"},
    "plans": {"retest", "resume"},
    "": set(),
}


class RayWouldStart(BaseException):
    """Raised where Ray would start: the directory passed every check of the command."""


@dataclass
class Outcome:
    code: int | str  # an exit code, or "ray" (checks passed, Ray would start), or "raised"
    stdout: str
    stderr: str
    escaped: str = ""


@pytest.fixture(autouse=True)
def _no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RayWouldStart

    monkeypatch.setattr("sweep.run.driver_loop.connect", refuse)
    monkeypatch.setattr("sweep.cluster.local.connect", refuse)


def _run(args: list[str]) -> Outcome:
    from sweep.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str = 0
    escaped = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except RayWouldStart:
            code = "ray"
        except BaseException:  # noqa: BLE001  (what a user would see as a traceback)
            escaped, code = traceback.format_exc(), "raised"
    return Outcome(code, out.getvalue(), err.getvalue(), escaped)


def _args(command: str, root: Path, tmp: Path) -> list[str]:
    return {
        "show": ["show", str(root)],
        "export": ["export", str(root), "-o", str(tmp / "out.csv")],
        "analyze": ["analyze", str(root), "--no-plots"],
        "ls": ["ls", str(root.parent)],
        "retest": ["retest", str(root), "--top", "1", "--seeds", "1", "--quiet"],
        "resume": ["resume", str(root), "--quiet"],
    }[command]


def _problems(case: Damage, command: str, tmp: Path) -> list[str]:
    good = make_sweep(tmp / "sweeps", "good-20261204-110000")
    root = make_sweep(tmp / "sweeps")
    case.damage(root)
    refused = command in REFUSED_BY[case.refused_by]
    named = Path(case.file).name
    if command == "load":
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                sweep.load(root)
        except DamagedSweep as err:
            return [] if refused and named in str(err) and case.expect in str(err) else [f"raised {err}"]
        except SweepError as err:  # a SweepError that is not DamagedSweep: only for a file it cannot find at all
            return [] if refused and named in str(err) else [f"raised {type(err).__name__}: {err}"]
        except BaseException as err:  # noqa: BLE001
            return [f"raised {type(err).__name__}: {err}"]
        if refused:
            return ["read a damaged directory without a word"]
        # rows a table can spare are dropped, each drop a TableWarning that names the damaged file
        return [f"warned {w.category.__name__}: {w.message}" for w in caught
                if not (issubclass(w.category, TableWarning) and named in str(w.message))]  # fmt: skip
    outcome = _run(_args(command, root, tmp))
    lines = outcome.stderr.splitlines()
    problems = []
    if outcome.escaped or "Traceback" in outcome.stdout + outcome.stderr:
        problems.append(f"traceback: {(outcome.escaped or outcome.stderr)[-400:]}")
    if "unexpected" in outcome.stderr:
        problems.append(outcome.stderr.strip())
    if any(not line.startswith(("error: ", "warning: ")) for line in lines):
        problems.append(f"stderr not one line each: {outcome.stderr[-300:]!r}")
    errors = [line for line in lines if line.startswith("error: ")]
    if command == "ls":
        listed = {line.split()[0]: line.split()[1] for line in outcome.stdout.splitlines()[1:] if line.strip()}
        if outcome.code != 0 or listed.get(good.name) != "completed":
            problems.append(f"ls: exit {outcome.code}, good sweep listed {listed.get(good.name)}")
        if case.refused_by == "load" and (listed.get(root.name) != "damaged" or named not in outcome.stderr):
            problems.append(f"ls lists the damaged sweep as {listed.get(root.name)}: {outcome.stderr!r}")
        if case.refused_by != "load" and listed.get(root.name) in (None, "damaged"):
            problems.append(f"ls lists a readable sweep as {listed.get(root.name)}")
    elif refused:
        if outcome.code != 2 or len(errors) != 1 or named not in errors[0] or case.expect not in errors[0]:
            problems.append(f"not refused in one line naming {named} ({case.expect!r}): exit {outcome.code} "
                            f"{outcome.stderr[-300:]!r}")  # fmt: skip
    elif outcome.code not in (0, "ray") and not (command in ("retest", "resume") and outcome.code == 2):
        problems.append(f"exit {outcome.code}: {outcome.stderr[-300:]!r}")
    elif errors and command not in ("retest", "resume"):
        problems.append(f"an error line for a readable directory: {errors}")
    return problems


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.file for case in CASES}) >= 10  # most files the layout names


@pytest.mark.parametrize("command", COMMANDS)
def test_each_damaged_file_through_each_reading_command(command: str, tmp_path: Path) -> None:
    bad = []
    for case in CASES:
        case_dir = tmp_path / case.name
        case_dir.mkdir()
        bad += [f"{case.name}: {problem}" for problem in _problems(case, command, case_dir)]
    assert not bad, "\n".join(bad)


def test_a_yaml_tag_in_a_sweep_file_never_runs(tmp_path: Path) -> None:
    marker = Path("/tmp/sweep-pwned")
    marker.unlink(missing_ok=True)
    for case in [c for c in CASES if "yaml-tag" in c.name]:
        for command in ("analyze", "resume", "retest"):
            root = make_sweep(tmp_path / f"{case.name}-{command}")
            case.damage(root)
            _run(_args(command, root, tmp_path))
    assert not marker.exists()


def test_an_edited_spec_is_not_trusted_by_analyze(tmp_path: Path) -> None:
    root = make_sweep(tmp_path)
    next(c for c in CASES if c.name == "spec-scale-edited").damage(root)
    outcome = _run(["analyze", str(root), "--no-plots"])
    assert outcome.code == 2 and "lr is uniform here but round 1 ran it loguniform" in outcome.stderr
    assert "widen" not in outcome.stdout


def test_deleted_rounds_take_the_scales_from_the_spec_not_a_guess(tmp_path: Path) -> None:
    root = make_sweep(tmp_path)
    good = _run(["analyze", str(root), "--no-plots"])
    next(c for c in CASES if c.name == "rounds-deleted").damage(root)
    outcome = _run(["analyze", str(root), "--no-plots"])
    assert outcome.code == 0 and "rounds/ has no round spaces (deleted?): scales from spec.yaml" in outcome.stdout
    scales = [line for line in good.stdout.splitlines() if "(loguniform" in line or "(pow2" in line]
    assert scales and all(line in outcome.stdout for line in scales)


def test_a_damaged_directory_is_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    outcome = _run(["show", str(loop)])
    assert outcome.code == 2 and outcome.stderr.startswith("error: ") and "unexpected" not in outcome.stderr
    with pytest.raises(DamagedSweep, match="symlink loop"):
        sweep.load(loop)


def test_export_over_an_existing_file_needs_force(tmp_path: Path) -> None:
    root = make_sweep(tmp_path)
    target = tmp_path / "top.csv"
    target.write_text("keep me\n")
    refused = _run(["export", str(root), "-o", str(target)])
    assert refused.code == 2 and "exists: add --force to replace it" in refused.stderr
    assert target.read_text() == "keep me\n"
    forced = _run(["export", str(root), "-o", str(target), "--force"])
    assert forced.code == 0 and target.read_text().startswith("plan_id,")

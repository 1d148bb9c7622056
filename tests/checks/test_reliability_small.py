"""The small reliability items, without Ray: data errors name columns only for files in the spec's directory,
`--set` values are checked before a directory or Ray exists, `--cpus` above the cores warns, and the progress
line after a resume counts the trials already done."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_spaces import SpecError, load_spec
from sweep import RunOptions, run_sweep
from sweep.checks.data import check_data
from sweep.cli.launch_cmd import machine_cores, warn_if_more_cpus
from sweep.run.recorder import SweepInfo, SweepRecorder
from trainables.errors import DataError


def _csv(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("secret_salary,secret_name_hash,target\n1,2,0\n3,4,1\n")
    return path


def test_a_data_file_in_the_specs_directory_has_its_columns_named(tmp_path: Path) -> None:
    _csv(tmp_path / "project" / "data.csv")
    with pytest.raises(DataError, match=r"has no label column 'label' \(columns: secret_salary, secret_name_hash"):
        check_data("data.csv", tmp_path / "project")


@pytest.mark.parametrize("where", ["absolute", "parent"])
def test_a_data_file_elsewhere_has_its_columns_counted_not_named(tmp_path: Path, where: str) -> None:
    outside = _csv(tmp_path / "elsewhere" / "data.csv")
    (tmp_path / "project").mkdir()
    data = str(outside) if where == "absolute" else "../elsewhere/data.csv"
    with pytest.raises(DataError, match=r"has no label column 'label' \(3 columns\)") as err:
        check_data(data, tmp_path / "project")
    assert "secret" not in str(err.value)


@pytest.mark.parametrize(
    ("held", "message"),
    [
        (("lr", "abc"), "--set lr=abc: lr is loguniform (a number) in the spec; give a number"),
        (("epochs", 2.5), "--set epochs=2.5: epochs is 4 in the spec; give a whole number"),
        (("batch_size", "big"), "--set batch_size=big: batch_size is pow2 (a whole number)"),
    ],
)
def test_a_set_value_of_the_wrong_kind_is_refused_before_a_directory_or_ray(tmp_path, held, message) -> None:
    from tests.conftest import tiny_spec

    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_sweep(load_spec(tiny_spec()), RunOptions(storage=str(tmp_path / "sweeps"), holds=(held,)))
    assert not (tmp_path / "sweeps").exists() or not any((tmp_path / "sweeps").iterdir())


def test_more_cpus_than_cores_warns_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    cores = machine_cores()
    warn_if_more_cpus(cores + 1, None)
    warn_if_more_cpus(cores, None)
    warn_if_more_cpus(cores + 1, "127.0.0.2:6379")  # a cluster's CPUs are the cluster's business
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: --cpus {cores + 1} is more than this machine's {cores}")


def test_the_progress_line_after_a_resume_counts_the_trials_already_done(tmp_path: Path) -> None:
    (tmp_path / "trials.csv").write_text(
        "plan_id,round,status,best_metric\nr1-000,1,completed,0.5\nr2-000,2,completed,0.9\nr2-001,2,pruned,0.4\n"
        "r2-002,2,error,\n"
    )
    info = SweepInfo(sweep_root=str(tmp_path), stages={1: None, 2: None}, planned=8, metric="dev_accuracy",
                     mode="max", max_t=3, milestones=(), started_at=0.0, first_round=2)  # fmt: skip
    progress = SweepRecorder(info).progress
    assert (progress.finished, progress.pruned, progress.failed, progress.best) == (3, 1, 1, 0.9)
    assert "3/8 done" in progress.line()

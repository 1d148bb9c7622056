"""`sweep validate` and `sweep sample`: in process through main(), and the real console script once."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from search_spaces import load_spec, preset_names
from sweep.cli.main import main

SWEEP = Path(sys.executable).parent / "sweep"


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("preset", preset_names())
def test_validate_lists_every_param_of_each_preset(preset: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", preset], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    spec = load_spec(preset)
    head = f"{preset}: trainable={spec.trainable} data={spec.data} metric=dev_accuracy (max) samples="
    assert lines[0].startswith(head)
    assert lines[1].split() == ["name", "scale", "range", "default", "tier"]
    names = [line.split()[0] for line in lines[2:]]
    assert names == load_spec(preset).space.names
    assert any(line.split()[:3] == ["lr", "loguniform", "[0.0001,"] for line in lines)


def test_validate_defaults_to_the_default_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["validate"], capsys)
    assert code == 0 and out.startswith("digits-momentum: ")


def test_validate_bad_spec_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("samplr: sobol\n")
    code, out, err = run_main(["validate", str(path)], capsys)
    assert code == 2 and out == ""
    assert err == "error: samplr: unknown key (did you mean 'sampler'?)\n"


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_sample_writes_csv_and_is_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["sample", "-n", "5", "--seed", "1"], capsys)
    assert code == 0 and err == ""
    rows = parse_csv(out)
    assert len(rows) == 5 and list(rows[0]) == load_spec(None).space.names
    assert all(0.8 <= float(r["momentum"]) <= 0.999 for r in rows)
    assert run_main(["sample", "-n", "5", "--seed", "1"], capsys)[1] == out
    assert run_main(["sample", "-n", "5", "--seed", "2"], capsys)[1] != out


def test_sample_refuses_an_empty_space_and_a_tier_no_parameter_has(tmp_path, capsys) -> None:
    """Both drew rows that looked like a plan: blank lines for an empty space, the defaults again and again for a
    mistyped tier (what `sweep launch` would have trained)."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: nothing\n")
    code, out, err = run_main(["sample", str(empty), "-n", "2"], capsys)
    assert (code, out) == (2, "") and err == (
        "error: space: is empty, so there is nothing to tune: add a parameter, e.g. lr: {loguniform: [1e-4, 1]}\n"
    )
    code, out, err = run_main(["sample", "digits-momentum", "-n", "2", "--tier", "7"], capsys)
    assert (code, out) == (2, "") and err == (
        "error: --tier 7: no parameter of the space has tier 7 (its tiers: 1, 2, 3): choose one of those\n"
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # before: an `error: unexpected ValueError` (numpy's), and CSV rows with lr = abc
        (["--seed", "-1"], "seed: must be an integer in [0, 4294967295], got -1"),
        (
            ["--set", "lr=abc"],
            "--set lr=abc: lr is loguniform (a number) in the spec; give a number, e.g. --set lr=0.05",
        ),
        # before: "sampler: unknown sampler 'tpe' (choose random, sobol, grid)", with tpe a sampler of launch's
        (
            ["--sampler", "tpe"],
            "--sampler tpe: it proposes each config from the results before it, so there is "
            "nothing to draw ahead of a sweep; give --sampler random, sobol or grid",
        ),
        (["--sampler", "sobl"], "--sampler: unknown sampler 'sobl' (choose random, sobol, grid)"),
    ],
    ids=["seed", "held-value", "tpe", "unknown"],
)
def test_sample_refuses_what_launch_refuses_in_one_line(capsys, args, said) -> None:
    code, out, err = run_main(["sample", "digits-momentum", "-n", "2", *args], capsys)
    assert (code, out, err) == (2, "", f"error: {said}\n")


def test_sample_names_a_specs_tpe_sampler_and_draws_with_another(tmp_path, capsys) -> None:
    spec = tmp_path / "tpe.yaml"
    spec.write_text("name: t\ntrainable: mlp\nsampler: tpe\nspace:\n  lr: {loguniform: [0.001, 0.1]}\n")
    code, out, err = run_main(["sample", str(spec), "-n", "2"], capsys)
    assert (code, out) == (2, "") and err.startswith("error: the spec's sampler tpe: it proposes each config")
    code, out, err = run_main(["sample", str(spec), "-n", "2", "--sampler", "sobol"], capsys)
    assert code == 0 and len(parse_csv(out)) == 2, err


def test_sample_tier_holds_the_others_at_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["sample", "digits-momentum", "-n", "6", "--tier", "1", "--sampler", "sobol"], capsys)
    rows = parse_csv(out)
    assert code == 0 and len(rows) == 6 and len({r["lr"] for r in rows}) == 6
    assert {(r["momentum"], r["batch_size"], r["hidden_units"], r["layers"]) for r in rows} == {
        ("0.9", "64", "64", "1")
    }
    code, out, _ = run_main(["sample", "-n", "3", "--tier", "1", "--tier", "2", "--set", "epochs=3"], capsys)
    rows = parse_csv(out)
    assert len({r["momentum"] for r in rows}) == 3 and {r["layers"] for r in rows} == {"1"}
    assert {r["epochs"] for r in rows} == {"3"}


def test_console_script_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("space:\n  momentum: {beta: [0.9, 1.0]}\n")
    proc = subprocess.run([str(SWEEP), "validate", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "error: space.momentum: beta bounds must lie in [0, 1), got [0.9, 1.0]\n"
    assert "Traceback" not in proc.stderr + proc.stdout


# ----------------------------------------------------------------------------- every mistake is one line
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["launch", "--bogus"], "error: No such option: --bogus"),
        (["show"], "error: Missing argument 'directory'. (see 'sweep show --help')"),
        (["export", "somewhere"], "error: Missing option '--output' / '-o'. (see 'sweep export --help')"),
        (
            ["launch", "--samples", "0"],
            "error: Invalid value for '--samples' / '-n': Input should be greater than or equal to 1 "
            "(see 'sweep launch --help')",
        ),
        (["launch", "--samples", "ten"], "error: Invalid value for '--samples' / '-n': Input should be a valid"),
        (["lauch"], "error: No such command 'lauch'. Did you mean 'launch'? (see 'sweep --help')"),
        (["launch", "--quiet=yes"], "error: Option '--quiet' does not take a value."),
        (["launch", "x", "--fail-fast", "true"], "error: Got unexpected extra argument(s) (true)"),
    ],
)
def test_command_line_mistakes_are_one_line_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(line), err


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([], capsys)
    assert code == 2 and "Usage:" in out and "launch" in out and err == ""


def test_an_unexpected_error_is_one_line_with_the_traceback_in_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sweep.cli.validate_cmd as validate_cmd

    def broken(spec: str | None) -> None:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(validate_cmd, "load_spec", broken)
    code, out, err = run_main(["validate"], capsys)
    logs = list((tmp_path / "sweep" / "logs").glob("error-*.log"))
    assert code == 1 and len(logs) == 1
    assert err == (
        f"error: unexpected ZeroDivisionError: division by zero second line (traceback in {logs[0]}; "
        "SWEEP_DEBUG=1 prints it)\n"
    )
    assert "Traceback (most recent call last)" in logs[0].read_text() and "def broken" not in err
    monkeypatch.setenv("SWEEP_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["validate"])


def test_validate_runs_the_preflight(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("space:\n  epochs: three\n")
    code, out, err = run_main(["validate", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err == "error: space.epochs: 'three' is not an integer ≥ 1: set e.g. epochs=30\n"


def _fake_sweep(root: Path) -> Path:
    directory = root / "fake-20260101-000000"
    directory.mkdir(parents=True)
    (directory / "sweep.json").write_text('{"status": "completed", "metric": "dev_accuracy", "mode": "max"}')
    (directory / "trials.csv").write_text(
        "plan_id,trial_id,round,stage,status,rung,epochs_trained,train_seconds,best_metric,last_metric\n"
        "r1-0,t0,1,,completed,,3,1.0,0.9,0.9\nr1-1,t1,1,,completed,,3,1.0,0.8,0.8\n"
    )
    return directory


def test_export_creates_the_output_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = _fake_sweep(tmp_path)
    target = tmp_path / "missing" / "dir" / "top.csv"
    code, out, err = run_main(["export", str(directory), "-o", str(target)], capsys)
    assert (code, err) == (0, "") and out == f"wrote 2 rows to {target}\n"
    assert target.read_text().splitlines()[1].startswith("r1-0,")
    (tmp_path / "file").write_text("")
    code, out, err = run_main(["export", str(directory), "-o", str(tmp_path / "file" / "top.csv")], capsys)
    assert code == 2 and err.startswith(f"error: --output '{tmp_path / 'file' / 'top.csv'}': cannot create ")
    assert err.count("\n") == 1


def test_console_script_mistakes_exit_2_without_traceback(tmp_path: Path) -> None:
    for argv in (["lauch"], ["launch", "--bogus"], ["show"]):
        proc = subprocess.run([str(SWEEP), *argv], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_ctrl_c_in_a_command_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sweep.cli.validate_cmd as validate_cmd

    def interrupted(spec: str | None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(validate_cmd, "load_spec", interrupted)
    assert run_main(["validate"], capsys) == (130, "", "aborted\n")

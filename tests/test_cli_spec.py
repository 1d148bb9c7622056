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
    assert lines[0].startswith(f"{preset}: trainable=mlp data=digits metric=dev_accuracy (max) samples=")
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

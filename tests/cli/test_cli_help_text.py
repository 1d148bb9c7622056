"""Help and error texts a newcomer reads first: flags, defaults, and `sweep ls`."""

from __future__ import annotations

from tests.conftest import invoke_cli


def _option_lines(command: str) -> list[str]:
    proc = invoke_cli(command, "--help", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if "--" in line and "--help" not in line]


def test_flags_show_no_type_and_defaults_read_in_words() -> None:
    flags = {"analyze": "--no-plots", "train": "--json", "retest": "--quiet"}
    for command, flag in flags.items():
        (line,) = [line for line in _option_lines(command) if flag in line]
        assert "<bool>" not in line, line
    sample = " ".join(_option_lines("sample"))
    assert "Number of configs (default: the" in sample and "configs ." not in sample


def test_sample_refuses_a_key_the_trainable_does_not_read() -> None:
    proc = invoke_cli("sample", "--set", "lrr=0.1", timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "error: --set lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)\n"


def test_ls_of_a_missing_directory_names_the_positional_argument(tmp_path) -> None:
    proc = invoke_cli("ls", str(tmp_path / "nowhere"), timeout=120)
    assert proc.returncode == 2
    assert "--storage of your sweeps" not in proc.stderr
    assert proc.stderr == (
        f"error: storage directory '{tmp_path / 'nowhere'}' not found: give the directory your sweeps were launched "
        "into (their --storage; default ./sweeps), e.g. `sweep ls /shared/sweeps`\n"
    )

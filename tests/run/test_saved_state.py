"""Ray's saved state in a sweep directory: only state signed with this user's key is restored (a crafted pickle
never runs), and state Ray could not restore (empty, cut off) is refused in one line naming `--fresh`. No Ray."""

from __future__ import annotations

import json
import os
import pickle
import stat
import tempfile
from pathlib import Path

import pytest

from sweep.run.resume_checks import check_saved_state
from sweep.store.layout import SweepDir
from sweep.store.ray_state import restore_problem, unpickled_files
from sweep.store.signing import key_path, load_key, sign_files, unsigned
from sweep_errors import SweepError
from tests.conftest import invoke_cli
from tests.store.test_sweep_unit_dir import make_sweep


class Touch:
    """Unpickling this runs a command: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _experiment(directory: SweepDir, marker: Path) -> Path:
    folder = directory.ray_dir / "sweep"
    folder.mkdir(parents=True)
    (folder / "tuner.pkl").write_bytes(pickle.dumps({"settings": 1}))
    state = {"trial_data": [], "runner_data": {}, "stats": {}}
    (folder / "experiment_state-2026-01-01_00-00-00.json").write_text(json.dumps(state))
    (folder / "searcher-state-2026-01-01_00-00-00.pkl").write_bytes(pickle.dumps(Touch(marker)))
    directory.state.update(lambda s: setattr(s, "experiment", "sweep"))
    return folder


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def short_tmp():
    """A directory with a short path: the refusal below names it twice and the key's path once, and a one-line
    error is cut at 500 characters (pytest-xdist's workers add `popen-gwN/` to every tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="sweep-") as folder:
        yield Path(folder)


def test_a_crafted_pickle_in_ray_is_not_run_on_resume(tmp_path, config_home, short_tmp):
    directory = make_sweep(short_tmp)
    marker = tmp_path / "marker"
    folder = _experiment(directory, marker)
    key = load_key()
    sign_files(folder, [folder / "tuner.pkl", *folder.glob("experiment_state-*")], key)  # all but the pickle

    proc = invoke_cli("resume", str(directory.root), "--quiet", timeout=120, env={**os.environ})
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "ray/sweep/searcher-state-2026-01-01_00-00-00.pkl is not signed with your key" in lines[0]
    assert f"sweep resume {directory.root} --trust" in lines[0] and "--fresh" in lines[0]
    assert "sweep:" not in proc.stdout, "refused before Ray starts"
    assert not marker.exists(), "the crafted pickle ran"
    # Signed with another user's key, it is refused the same way.
    sign_files(folder, [folder / "searcher-state-2026-01-01_00-00-00.pkl"], b"x" * 32)
    with pytest.raises(SweepError, match="searcher-state-.* is not signed"):
        check_saved_state(directory, "sweep")
    sign_files(folder, [folder / "searcher-state-2026-01-01_00-00-00.pkl"], key)
    check_saved_state(directory, "sweep")  # every file signed with this user's key: Ray may restore it
    assert not marker.exists()


def test_the_key_is_made_once_readable_by_its_owner_only(config_home):
    assert key_path() == config_home / "sweep" / "state.key"
    key = load_key()
    assert key is not None and len(key) == 32 and load_key() == key
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    assert key_path().read_text().strip() not in json.dumps(dict(os.environ))


def test_drivers_starting_at_once_all_read_the_one_whole_key(config_home):
    """The key is linked into place whole: a driver never reads a key file another is still writing."""
    import subprocess
    import sys

    code = "from sweep.store.signing import load_key; k = load_key(); print(k.hex() if k else 'NONE')"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(12)]
    keys = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [p.name for p in key_path().parent.iterdir()] == ["state.key"]  # no draft left behind


def test_the_newest_state_files_are_the_ones_checked(tmp_path, config_home):
    folder = tmp_path / "exp"
    folder.mkdir()
    for name in ("tuner.pkl", "searcher-state-a.pkl", "searcher-state-b.pkl", "search_gen_state-a.json"):
        (folder / name).write_bytes(pickle.dumps(name))
    assert [f.name for f in unpickled_files(folder)] == ["tuner.pkl", "searcher-state-b.pkl", "search_gen_state-a.json"]
    key = load_key()
    sign_files(folder, unpickled_files(folder), key)
    (folder / "searcher-state-b.pkl").write_bytes(pickle.dumps("changed"))
    assert unsigned(folder, unpickled_files(folder), key) == ["searcher-state-b.pkl"]
    assert unsigned(folder, unpickled_files(folder), None) == ["tuner.pkl", "searcher-state-b.pkl",
                                                               "search_gen_state-a.json"]  # fmt: skip


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("empty-searcher", "searcher-state-2026-01-01_00-00-00.pkl is empty (0 bytes)"),
        ("cut-json", "experiment_state-2026-01-01_00-00-00.json is cut off or damaged"),
        ("no-state", "no experiment_state-*.json beside tuner.pkl"),
        ("not-pickle", "tuner.pkl is not a pickle Ray wrote"),
        ("cut-pickle", "searcher-state-2026-01-01_00-00-00.pkl is cut off or damaged"),
        ("moved-class", "tuner.pkl names sweep.run.rounds.RoundSlab, which this version of sweep does not have"),
    ],
)
def test_state_ray_cannot_restore_is_refused_in_one_line_naming_fresh(tmp_path, config_home, damage, expected):
    directory = make_sweep(tmp_path)
    folder = _experiment(directory, tmp_path / "marker")
    state = next(folder.glob("experiment_state-*"))
    if damage == "empty-searcher":
        next(folder.glob("searcher-state-*")).write_bytes(b"")
    elif damage == "cut-json":
        state.write_text(state.read_text()[:20])
    elif damage == "no-state":
        state.unlink()
    elif damage == "cut-pickle":  # a full disk stopped its write
        searcher = next(folder.glob("searcher-state-*"))
        searcher.write_bytes(searcher.read_bytes()[:-5])
    elif damage == "moved-class":  # a sweep saved by a version whose class has since moved or been renamed
        from sweep.run.rounds import RoundSlot

        saved = pickle.dumps({"stop": RoundSlot(1, None, False, 4)})
        (folder / "tuner.pkl").write_bytes(saved.replace(b"RoundSlot", b"RoundSlab"))
    else:
        (folder / "tuner.pkl").write_text("{}")
    assert expected in (restore_problem(folder) or "")
    proc = invoke_cli("resume", str(directory.root), "--quiet", timeout=120, env={**os.environ})
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert expected in lines[0] and f"sweep resume {directory.root} --fresh" in lines[0]
    assert "Ray cannot restore its saved state" in lines[0] and "the tables hold every finished trial" in lines[0]


def test_a_crafted_pickle_at_a_uri_is_not_run_on_resume(tmp_path, config_home):
    from sweep import RunOptions
    from sweep.run.launch import resume_sweep

    directory = make_sweep(tmp_path)
    marker = tmp_path / "marker"
    folder = _experiment(directory, marker)
    sign_files(folder, [folder / "tuner.pkl", *folder.glob("experiment_state-*")], load_key())
    uri = f"file://{directory.root}"
    options = RunOptions(cache_dir=str(tmp_path / "cache"), quiet=True)
    with pytest.raises(
        SweepError, match=r"^ray/sweep/searcher-state-2026-01-01_00-00-00\.pkl is not signed with your key"
    ):
        resume_sweep(uri, options)
    assert not marker.exists(), "the crafted pickle ran"
    sign_files(folder, [folder / "searcher-state-2026-01-01_00-00-00.pkl"], load_key())
    check_saved_state(SweepDir.open(uri, tmp_path / "cache"), "sweep")  # signed: Ray may restore it
    assert not marker.exists()

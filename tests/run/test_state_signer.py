"""StateSigner against Ray's real storage objects, its hooks called in the order Ray's TuneController calls them."""

from __future__ import annotations

from pathlib import Path

import pytest
from ray.train._internal.storage import StorageContext
from ray.tune.experiment import Trial

from sweep.run.state_signer import StateSigner
from sweep.store.layout import SweepDir
from sweep.store.signing import SIGNATURES_FILE, load_key, unsigned

pytestmark = pytest.mark.ray  # Ray's staging folder lies in the session directory of a running Ray


def stage_a_save(staging: Path, session: str) -> list[Path]:
    """The files one experiment save of Ray's writes into its staging folder (TuneController.save_to_dir)."""
    staging.mkdir(parents=True, exist_ok=True)
    files = [
        staging / f"experiment_state-{session}.json",
        staging / f"searcher-state-{session}.pkl",
        staging / f"search_gen_state-{session}.json",
    ]
    for i, path in enumerate(files):
        path.write_bytes(f"{path.name} save {i}".encode())
    return files


def test_a_launchs_first_save_is_signed_in_the_step_that_made_it(tmp_path, monkeypatch, ray_instance):
    # Ray's first step: callbacks see no trial yet, trials are added, Ray saves (asking callbacks for their
    # state last), then callbacks' on_step_end sees the trials. The next save comes a checkpoint period later.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    directory = SweepDir(tmp_path / "sweep")
    storage = StorageContext(storage_path=str(directory.ray_dir), experiment_dir_name="exp")
    trial = Trial("__fake", config={}, storage=storage, stub=True)
    signer = StateSigner(directory, "exp")
    signer.setup()

    signer.on_step_begin(0, [])
    staged = stage_a_save(Path(storage.experiment_driver_staging_path), "first")
    assert signer.get_state() is None  # Ray writes no callback-state file for it
    signer.on_step_end(0, [trial])

    key = load_key()
    assert unsigned(signer.target, staged, key) == []
    assert unsigned(Path(storage.experiment_driver_staging_path), staged, key) == []  # Ray's copy keeps them

    later = stage_a_save(Path(storage.experiment_driver_staging_path), "later")  # the next save: signed as ever
    signer.get_state()
    assert unsigned(signer.target, staged + later, key) == []


def test_signing_in_the_staging_folder_never_breaks_rays_copy_of_it(tmp_path, monkeypatch):
    """Ray's syncer copies the staging folder in a background thread while the next save is signed. A temporary
    file in that folder (as the signatures once had) made the copy list it and fail when it was gone, and Ray
    printed the copy's traceback at the end of a successful sweep (about 1 in 30 signs here)."""
    import threading

    import pyarrow.fs
    from ray.train._internal.storage import _pyarrow_fs_copy_files  # the copy Ray's syncer runs

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    staging = tmp_path / "session" / "exp" / "driver_artifacts"
    stage_a_save(staging, "one")
    signer = StateSigner(SweepDir(tmp_path / "sweep"), "exp")
    signer.setup()
    signer.staging = str(staging)
    failures: list[BaseException] = []
    done = threading.Event()

    def copy_again_and_again() -> None:
        copied = tmp_path / "copied"
        copied.mkdir()
        while not done.is_set():
            try:
                _pyarrow_fs_copy_files(str(staging), str(copied), destination_filesystem=pyarrow.fs.LocalFileSystem())
            except OSError as err:
                failures.append(err)

    copier = threading.Thread(target=copy_again_and_again)
    copier.start()
    try:
        for _ in range(400):
            signer.get_state()
    finally:
        done.set()
        copier.join()
    assert failures == []
    assert sorted(p.name for p in staging.iterdir()) == sorted(
        [*(p.name for p in staging.glob("*-one.*")), SIGNATURES_FILE]
    )

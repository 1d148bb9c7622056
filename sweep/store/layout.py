"""The on-disk layout of one sweep, and its state file.

STORAGE/NAME-YYYYmmdd-HHMMSS/
    spec.yaml            the spec as run (overrides applied)
    sweep.json           state: options, rounds (status, Ray experiment path), summary
    rounds/round-N.yaml  each round's search space;  rounds/round-N.plan.csv  its planned configs;
                         rounds/round-N.regions.yaml  a zoomed round's regions around its best trials;
                         rounds/round-N.explore.yaml  where a model-guided zoomed round's exploring share draws
    trials.csv           one row per trial        history.csv   one row per trial per epoch
    pbt_changes.csv      PBT's exploits           retest.csv, retest_summary.csv   `sweep retest`'s rows
    trial-errors.log     failed trials' tracebacks    ray-tune.log   Ray Tune's own messages
    ray/sweep/           Ray Tune's experiment: every round in one Tuner (checkpoints; what `sweep resume`
                         restores); ray/refine-N/ for rounds added by `sweep refine`; ray/round-N/ in
                         sweeps written before one Tuner ran them all
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sweep.store.damage import DamagedSweep, damaged
from sweep.store.lock import driven_here
from sweep.store.remote import exists, is_uri, mirror_dir, pull, push
from sweep.store.state import STATE_FILE, StateFile
from sweep_errors import SweepError
from trainables.cache_home import cache_home

# Every file of a sweep directory, named here once. The small ones travel with a sweep stored at a URI.
SPEC_FILE, TRIALS_FILE, HISTORY_FILE = "spec.yaml", "trials.csv", "history.csv"
PBT_CHANGES_FILE, RETEST_FILE, RETEST_SUMMARY_FILE = "pbt_changes.csv", "retest.csv", "retest_summary.csv"
TRIAL_ERRORS_FILE, RAY_TUNE_LOG = "trial-errors.log", "ray-tune.log"
SMALL_FILES = (SPEC_FILE, STATE_FILE, TRIALS_FILE, HISTORY_FILE, PBT_CHANGES_FILE, RETEST_FILE, RETEST_SUMMARY_FILE,
               TRIAL_ERRORS_FILE)  # fmt: skip


class _File:
    """A path inside the sweep directory, as a read-only attribute of :class:`SweepDir`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, directory: Any, owner: Any = None) -> Path:
        return directory.root / self.name


@dataclass(frozen=True)
class SweepDir:
    """Paths inside one sweep directory.

    With URI storage, `root` is the driver's local mirror and `remote` the sweep's URI (see sweep.store.remote).
    """

    root: Path
    remote: str | None = None

    @staticmethod
    def create(storage: str | Path, name: str, cache: Path | None = None) -> SweepDir:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in itertools.count(1):  # two sweeps of one name started in the same second: -2, -3, ...
            folder = f"{name}-{stamp}" + (f"-{suffix}" if suffix > 1 else "")
            remote = f"{str(storage).rstrip('/')}/{folder}" if is_uri(storage) else None
            if remote is None:
                root = Path(storage).expanduser().resolve() / folder
            elif exists(remote):  # taken by a driver elsewhere
                continue
            else:
                root = mirror_dir(remote, cache or cache_home())
            root.parent.mkdir(parents=True, exist_ok=True)
            try:
                root.mkdir()  # the claim, atomic between this machine's drivers
            except FileExistsError:
                continue
            (root / "rounds").mkdir()
            return SweepDir(root, remote)
        raise AssertionError("unreachable")  # pragma: no cover (itertools.count never ends)

    @staticmethod
    def open(path: str | Path, cache: Path | None = None) -> SweepDir:
        if is_uri(path):
            root = mirror_dir(str(path), cache or cache_home())
            if driven_here(root):  # its driver runs here and writes the mirror: newer than the URI, kept as it is
                return SweepDir(root, str(path).rstrip("/"))
            if not pull(str(path), root, SMALL_FILES):
                raise SweepError(f"no sweep at '{path}' (no {STATE_FILE} there): give a sweep's URI or directory")
            return SweepDir(root, str(path).rstrip("/"))
        try:
            root = Path(path).expanduser().resolve()
        except (RuntimeError, OSError) as err:  # Python 3.11 raises RuntimeError for a symlink loop
            raise DamagedSweep(f"'{path}': cannot follow it ({' '.join(str(err).split())}): a symlink loop?") from None
        if (root / STATE_FILE).is_symlink() and not (root / STATE_FILE).exists():
            raise damaged(root / STATE_FILE, "a symlink to nothing (or a loop)", "restore the file")
        if not (root / STATE_FILE).is_file():
            raise SweepError(f"sweep directory '{path}' not found (no {STATE_FILE} in it): {where_sweeps_are(root)}")
        return SweepDir(root)

    @property
    def location(self) -> str:
        """Where the sweep lives for the user: its URI, or its directory."""
        return self.remote or str(self.root)

    @property
    def ray_storage(self) -> str:
        return f"{self.remote}/ray" if self.remote else str(self.ray_dir)

    def sync(self) -> None:
        """Copies the small files to the URI (nothing to do for a local directory)."""
        if self.remote:
            push(self.root, self.remote, SMALL_FILES)

    # The directory's files, each a path property (`directory.trials_csv`).
    trials_csv = _File(TRIALS_FILE)
    history_csv = _File(HISTORY_FILE)
    spec_yaml = _File(SPEC_FILE)
    pbt_changes_csv = _File(PBT_CHANGES_FILE)
    retest_csv = _File(RETEST_FILE)
    retest_summary_csv = _File(RETEST_SUMMARY_FILE)
    trial_errors_log = _File(TRIAL_ERRORS_FILE)
    ray_tune_log = _File(RAY_TUNE_LOG)
    ray_dir = _File("ray")

    def round_space(self, number: int) -> Path:
        return self.root / "rounds" / f"round-{number}.yaml"

    def round_regions(self, number: int) -> Path:
        return self.root / "rounds" / f"round-{number}.regions.yaml"

    def round_explore(self, number: int) -> Path:
        return self.root / "rounds" / f"round-{number}.explore.yaml"

    def round_plan(self, number: int) -> Path:
        return self.root / "rounds" / f"round-{number}.plan.csv"

    @property
    def state(self) -> StateFile:
        """sweep.json: read it with ``.read()``, change it only through ``.update(change)``."""
        return StateFile(self.root)

    def read_spec(self) -> Any:
        """The spec as run (a SweepSpec), parsed by the one reader of a sweep's spec file."""
        from sweep.store.damage import read_spec_file  # content that is no valid spec is one line naming it

        return read_spec_file(self.spec_yaml)

    def write_spec(self, spec: Any) -> None:
        """Records the spec as run (overrides applied), once, when the sweep is created."""
        self.write_yaml(self.spec_yaml, spec.to_dict())

    def read_yaml(self, path: Path) -> Any:
        from sweep.store.damage import read_yaml_file  # a damaged file is one line naming it

        return read_yaml_file(path)

    def write_yaml(self, path: Path, data: Any) -> None:
        path.write_text(yaml.safe_dump(data, sort_keys=False))


def where_sweeps_are(root: Path) -> str:
    """What to run instead, for a path that is no sweep directory: `sweep ls` of the directory that holds sweeps
    (the path itself when it is a storage directory, else its parent), or of the default ./sweeps."""
    import shlex

    def holds_sweeps(folder: Path) -> bool:
        return folder.is_dir() and any(folder.glob(f"*/{STATE_FILE}"))

    if holds_sweeps(root):
        return f"it holds sweeps: `sweep ls {shlex.quote(str(root))}` lists them; give one of those"
    if holds_sweeps(root.parent):
        return f"`sweep ls {shlex.quote(str(root.parent))}` lists the sweeps beside it"
    return (
        "give a directory that `sweep launch` created; `sweep ls DIR` lists the sweeps in DIR, their --storage "
        f"(`sweep ls` alone looks in {Path('sweeps').resolve()})"
    )

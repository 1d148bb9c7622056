"""The on-disk layout of one sweep, and its state file.

STORAGE/NAME-YYYYmmdd-HHMMSS/
    spec.yaml            the spec as run (overrides applied)
    sweep.json           state: options, rounds (status, Ray experiment path), summary
    rounds/round-N.yaml  each round's search space;  rounds/round-N.plan.csv  its planned configs
    trials.csv           one row per trial        history.csv   one row per trial per epoch
    ray/sweep/           Ray Tune's experiment: every round in one Tuner (checkpoints; what `sweep resume`
                         restores); ray/refine-N/ for rounds added by `sweep refine`; ray/round-N/ in
                         sweeps written before one Tuner ran them all
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from search_spaces.errors import SweepError
from sweep.store.remote import is_uri, mirror_dir, pull, push

STATE_FILE = "sweep.json"
DEFAULT_CACHE = Path("~/.cache/sweep")  # local mirrors of sweeps stored at a URI


@dataclass(frozen=True)
class SweepDir:
    """Paths inside one sweep directory.

    With URI storage, `root` is the driver's local mirror and `remote` the sweep's URI (see sweep.store.remote).
    """

    root: Path
    remote: str | None = None

    @staticmethod
    def create(storage: str | Path, name: str, cache: Path = DEFAULT_CACHE) -> SweepDir:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        if is_uri(storage):
            remote = f"{str(storage).rstrip('/')}/{name}-{stamp}"
            root = mirror_dir(remote, cache)
            (root / "rounds").mkdir(parents=True, exist_ok=True)
            return SweepDir(root, remote)
        root = Path(storage).expanduser().resolve() / f"{name}-{stamp}"
        suffix = 1
        while root.exists():  # two sweeps started in the same second
            suffix += 1
            root = root.with_name(f"{name}-{stamp}-{suffix}")
        (root / "rounds").mkdir(parents=True)
        return SweepDir(root)

    @staticmethod
    def open(path: str | Path, cache: Path = DEFAULT_CACHE) -> SweepDir:
        if is_uri(path):
            root = mirror_dir(str(path), cache)
            if not pull(str(path), root):
                raise SweepError(f"no sweep at '{path}' (no {STATE_FILE} there): give a sweep's URI or directory")
            return SweepDir(root, str(path).rstrip("/"))
        root = Path(path).expanduser().resolve()
        if not (root / STATE_FILE).is_file():
            raise SweepError(
                f"sweep directory '{path}' not found (no {STATE_FILE} in it): "
                "give a directory that `sweep launch` created; `sweep ls` lists them"
            )
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
            push(self.root, self.remote)

    @property
    def trials_csv(self) -> Path:
        return self.root / "trials.csv"

    @property
    def history_csv(self) -> Path:
        return self.root / "history.csv"

    @property
    def spec_yaml(self) -> Path:
        return self.root / "spec.yaml"

    @property
    def ray_dir(self) -> Path:
        return self.root / "ray"

    def round_space(self, number: int) -> Path:
        return self.root / "rounds" / f"round-{number}.yaml"

    def round_plan(self, number: int) -> Path:
        return self.root / "rounds" / f"round-{number}.plan.csv"

    def read_state(self) -> dict[str, Any]:
        return json.loads((self.root / STATE_FILE).read_text())

    def write_state(self, state: dict[str, Any]) -> None:
        """Writes sweep.json atomically, so a kill mid-write leaves the previous state readable."""
        tmp = self.root / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state, indent=2, default=str))
        os.replace(tmp, self.root / STATE_FILE)

    def read_yaml(self, path: Path) -> Any:
        return yaml.safe_load(path.read_text())

    def write_yaml(self, path: Path, data: Any) -> None:
        path.write_text(yaml.safe_dump(data, sort_keys=False))

"""Run options that are not part of the spec: where results go, which Ray, how it runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunOptions:
    """Settings of one `sweep launch` (or resume/refine), built once at the edge.

    Attributes:
        storage: directory (or s3://, gs://, file:// URI) under which the sweep directory is created.
        cache_dir: the driver's local mirror of sweeps stored at a URI.
        address: a Ray cluster (`auto`, `HOST:PORT`, `ray://HOST:PORT`); None starts a local Ray.
        cpus: size of the local Ray (None: all cores).
        max_concurrent: at most this many trials at once, over the spec's `max_concurrent` (None: the spec's).
        fail_fast: stop the sweep at the first trial error.
        quiet: `--quiet`, as recorded in sweep.json; the library prints nothing either way (what is printed is
            the CLI's, :class:`sweep.cli.render.Printer`, from the events it is told).
        staged: tune tier by tier (tier 1, then tier 2 with tier 1 held at its best, ...).
        tiers: sample only these tiers; the rest are held at their defaults.
        holds: `--set key=value` pairs: parameters held at a value.
        dashboard: start Ray's dashboard with a local Ray.
        final_test: evaluate the winning config once on the held-out test split.
        warm_start: an earlier sweep's directory whose best configs round 1 re-trains (`--warm-start`).
        warm_top: how many of them.
        stall_seconds: the watchdog's bound: with no trial live and none offered this long, the sweep ends.
    """

    storage: str = "sweeps"
    cache_dir: str = "~/.cache/sweep"
    address: str | None = None
    cpus: int | None = None
    max_concurrent: int | None = None
    fail_fast: bool = False
    quiet: bool = False
    staged: bool = False
    tiers: tuple[int, ...] = ()
    holds: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    dashboard: bool = True
    final_test: bool = True
    warm_start: str | None = None
    warm_top: int = 3
    stall_seconds: float = 60.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunOptions:
        data = dict(data)
        data["tiers"] = tuple(data.get("tiers", ()))
        data["holds"] = tuple(tuple(pair) for pair in data.get("holds", ()))
        return RunOptions(**data)

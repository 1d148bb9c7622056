"""A whole sweep spec: parse and validate the YAML (or dict) once, into frozen dataclasses."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_spaces.checks import (
    need_choice,
    need_flag,
    need_int,
    need_mapping,
    need_number,
    need_str,
    reject_unknown,
    show,
)
from search_spaces.durations import parse_duration
from search_spaces.errors import SpecError
from search_spaces.rounds_spec import RoundsSpec, parse_rounds
from search_spaces.scheduler_spec import SchedulerSpec, parse_scheduler
from search_spaces.space import Space

SAMPLERS = ("random", "sobol", "grid", "tpe")  # tpe: Ray's OptunaSearch, proposing from results
MODES = ("min", "max")
TRACKERS = ("mlflow", "tensorboard")
_FUNCTION_REF = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class EarlyStoppingSpec:
    """Opt-in early stopping: a trial stops once its metric has not improved for `patience` epochs."""

    patience: int


@dataclass(frozen=True)
class ResourcesSpec:
    """Resources per trial."""

    cpu: float = 1
    gpu: float = 0


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec, as run. Build it with :func:`load_spec` or :func:`parse_spec`.

    Example:
        >>> spec = parse_spec({"space": {"lr": {"loguniform": [1e-4, 1]}}})
        >>> spec.trainable, spec.mode, spec.samples, spec.scheduler.type
        ('mlp', 'max', 16, 'asha')
    """

    name: str
    trainable: str = "mlp"
    data: str | None = None
    metric: str = "dev_accuracy"
    mode: str = "max"
    samples: int = 16
    sampler: str = "random"
    seed: int = 0
    baseline: bool = True  # the first trial trains the space's defaults (`baseline_config`)
    scheduler: SchedulerSpec = field(default_factory=SchedulerSpec)
    rounds: RoundsSpec = field(default_factory=RoundsSpec)
    resources: ResourcesSpec = field(default_factory=ResourcesSpec)
    max_concurrent: int | None = None
    time_budget: float | None = None  # seconds for the whole sweep (`time_budget: 10m`)
    trial_timeout: float | None = None  # seconds one trial may train before it is stopped as `timeout`
    tracking: tuple[str, ...] = ()
    tracking_uri: str | None = None
    target_accuracy: float | None = None
    early_stopping: EarlyStoppingSpec | None = None  # opt-in; not orthogonal (see sweep.run.stoppers)
    target_metric: float | None = None  # human-level `metric` (a loss too): the advisor's bias proxy
    space: Space = field(default_factory=Space)
    source: str = "<dict>"

    def __post_init__(self) -> None:
        from search_spaces.spec_rules import check_spec_fields

        check_spec_fields(self)  # also on `replace`: a command line's overrides obey the spec's rules

    def to_dict(self) -> dict[str, Any]:
        """The spec as run (YAML-ready); ``parse_spec(spec.to_dict())`` gives the same spec back."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "source" or value is None or value == ():
                continue
            if f.name in ("space", "scheduler"):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                value = {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
            out[f.name] = value
        return out

    def replace(self, **changes: Any) -> SweepSpec:
        """A copy with some fields changed (``dataclasses.replace``), checked like a parsed spec."""
        return dataclasses.replace(self, **changes)


TOP_KEYS = tuple(f.name for f in dataclasses.fields(SweepSpec) if f.name != "source")
# Top-level keys that are config keys held fixed for every trial: `label: target` is `space: {label: target}`
# (the data file's column to predict), written where a reader of the spec looks for it, beside `data:`.
SPACE_SHORTHANDS = {"label": "the data file's column to predict (CSV/Parquet; default: label)"}


def parse_spec(data: Any, source: str = "<dict>") -> SweepSpec:
    """Validate a spec given as a dict (the parsed YAML) and build a :class:`SweepSpec`.

    Args:
        data: the spec mapping.
        source: where it came from (a path or preset name), used in messages and for the default name.

    Example:
        >>> parse_spec({"samplr": "sobol"})
        Traceback (most recent call last):
        search_spaces.errors.SpecError: samplr: unknown key (did you mean 'sampler'?)
    """
    if not isinstance(data, Mapping):
        keys = ", ".join(TOP_KEYS)
        raise SpecError(f"{source}: a spec must be a mapping of keys ({keys}), got {show(data)}")
    reject_unknown("", data, (*TOP_KEYS, *SPACE_SHORTHANDS))
    default_name = Path(source).stem if source != "<dict>" else "sweep"
    get = data.get
    max_concurrent = get("max_concurrent")
    return SweepSpec(
        name=need_str("name", get("name", default_name)),
        trainable=_trainable(get("trainable", "mlp")),
        data=None if get("data") is None else need_str("data", get("data")),
        metric=need_str("metric", get("metric", "dev_accuracy")),
        mode=_mode(get("mode", "max")),
        samples=need_int("samples", get("samples", 16), minimum=1),
        sampler=need_choice("sampler", get("sampler", "random"), SAMPLERS, "sampler"),
        seed=need_int("seed", get("seed", 0)),
        baseline=need_flag("baseline", get("baseline", True)),
        scheduler=parse_scheduler(get("scheduler")),
        rounds=parse_rounds(get("rounds")),
        resources=_resources(get("resources")),
        max_concurrent=None if max_concurrent is None else need_int("max_concurrent", max_concurrent, 1),
        time_budget=None if get("time_budget") is None else parse_duration(get("time_budget"), "time_budget"),
        trial_timeout=None if get("trial_timeout") is None else parse_duration(get("trial_timeout"), "trial_timeout"),
        tracking=_tracking(get("tracking")),
        tracking_uri=None if get("tracking_uri") is None else need_str("tracking_uri", get("tracking_uri")),
        target_accuracy=None
        if get("target_accuracy") is None
        else need_number("target_accuracy", get("target_accuracy"), "a number in (0, 1]", lambda x: 0 < x <= 1),
        early_stopping=_early_stopping(get("early_stopping")),
        target_metric=None
        if get("target_metric") is None
        else need_number("target_metric", get("target_metric"), "a finite number", math.isfinite),
        space=Space.from_dict(_space_with_shorthands(data)),
        source=source,
    )


def _early_stopping(value: Any) -> EarlyStoppingSpec | None:
    """``early_stopping: {patience: N}`` (N ≥ 1 epochs without improvement), or None when absent."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SpecError(f"early_stopping: must be a mapping {{patience: N}}, got {show(value)}: write e.g. "
                        "early_stopping: {patience: 5}")  # fmt: skip
    reject_unknown("early_stopping", value, ["patience"])
    if "patience" not in value:
        raise SpecError("early_stopping: needs patience (epochs without improvement): write e.g. {patience: 5}")
    return EarlyStoppingSpec(patience=need_int("early_stopping.patience", value["patience"], minimum=1))


def _space_with_shorthands(data: Mapping[str, Any]) -> Any:
    """The space, with the top-level shorthands (``label: target``) added as fixed values."""
    space = data.get("space")
    given = {key: data[key] for key in SPACE_SHORTHANDS if data.get(key) is not None}
    if not given:
        return space
    if space is not None and not isinstance(space, Mapping):
        return space  # Space.from_dict names the mistake
    merged = dict(space or {})
    for key, value in given.items():
        need_str(key, value)
        if key in merged and merged[key] != value:
            raise SpecError(
                f"{key}: given at the top ({show(value)}) and under space ({show(merged[key])}): keep one "
                f"(the top-level `{key}: {value}` is the same as `space: {{{key}: {value}}}`)"
            )
        merged[key] = value
    return merged


def _trainable(value: Any) -> str:
    if isinstance(value, str) and (value.isidentifier() or _FUNCTION_REF.match(value)):
        return value
    raise SpecError(
        "trainable: must be a built-in's name (an identifier, e.g. mlp or cnn1d) or 'package.module:function', "
        f"got {show(value)}"
    )


def _mode(value: Any) -> str:
    if value not in MODES:
        raise SpecError(f"mode: must be 'min' or 'max', got {show(value)}")
    return str(value)


def _tracking(value: Any) -> tuple[str, ...]:
    """`tracking: [mlflow, tensorboard]` (or one name); each tracker at most once."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple):
        raise SpecError(f"tracking: must be a list of trackers ({', '.join(TRACKERS)}), got {show(value)}")
    for name in names:
        need_choice("tracking", name, TRACKERS, "tracker")
    return tuple(dict.fromkeys(names))


def _resources(value: Any) -> ResourcesSpec:
    if value is None:
        return ResourcesSpec()
    data = need_mapping("resources", value)
    reject_unknown("resources", data, ["cpu", "gpu"])
    cpu = need_number("resources.cpu", data.get("cpu", 1), "a number > 0", lambda x: x > 0)
    gpu = need_number("resources.gpu", data.get("gpu", 0), "a number ≥ 0", lambda x: x >= 0)
    return ResourcesSpec(cpu=_int_if_integral(cpu), gpu=_int_if_integral(gpu))


def _int_if_integral(x: float) -> float:
    return int(x) if float(x).is_integer() else float(x)


def load_spec(source: str | Path | Mapping[str, Any] | None = None) -> SweepSpec:
    """Load a spec from a YAML path, a bundled preset name, or a dict; None gives the default preset.

    Example:
        >>> load_spec("digits-momentum").space["lr"].describe()
        'loguniform [0.0001, 1]'
    """
    from search_spaces.presets import DEFAULT_PRESET, preset_names, preset_path
    from search_spaces.yamlio import read_yaml_file

    if source is None:
        source = DEFAULT_PRESET
    if isinstance(source, Mapping):
        return parse_spec(source)
    if not isinstance(source, str | Path):
        raise SpecError(f"spec: give a path to a YAML file, a preset name or a dict, got {show(source)}")
    path = Path(source)
    if path.is_file():
        return parse_spec(read_yaml_file(path, str(source)), str(source))
    name = str(source)
    if name in preset_names():
        return parse_spec(read_yaml_file(preset_path(name), name), name)
    raise SpecError(
        f"spec {name!r} not found: give a path to a YAML file or a preset name ({', '.join(preset_names())})"
    )

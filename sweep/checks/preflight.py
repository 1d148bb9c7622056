"""The launch's pre-flight: every check a spec must pass before Ray starts, behind one function.

`sweep validate` runs it and `run_sweep` runs it again before starting Ray, so whatever `launch` would fail
on (a trainable that cannot be imported or called, a config value the trainable refuses, a metric it never
reports, a dataset that cannot be read) is one line before any trial runs. The built-in trainables declare
their config keys, ranges and metrics (:func:`trainables.config.declaration`); a user's own trainable is
imported and checked to be callable with one config argument. Data strings are resolved without loading big
data (see :mod:`sweep.checks.data`).
"""

from __future__ import annotations

import difflib
import inspect
import itertools
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from search_spaces import Param, SpecError, SweepSpec
from search_spaces.checks import show
from sweep.checks.data import check_data
from sweep.cluster.launcher import project_dir
from sweep.store.schema import check_not_reserved
from sweep_errors import SweepError


def preflight(spec: SweepSpec, function: Callable[..., Any] | None = None) -> None:
    """Check everything a launch of `spec` needs, before anything starts; raise a one-line SweepError.

    A :class:`SweepSpec` already has a plain name, `samples` and `seed` in range and
    `pow2` bounds that are powers of two (checked when it is built). Checks, in order: the space is not
    empty and uses no results column's name; the trainable imports and
    takes a config (a built-in one: every space key is one it declares, every value or range lies in what
    it accepts, the metric is one it reports); the data resolves (a built-in name with valid options, or a
    readable file with the label column and numeric features).

    Args:
        spec: the parsed spec, with any command-line overrides (``--samples``, ``--name``, ``--set``) applied.
        function: the trainable itself, when `run_sweep` was given a function object (checked, not imported).

    Raises:
        SpecError: a spec value that cannot run (the message names the key, the rule and the fix).
        DataError: data that cannot be read (names the file and the fix).

    Example:
        >>> from search_spaces import parse_spec
        >>> preflight(parse_spec({"space": {"optimizer": "adamw"}}))
        Traceback (most recent call last):
        search_spaces.errors.SpecError: space.optimizer: unknown optimizer 'adamw' (choose sgd, momentum, rmsprop, adam)
    """
    check_not_reserved(spec.space.require_parameters().names)
    if function is not None:
        check_signature(function, getattr(function, "__name__", repr(function)))
        return
    declared = check_trainable(spec)
    if declared is None:
        return  # a user's trainable: its keys, metrics and data are its own business
    check_space_values(spec, declared)
    check_metric(spec, declared)
    base = project_dir(spec)
    for data, label, split, split_seed in data_cases(spec, declared.defaults):
        check_data(data, base, label=label, split=split, split_seed=split_seed)


# --- the trainable -------------------------------------------------------------------------------------------
def check_trainable(spec: SweepSpec) -> Any:
    """The built-in trainable's declaration; for a user's trainable, import it, check it, return None."""
    from trainables.registry import BUILTINS, declaration

    if spec.trainable in BUILTINS:
        return declaration(spec.trainable)  # without importing the model: no torch in `sweep validate`
    if ":" not in spec.trainable:
        names = sorted(BUILTINS)
        close = difflib.get_close_matches(spec.trainable, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"built-ins: {', '.join(names)}"
        raise SpecError(f"trainable: unknown built-in {show(spec.trainable)} ({hint}); or give package.module:function")
    check_callable(spec.trainable, project_dir(spec))
    return None


def check_callable(reference: str, project: Path) -> None:
    """Import ``package.module:function`` (the project directory first on the path) and check it takes a config.

    Example:
        >>> check_callable("os:getcwd", Path("."))
        Traceback (most recent call last):
        search_spaces.errors.SpecError: trainable: 'os:getcwd' cannot be called with one config argument \
(its signature is ()): a trainable is def train(config): ...
    """
    from trainables.registry import resolve_callable

    if str(project) not in sys.path:
        sys.path.insert(0, str(project))  # as the launch does: the user's module lives beside the spec
    check_signature(resolve_callable(reference), reference)


def check_signature(target: Callable[..., Any], reference: str) -> None:
    """`target` can be called with one config argument."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # some C callables have none: nothing more to check
        return
    try:
        signature.bind({})
    except TypeError:
        raise SpecError(
            f"trainable: {reference!r} cannot be called with one config argument (its signature is {signature}): "
            "a trainable is def train(config): ..."
        ) from None


# --- the space against what the built-in trainable declares ----------------------------------------------
def check_space_values(spec: SweepSpec, declared: Any) -> None:
    """Every space key is one the trainable reads, and every value it can take is one the trainable accepts."""
    keys: Mapping[str, Any] = declared.keys
    for param in spec.space.values():
        rule = keys.get(param.name)
        if rule is None:
            close = difflib.get_close_matches(param.name, list(keys), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"its keys: {', '.join(keys)}"
            raise SpecError(
                f"space.{param.name}: the {declared.name} trainable has no config key {param.name!r} ({hint})"
            )
        if rule.integral and param.is_continuous:
            low, high = param.bounds()
            raise SpecError(
                f"space.{param.name}: {param.scale} gives fractional values but {param.name} takes integers: "
                f"write {param.name}: {{int: [{math.ceil(low)}, {math.floor(high)}]}}"
            )
        if rule.odd and param.scale == "int":  # its ends may be odd, the values between are not all
            low, high = param.bounds()
            odd = [str(v) for v in range(math.ceil(low), math.floor(high) + 1) if v % 2][:8]
            raise SpecError(
                f"space.{param.name}: int gives even values but {param.name} takes odd ones only: "
                f"write {param.name}: {{choice: [{', '.join(odd)}]}}"
            )
        for value in corner_values(param):
            _check_value(param, rule, value, declared.name)
    for combination in _corner_configs(spec, declared):
        try:
            declared.check_combination(combination)
        except SweepError as err:
            raise SpecError(str(err).replace("config.", "space.", 1)) from None


def corner_values(param: Param) -> list[Any]:
    """The values that bound what `param` can produce: its ends (ranges are intervals), levels and default."""
    values = list(param.values) if param.values else [param.low, param.high]
    if param.default is not None and not param.is_constant:
        values.append(param.default)
    return values


def _check_value(param: Param, rule: Any, value: Any, trainable: str) -> None:
    try:
        rule(param.name, value)
    except SweepError as err:
        reason = str(err).partition(": ")[2]
        if param.is_constant:
            raise SpecError(f"space.{param.name}: {reason}") from None
        raise SpecError(
            f"space.{param.name}: {param.describe()} can give {show(value)}, which the {trainable} trainable "
            f"refuses: {reason}"
        ) from None


def _corner_configs(spec: SweepSpec, declared: Any) -> Iterable[dict[str, Any]]:
    """Configs at the corners of the space, for the rules that involve several keys (a few dozen at most)."""
    names = [p.name for p in spec.space.values() if p.name in declared.keys]
    options = [corner_values(spec.space[name])[:8] for name in names]
    base = dict(declared.defaults)
    count = math.prod(len(o) for o in options)
    if count > 4096:  # too many corners: the default config only
        yield {**base, **{name: corner_values(spec.space[name])[-1] for name in names}}
        return
    for values in itertools.product(*options):
        yield {**base, **dict(zip(names, values, strict=True))}


def check_metric(spec: SweepSpec, declared: Any) -> None:
    """The sweep's metric is one the trainable reports."""
    if spec.metric in declared.metrics:
        return
    close = difflib.get_close_matches(spec.metric, list(declared.metrics), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise SpecError(
        f"metric: the {declared.name} trainable never reports {show(spec.metric)} "
        f"({hint}it reports {', '.join(declared.metrics)})"
    )


# --- data ------------------------------------------------------------------------------------------------------
def data_cases(spec: SweepSpec, defaults: Mapping[str, Any]) -> list[tuple[str, str, Any, int]]:
    """Every (data, label, split, split_seed) a trial can get: the space's values override the spec's `data`."""

    def levels(name: str, fallback: Any) -> list[Any]:
        param = spec.space.get(name)
        if param is None:
            return [fallback]
        return [fallback] if param.is_numeric else list(param.values)

    datas = levels("data", spec.data if spec.data is not None else defaults["data"])
    labels = levels("label", defaults["label"])
    splits = levels("split", defaults["split"])
    seeds = levels("split_seed", defaults["split_seed"])
    return [(str(d), str(lab), s, int(k)) for d, lab, s, k in itertools.product(datas, labels, splits, seeds)][:64]

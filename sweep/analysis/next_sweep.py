"""The next sweep's spec from the advice (`sweep analyze --next-spec`): it carries out every line printed.

- an edge line: the crowded range widened as the line says;
- a high-bias line: capacity up (``hidden_units`` and ``layers`` ranges raised or added) and epochs raised;
- a high-variance line: regularisation added or widened (``l2`` up, ``keep_prob`` down);
- the tiers line: settled parameters held at the winner's values;
- a divergence line: the diverging region left out of the range; a vanishing/exploding line: the course's
  init for the winner's activation; an early-stopping line (without a variance line): regularisation added;
- every other tuned range zoomed on the best trials.

Each change is listed in the written file's header with the advice line that made it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search_spaces import Param, Space, SweepSpec
from search_spaces.zoom import zoom
from sweep.analysis.advice import TOP_FRACTION, Advice, format_value, is_missing, plain_value
from sweep.analysis.advice_bias_variance import BIAS_KNOBS, VARIANCE_KNOBS
from sweep.analysis.advice_edge import EDGE_MIN_TRIALS, MARGIN, widen_once
from sweep.store import schema as S
from sweep.store.layout import SPEC_FILE

if TYPE_CHECKING:
    from sweep.analysis.importance import Importance
    from sweep.store.results import SweepResult
    from trainables.keys import Declaration

EPOCHS_FACTOR = 2  # "train longer": the next sweep trains this many times as long


@dataclass(frozen=True)
class Change:
    """One change the next spec makes: the parameter, what it became, and the advice line (1-based) behind it."""

    param: str
    text: str
    line: int
    kind: str


def next_spec(spec: SweepSpec, result: SweepResult, imp: Importance, advice: list[Advice] | None = None) -> SweepSpec:
    """The next sweep's spec (see the module docstring); the same data, trainable, metric and the rest.

    Example:
        >>> nxt = next_spec(spec, result, importance)  # doctest: +SKIP
        >>> nxt.name  # doctest: +SKIP
        'digits-momentum-next'
    """
    return plan_next(spec, result, imp, advice)[0]


def plan_next(
    spec: SweepSpec, result: SweepResult, imp: Importance, advice: list[Advice] | None = None
) -> tuple[SweepSpec, list[Change]]:
    """:func:`next_spec` and the changes it made, each tied to its advice line."""
    from sweep.analysis.advisor import advise
    from trainables.registry import BUILTINS

    advice = advise(result, imp, spec) if advice is None else advice
    record = BUILTINS.get(spec.trainable)
    declaration = record.declaration if record is not None else None
    known = set(record.config_keys) if record is not None else set(spec.space)
    ranked = result.ranked(usable=True)
    winner = ranked.iloc[0] if not ranked.empty else None
    space = spec.space
    if len(ranked) >= EDGE_MIN_TRIALS:
        space = zoom(space, space, _results(ranked, space), result.mode, TOP_FRACTION, MARGIN, ranked=True)
    changes: list[Change] = []

    def put(param: Param, line: int, kind: str, text: str) -> None:
        nonlocal space
        space = space.with_param(param)
        changes.append(Change(param.name, text, line, kind))

    for line, item in enumerate(advice, start=1):
        if item.kind == "edge" and isinstance(item.change, Param):
            put(item.change, line, "edge", f"{item.change.name}: {spec.space[item.change.name].describe()} → "
                f"{item.change.range_text()}")  # fmt: skip
        elif item.kind == "tiers" and item.change and winner is not None:
            for name in item.change:
                if name in space and name in winner and not is_missing(winner[name]):
                    value = plain_value(winner[name])
                    space = space.hold(name, value)
                    changes.append(Change(name, f"{name}: held at {format_value(value)}", line, "tiers"))
        elif item.kind == "divergence" and isinstance(item.change, dict):
            for kept in item.change.values():
                if kept.name in space and not space[kept.name].is_fixed:
                    put(kept, line, "divergence", f"{kept.name}: {spec.space[kept.name].describe()} → "
                        f"{kept.range_text()} (the diverging region left out)")  # fmt: skip
        elif item.kind == "gradients" and isinstance(item.change, dict):
            for key, value in item.change.items():
                if key in known:
                    put(Param.from_entry(key, value), line, "gradients", f"{key}: {value} (the course's init)")
        elif item.kind in ("bias", "variance") or (
            item.kind == "early-stopping" and not any(c.kind == "variance" for c in changes)
        ):
            table = BIAS_KNOBS if item.kind == "bias" else VARIANCE_KNOBS
            for name, suggestion in table.items():
                if name not in known and name not in spec.space:
                    continue
                moved = _move(name, item.kind, spec.space.get(name), suggestion, winner, declaration)
                if moved is not None:
                    before = spec.space[name].describe() if name in spec.space else "(not in the space)"
                    put(moved, line, item.kind, f"{name}: {before} → {moved.describe()}")
    name = spec.name if spec.name.endswith("-next") else f"{spec.name}-next"
    return spec.replace(name=name, space=space), changes


def _move(
    name: str,
    kind: str,
    current: Param | None,
    suggestion: dict[str, Any],
    winner: Any,
    declaration: Declaration | None,
) -> Param | None:
    """The range a bias (capacity up, epochs longer) or variance (more regularisation) line asks for: a tuned
    range moved one step in that direction; a held or absent knob given the range the line prints."""
    sensible = declaration.keys[name].sensible() if declaration and name in declaration.keys else (-math.inf, math.inf)
    tuned = current is not None and not current.is_fixed and current.is_numeric
    if name == "epochs":
        if current is not None and tuned:
            return widen_once(current, [current.extent()[0]], "high", 0.0, sensible)
        value = winner.get("epochs") if winner is not None else None
        if current is not None and current.is_fixed:
            value = current.values[0]
        elif value is None or is_missing(value):
            value = declaration.defaults.get("epochs") if declaration is not None else None
        epochs = int(plain_value(value)) if value is not None else 0
        return Param.from_entry("epochs", int(min(sensible[1], EPOCHS_FACTOR * epochs))) if epochs > 0 else None
    if current is not None and tuned:
        if kind == "bias":  # capacity up: from the winner's value to one step past the top
            start = winner.get(name) if winner is not None else None
            start = plain_value(start) if start is not None and not is_missing(start) else current.extent()[0]
            return widen_once(current, [start], "high", 0.0, sensible)
        up = name != "keep_prob"  # more regularisation: λ up, keep_prob down
        low, high = current.extent()
        return widen_once(current, [low if up else high], "high" if up else "low", 0.0, sensible)
    if not suggestion:
        return None
    tier = current.tier if current is not None else None
    return Param.from_entry(name, {**suggestion, **({"tier": tier} if tier is not None else {})})


def _results(ranked: Any, space: Space) -> list[tuple[dict[str, Any], float]]:
    return [
        (
            {name: plain_value(row[name]) for name in space if name in row and not is_missing(row[name])},
            float(row[S.BEST]),
        )
        for _, row in ranked.iterrows()
    ]


def write_next_spec(analysis: Any, path: str | Path) -> Path:
    """Writes :func:`next_spec` of an analysed sweep directory as YAML, validated by reading it back; its
    header lists the advice and each change with the line that made it.

    Raises:
        SweepError: the analysis is of an exported table (no spec), or the written spec does not validate.
    """
    import yaml

    from search_spaces import load_spec
    from sweep_errors import SweepError

    if analysis.spec is None:
        raise SweepError(
            f"--next-spec: '{analysis.result.name}' is an exported table with no {SPEC_FILE}: "
            "give the sweep directory instead"
        )
    spec, changes = plan_next(analysis.spec, analysis.result, analysis.importance, list(analysis.advice))
    target = Path(path).expanduser()
    lines = [f"# Next sweep after {analysis.result.name}, written by `sweep analyze --next-spec`. The advice:"]
    lines += [f"#   [{number}] {advice.text}" for number, advice in enumerate(analysis.advice, start=1)]
    lines.append("# What this spec changes, and the advice line that asked for it:")
    lines += [f"#   {change.text}  (line [{change.line}], {change.kind})" for change in changes] or ["#   nothing"]
    lines.append("# Every other tuned range is zoomed on the best trials.")
    target.write_text("\n".join(lines) + "\n" + yaml.safe_dump(spec.to_dict(), sort_keys=False), encoding="utf-8")
    load_spec(target)  # what `sweep launch` will read must validate
    return target

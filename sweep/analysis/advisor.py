"""The recipe advisor: what to try next, from a sweep's tables and its space (pure functions, no Ray).

Three pieces of the course's basic recipe, each naming the figures it rests on, and each withheld (with a
line saying why) when the sweep has too few trials to support it:

- **edge of range**: the best trials crowd a bound of a parameter's range, in the parameter's own
  coordinate (log10 α, log10(1−β), log2 of a batch size): the optimum may lie outside; widen past it.
- **bias vs variance** of the winner, from its train and dev accuracy at its best epoch, against
  `target_accuracy` (a human-level proxy) when the spec gives one: high bias → a bigger network, longer
  training; high variance → regularisation, more data. The knobs named are the ones the trainable has.
- **tiers**: which tier's parameters still carry the importance, and which parameters can be held.

:func:`next_spec` turns the advice into the next sweep's spec; :func:`advice_lines` is the one call the
end of `sweep launch` needs.

Example:
    >>> from sweep.analysis.advisor import advice_lines
    >>> print("\\n".join(advice_lines("sweeps/digits-momentum-20261122-120000")))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from search_spaces import Param, Space, SweepSpec
from search_spaces.zoom import EDGE_BAND, crowded_edge, trend_rho, widen_past_edge, zoom
from sweep.store import schema as S

if TYPE_CHECKING:
    from sweep.analysis import Source
    from sweep.analysis.importance import Importance
    from sweep.store.results import SweepResult

EDGE_MIN_TRIALS = 8  # finished trials before a crowded edge means more than luck
TOP_FRACTION = 0.25  # "the best trials": the top quarter (at least two)
TIER_MIN_TRIALS = 12  # trials before importance may settle a tier
TIER_MIN_R2 = 0.2  # below this the forest explains too little to hold anything
HOLD_SHARE = 0.05  # a parameter with less importance than this can be held at its best
GAP = 0.02  # two points of accuracy: a bias or variance gap below this is not worth acting on
MARGIN = 0.1  # widening of a zoomed range, as for `rounds.margin`

# The mlp trainable's knobs for each diagnosis, with a range to try when the spec holds them fixed.
VARIANCE_KNOBS: dict[str, dict[str, Any]] = {
    "l2": {"loguniform": [1e-5, 1e-2]},
    "keep_prob": {"uniform": [0.5, 1.0]},
}
BIAS_KNOBS: dict[str, dict[str, Any]] = {
    "hidden_units": {"int": [64, 512]},
    "layers": {"int": [1, 4]},
    "epochs": {},
}


@dataclass(frozen=True)
class Advice:
    """One piece of advice.

    Attributes:
        kind: ``edge``, ``bias``, ``variance``, ``fit``, ``tiers`` or ``skipped``.
        text: one line, naming the figures it rests on.
        param: the parameter it is about, when there is one.
    """

    kind: str
    text: str
    param: str | None = None


def coordinate_name(param: Param) -> str:
    """How the advice names a parameter's own coordinate.

    Example:
        >>> coordinate_name(Param.from_entry("momentum", {"beta": [0.9, 0.999]}))
        'log10(1−momentum)'
    """
    return param.scale_type.coordinate_name(param)


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _top(ranked: pd.DataFrame) -> pd.DataFrame:
    return ranked.head(max(2, math.ceil(TOP_FRACTION * len(ranked))))


# --- edge of range ---------------------------------------------------------------------------------------
def edge_advice(
    ranked: pd.DataFrame, space: Space, metric: str, margin: float = MARGIN, mode: str = "max"
) -> list[Advice]:
    """For each tuned numeric parameter whose best trials crowd a bound: say so and give a widened range.

    Args:
        ranked: finished trials, best first (a finite best metric each).
        space: the ranges the trials were drawn from (the spec's space).
        metric: the metric's name, for the text.
        margin: widening of the far side, as a fraction of the range (see :func:`widen_past_edge`).
        mode: whether a higher (``max``) or lower metric is better, for the trend toward a bound.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-5, 1e-3]}})
        >>> ranked = pd.DataFrame({"lr": [9e-4, 8e-4, 7e-4, 1e-4, 5e-5, 3e-5, 2e-5, 1e-5],
        ...                        "best_metric": [.9, .89, .88, .5, .4, .3, .2, .1]})
        >>> edge_advice(ranked, space, "dev_accuracy")[0].text.split(":")[0]
        'lr'
    """
    if len(ranked) < EDGE_MIN_TRIALS:
        return [
            Advice(
                "skipped",
                f"edge of range: not judged ({len(ranked)} finished trials; it needs at least {EDGE_MIN_TRIALS})",
            )
        ]
    top = _top(ranked)
    out = []
    for param in space.tuned():
        if not param.is_numeric or param.name not in top:
            continue
        values = [_plain(v) for v in top[param.name] if not _missing(v) and param.contains(_plain(v))]
        trend = _trend(ranked, param, mode)
        edge = crowded_edge(param, values, trend=trend)
        if edge is None:
            continue
        rho = trend_rho(param, *trend)
        lo, hi = param.coord_bounds()
        near = sum(abs(param.coord(v) - (hi if _coord_side(param, edge) == "high" else lo)) <= EDGE_BAND * (hi - lo)
                   for v in values)  # fmt: skip
        widened = widen_past_edge(param, values, margin, trend=trend)
        best_metric = float(ranked[S.BEST].iloc[0])
        bound = param.extent()[1 if edge == "high" else 0]
        out.append(
            Advice(
                "edge",
                f"{param.name}: the best trials crowd the {'upper' if edge == 'high' else 'lower'} bound "
                f"{_fmt(bound)} of {param.describe()}: the best ({_fmt(values[0])}, {metric} {best_metric:.4g}) "
                f"and {near} of the top {len(values)} lie within {EDGE_BAND:.0%} of it in {coordinate_name(param)}"
                f"{_rho_text(rho, metric, edge, param, len(trend[0]))}; "
                f"widen to {widened.range_text()} (or set rounds: {{expand: true}})",
                param.name,
            )
        )
    return out


def _trend(ranked: pd.DataFrame, param: Param, mode: str) -> tuple[list[Any], list[float]]:
    """Every finished trial's value of `param` and its score (higher = better)."""
    sign = 1.0 if mode == "max" else -1.0
    pairs = [
        (_plain(v), sign * float(m))
        for v, m in zip(ranked[param.name], ranked[S.BEST], strict=True)
        if not _missing(v) and param.contains(_plain(v)) and math.isfinite(float(m))
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _rho_text(rho: float, metric: str, edge: str, param: Param, n: int) -> str:
    if math.isnan(rho):
        return ""
    toward = rho if _coord_side(param, edge) == "high" else -rho
    if toward <= 0:
        return ""
    return f", and {metric} improves toward it (Spearman ρ {rho:+.2f} with {coordinate_name(param)}, {n} trials)"


def _coord_side(param: Param, real_side: str) -> str:
    if param.scale_type.reversed:
        return "low" if real_side == "high" else "high"
    return real_side


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- bias vs variance ------------------------------------------------------------------------------------
def bias_variance_advice(
    winner: pd.Series,
    history: pd.DataFrame,
    metric: str,
    space: Space,
    target_accuracy: float | None = None,
    knobs: set[str] | None = None,
) -> list[Advice]:
    """The winner's avoidable bias (target − train accuracy) and variance (train − dev accuracy).

    Read at the winner's best epoch of `metric`. Without a target the proxy is 100% accuracy, and the
    advice says so. A gap under :data:`GAP` is not acted on.

    Args:
        winner: the best trial's row of trials.csv.
        history: every trial's per-epoch rows (``train_accuracy`` and ``dev_accuracy`` needed).
        metric: the sweep's metric (the epoch is chosen by it).
        space: the spec's space, to say whether a knob is tuned, held, or absent.
        target_accuracy: the human-level proxy, from the spec.
        knobs: config keys the trainable reads (None: the built-in mlp's).

    Example:
        >>> history = pd.DataFrame({"plan_id": ["a"], "epoch": [20], "train_accuracy": [1.0],
        ...                         "dev_accuracy": [0.9]})
        >>> winner = pd.Series({"plan_id": "a", "status": "completed"})
        >>> bias_variance_advice(winner, history, "dev_accuracy", Space())[0].kind
        'variance'
    """
    plan_id = winner.get(S.PLAN_ID)
    if history.empty or "train_accuracy" not in history or "dev_accuracy" not in history:
        return [
            Advice(
                "skipped",
                "bias vs variance: not judged (no train_accuracy and dev_accuracy per epoch in history.csv: "
                "report both from the trainable each epoch)",
            )
        ]
    rows = history[history[S.PLAN_ID] == plan_id]
    key = metric if metric in rows else "dev_accuracy"
    values = pd.to_numeric(rows[key], errors="coerce")
    if rows.empty or values.isna().all():
        return [Advice("skipped", f"bias vs variance: not judged (no epochs recorded for the winner {plan_id})")]
    row = rows.loc[values.idxmax() if "loss" not in key else values.idxmin()]
    train, dev = float(row["train_accuracy"]), float(row["dev_accuracy"])
    target = 1.0 if target_accuracy is None else float(target_accuracy)
    proxy = "target_accuracy" if target_accuracy is not None else "no target_accuracy in the spec, so 100%"
    bias, variance = target - train, train - dev
    figures = (
        f"winner {plan_id} at epoch {_plain(row.get(S.EPOCH))}: train accuracy {train:.4f}, dev {dev:.4f}, "
        f"target {target:.4f} ({proxy}): avoidable bias {bias:+.4f}, variance {variance:+.4f}"
    )
    status = str(winner.get(S.STATUS, ""))
    caveat = f" (the winner was {status}: its numbers are from fewer epochs)" if status == S.PRUNED else ""
    known = set(knobs) if knobs is not None else set(VARIANCE_KNOBS) | set(BIAS_KNOBS)
    if variance >= GAP and variance >= bias:
        tips = _knob_tips(VARIANCE_KNOBS, known, space, winner)
        return [Advice("variance", f"high variance: {figures}{caveat}; regularise: {tips}; or get more data")]
    if bias >= GAP:
        tips = _knob_tips(BIAS_KNOBS, known, space, winner)
        return [Advice("bias", f"high bias: {figures}{caveat}; fit the training set better: {tips}")]
    return [Advice("fit", f"neither bias nor variance above {GAP:.2f}: {figures}{caveat}")]


def _knob_tips(table: dict[str, dict[str, Any]], known: set[str], space: Space, winner: pd.Series) -> str:
    tips = []
    for name, suggestion in table.items():
        if name not in known and name not in space:
            continue
        param = space.get(name)
        if name == "epochs":
            current = winner.get("epochs", param.values[0] if param is not None and param.is_fixed else None)
            tips.append(
                f"train longer (epochs {_fmt(_plain(current))} → more)" if current is not None else "train longer"
            )
        elif param is not None and not param.is_fixed:
            tips.append(f"{name} (tuned over {param.range_text()}; winner {_fmt(_plain(winner.get(name)))})")
        elif param is not None:
            tips.append(f"tune {name} (held at {param.range_text()}), e.g. {name}: {_entry(suggestion)}")
        else:
            tips.append(f"add {name}: {_entry(suggestion)}")
    return ", ".join(tips) if tips else "(the trainable names none of the usual knobs)"


def _entry(entry: dict[str, Any]) -> str:
    scale, bounds = next(iter(entry.items()))
    return f"{{{scale}: [{', '.join(_fmt(b) for b in bounds)}]}}"


# --- tiers ----------------------------------------------------------------------------------------------
def tier_advice(imp: Importance, space: Space) -> list[Advice]:
    """Which tier's parameters still matter, and which parameters can be held at their best.

    Example:
        >>> from sweep.analysis.importance import Importance
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "tier": 1},
        ...                          "layers": {"int": [1, 3], "default": 1, "tier": 3}})
        >>> imp = Importance({"lr": 0.97, "layers": 0.03}, 0.8, 30, "")
        >>> for part in tier_advice(imp, space)[0].text.split(": "):
        ...     print(part)
        tiers
        importance by tier (R² 0.80, 30 trials)
        tier 1 (lr) 97%, tier 3 (layers) 3%
        keep tuning tier 1; hold layers at their best (each < 5%)
    """
    if imp.trials < TIER_MIN_TRIALS or not imp.scores or math.isnan(imp.r2) or imp.r2 < TIER_MIN_R2:
        r2 = "n/a" if math.isnan(imp.r2) else f"{imp.r2:.2f}"
        return [
            Advice(
                "skipped",
                f"tiers: not judged ({imp.trials} trials, importance R² {r2}; it needs at least "
                f"{TIER_MIN_TRIALS} trials and R² ≥ {TIER_MIN_R2})",
            )
        ]
    by_tier: dict[int | None, list[str]] = {}
    for name in imp.scores:
        tier = space[name].tier if name in space else None
        by_tier.setdefault(tier, []).append(name)
    shares = {tier: sum(imp.scores[n] for n in names) for tier, names in by_tier.items()}
    order = sorted(shares, key=lambda t: -shares[t])
    parts = [f"{_tier_name(t)} ({', '.join(by_tier[t])}) {shares[t]:.0%}" for t in order]
    text = f"tiers: importance by tier (R² {imp.r2:.2f}, {imp.trials} trials): {', '.join(parts)}"
    text += f": keep tuning {_tier_name(order[0])}"
    held = held_params(imp)
    if held:
        text += f"; hold {', '.join(held)} at their best (each < {HOLD_SHARE:.0%})"
    return [Advice("tiers", text)]


def held_params(imp: Importance) -> list[str]:
    """Parameters whose importance is below :data:`HOLD_SHARE` (none when the evidence is too thin)."""
    if imp.trials < TIER_MIN_TRIALS or math.isnan(imp.r2) or imp.r2 < TIER_MIN_R2:
        return []
    return [name for name, score in imp.ordered() if score < HOLD_SHARE]


def _tier_name(tier: int | None) -> str:
    return "untiered" if tier is None else f"tier {tier}"


# --- all of it, and the next spec ------------------------------------------------------------------------
def advise(source: Source, imp: Importance, spec: SweepSpec | None) -> list[Advice]:
    """Every piece of advice for one analysed sweep, edge first.

    Args:
        source: the sweep's tables.
        imp: its importance estimate.
        spec: the spec as run (None for an exported table: the space is inferred and no target is known).
    """
    ranked = source.ranked()
    space = spec.space if spec is not None else Space(source.params.values())
    advice = edge_advice(ranked, space, source.metric, mode=source.mode)
    if ranked.empty:
        advice.append(Advice("skipped", "bias vs variance: not judged (no finished trial)"))
    else:
        target = spec.target_accuracy if spec is not None else None
        from trainables.registry import BUILTINS

        record = BUILTINS.get(spec.trainable) if spec is not None else None
        knobs = set(record.config_keys) if record is not None else None if spec is None else set(space)
        fit = bias_variance_advice(ranked.iloc[0], source.history, source.metric, space, target, knobs)
        edges = [a.param for a in advice if a.kind == "edge" and a.param]
        if edges and fit[0].kind in ("bias", "variance"):
            note = f" (but first move the crowded range of {', '.join(edges)}: the winner is not yet near its best)"
            fit = [Advice(fit[0].kind, fit[0].text + note, fit[0].param)]
        advice += fit
    advice += tier_advice(imp, space)
    return advice


def next_spec(spec: SweepSpec, source: Source, imp: Importance) -> SweepSpec:
    """The next sweep's spec: crowded ranges widened, the others zoomed on the best trials, settled
    parameters held at the winner's values; the same data, trainable, metric and everything else.

    Example:
        >>> nxt = next_spec(spec, source, importance)  # doctest: +SKIP
        >>> nxt.name  # doctest: +SKIP
        'digits-momentum-next'
    """
    ranked = source.ranked()
    space = spec.space
    if len(ranked) >= EDGE_MIN_TRIALS:
        results = [
            ({name: _plain(row[name]) for name in space if name in row and not _missing(row[name])}, float(row[S.BEST]))
            for _, row in ranked.iterrows()
        ]
        space = zoom(space, space, results, source.mode, TOP_FRACTION, MARGIN, expand=True)
    if not ranked.empty:
        winner = ranked.iloc[0]
        for name in held_params(imp):
            if name in space and name in winner and not _missing(winner[name]):
                space = space.hold(name, _plain(winner[name]))
    name = spec.name if spec.name.endswith("-next") else f"{spec.name}-next"
    return spec.replace(name=name, space=space)


def load_run_spec(root: Path) -> SweepSpec:
    """The spec a sweep directory ran (its spec.yaml)."""
    import yaml

    from search_spaces import parse_spec
    from search_spaces.errors import SweepError

    file = root / "spec.yaml"
    if not file.is_file():
        raise SweepError(f"'{root}': no spec.yaml: --next-spec needs a sweep directory, not an exported table")
    return parse_spec(yaml.safe_load(file.read_text()), str(file))


def advice_lines(result: SweepResult | str | Path, spec: SweepSpec | None = None) -> list[str]:
    """The advisor's lines for a finished sweep: what `sweep launch` prints at its end.

    Args:
        result: the sweep (a :class:`SweepResult` or its directory).
        spec: the spec as run; None reads the directory's spec.yaml.

    Example:
        >>> from sweep.analysis.advisor import advice_lines
        >>> for line in advice_lines(result, spec):  # doctest: +SKIP
        ...     print(line)
    """
    from sweep.analysis import load_source
    from sweep.analysis.importance import importance

    root = Path(result) if isinstance(result, str | Path) else result.path
    source = load_source(root)
    if spec is None:
        spec = load_run_spec(root)
    imp = importance(source.trials, source.params, source.mode)
    return ["advice:"] + [f"  {a.text}" for a in advise(source, imp, spec)]


def write_next_spec(analysis: Any, path: str | Path) -> Path:
    """Writes :func:`next_spec` of an analysed sweep directory as YAML, validated by reading it back.

    Raises:
        SweepError: the analysis is of an exported table (no spec), or the written spec does not validate.
    """
    import yaml

    from search_spaces import load_spec
    from search_spaces.errors import SweepError

    if analysis.spec is None:
        raise SweepError(
            f"--next-spec: '{analysis.source.name}' is an exported table with no spec.yaml: "
            "give the sweep directory instead"
        )
    spec = next_spec(analysis.spec, analysis.source, analysis.importance)
    target = Path(path).expanduser()
    lines = [f"# Next sweep after {analysis.source.name}, written by `sweep analyze --next-spec`. The advice:"]
    lines += [f"#   {advice.text}" for advice in analysis.advice]
    target.write_text("\n".join(lines) + "\n" + yaml.safe_dump(spec.to_dict(), sort_keys=False), encoding="utf-8")
    load_spec(target)  # what `sweep launch` will read must validate
    return target

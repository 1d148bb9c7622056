"""The next sweep's spec from the advice (`sweep analyze --next-spec`): crowded ranges widened, the others
zoomed on the best trials, settled parameters held at the winner's values."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from search_spaces import SweepSpec
from search_spaces.zoom import zoom
from sweep.analysis.advice import is_missing, plain_value
from sweep.analysis.advice_edge import EDGE_MIN_TRIALS, MARGIN, TOP_FRACTION
from sweep.analysis.advice_tiers import held_params
from sweep.store import schema as S

if TYPE_CHECKING:
    from sweep.analysis import Source
    from sweep.analysis.importance import Importance


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
            (
                {name: plain_value(row[name]) for name in space if name in row and not is_missing(row[name])},
                float(row[S.BEST]),
            )
            for _, row in ranked.iterrows()
        ]
        space = zoom(space, space, results, source.mode, TOP_FRACTION, MARGIN, expand=True)
    if not ranked.empty:
        winner = ranked.iloc[0]
        for name in held_params(imp):
            if name in space and name in winner and not is_missing(winner[name]):
                space = space.hold(name, plain_value(winner[name]))
    name = spec.name if spec.name.endswith("-next") else f"{spec.name}-next"
    return spec.replace(name=name, space=space)


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

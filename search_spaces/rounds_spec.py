"""The spec's `rounds:` (coarse to fine): how many rounds, how each zooms, and whether a model picks the trials."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from search_spaces.checks import need_choice, need_flag, need_int, need_number, reject_unknown, show
from search_spaces.errors import SpecError


@dataclass(frozen=True)
class RoundsSpec:
    """Coarse-to-fine rounds: after each, zoom on the best `top_fraction`, widened by `margin`.

    `regions`: a zoomed round samples around each of its best `regions` trials (± `margin` of the round's
    width, inside that zoom: :mod:`search_spaces.regions`); 0 samples the one zoomed box evenly.

    `expand`: a range whose best trials crowd one of its bounds moves past it instead of zooming in
    (in the param's own coordinate, within the scale's hard limits: see :func:`search_spaces.zoom.zoom`).

    `explore`: the share of a zoomed round's samples drawn from the whole space again (a staged round: its
    stage's space), interleaved with the zoomed ones, so a first round whose best trials were lucky readings
    still leaves later rounds a chance at the region it missed; 1/3, as BOHB's `random_fraction`.

    `model`: ``gp`` (the default) lets a surrogate of the results so far pick each trial once a round has a
    few results: a Gaussian process in the parameters' own coordinates chooses, among draws from where the
    round samples (the whole space in round 1, the regions and the envelope later), the one of highest
    upper confidence bound (:mod:`search_spaces.surrogate`); ``none`` draws each round's samples up front.

    `exploration`: that bound's weight on the model's doubt (mean + weight × spread), as (first, last): it
    falls in a straight line from `first` at a stage's first proposal to `last` at its last one, so the model
    explores while it knows little and refines the best region once the budget runs out; one number holds it.

    `batch_warmup`: ``true`` makes the model wait until it has 2 more results than trials are running (with
    `k` workers: until `2k` trials were handed out), drawing at random until then; ``false`` (the default): it
    chooses from one more result than the parameters' columns on, however many trials are still out.
    """

    count: int = 1
    top_fraction: float = 0.25
    margin: float = 0.1
    expand: bool = False
    regions: int = 3
    explore: float = 1 / 3
    model: str = "gp"
    exploration: tuple[float, float] = (2.0, 2.0)
    batch_warmup: bool = False


MODELS = ("gp", "none")


def parse_rounds(value: Any) -> RoundsSpec:
    if value is None:
        return RoundsSpec()
    if not isinstance(value, Mapping):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(
                f"rounds: must be an integer ≥ 1 or a mapping {{count, top_fraction, margin}}, got {show(value)}"
            )
        return RoundsSpec(count=value)
    reject_unknown("rounds", value, [f.name for f in dataclasses.fields(RoundsSpec)])
    d = RoundsSpec()
    return RoundsSpec(
        count=need_int("rounds.count", value.get("count", d.count), minimum=1),
        top_fraction=need_number(
            "rounds.top_fraction",
            value.get("top_fraction", d.top_fraction),
            "a number in (0, 1]",
            lambda x: 0 < x <= 1,
        ),
        margin=need_number("rounds.margin", value.get("margin", d.margin), "a number ≥ 0", lambda x: x >= 0),
        expand=need_flag("rounds.expand", value.get("expand", d.expand)),
        regions=need_int("rounds.regions", value.get("regions", d.regions), minimum=0),
        explore=need_number(
            "rounds.explore", value.get("explore", d.explore), "a number in [0, 1)", lambda x: 0 <= x < 1
        ),
        model=need_choice("rounds.model", value.get("model", d.model), MODELS, "model"),
        exploration=parse_exploration(value.get("exploration", list(d.exploration))),
        batch_warmup=need_flag("rounds.batch_warmup", value.get("batch_warmup", d.batch_warmup)),
    )


def parse_exploration(value: Any) -> tuple[float, float]:
    """`rounds.exploration`: one weight ≥ 0, or [first, last] weights ≥ 0 (a falling schedule).

    Example:
        >>> parse_exploration(2), parse_exploration([2, 0.2])
        ((2.0, 2.0), (2.0, 0.2))
    """
    rule = "a number ≥ 0 or a list [first, last] of two numbers ≥ 0 (the weight on the model's doubt)"
    pair = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(pair) != 2:
        raise SpecError(f"rounds.exploration: must be {rule}, got {show(value)}")
    first, last = (need_number("rounds.exploration", v, rule, lambda x: x >= 0) for v in pair)
    return first, last

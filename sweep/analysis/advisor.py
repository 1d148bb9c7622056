"""The recipe advisor: what to try next, from a sweep's tables and its space (pure functions, no Ray).

Three pieces of the course's basic recipe, each naming the figures it rests on, and each withheld (with a
line saying why) when the sweep has too few trials to support it:

- **edge of range**: the best trials crowd a bound of a parameter's range, in the parameter's own
  coordinate (log10 α, log10(1−β), log2 of a batch size): the optimum may lie outside; widen past it.
- **bias vs variance** of the winner, from a train/dev pair of its metrics (accuracy, a loss: `train_X` with
  `dev_X` or `val_X`) at its best epoch, against `target_metric` or `target_accuracy` (a human-level proxy)
  when the spec gives one: high bias → a bigger network, longer
  training; high variance → regularisation, more data. The knobs named are the ones the trainable has.
- **tiers**: which tier's parameters still carry the importance, and which parameters can be held.
- **diagnosis** of the training itself: vanishing or exploding gradients, which regions diverge, and dev
  loss turning up while train loss falls (:mod:`sweep.analysis.advice_gradients`,
  :mod:`sweep.analysis.advice_divergence`, :mod:`sweep.analysis.advice_early_stopping`).

:func:`advise` applies the three rules (:mod:`sweep.analysis.advice_edge`,
:mod:`sweep.analysis.advice_bias_variance`, :mod:`sweep.analysis.advice_tiers`); :func:`advice_lines` is the one
call the end of `sweep launch` needs; :func:`~sweep.analysis.next_sweep.next_spec` turns the advice into the
next sweep's spec.

Example:
    >>> from sweep.analysis.advisor import advice_lines
    >>> print("\\n".join(advice_lines("sweeps/digits-momentum-20261122-120000")))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from search_spaces import Space, SweepSpec
from sweep.analysis.advice import Advice
from sweep.analysis.advice_bias_variance import BIAS_KNOBS, VARIANCE_KNOBS, bias_variance_advice
from sweep.analysis.advice_divergence import divergence_advice
from sweep.analysis.advice_early_stopping import early_stopping_advice
from sweep.analysis.advice_edge import edge_advice
from sweep.analysis.advice_gradients import gradient_advice
from sweep.analysis.advice_tiers import held_params, tier_advice

if TYPE_CHECKING:
    from sweep.analysis.importance import Importance
    from sweep.store.results import SweepResult


def advise(result: SweepResult, imp: Importance, spec: SweepSpec | None) -> list[Advice]:
    """Every piece of advice for one analysed sweep, edge first; the lines agree with each other.

    The knobs a bias or variance line moves are not held by the tiers line; a parameter the tiers line
    holds is not widened by an edge line; edges respect the trainable's sensible ranges and conditional
    keys (:mod:`sweep.analysis.advice_edge`).

    Args:
        result: the sweep's tables.
        imp: its importance estimate.
        spec: the spec as run (None for an exported table: the space is inferred and no target is known).
    """
    from trainables.registry import BUILTINS

    ranked = result.ranked(usable=True)
    space = spec.space if spec is not None else Space(result.params.values())
    record = BUILTINS.get(spec.trainable) if spec is not None else None
    if ranked.empty:
        fit = [Advice("skipped", "bias vs variance: not judged (no finished trial)")]
    else:
        target = spec.target_accuracy if spec is not None else None
        target_metric = spec.target_metric if spec is not None else None
        knobs = set(record.config_keys) if record is not None else None if spec is None else set(space)
        fit = bias_variance_advice(
            ranked.iloc[0], result.history, result.metric, space, target, knobs, result.mode, target_metric
        )
    moved = moved_by(fit[0].kind if fit else "", space, set(record.config_keys) if record else set(space))
    held = held_params(imp, keep=moved)
    declaration = record.declaration if record is not None else None
    advice = edge_advice(
        ranked, space, result.metric, mode=result.mode, declaration=declaration, held=held, history=result.history
    )
    edges = [a.param for a in advice if a.kind == "edge" and a.param]
    if edges and fit[0].kind in ("bias", "variance"):
        note = f" (but first move the crowded range of {', '.join(edges)}: the winner is not yet near its best)"
        fit = [Advice(fit[0].kind, fit[0].text + note, fit[0].param)]
    advice += fit
    # the diagnosis of the training itself: vanishing or exploding gradients, where the sweep diverged, and the
    # early-stopping reading of dev loss against train loss
    advice += gradient_advice(ranked, result.history, result.trials, space)
    advice += divergence_advice(result.trials, space)
    advice += early_stopping_advice(ranked, result.history)
    advice += tier_advice(imp, space, keep=moved)
    return advice


def moved_by(kind: str, space: Space, known: set[str]) -> list[str]:
    """The knobs a ``bias`` or ``variance`` line moves (those the trainable reads or the space has).

    Example:
        >>> moved_by("variance", Space(), {"l2", "keep_prob", "lr"})
        ['l2', 'keep_prob']
    """
    table = BIAS_KNOBS if kind == "bias" else VARIANCE_KNOBS if kind == "variance" else {}
    return [name for name in table if name in known or name in space]


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
    from sweep.analysis.importance import importance
    from sweep.store.results import load

    result = load(result) if isinstance(result, str | Path) else result
    imp = importance(result.trials, result.params, result.mode)
    return ["advice:"] + [f"  {a.text}" for a in advise(result, imp, spec if spec is not None else result.spec)]

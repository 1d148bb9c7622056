"""`sweep validate --try`: run the trainable for one epoch, the check a static pre-flight cannot make.

A user's own trainable declares nothing: its metric names, its data handling and its first epoch are only known
by running it. This runs it once, for one epoch (the config's ``epochs`` set to 1 and the trial stopped after its
first report), the way `launch` runs it (one trial of a minimal Tune run, see :mod:`sweep.run.one_trial`), and
turns what can go wrong into one line. A built-in trainable trains one epoch in this process (no Ray).
`launch` never does this: its pre-flight stays static and fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from search_spaces import SweepSpec
from sweep_errors import SweepError


def missing_metric_message(metric: str, reported: Iterable[str]) -> str | None:
    """The one line for a first report without the spec's metric; None when the metric is there.

    Example:
        >>> print(missing_metric_message("val_loss", ["val_mse", "epoch"]))  # doctest: +ELLIPSIS
        the trainable reported val_mse, epoch but not the spec's metric val_loss: report it, or set `metric:` ...
        >>> missing_metric_message("val_loss", ["val_loss", "epoch"]) is None
        True
    """
    names = list(dict.fromkeys(reported))
    if metric in names:
        return None
    return (
        f"the trainable reported {', '.join(names) or 'no metrics'} but not the spec's metric {metric}: "
        "report it, or set `metric:` in the spec to one of these"
    )


def check_first_report(spec: SweepSpec, metrics: Mapping[str, Any]) -> None:
    """Raise the one-line error when the first report lacks the spec's metric or it is not a number."""
    message = missing_metric_message(spec.metric, metrics)
    if message is not None:
        raise SweepError(message)
    value = metrics[spec.metric]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise SweepError(f"the trainable reported {spec.metric} = {value!r}: the spec's metric must be a number")


def try_trainable(spec: SweepSpec) -> str:
    """Train the spec's default config for one epoch, check the first report, and say what it reported in a line:
    ``try: 1 epoch in 0.8 s, dev_accuracy 0.8361; reported dev_accuracy 0.8361, dev_loss 0.5, epoch 1``.

    Raises:
        SweepError: the trainable raised (its last line), reported nothing, or left out the spec's metric.

    Example:
        >>> from search_spaces import load_spec
        >>> try_trainable(load_spec("digits-adam"))  # doctest: +SKIP
        'try: 1 epoch in 0.4 s, dev_accuracy 0.8861; reported ...'
    """
    from sweep.cli.train_cmd import config_from_spec
    from trainables.registry import resolve_train_and_test

    config = config_from_spec(spec, epochs=1)
    config.setdefault("seed", spec.seed)
    started = time.perf_counter()
    train_and_test = resolve_train_and_test(spec.trainable)
    if train_and_test is None:
        from sweep.run.one_trial import train_once

        first = train_once(spec, config, " in its first epoch", max_epochs=1)[0]
    else:
        from trainables.session import LocalSession

        reports: list[dict[str, Any]] = []
        train_and_test(config, LocalSession(on_report=reports.append))
        if not reports:
            raise SweepError(f"trainable {spec.trainable!r} reported nothing in its first epoch")
        first = reports[0]
    check_first_report(spec, first)
    numbers = {k: float(v) for k, v in first.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    shown = ", ".join(f"{key} {value:.4g}" for key, value in numbers.items())
    seconds = time.perf_counter() - started
    return f"try: 1 epoch in {seconds:.1f} s, {spec.metric} {numbers[spec.metric]:.4g}; reported {shown}"

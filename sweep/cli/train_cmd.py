"""``sweep train``: train one config of a spec and report it: the check before a sweep.

A built-in trainable trains in this process (no Ray) and is scored once on the test split. A user's own
trainable (``package.module:function``, written from Ray's docs with ``tune.report``) runs as one trial of a
minimal Tune run on a local Ray, since Ray drops reports made outside a Tune session (see
:mod:`sweep.run.one_trial`); it has no test split of ours, so its last reported metrics are shown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import typer

from sweep.cli.app import SPEC_HELP, app


def config_from_spec(
    spec: Any, assignments: Iterable[tuple[str, Any]] = (), epochs: int | None = None
) -> dict[str, Any]:
    """The config `sweep train` runs: the spec's defaults, then `--set` overrides, then `--epochs`.

    For each param of ``spec.space``: its ``default`` when given, else its fixed value (``value`` scale),
    else it is left out (the trainable's own default applies). ``spec.data``, when set, gives ``data`` (a
    relative file path read from the spec's directory, as `validate` and `launch` read it).
    """
    config: dict[str, Any] = {}
    for name, param in spec.space.items():
        if param.default is not None:
            config[name] = param.default
        elif param.is_constant:
            config[name] = param.values[0]
    if getattr(spec, "data", None):
        from sweep.cluster.launcher import project_data, project_dir

        located = hasattr(spec, "source")  # a parsed spec knows its file; a bare namespace (tests) does not
        config["data"] = project_data(spec.data, project_dir(spec)) if located else spec.data  # as launch reads it
    config.update(assignments)
    if epochs is not None:
        config["epochs"] = epochs
    return config


def checked_config(spec: Any, assign: list[str] | None, epochs: int | None = None) -> dict[str, Any]:
    """:func:`config_from_spec` with the command's ``--set key=value`` texts, each key first checked against the
    keys the trainable reads (a typo is one line): the config `train`, `gradcheck` and `babysit` run."""
    from search_spaces import parse_assignment
    from sweep.checks.assignments import check_assignments

    assignments = [parse_assignment(text) for text in assign or []]
    check_assignments(spec, [key for key, _ in assignments])
    return config_from_spec(spec, assignments, epochs)


def _jsonable(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Strict JSON: non-finite floats (a diverged run's inf losses) become null."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in metrics.items()}


def _epoch_line(m: Mapping[str, Any]) -> str:
    if not {"train_loss", "train_accuracy", "dev_loss", "dev_accuracy", "lr"} <= set(m):
        return f"epoch {m.get('epoch', '?'):>3}  " + "  ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items() if k != "epoch"
        )
    from sweep.cli.babysit_cmd import epoch_line  # the built-in trainables' epoch, as babysit prints it

    return epoch_line(m)


@app.command("train")
def train(
    spec: str | None = typer.Argument(None, help=SPEC_HELP),
    assign: list[str] | None = typer.Option(None, "--set", help="Set a config key: key=value (repeatable)."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Epochs (default: the spec's)."),
    as_json: bool = typer.Option(False, "--json", metavar="", help="One JSON object per epoch, then a summary object."),
) -> None:
    """Train one config (the spec's defaults plus --set overrides) in this process and report test accuracy.

    Example: sweep train digits-momentum --set lr=0.1 --set hidden_units=128 --epochs 10
    """
    from search_spaces import load_spec
    from trainables.registry import resolve_train_and_test

    parsed = load_spec(spec)
    config = checked_config(parsed, assign, epochs)

    def show(metrics: dict) -> None:
        typer.echo(json.dumps(_jsonable(metrics)) if as_json else _epoch_line(metrics))

    train_and_test = resolve_train_and_test(parsed.trainable)
    if train_and_test is None:
        _train_user_trainable(parsed, config, show, as_json)
        return
    from trainables.data import NO_TEST_SPLIT
    from trainables.session import LocalSession  # torch: after the spec's checks, which need none

    result = train_and_test(config, LocalSession(on_report=show))
    if as_json:
        typer.echo(json.dumps(_jsonable({"summary": True, **result})))
        return
    tested = (
        f"test accuracy {result['test_accuracy']:.4f} (test loss {result['test_loss']:.4f})"
        if not math.isnan(result["test_accuracy"])
        else NO_TEST_SPLIT
    )
    typer.echo(
        f"done: {result['stopped_epoch']} epochs in {result.get('train_seconds', 0.0):.1f} s, "
        f"dev accuracy {result.get('dev_accuracy', 0.0):.4f}, {tested}" + ("  DIVERGED" if result["diverged"] else "")
    )


def _train_user_trainable(spec: Any, config: dict[str, Any], show: Any, as_json: bool) -> None:
    """One trial of the user's trainable on a local Ray (or `RAY_ADDRESS`), epochs printed as they arrive."""
    from sweep.run.one_trial import train_once

    config.setdefault("seed", spec.seed)
    history = train_once(spec, config, "", on_epoch=lambda _index, metrics: show(metrics))
    last = history[-1]
    from sweep.checks.try_run import check_first_report

    check_first_report(spec, {k: v for k, v in history[0].items() if not k.startswith("_")})  # val_loss vs val_mse
    from sweep.store.ranking import best_of

    best = best_of((m.get(spec.metric) for m in history), spec.mode)
    best = math.nan if best is None else best
    summary = {"summary": True, "epochs": len(history), f"best_{spec.metric}": best, **last}
    if as_json:
        typer.echo(json.dumps(_jsonable(summary)))
        return
    typer.echo(
        f"done: {len(history)} epochs reported, best {spec.metric} {best:.4f}, last {spec.metric} "
        f"{last.get(spec.metric, math.nan):.4f} (your trainable: no test split is scored here)"
    )

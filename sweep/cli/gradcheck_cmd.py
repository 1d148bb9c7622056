"""``sweep gradcheck``: the course's gradient check of a spec's model before trusting its backprop.

Builds the model of one config (the spec's defaults plus ``--set``, as ``sweep train`` does) in float64 with
dropout off, and compares backprop's gradient on a small training batch with the two-sided difference
quotient (:mod:`sweep.checks.gradcheck`). Exit 0 when fine or worth a closer look, 1 when wrong, 2 on a
mistake in the command.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from sweep.cli.app import SPEC_HELP, app
from sweep_errors import SweepError

_FACTORY_HELP = (
    "Your model's factory, package.module:function, called as function(config, n_features, n_classes) and "
    "returning a torch.nn.Module of logits (default: the spec's built-in trainable's model)."
)


@app.command("gradcheck")
def gradcheck(
    spec: str | None = typer.Argument(None, help=SPEC_HELP),
    assign: list[str] | None = typer.Option(None, "--set", help="Set a config key: key=value (repeatable)."),
    model: str | None = typer.Option(None, "--model", metavar="MODULE:FUNCTION", help=_FACTORY_HELP),
    examples: int = typer.Option(16, "--examples", min=1, max=4096, help="Training examples in the batch."),
    max_params: int = typer.Option(
        20_000, "--max-params", min=1, help="Parameters compared at most; an even sample beyond."
    ),
) -> None:
    """Check backpropagation against the difference quotient in float64 (dropout off) on a small batch.

    Prints the relative difference ‖dθ_approx − dθ‖ / (‖dθ_approx‖ + ‖dθ‖) against the course's thresholds:
    below 1e-7 fine, up to 1e-3 look closer, 1e-3 or more wrong (exit 1).

    Example: sweep gradcheck digits-momentum --set layers=3 --set batch_norm=true
    """
    from search_spaces import load_spec
    from sweep.cli.train_cmd import checked_config
    from sweep.cluster.launcher import project_dir
    from trainables.registry import BUILTINS

    parsed = load_spec(spec)
    config = checked_config(parsed, assign)
    config.setdefault("seed", parsed.seed)
    if model is not None:
        build = model_factory(model, project_dir(parsed))
        what = model
    elif parsed.trainable in BUILTINS:
        family = BUILTINS[parsed.trainable].family
        config = family.resolve(config)
        build, what = family.build_model, f"the {family.name} trainable's model"
    else:
        raise SweepError(
            f"gradcheck: {parsed.trainable!r} is your own trainable, whose model sweep cannot build: "
            "pass --model package.module:function (function(config, n_features, n_classes) -> torch.nn.Module)"
        )
    import torch  # after the spec's checks: a mistake in the command is refused without torch's import

    from sweep.checks.gradcheck import FINE, WRONG, ModelError, check_model

    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    seed = int(config.get("seed") or 0)
    try:
        report = check_model(build, config, examples=examples, seed=seed, max_params=max_params)
    except ModelError as err:
        raise SweepError(f"gradcheck of {what}: {err}") from None
    typer.echo(
        f"gradcheck of {what} on {config.get('data', 'digits')}: {report.examples} training examples, float64, "
        f"dropout off, {report.checked:,} of {report.total:,} parameters compared"
    )
    for note in report.notes:
        typer.echo(f"  note: {note}")
    worst, worst_value = report.worst() if report.per_tensor else ("-", 0.0)
    typer.echo(
        f"  relative difference ‖dθ_approx − dθ‖ / (‖dθ_approx‖ + ‖dθ‖) = {report.relative_difference:.3g} "
        f"(below {FINE:g} fine, {WRONG:g} or more wrong); largest in {worst}: {worst_value:.3g}"
    )
    typer.echo(
        "  torch.autograd.gradcheck (float64, fast mode): "
        + ("passed" if report.torch_passed else f"FAILED: {report.torch_message}")
    )
    verdicts = {
        "fine": "fine: backprop computes the loss's gradient",
        "look closer": f"look closer: above {FINE:g}; check the layer {worst} (its difference is the largest)",
        "wrong": f"WRONG: backprop does not compute the loss's gradient; start with {worst}",
    }
    typer.echo(f"verdict: {verdicts[report.verdict]}")
    if report.failed:
        raise typer.Exit(1)


def model_factory(reference: str, project: Path) -> Callable[..., Any]:
    """`--model`'s factory, imported as a launch imports a trainable (the spec's directory, or the current one for a
    preset, first on the path), and able to take (config, n_features, n_classes)."""
    from trainables.registry import resolve_callable

    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    build = resolve_callable(reference, role="--model", usage="--model mypkg.models:build")
    try:
        inspect.signature(build).bind(None, 1, 1)
    except TypeError:
        raise SweepError(
            f"--model {reference!r}: its signature {inspect.signature(build)} cannot take (config, n_features, "
            "n_classes): the factory is def build(config, n_features, n_classes) -> torch.nn.Module"
        ) from None
    except ValueError:  # no signature to read (a builtin): the call itself will say
        pass
    return build

"""``sweep babysit`` (train one model, live curve, Ctrl-C pauses) and ``sweep nudge`` (change it mid-run)."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from sweep import events as E
from sweep.cli.app import app
from sweep_errors import SweepError

BARS = "▁▂▃▄▅▆▇█"
CHART_WIDTH = 60  # epochs shown in the live chart (the latest ones)


def sparkline(values: Sequence[float], log: bool = False) -> str:
    """One block character per value, scaled between the values' min and max (non-finite: a space).

    Example:
        >>> sparkline([0.1, 0.5, 0.9])
        '▁▅█'
    """
    drawn = [isinstance(v, int | float) and math.isfinite(v) and (v > 0 or not log) for v in values]
    tx = [math.log10(v) if log else v for v, ok in zip(values, drawn, strict=True) if ok]
    if not tx:
        return " " * len(values)
    low, high = min(tx), max(tx)

    def bar(x: float) -> str:
        return BARS[0 if high == low else round((x - low) / (high - low) * (len(BARS) - 1))]

    return "".join(bar(math.log10(v) if log else v) if ok else " " for v, ok in zip(values, drawn, strict=True))


def chart_lines(history: Sequence[Mapping[str, Any]], width: int = CHART_WIDTH) -> list[str]:
    """The live chart: dev accuracy, train loss and lr per epoch (last `width` epochs), nudges marked ^.

    Example:
        >>> rows = [{"epoch": e, "dev_accuracy": a, "train_loss": 1 / e, "lr": 0.1} for e, a in
        ...         [(1, 0.5), (2, 0.7), (3, 0.9)]]
        >>> chart_lines(rows)[0]
        'dev acc    ▁▄█  0.9000 (best 0.9000 @ 3)'
    """
    shown = list(history)[-width:]
    dev = [m["dev_accuracy"] for m in shown]
    best = max(history, key=lambda m: m["dev_accuracy"] if math.isfinite(m["dev_accuracy"]) else -1)
    last = shown[-1]
    lines = [
        f"dev acc    {sparkline(dev)}  {last['dev_accuracy']:.4f} (best {best['dev_accuracy']:.4f} @ {best['epoch']})",
        f"train loss {sparkline([m['train_loss'] for m in shown])}  {last['train_loss']:.4f}",
        f"lr         {sparkline([m['lr'] for m in shown], log=True)}  {last['lr']:.4g}",
    ]
    marks = "".join("^" if _nudged(m) else " " for m in shown)
    if marks.strip():
        lines.append(f"nudged     {marks}")
    nudges = [f"{m['epoch']}: {m['nudged']}" for m in history if _nudged(m)]
    note = f"   nudges at {'; '.join(nudges[-3:])}" if nudges else ""
    lines.append(f"epochs     {shown[0]['epoch']}..{last['epoch']}{note}")
    return lines


def epoch_line(m: Mapping[str, Any]) -> str:
    """One line per epoch (when stdout is not a terminal)."""
    line = (
        f"epoch {m['epoch']:>3}  train loss {m['train_loss']:.4f} acc {m['train_accuracy']:.4f}  "
        f"dev loss {m['dev_loss']:.4f} acc {m['dev_accuracy']:.4f}  lr {m['lr']:.4g}"
    )
    if _nudged(m):
        line += f"  nudged: {m['nudged']}"
    return line + ("  DIVERGED" if m.get("diverged") else "")


def _nudged(m: Mapping[str, Any]) -> bool:
    return isinstance(m.get("nudged"), str) and bool(m["nudged"])  # a history table holds NaN elsewhere


class Display:
    """Redraws the chart in place on a terminal; prints one line per epoch otherwise."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.history: list[dict] = []
        self._drawn = 0

    def __call__(self, metrics: dict) -> None:
        self.history.append(metrics)
        if not self.tty:
            typer.echo(epoch_line(metrics))
            return
        lines = [epoch_line(metrics), *chart_lines(self.history)]
        up = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""  # back to the chart's top, clear below
        sys.stdout.write(up + "\n".join(lines) + "\n")
        sys.stdout.flush()
        self._drawn = len(lines)

    def message(self, text: str) -> None:
        typer.echo(text)
        self._drawn = 0  # the chart is redrawn below the message

    def show(self, event: E.Event) -> None:
        """Babysit's events (the observer of :func:`sweep.babysit.run.babysit`)."""
        match event:
            case E.EpochReported():
                self(event.metrics)
            case E.NudgeRejected():
                self.message(f"nudge rejected: {event.key}={event.value!r}: {event.reason}")
            case E.PauseRequested():
                self.message("pausing after this epoch's checkpoint (Ctrl-C again to abandon the epoch)")


# Why a user's trainable cannot be babysat: Ray Tune's function-trainable contract has no call that
# delivers a changed hyperparameter to a running trial (only a restart from a checkpoint, as PBT does).
NOT_NUDGEABLE = (
    "trainable {trainable!r}: babysit needs a built-in trainable ({babysat}): a Ray Tune function trainable "
    "has no call that receives new hyperparameters mid-run (Tune changes them only by restarting from a "
    "checkpoint): check it with `sweep train SPEC --set key=value`, or let `scheduler: pbt` change it between "
    "checkpoints"
)


@app.command("babysit")
def babysit_command(
    spec: str | None = typer.Argument(None, help="A YAML spec path or a preset name (default preset)."),
    assign: list[str] | None = typer.Option(None, "--set", help="Set a config key: key=value (repeatable)."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Epochs (default: the spec's)."),
    runs: Path = typer.Option(Path("runs"), "--runs", help="Where run directories are created."),
    name: str | None = typer.Option(None, "--name", help="Run name (default: the spec's name)."),
    resume: Path | None = typer.Option(None, "--resume", help="Continue a paused run directory."),
) -> None:
    """Train one model in this process with a live learning curve; nudge it from another terminal.

    Checkpoints every epoch into RUNS/NAME-TIMESTAMP/. Ctrl-C pauses after the current epoch.

    Example: sweep babysit digits-momentum --set lr=0.1 --epochs 40   (then: sweep nudge RUN lr=0.01)
    """
    from search_spaces import load_spec
    from sweep.cli.train_cmd import checked_config

    if resume is not None:
        if spec is not None or assign or name:
            raise SweepError("babysit --resume: takes the run directory only (and --epochs): drop SPEC/--set")
        run = resume
    else:
        parsed = load_spec(spec)
        from trainables.registry import BUILTINS

        record = BUILTINS.get(parsed.trainable)
        if record is None or not record.supports_babysit:
            babysat = ", ".join(name for name, r in sorted(BUILTINS.items()) if r.supports_babysit)
            raise SweepError(NOT_NUDGEABLE.format(trainable=parsed.trainable, babysat=babysat))
        config = checked_config(parsed, assign, epochs)
        from sweep.babysit.run import start_run  # torch: after the spec's checks, which need none

        run = start_run(config, runs, name or parsed.name, trainable=parsed.trainable)
        epochs = None
    display = Display(sys.stdout.isatty())
    typer.echo(f"run: {run}")
    typer.echo(f"nudge it from another terminal: sweep nudge {run} lr=0.01   (Ctrl-C pauses)")

    from sweep.babysit.run import babysit

    result = babysit(run, epochs=epochs, observer=E.trusted(display.show))
    if result.status == "paused":
        typer.echo(f"paused at epoch {result.stopped_epoch}: continue with sweep babysit --resume {run}")
        return
    last = result.history[-1] if result.history else {}
    typer.echo(
        f"done: {result.stopped_epoch} epochs, dev accuracy {last.get('dev_accuracy', math.nan):.4f}; "
        f"history in {run / 'history.csv'}"
    )


@app.command("nudge")
def nudge_command(
    run: Path = typer.Argument(..., help="The run directory sweep babysit printed."),
    assignments: list[str] = typer.Argument(..., help="key=value changes (lr, momentum, beta1, l2, ...)."),
) -> None:
    """Change hyperparameters of a running `sweep babysit` at its next epoch boundary, without a restart.

    Example: sweep nudge runs/digits-20250101-120000 lr=0.01 momentum=0.95
    """
    from sweep.babysit.nudge import send_nudge

    send_nudge(run, assignments)
    typer.echo(f"queued {' '.join(assignments)} for {run}: applied at the next epoch boundary")

"""``sweep validate``: the launch's pre-flight (:func:`sweep.checks.preflight.preflight`), then the parsed space."""

from __future__ import annotations

import typer

from search_spaces import SweepSpec, load_spec
from sweep.cli.app import SPEC_HELP, app

COLUMNS = ("name", "scale", "range", "default", "tier")


@app.command("validate")
def validate(
    spec: str | None = typer.Argument(None, help=SPEC_HELP),
    try_it: bool = typer.Option(
        False, "--try", help="Also train the spec's default config for one epoch and check what it reports."
    ),
) -> None:
    """Check a sweep spec as a launch would, without running anything, and print its parameters.

    Runs every check `sweep launch` runs before Ray starts: spec values against the trainable's declared keys
    and ranges, the metric against what it reports, the trainable imported, the data resolved, the tracking
    store answering (`tracking_uri`). Then prints
    each parameter: name, scale, bounds/values, default, tier. With --try, the trainable then trains its
    default config for one epoch (a user's trainable as one trial on a local Ray), and a first report
    without the spec's metric, an error or no report at all is one line naming what it reported.

    Example: sweep validate my_spec.yaml --try
    """
    from sweep.checks.preflight import preflight

    parsed = load_spec(spec)
    preflight(parsed)
    if parsed.tracking or parsed.tracking_uri is not None:  # imported only then: the tracking package pulls in torch
        from sweep.tracking.store_check import check_tracking

        check_tracking(parsed)
    typer.echo(header_line(parsed))
    typer.echo(format_table(parsed.space.describe_rows()))
    if try_it:
        from sweep.checks.try_run import try_trainable

        typer.echo(try_trainable(parsed))


def header_line(spec: SweepSpec) -> str:
    """One line: name, trainable, data, metric/mode, samples, sampler, scheduler (and what it does), rounds."""
    from sweep.run.rounds import sweep_max_epochs
    from sweep.schedulers import get_scheduler

    sched = spec.scheduler
    doing = get_scheduler(sched.type).describe(sched, sweep_max_epochs(spec, spec.space))
    return (
        f"{spec.name}: trainable={spec.trainable} data={spec.data or '-'} "
        f"metric={spec.metric} ({spec.mode}) samples={spec.samples} sampler={spec.sampler} "
        f"scheduler={sched.type} ({doing}) rounds={spec.rounds.count}"
    )


def format_table(rows: list[dict[str, str]]) -> str:
    """Left-aligned columns with a header row."""
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip()]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS).rstrip() for r in rows]
    return "\n".join(lines)

"""``sweep validate``: the launch's pre-flight (:func:`sweep.checks.preflight.preflight`), then the parsed space."""

from __future__ import annotations

import typer

from search_spaces import SweepSpec, load_spec
from sweep.cli.app import app

_SPEC_HELP = "A YAML spec path or a preset name (default: the default preset)."

COLUMNS = ("name", "scale", "range", "default", "tier")


@app.command("validate")
def validate(
    spec: str | None = typer.Argument(None, help=_SPEC_HELP),
) -> None:
    """Check a sweep spec as a launch would, without running anything, and print its parameters.

    Runs every check `sweep launch` runs before Ray starts: spec values against the trainable's declared keys
    and ranges, the metric against what it reports, the trainable imported, the data resolved. Then prints
    each parameter: name, scale, bounds/values, default, tier.

    Example: sweep validate digits-adam
    """
    from sweep.checks.preflight import preflight

    parsed = load_spec(spec)
    preflight(parsed)
    typer.echo(header_line(parsed))
    typer.echo(format_table(parsed.space.describe_rows()))


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

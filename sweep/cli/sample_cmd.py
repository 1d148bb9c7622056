"""``sweep sample``: draw configs from a spec's space and print them as CSV (nothing runs)."""

from __future__ import annotations

import csv
import sys

import typer

from search_spaces import load_spec, parse_assignment, sample_configs
from sweep.cli.app import SPEC_HELP, app


@app.command("sample")
def sample(
    spec: str | None = typer.Argument(None, help=SPEC_HELP),
    n: int | None = typer.Option(
        None,
        "-n",
        "--samples",
        min=1,
        help="Number of configs (default: the spec's samples; for grid, the most points).",
    ),
    sampler: str | None = typer.Option(None, "--sampler", help="random, sobol or grid (default: the spec's)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the spec's)."),
    tier: list[int] | None = typer.Option(None, "--tier", help="Tune only this tier (repeatable)."),
    assign: list[str] | None = typer.Option(None, "--set", help="Hold key=value fixed (repeatable)."),
) -> None:
    """Draw configs from a spec's space and write them as CSV to stdout, one row per config.

    Example: sweep sample digits-momentum -n 100 --sampler sobol --tier 1 > configs.csv
    """
    from sweep.checks.assignments import check_assignments

    parsed = load_spec(spec)
    space = parsed.space.require_parameters()
    assignments = [parse_assignment(text) for text in assign or []]
    check_assignments(parsed, [key for key, _ in assignments])
    for key, value in assignments:
        space = space.hold(key, value)
    if tier:
        space = space.select_tiers(set(tier))
    configs = sample_configs(
        space,
        n if n is not None else parsed.samples,
        sampler if sampler is not None else parsed.sampler,
        seed if seed is not None else parsed.seed,
    )
    writer = csv.DictWriter(sys.stdout, fieldnames=space.names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(configs)

"""``sweep sample``: draw configs from a spec's space and print them as CSV (nothing runs)."""

from __future__ import annotations

import csv
import sys

import typer

from search_spaces import SpecError, load_spec, parse_assignment, sample_configs
from search_spaces.checks import need_choice
from search_spaces.sampling import SAMPLERS as DRAWN  # the samplers that draw configs ahead of results
from search_spaces.spec import SAMPLERS
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
    from sweep.checks.assignments import check_assignments, check_held_values

    if sampler is not None and sampler not in SAMPLERS:  # unknown: name the ones `sample` draws with
        need_choice("--sampler", sampler, DRAWN, "sampler")
    given = {"samples": n, "sampler": sampler, "seed": seed}
    parsed = load_spec(spec).replace(**{key: value for key, value in given.items() if value is not None})
    if parsed.sampler not in DRAWN:  # tpe: each config comes from the results before it
        where = "--sampler" if parsed.sampler == sampler else "the spec's sampler"
        raise SpecError(
            f"{where} {parsed.sampler}: it proposes each config from the results before it, so there is "
            f"nothing to draw ahead of a sweep; give --sampler {', '.join(DRAWN[:-1])} or {DRAWN[-1]}"
        )
    space = parsed.space.require_parameters()
    assignments = [parse_assignment(text) for text in assign or []]
    check_assignments(parsed, [key for key, _ in assignments])
    check_held_values(parsed, assignments)  # `--set lr=abc`, refused as `launch` refuses it
    for key, value in assignments:
        space = space.hold(key, value)
    if tier:
        space = space.select_tiers(set(tier))
    configs = sample_configs(space, parsed.samples, parsed.sampler, parsed.seed)
    writer = csv.DictWriter(sys.stdout, fieldnames=space.names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(configs)

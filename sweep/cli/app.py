"""The `sweep` Typer application that every command module registers on (apart from main, so no cycle)."""

from __future__ import annotations

import typer

SPEC_HELP = "A YAML spec path or a preset name (default: the default preset)."  # every command's SPEC argument
app = typer.Typer(
    name="sweep",
    help=(
        "Hyperparameter sweeps for PyTorch on Ray Tune: random search on the right scale, ASHA pruning, "
        "coarse-to-fine rounds.\n\nExample: sweep launch                # the bundled default sweep"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no `<bool>` on flags, `[...]` in help text kept
)

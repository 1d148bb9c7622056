"""The `sweep` command line: a thin typer layer over the importable library."""

"""`python -m sweep ...`: the CLI, for environments where the console script is not on PATH (Ray jobs)."""

from sweep.cli.main import main

main()

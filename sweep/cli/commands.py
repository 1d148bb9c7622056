"""Imports every command module so that each registers itself on `sweep.cli.main.app`."""

from __future__ import annotations

from sweep.cli import (  # noqa: F401  # noqa: F401,E402
    launch_cmd,
    resume_cmd,
    sample_cmd,
    tables_cmd,
    train_cmd,  # noqa: F401,E402
    validate_cmd,
)
from sweep.cli import analyze_cmd, retest_cmd  # noqa: F401,E402

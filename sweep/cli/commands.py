"""Imports every command module so that each registers itself on `sweep.cli.app.app`."""

from __future__ import annotations

from sweep.cli import (  # noqa: F401
    analyze_cmd,
    babysit_cmd,
    gradcheck_cmd,
    launch_cmd,
    resume_cmd,
    retest_cmd,
    sample_cmd,
    tables_cmd,
    train_cmd,
    up_cmd,
    validate_cmd,
)

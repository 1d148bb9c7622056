"""Imports every command module so that each registers itself on `sweep.cli.main.app`."""

from __future__ import annotations

from sweep.cli import sample_cmd, validate_cmd  # noqa: F401
from sweep.cli import launch_cmd, resume_cmd, tables_cmd  # noqa: F401,E402
from sweep.cli import train_cmd  # noqa: F401,E402

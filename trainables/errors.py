"""The trainables' own errors, on the project's one base (:class:`sweep_errors.SweepError`): a bad config or
dataset ends in one line naming the key or file, the rule and the fix."""

from __future__ import annotations

from sweep_errors import SweepError


class ConfigError(SweepError):
    """A config value the trainable cannot use; the message starts with `config.<key>:`."""


class DataError(SweepError):
    """A dataset that cannot be loaded or used; the message names the file, the rule and the fix."""


class CheckpointError(SweepError):
    """A checkpoint file that cannot be read: cut short or damaged; the message names the file."""

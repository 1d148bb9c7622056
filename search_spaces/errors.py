"""The one error base of the project: user mistakes that end in a one-line message, never a traceback."""

from __future__ import annotations


class SweepError(Exception):
    """A user-facing error: the message names the thing, the rule and the fix. The CLI exits 2 on it."""


class SpecError(SweepError):
    """A mistake in a sweep spec; the message starts with where it is (``space.lr: ...``)."""

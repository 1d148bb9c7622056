"""The spec's errors, on the project's one base (:class:`sweep_errors.SweepError`, re-exported here)."""

from __future__ import annotations

from sweep_errors import SweepError

__all__ = ["SpecError", "SweepError"]


class SpecError(SweepError):
    """A mistake in a sweep spec; the message starts with where it is (``space.lr: ...``)."""

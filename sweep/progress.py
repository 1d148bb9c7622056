"""The live progress line: trials finished / running / pruned / failed, best so far, elapsed, ETA."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


@dataclass
class Progress:
    """Counts for one round; prints at most every `interval` seconds (always on a change of counts)."""

    planned: int
    label: str
    metric: str
    quiet: bool = False
    interval: float = 1.0
    finished: int = 0
    pruned: int = 0
    failed: int = 0
    running: int = 0
    best: float | None = None
    started: float = field(default_factory=time.monotonic)
    _last_print: float = 0.0
    _last_line: str = ""

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        eta = ""
        if 0 < self.finished < self.planned:
            eta = f", ~{format_seconds(elapsed / self.finished * (self.planned - self.finished))} left"
        best = "-" if self.best is None else f"{self.best:.4f}"
        return (
            f"{self.label}: {self.finished}/{self.planned} done "
            f"({self.pruned} pruned, {self.failed} failed), "
            f"{self.running} running | best {self.metric} {best} | {format_seconds(elapsed)}{eta}"
        )

    def show(self, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        text = self.line()
        changed = text.split("|")[0] != self._last_line.split("|")[0]
        if not (force or changed or now - self._last_print >= self.interval * 10):
            return
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K" + text)
            if force:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()
        self._last_print, self._last_line = now, text

"""Ray's own paragraphs about dead workers go to the sweep's log file, not the user's terminal.

When a worker dies, Ray's driver prints a coloured ``(raylet) A worker died or was killed ...`` paragraph to
stdout from a background thread (its error subscriber), whatever ``log_to_driver`` says. The recorder already
prints one plain line per failed trial, so the paragraph is written, without colour codes, to the sweep's
``ray-tune.log`` instead. Ray offers no setting for this: the driver's printing function is replaced while a
sweep runs, and any message that is not the raylet's still reaches the terminal as before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sweep.run.trial_death import plain

_lock = threading.Lock()
_original: Callable[..., Any] | None = None


def raylet_messages_to(log_file: Path) -> None:
    """From now on, Ray's ``(raylet)`` messages to this driver are appended to `log_file` (one line each)."""
    global _original
    try:
        import ray._private.worker as ray_worker
    except ImportError:  # pragma: no cover (another Ray layout: its messages stay on the terminal)
        return
    with _lock:
        if _original is None:
            _original = ray_worker.print_to_stdstream
        original = _original

        def to_file(data: dict, *args: Any, **kwargs: Any) -> None:
            if not isinstance(data, dict) or data.get("pid") != "raylet":
                original(data, *args, **kwargs)
                return
            # The sweep's disk full or gone: the message is dropped, not printed.
            with contextlib.suppress(OSError), Path(log_file).open("a") as handle:
                for line in data.get("lines", []):
                    handle.write(f"(raylet) {plain(str(line))}\n")

        ray_worker.print_to_stdstream = to_file


def restore() -> None:
    """Ray's printing as it was (for tests)."""
    global _original
    with _lock:
        if _original is not None:
            import ray._private.worker as ray_worker

            ray_worker.print_to_stdstream = _original
            _original = None

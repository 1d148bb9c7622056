"""Ray Tune's own messages go to the sweep's ``ray-tune.log``, not the user's terminal (:func:`log_ray_to`).

Ray Tune logs a failed trial's traceback and its retries; the recorder already prints one plain line per failed
trial and its row holds the error. When a worker dies, Ray's driver also prints a coloured ``(raylet) A worker
died or was killed ...`` paragraph to stdout from a background thread (its error subscriber), whatever
``log_to_driver`` says. Ray offers no setting for that: the driver's printing function is replaced while a
sweep runs, and any message that is not the raylet's still reaches the terminal as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ray.tune import Callback

from sweep.cluster.client_log import release_client_log
from sweep.run.trial_death import plain

_lock = threading.Lock()
_original: Callable[..., Any] | None = None


class RoomyFileHandler(logging.FileHandler):
    """A log file beside the sweep while there is room: once a write fails (a full disk), the rest goes to a
    file in the temp directory (named in the log's last line, if that fits), or nowhere; never a traceback on
    the terminal, which is what `logging` prints for a handler that fails."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, delay=True)
        self.moved = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        import tempfile

        if self.moved:
            return  # the fallback failed too: drop the message
        self.moved = True
        with contextlib.suppress(Exception):
            if self.stream is not None:
                self.stream.close()
        fallback = Path(tempfile.gettempdir()) / f"sweep-ray-tune-{os.getpid()}.log"
        with contextlib.suppress(OSError):
            with open(self.baseFilename, "a") as old:
                old.write(f"(the disk is full: the rest of this log is in {fallback})\n")
        self.baseFilename = str(fallback)
        self.stream = None  # reopened on the next record, at the fallback
        with contextlib.suppress(Exception):
            logging.FileHandler.emit(self, record)


def log_ray_to(log_file: Path) -> None:
    """From now on Ray Tune's log records (warnings and up), the warnings Ray Client streams from the cluster and
    Ray's ``(raylet)`` messages to this driver are appended to `log_file`; a handler a previous sweep of this
    process installed is replaced."""
    global _original
    logger = logging.getLogger("ray.tune")
    for handler in [h for h in logger.handlers if getattr(h, "_sweep", False)]:
        logger.removeHandler(handler)
        handler.close()
    handler = RoomyFileHandler(log_file)
    handler._sweep = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    release_client_log(handler)  # over Ray Client: the cluster side's warnings, held since the connection
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


class RayLogHere(Callback):
    """Sends Ray Tune's messages to the sweep's log in the process that runs the Tuner, when the run starts: the
    driver (which :func:`log_ray_to` already did), or over Ray Client an actor on the cluster, whose warnings
    (such as "Failed to fetch metrics" for the trials, which write no Ray result files) would otherwise come back
    to the user's terminal. It keeps no state: Ray saves nothing for it."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = str(log_file)

    def setup(self, stop: Any = None, num_samples: Any = None, total_num_samples: Any = None, **info: Any) -> None:
        log_ray_to(Path(self.log_file))

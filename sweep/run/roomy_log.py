"""Ray Tune's log beside the sweep while there is room (see :class:`RoomyFileHandler`)."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path


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

"""The cluster side's log records that Ray Client streams back are held for the sweep's log, not printed.

Over Ray Client (``--address ray://``) the driver's Ray calls run in a server process on the cluster, and Ray
streams that process's log records back to the logger ``ray.util.client.logsclient``. Ray gives that logger no
handler and stops its records from propagating, so Python prints each warning on stderr itself (its "last
resort" handler): every ray:// command began with Ray's own ``SIGTERM handler is not set because current thread
is not the main thread.`` (the server connects to Ray from a gRPC thread). :func:`hold_client_log` keeps those
records instead, and :func:`release_client_log` hands them and every later one to the sweep's log file (a
command that keeps no such log, such as `sweep retest`, keeps only the last few in memory).
"""

from __future__ import annotations

import collections
import logging

CLIENT_LOGGER = "ray.util.client.logsclient"  # Ray's name for it (ray/util/client/logsclient.py)


class HeldRecords(logging.Handler):
    """Keeps the last `keep` warnings (and worse) until a handler takes them."""

    def __init__(self, keep: int = 200) -> None:
        super().__init__(logging.WARNING)
        self.records: collections.deque[logging.LogRecord] = collections.deque(maxlen=keep)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def hold_client_log() -> None:
    """Holds the records Ray Client streams from the cluster (call before connecting; again is harmless)."""
    logger = logging.getLogger(CLIENT_LOGGER)
    if not any(isinstance(h, HeldRecords) for h in logger.handlers):
        logger.addHandler(HeldRecords())


def release_client_log(handler: logging.Handler) -> None:
    """From now on the cluster's streamed records go to `handler`, the held ones first; a handler a previous
    sweep of this process gave it is replaced (handlers marked `_sweep`)."""
    logger = logging.getLogger(CLIENT_LOGGER)
    held: list[logging.LogRecord] = []
    for old in [h for h in logger.handlers if isinstance(h, HeldRecords) or getattr(h, "_sweep", False)]:
        logger.removeHandler(old)
        if isinstance(old, HeldRecords):
            held.extend(old.records)
    for record in held:
        handler.handle(record)
    logger.addHandler(handler)

"""Ray's notice that it leaves `.git` and `.venv` out of a packaged working directory, kept off the terminal.

Ray (2.60) leaves its default excludes (`.git`, `.venv`, ...) out of every `working_dir` it packages, and the first
time in a process it logs a WARNING for each such directory the project has ("Directory '.git' is now ignored by
default when packaging the working directory ..."). sweep leaves them out itself
(:data:`sweep.cluster.launcher.EXCLUDES`), so the notice tells a user nothing: a launch on a cluster, a retest or
`sweep train` of a user's trainable printed one such line per directory for a project kept in git with a virtual
environment inside. Ray logs it on the logger its caller hands in (the driver's in ``ray.init``, Ray Client's, or
the packaging module's own); :func:`drop_packaging_notice` filters it out on those three. Every other record
passes.
"""

from __future__ import annotations

import logging

NOTICE = "is now ignored by default when packaging the working directory"  # Ray's wording (working_dir.py)
# Where Ray logs it (ray/_private/worker.py, ray/util/client/worker.py, ray/_private/runtime_env/working_dir.py)
EMITTERS = ("ray._private.worker", "ray.util.client.worker", "ray._private.runtime_env.working_dir")


class _DropNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return NOTICE not in record.getMessage()


def drop_packaging_notice() -> None:
    """Filters the notice out at the loggers that emit it (once each): a filter there sees only their own records.

    Example:
        >>> drop_packaging_notice()
        >>> notice = logging.makeLogRecord({"msg": f"Directory '.git' {NOTICE}."})
        >>> logging.getLogger(EMITTERS[0]).filter(notice), len(logging.getLogger(EMITTERS[0]).filters)
        (False, 1)
    """
    for name in EMITTERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _DropNotice) for existing in logger.filters):
            logger.addFilter(_DropNotice())

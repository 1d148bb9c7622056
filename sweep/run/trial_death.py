"""Why a trial ended badly, as one plain sentence: pure functions over what Ray and the trial guard leave behind.

A trial's own exception reaches the recorder as the guard's one-line message (``ValueError: bad batch``). A worker
that died (``os._exit``, a signal, the kernel's or Ray's OOM killer, a crash) reaches it only as Ray's error
file: a paragraph of Ray's wording. :func:`death_cause` maps that paragraph to one line a user can act on; the
paragraph itself stays in ``trial-errors.log``. Ray cannot tell an ``os._exit`` from a SIGKILL (both close the
worker's connection), so the guard leaves a note when the trainable calls ``os._exit`` (:data:`EXIT_NOTE`), and
the recorder hands it in as `exit_note`.

Example:
    >>> death_cause("ray.exceptions.RayTaskError(ZeroDivisionError): ray::train() ZeroDivisionError: division by 0")
    'ZeroDivisionError: division by 0'
    >>> death_cause("The actor is dead because its worker process has died. Worker exit type: NODE_OUT_OF_MEMORY")[:45]
    'killed for memory: the node ran low on memory'
"""

from __future__ import annotations

import re

EXIT_NOTE = "sweep-exit.txt"  # in the trial's directory: how the trainable ended its own process

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?([A-Z]\w*(?:Error|Exception|Interrupt|Exit|Warning))(?::\s*(.*))?$"
)
_RAY_WRAPPER = re.compile(r"^ray\.exceptions\.RayTaskError\((\w+)\):")
_EXIT_TYPE = re.compile(r"Worker exit type: ([A-Z_]+)")

MEMORY_CAUSE = (
    "killed for memory: the node ran low on memory and Ray's memory monitor ended the trial's worker; "
    "lower the trial's memory use or run fewer trials at once (--max-concurrent)"
)
WORKER_DIED_CAUSE = (
    "its worker process died without a Python error: killed by a signal (SIGKILL, the kernel's OOM killer) "
    "or crashed (a segfault in native code); Ray's report is in trial-errors.log"
)


def plain(text: str) -> str:
    """`text` without terminal colour codes, its whitespace (newlines too) collapsed to single spaces.

    Example:
        >>> plain("\\x1b[33m(raylet)\\x1b[0m A worker\\n  died")
        '(raylet) A worker died'
    """
    return " ".join(_ANSI.sub("", text).split())


def death_cause(error_text: str, exit_note: str | None = None) -> str:
    """One line saying why a trial's worker failed, from Ray's error file (`error_text`) and the guard's note.

    Example:
        >>> death_cause("Failure # 1\\nray.exceptions.TaskCancelledError: Task: TaskID(ab) was cancelled.")
        'cancelled by Ray (TaskCancelledError); a KeyboardInterrupt raised in the trainable reads the same'
    """
    if exit_note:
        return plain(exit_note)
    text = _ANSI.sub("", error_text or "")
    exit_type = _EXIT_TYPE.search(text)
    out_of_memory = exit_type is not None and exit_type.group(1) == "NODE_OUT_OF_MEMORY"
    if out_of_memory or "OutOfMemoryError" in text or "low on memory" in text:
        return MEMORY_CAUSE
    if "NodeDiedError" in text or "node running the trial died" in text.lower():
        return "the node running the trial died or became unreachable; its trials restart from checkpoints"
    if exit_type:
        return _worker_exit(exit_type.group(1), text)
    if "WorkerCrashedError" in text or "worker died unexpectedly" in text:
        return WORKER_DIED_CAUSE
    if "TaskCancelledError" in text:
        return "cancelled by Ray (TaskCancelledError); a KeyboardInterrupt raised in the trainable reads the same"
    return _last_exception(text) or "failed without an error message (see trial-errors.log)"


def _worker_exit(kind: str, text: str) -> str:
    if kind == "INTENDED_USER_EXIT":
        return "its worker process exited on purpose (exit() or ray.actor.exit_actor() in the trainable)"
    if kind == "USER_ERROR":
        return _last_exception(text) or "its worker process failed in the trainable's code (see trial-errors.log)"
    if kind == "INTENDED_SYSTEM_EXIT":
        return "Ray ended its worker process (the cluster shut down or the worker was released)"
    return WORKER_DIED_CAUSE


def _last_exception(text: str) -> str | None:
    """The last `Type: message` line of a traceback, unwrapped from Ray's RayTaskError."""
    for line in reversed([line.strip() for line in text.splitlines() if line.strip()]):
        wrapped = _RAY_WRAPPER.match(line)
        if wrapped:
            return f"{wrapped.group(1)}: {line.rsplit(wrapped.group(1) + ':', 1)[-1].strip()}".rstrip(": ")
        match = _EXCEPTION_LINE.match(line)
        if match:
            name, message = match.group(1), (match.group(2) or "").strip()
            if name == "SystemExit":
                return f"the trainable called sys.exit({message or 'None'}); return from it, or raise an exception"
            return plain(f"{name}: {message}" if message else name)
    return None


def exit_note(code: object) -> str:
    """What the guard writes when the trainable calls ``os._exit(code)``.

    Example:
        >>> exit_note(0)
        'the trainable called os._exit(0), which ends its worker process; return from it, or raise an exception'
    """
    return (
        f"the trainable called os._exit({code}), which ends its worker process; return from it, or raise an exception"
    )


def cause_kind(message: str) -> str:
    """A short key to count failures by: the exception's type, or the sentence before its details.

    Example:
        >>> cause_kind("ValueError: bad batch in r1-003"), cause_kind("reported no dev_accuracy (got: val_acc, epoch)")
        ('ValueError', 'reported no dev_accuracy')
    """
    text = plain(message)
    match = _EXCEPTION_LINE.match(text.split(" ", 1)[0].rstrip(":")) if text else None
    if match:
        return match.group(1)
    for stop in (" (", ": ", "; "):
        text = text.split(stop, 1)[0]
    return text[:80] or "unknown"

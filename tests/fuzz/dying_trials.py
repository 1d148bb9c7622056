"""The dying-trial corpus: what Ray and the trial guard leave behind when a trial ends badly, and the one line
each must become. No Ray runs: the texts are Ray's own wording (an error file, a worker-exit paragraph) as
Ray 2.x writes them, and the reports a trainable makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_SYSTEM_ERROR = (
    "Failure # 1 (occurred at 2026-12-04_11-26-56)\nThe actor died unexpectedly before finishing this task.\n"
    "\tclass_name: wrap_function.<locals>.ImplicitFunc\n\tactor_id: 8e8e052cc43d5d30c21617a201000000\n"
    "\tpid: 14909\n\tip: 127.0.0.1\nThe actor is dead because its worker process has died. Worker exit type: "
    "SYSTEM_ERROR Worker exit detail: Worker unexpectedly exits with a connection error code 2. End of file. "
    "Some common causes include: (1) the process was killed by the OOM killer due to high memory usage, ..."
)
_OOM = (
    "Failure # 1\nThe actor died unexpectedly before finishing this task.\n\tclass_name: ImplicitFunc\n"
    "The actor is dead because its worker process has died. Worker exit type: NODE_OUT_OF_MEMORY Worker exit "
    "detail: Task was killed due to the node running low on memory.\nMemory on the node (IP: 127.0.0.1) where "
    "the lease was running was 1.86GB / 1.94GB (0.96), which exceeds the memory usage threshold of 0.95."
)
_OOM_TASK = "ray.exceptions.OutOfMemoryError: Task was killed due to the node running low on memory."
_TASK_ERROR = (
    'Failure # 1\n\x1b[36mray::ImplicitFunc.train()\x1b[39m (pid=7656, ip=127.0.0.1)\n  File "t.py", line 3\n'
    "    1 / 0\nray.exceptions.RayTaskError(ZeroDivisionError): ray::ImplicitFunc.train() (pid=7656)\n"
    "ZeroDivisionError: division by zero"
)
_CANCELLED = (
    '  File "toy.py", line 98, in dies\n    raise KeyboardInterrupt\n'
    "ray.exceptions.TaskCancelledError: Task: TaskID(4f4ef6205ce35f906b5bf38a7f81b995126ee65601000000) was cancelled."
)
_SYS_EXIT = '  File "toy.py", line 9, in dies\n    sys.exit(3)\nSystemExit: 3'
_NODE_DIED = "ray.exceptions.NodeDiedError: The node running the trial died: 10.0.0.5 is unreachable"
_USER_EXIT = "The actor is dead because its worker process has died. Worker exit type: INTENDED_USER_EXIT"
_CRASHED = "ray.exceptions.WorkerCrashedError: The worker died unexpectedly while executing this task."


@dataclass(frozen=True)
class Death:
    """One way a trial ends: what the recorder is handed, and a fragment its one line must contain."""

    name: str
    error_text: str  # Ray's error file ("" when the guard's note says it all)
    expect: str
    note: str | None = None  # the guard's os._exit note


DEATHS = [
    Death("sigkill-or-crash", _SYSTEM_ERROR, "died without a Python error: killed by a signal (SIGKILL"),
    Death("os-exit-noted", _SYSTEM_ERROR, "called os._exit(0)", note="the trainable called os._exit(0), which ends"),
    Death("ray-oom-killer", _OOM, "killed for memory: the node ran low on memory"),
    Death("ray-oom-task", _OOM_TASK, "killed for memory"),
    Death("raise-in-task", _TASK_ERROR, "ZeroDivisionError: division by zero"),
    Death("keyboard-interrupt", _CANCELLED, "a KeyboardInterrupt raised in the trainable"),
    Death("sys-exit", _SYS_EXIT, "called sys.exit(3)"),
    Death("node-died", _NODE_DIED, "the node running the trial died"),
    Death("intended-user-exit", _USER_EXIT, "exited on purpose"),
    Death("worker-crashed", _CRASHED, "died without a Python error"),
    Death("empty-error-file", "", "failed without an error message"),
    Death("coloured-text", "\x1b[31mValueError: bad \x1b[0m value", "ValueError: bad value"),
]


@dataclass(frozen=True)
class Breach:
    """A trainable's report (or return) that breaks its contract, and the fragment its error must contain."""

    name: str
    report: Any  # one report's metrics; or, with `returned`, what the function returned without reporting
    expect: str
    returned: bool = False


BREACHES = [
    Breach("other-name", {"val_acc": 0.5, "epoch": 1}, "reported no dev_accuracy (got: val_acc, epoch)"),
    Breach("empty-report", {}, "reported no dev_accuracy (got: nothing)"),
    Breach("text-metric", {"dev_accuracy": "0.51"}, "reported dev_accuracy as text ('0.51')"),
    Breach("dict-metric", {"dev_accuracy": {"top1": 0.5}}, "reported dev_accuracy as a dict"),
    Breach("none-metric", {"dev_accuracy": None}, "reported dev_accuracy as None"),
    Breach("list-report", [0.5], "reported a list instead of a dict of metrics"),
    Breach("returned-dict", {"dev_accuracy": 0.9}, "returned a dict instead of reporting it", returned=True),
    Breach("returned-nothing", None, "returned without reporting dev_accuracy", returned=True),
    Breach("returned-float", 0.9, "returned a float instead of reporting it", returned=True),
]

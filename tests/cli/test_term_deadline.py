"""SIGTERM ends a command even when the graceful stop hangs (a trial's worker that never stops): the deadline
records the sweep as interrupted, then exits 143. The mechanism, not a timing: no Ray here."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from sweep.run.liveness import TERM_GRACE_S, TERMINATED_EXIT, TermDeadline

HUNG = textwrap.dedent(
    """
    import signal, sys, time
    from sweep.run import liveness as driver
    driver.TERM_GRACE_S = 0.2
    with driver.term_as_interrupt():
        with driver.on_forced_stop(lambda: print("recorded: interrupted", flush=True)):
            signal.signal(signal.SIGINT, lambda *a: None)  # the graceful stop never ends, like a hung trial
            print("ready", flush=True)
            while True:
                time.sleep(0.05)
    """
)


def test_sigterm_with_a_hung_stop_records_the_sweep_and_exits_143():
    proc = subprocess.Popen([sys.executable, "-c", HUNG], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == TERMINATED_EXIT == 143, err
    assert out.strip() == "recorded: interrupted" and "Traceback" not in err


def test_a_command_that_ends_in_time_is_not_cut_short():
    ended: list[object] = []
    deadline = TermDeadline(60.0, exit=ended.append)
    deadline.actions.append(lambda: ended.append("recorded"))
    deadline.start()
    deadline.cancel()
    assert deadline.thread is not None
    deadline.thread.join(timeout=10)
    assert ended == [] and not deadline.thread.is_alive()
    assert TERM_GRACE_S < 5  # docker stop and timeout -k send SIGKILL some seconds after SIGTERM


def test_a_failing_last_action_does_not_stop_the_exit():
    ended: list[object] = []
    deadline = TermDeadline(0.01, exit=ended.append)
    deadline.actions += [lambda: 1 / 0, lambda: ended.append("second")]
    deadline.start()
    assert deadline.thread is not None
    deadline.thread.join(timeout=10)
    assert ended == ["second", 143]

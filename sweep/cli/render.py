"""The terminal face of a sweep: turns the library's events (:mod:`sweep.events`) into the lines a user reads.

Lines go to stdout; the live progress line and a failed trial's line go to stderr (on a terminal the progress
line redraws in place). `quiet` keeps only what a script needs: where the sweep is, which Ray runs it, a trial
that failed, an interruption, and the one closing line.

Example:
    >>> from sweep import events as E
    >>> Printer()(E.RoundPlanned(number=2, samples=8, regions=3))
    round 2: 8 samples around the best 3 trials so far
"""

from __future__ import annotations

import sys
import time

from sweep import events as E

PROGRESS_INTERVAL = 1.0  # seconds: an unchanged progress line is printed again after 10 of them


def round_lines(event: E.RoundPlanned) -> list[str]:
    """What a planned round prints: its size and where it samples, then how each range moved.

    Example:
        >>> round_lines(E.RoundPlanned(number=1, samples=8, baseline=True))
        ['round 1: 8 samples (the first: the baseline, every parameter at its default)']
    """
    if event.proposer is not None:
        return [f"round {event.number}: {event.samples} samples proposed by {event.proposer}"]
    stage = f" (stage: tier {event.stage})" if event.stage is not None else ""
    regions = event.regions
    around = f" around the best {regions} trial{'s' if regions > 1 else ''} so far" if regions else ""
    first = " (the first: the baseline, every parameter at its default)" if event.baseline else ""
    where = "the stage's space" if event.stage is not None else "the whole space"
    wide = f", {event.exploring} of them from {where} again" if event.exploring else ""
    model = ", each chosen by the model among draws from there" if event.guided else ""
    return [f"round {event.number}{stage}: {event.samples} samples{around}{wide}{model}{first}"] + [
        f"  {line}" for line in event.zoom
    ]


def warm_start_lines(event: E.WarmStartPlanned) -> list[str]:
    """`--warm-start`: which earlier configs round 1 re-trains, and what moved in each."""
    lines = [f"warm start from {event.source}: round 1 re-trains its top {len(event.configs)} configs"]
    for item in event.configs:
        moved = "; ".join(item.notes) if item.notes else "unchanged"
        lines.append(f"  #{item.rank} {item.source_plan} ({item.metric:.4g}): {moved}")
    return lines


def trial_failed_line(event: E.TrialEnded) -> str:
    """A failed trial in one line (its traceback is in the sweep's trial-errors.log)."""
    from sweep.run.trial_death import plain

    why = plain(event.error or "")
    return f"trial {event.plan_id} failed: {why} (config {event.config}; traceback in trial-errors.log)"


def disk_full_line(event: E.DiskFullRequeued) -> str:
    count = event.retrained
    trains = f"{count} trials that died of it train" if count != 1 else "1 trial that died of it trains"
    again = f"; {trains} again" if count else ""
    return f"the sweep ended on a full disk: the rest of the plan runs afresh from the tables{again}"


class Printer:
    """The `sweep` CLI's observer: prints each event as the terminal shows it.

    Args:
        quiet: `--quiet`: no progress line, round plans or tables; the closing line only.

    Example:
        >>> from sweep import run_sweep  # doctest: +SKIP
        >>> from sweep.cli.render import Printer  # doctest: +SKIP
        >>> run_sweep("digits-momentum", observer=Printer())  # doctest: +SKIP
    """

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._last_print = 0.0
        self._last_line = ""

    def __call__(self, event: E.Event) -> None:
        match event:
            case E.SweepStarted():
                self.say(f"sweep: {event.location}")
                if event.ray_note:
                    self.say(event.ray_note)  # which Ray ran it is worth a line even with -q
                self.lines(event.dashboard)
            case E.WarmStartPlanned():
                self.lines(*warm_start_lines(event))
            case E.RoundReplanned():
                self.say(f"{event.plan_file} was gone: planned round 1 again from the spec (seed {event.seed})")
            case E.DiskFullRequeued():
                self.lines(disk_full_line(event))
            case E.RoundPlanned():
                self.lines(*round_lines(event))
            case E.TrialEnded() if event.error is not None:
                sys.stderr.write(trial_failed_line(event) + "\n")
                sys.stderr.flush()
            case E.ProgressUpdated():
                self.progress(event)
            case E.Interrupted():
                where = event.location
                self.say(f"interrupted: results so far are in {where}; continue with: sweep resume {where}")
            case E.SweepSummary():
                self.summary(event)
            case E.RetestProgress():
                self.lines(f"retest: {event.done}/{event.total} runs done")
            case _:  # a trial that ended well; babysit's events (its command draws them)
                pass

    def say(self, *lines: str) -> None:
        """Lines on stdout, even with `quiet`."""
        print("\n".join(lines), flush=True)

    def lines(self, *lines: str) -> None:
        """Lines on stdout, unless `quiet`."""
        if not self.quiet:
            self.say(*lines)

    def progress(self, event: E.ProgressUpdated) -> None:
        """At most one line per change of counts (or every 10 s unchanged); redrawn in place on a terminal."""
        if self.quiet:
            return
        now = time.monotonic()
        text = event.line()
        changed = text.split("|")[0] != self._last_line.split("|")[0]
        if not (event.final or changed or now - self._last_print >= PROGRESS_INTERVAL * 10):
            return
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K" + text)
            if event.final:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()
        self._last_print, self._last_line = now, text

    def summary(self, event: E.SweepSummary) -> None:
        """The closing summary and the advice; with `quiet` one line (a failure report is printed whole)."""
        from sweep.winners.summary import quiet_line, summary_text

        if event.failure is not None:
            self.say(("" if self.quiet else "\n") + event.failure)
        elif self.quiet:
            self.say(quiet_line(event.result))
        else:
            print(summary_text(event.result))
            advice = event.advice()
            if advice:
                self.say("", *advice)

"""Run the bad-input corpus through `sweep validate` and print the figures.

    python -m tests.fuzz.run            # in-process (fast): every case
    python -m tests.fuzz.run --cli 10   # also the first 10 cases of each kind through the console script

Each case must end in exactly one stderr line starting with ``error:``, exit code 2, no traceback, and the
line must contain the case's expected fragment. Exit status 0 only when every case does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.corpus import Case, write_corpus

SWEEP = Path(sys.executable).parent / "sweep"


@dataclass
class Outcome:
    """What one case produced."""

    case: Case
    code: int | None
    stdout: str
    stderr: str
    escaped: str = ""  # an exception that got past main(): a traceback for the user

    @property
    def one_line(self) -> bool:
        lines = self.stderr.splitlines()
        return len(lines) == 1 and lines[0].startswith("error: ") and self.stdout == ""

    @property
    def traceback(self) -> bool:
        return bool(self.escaped) or "Traceback" in self.stderr + self.stdout

    @property
    def ok(self) -> bool:
        return self.one_line and self.code == 2 and not self.traceback and self.case.expect in self.stderr


def run_in_process(path: Path, case: Case) -> Outcome:
    """`sweep validate PATH` through main(), capturing what a terminal would show."""
    from sweep.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None = 0
    escaped = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["validate", str(path)])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # noqa: BLE001  (what the user would see as a traceback)
            escaped = traceback.format_exc()
            code = None
    return Outcome(case, code, out.getvalue(), err.getvalue(), escaped)


def run_cli(path: Path, case: Case) -> Outcome:
    """`sweep validate PATH` through the console script, in a fresh process."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.run([str(SWEEP), "validate", str(path)], capture_output=True, text=True, timeout=120, env=env)
    return Outcome(case, proc.returncode, proc.stdout, proc.stderr)


def figures(outcomes: list[Outcome], label: str) -> str:
    """``label: N cases (S specs, D data files): X one-line (P %), exit 2: Y, tracebacks: T, fragment ok: F``."""
    n = len(outcomes)
    data = sum(1 for o in outcomes if o.case.name.startswith("data-"))
    one = sum(o.one_line for o in outcomes)
    return (
        f"{label}: {n} cases ({n - data} specs, {data} data files): {one} one-line ({100 * one / max(n, 1):.1f} %), "
        f"exit 2: {sum(o.code == 2 for o in outcomes)}, tracebacks: {sum(o.traceback for o in outcomes)}, "
        f"expected fragment: {sum(o.case.expect in o.stderr for o in outcomes)}, "
        f"all good: {sum(o.ok for o in outcomes)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", type=int, default=0, help="also run this many cases per kind through the CLI")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every case's line")
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with tempfile.TemporaryDirectory(prefix="sweep-fuzz-") as tmp:
        cases = write_corpus(Path(tmp))
        outcomes = [run_in_process(path, case) for path, case in cases]
        print(figures(outcomes, "in-process"))
        failed = [o for o in outcomes if not o.ok]
        if args.cli:
            kinds: dict[str, int] = {}
            picked = []
            for path, case in cases:
                kind = case.name.split("-")[0]
                if kinds.get(kind, 0) < args.cli:
                    kinds[kind] = kinds.get(kind, 0) + 1
                    picked.append((path, case))
            cli = [run_cli(path, case) for path, case in picked]
            print(figures(cli, "console script"))
            failed += [o for o in cli if not o.ok]
        for outcome in outcomes if args.verbose else []:
            print(f"  {outcome.case.name}: {outcome.stderr.strip()}")
        for outcome in failed:
            print(f"FAILED {outcome.case.name} (want {outcome.case.expect!r}): exit {outcome.code}")
            print("  " + (outcome.escaped or outcome.stderr or outcome.stdout).strip().replace("\n", "\n  "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading a sweep directory's files defensively: a damaged file is one line naming the file and what is wrong.

Every reader of a sweep directory (show, export, analyze, ls, retest, resume, refine, `sweep.load`) goes
through these functions, so a truncated `sweep.json`, a spec with a YAML tag, a round file that is not a space,
or a table without its key columns is a :class:`DamagedSweep` (a :class:`SweepError`: exit 2 for the CLI)
instead of a `KeyError` from deep inside. Rows a table can spare are dropped with a warning instead (see
:func:`sweep.store.tables.read_table`). :func:`check_sweep_dir` reads every file the layout names, so the
commands that start Ray (resume, refine, retest) refuse a damaged directory before Ray starts.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "sweep.json").write_text('{"name": "demo", "status": "comp')
    >>> try:
    ...     read_state_json(root / "sweep.json")
    ... except DamagedSweep as err:
    ...     print(str(err).split(": ", 1)[1][:58])
    not valid JSON (cut off: line 1 column 28: Unterminated st
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sweep_errors import SweepError

FIX = "restore it from a copy, or read the tables with pandas"  # what a user can do about most damage


class DamagedSweep(SweepError):
    """A file of a sweep directory cannot be read, or does not hold what the layout says it holds."""


def damaged(path: Path | str, what: str, fix: str = FIX) -> DamagedSweep:
    """`<path>: <what>; <fix>` as the exception to raise."""
    return DamagedSweep(f"{path}: {what}; {fix}")


def read_text(path: Path) -> str:
    """The file's text; a directory, a symlink loop, an unreadable or non-UTF-8 file is a damaged sweep."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise damaged(path, f"not UTF-8 text (byte {err.start} is {err.object[err.start : err.start + 1]!r})") from None
    except IsADirectoryError:
        raise damaged(path, "a directory where a file belongs") from None
    except OSError as err:
        raise damaged(path, f"cannot read it ({err.strerror or err})") from None


# --- sweep.json ---------------------------------------------------------------------------------------------------
# Keys whose type sweep relies on; a value of another type is damage (None stands for "not set").
_STATE_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "status": (str,), "metric": (str,), "mode": (str,), "params": (list,),
    "started_at": (int, float), "project_dir": (str,), "remote": (str,), "options": (dict,), "rounds": (list,),
    "round_status": (dict,), "experiment": (str,), "driver": (dict,), "budget_spent": (bool,),
    "not_started": (list,), "summary": (dict,),
}  # fmt: skip
_ROUND_KEYS: dict[str, Any] = {"number": int, "stage": (int, type(None)), "zoom": bool, "samples": int}


def read_state_json(path: Path) -> dict[str, Any]:
    """sweep.json's object, its keys of the right types; else :class:`DamagedSweep` naming what is wrong."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        cut = "edited" if text.rstrip().endswith(("}", "]")) else "cut off"
        raise damaged(path, f"not valid JSON ({cut}: line {err.lineno} column {err.colno}: {err.msg})") from None
    except RecursionError:
        raise damaged(path, "not valid JSON (nested too deeply)") from None
    problem = state_problem(data)
    if problem:
        raise damaged(path, problem)
    return data


def state_problem(data: Any) -> str | None:
    """What is wrong with sweep.json's parsed content, or None.

    Example:
        >>> state_problem([1, 2]), state_problem({"rounds": "two"})
        ('holds a JSON list, not an object', 'rounds is a str, not a list')
        >>> state_problem({"rounds": [{"number": 1, "stage": None, "zoom": False, "samples": 4}], "mode": "max"})
    """
    if not isinstance(data, dict):
        kind = {list: "a JSON list", str: "a JSON string", type(None): "null"}.get(type(data), "a bare value")
        return f"holds {kind}, not an object"
    for key, kinds in _STATE_TYPES.items():
        value = data.get(key)
        if value is not None and not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            return f"{key} is a {type(value).__name__}, not a {'/'.join(k.__name__ for k in kinds)}"
    if data.get("mode") not in (None, "max", "min"):
        return f"mode is {data['mode']!r}, not max or min"
    started = data.get("started_at")
    if isinstance(started, float) and not math.isfinite(started):
        return f"started_at is {started}, not a time"
    for index, slot in enumerate(data.get("rounds") or []):
        if not isinstance(slot, dict) or set(slot) - set(_ROUND_KEYS) or "number" not in slot:
            return f"rounds[{index}] is not a round ({{number, stage, zoom, samples}})"
        for key, kind in _ROUND_KEYS.items():
            if key in slot and (not isinstance(slot[key], kind) or (isinstance(slot[key], bool) and kind is int)):
                return f"rounds[{index}].{key} is {slot[key]!r}"
    summary = data.get("summary") or {}
    for key in ("statuses", "best", "test", "budget", "phases", "failure"):
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            return f"summary.{key} is a {type(summary[key]).__name__}, not an object"
    for key in ("params", "not_started"):
        if not all(isinstance(item, str) for item in data.get(key) or []):
            return f"{key} holds something other than names"
    return None


# --- YAML: the spec, the round spaces and regions -----------------------------------------------------------------
def read_yaml_file(path: Path) -> Any:
    """A YAML file of the sweep, loaded safely; a tag, a syntax error or binary junk is :class:`DamagedSweep`."""
    import yaml

    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as err:
        tag = getattr(err, "problem", "") or "an unknown tag"
        raise damaged(path, f"holds a YAML tag sweep does not load ({' '.join(str(tag).split())})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise damaged(path, f"not valid YAML{where} ({' '.join(str(getattr(err, 'problem', err)).split())})") from None
    except RecursionError:
        raise damaged(path, "not valid YAML (nested too deeply)") from None


def read_spec_file(path: Path) -> Any:
    """The sweep's spec.yaml as a SweepSpec; content that is not a valid spec names the file and the key."""
    from search_spaces import parse_spec

    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise damaged(path, f"holds a {type(data).__name__}, not a spec (a mapping of keys)")
    try:
        return parse_spec(data, str(path))
    except SweepError as err:
        message = str(err)
        raise DamagedSweep(message if str(path) in message else f"{path}: {message}") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as err:
        raise damaged(path, f"not a valid spec ({type(err).__name__}: {err})") from None


def read_space_file(path: Path) -> Any:
    """A round's space (rounds/round-N.yaml) as a Space."""
    from search_spaces import Space

    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise damaged(path, f"holds a {type(data).__name__}, not a search space (a mapping of parameters)")
    try:
        return Space.from_dict(data)
    except SweepError as err:
        raise damaged(path, f"not a valid search space ({' '.join(str(err).split())})") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as err:
        raise damaged(path, f"not a valid search space ({type(err).__name__}: {err})") from None


def spec_round_conflict(spec_space: Any, rounds: dict[int, Any]) -> str | None:
    """A parameter that spec.yaml tunes on another scale than the first round that tuned it ran, or None.

    Example:
        >>> from search_spaces import Space
        >>> spec = Space.from_dict({"lr": {"uniform": [1e-4, 0.1]}})
        >>> spec_round_conflict(spec, {1: Space.from_dict({"lr": {"loguniform": [1e-4, 0.1]}})})
        'lr is uniform here but round 1 ran it loguniform (rounds/round-1.yaml)'
    """
    for name in spec_space.names:
        if spec_space[name].is_fixed:
            continue
        for number, space in sorted(rounds.items()):
            if name in space and not space[name].is_fixed:
                ran, now = space[name].scale, spec_space[name].scale
                if ran != now:
                    return f"{name} is {now} here but round {number} ran it {ran} (rounds/round-{number}.yaml)"
                break
    return None


# --- the tables ---------------------------------------------------------------------------------------------------
REQUIRED = {"trials.csv": ("plan_id", "status", "best_metric"), "history.csv": ("plan_id", "epoch")}


def read_checked_table(path: Path, key: list[str] | None, required: tuple[str, ...] = ()) -> Any:
    """A table through :func:`sweep.store.tables.read_table` (bad rows dropped with a warning); a file that is
    not a table, or one without the columns sweep needs, is :class:`DamagedSweep`."""
    import pandas as pd

    from sweep.store.tables import read_table

    if Path(path).is_symlink() and not Path(path).exists():
        raise damaged(path, "cannot read it (a symlink to nothing, or a loop)")
    try:
        if Path(path).is_dir():
            raise damaged(path, "a directory where a table belongs")
        frame = read_table(path, key=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, UnicodeDecodeError) as err:
        raise damaged(path, f"not a readable CSV table ({' '.join(str(err).split())[:120]})") from None
    except OSError as err:
        raise damaged(path, f"cannot read it ({err.strerror or err})") from None
    if frame.empty and len(frame.columns) == 0:
        if Path(path).exists() and Path(path).stat().st_size > 0 and required:
            raise damaged(path, f"has no {', '.join(required)} column (no header line: it is not a table)")
        return frame
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise damaged(path, f"has no {', '.join(missing)} column (its header is damaged or it is not sweep's table)")
    if key and all(k in frame.columns for k in key):
        frame = frame.drop_duplicates(subset=key, keep="last").reset_index(drop=True)
    return frame


def read_plan_file(path: Path) -> Any:
    """A round's planned configs (rounds/round-N.plan.csv); each needs its plan_id."""
    import pandas as pd

    read_text(path)  # junk or an unreadable file is named before pandas guesses at it
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise damaged(path, f"not a readable CSV table ({' '.join(str(err).split())[:120]})") from None
    if "plan_id" not in frame.columns or frame["plan_id"].isna().any():
        raise damaged(path, "has no plan_id for every planned config (its header or rows are damaged)")
    return frame


# --- the whole directory ------------------------------------------------------------------------------------------
def check_sweep_dir(directory: Any) -> None:
    """Reads every file the layout names that exists, raising :class:`DamagedSweep` at the first damaged one:
    what resume, refine and retest call before they start Ray."""
    from sweep.store import layout

    state = read_state_json(directory.root / layout.STATE_FILE)
    read_spec_file(directory.spec_yaml)
    for number in sorted({int(slot["number"]) for slot in state.get("rounds") or []}):
        for path, reader in ((directory.round_space(number), read_space_file),
                             (directory.round_regions(number), read_yaml_file),
                             (directory.round_plan(number), read_plan_file)):  # fmt: skip
            if path.exists() or path.is_symlink():
                reader(path)
    for path, name in ((directory.trials_csv, "trials.csv"), (directory.history_csv, "history.csv")):
        if path.exists() or path.is_symlink():
            read_checked_table(path, None, REQUIRED[name])
    for path in (directory.pbt_changes_csv, directory.retest_csv, directory.retest_summary_csv):
        if path.exists() or path.is_symlink():
            read_checked_table(path, None)

"""Ray Tune's saved experiment state in a sweep directory: which files `Tuner.restore` unpickles, and whether
they can be restored at all.

`sweep resume` hands ``ray/<experiment>/`` to Ray's `Tuner.restore`, which unpickles ``tuner.pkl``, the newest
``experiment_state-*.json`` (trial states are pickles inside it), and the newest ``searcher-state-*.pkl``,
``search_gen_state-*.json`` (a pickle, despite its name) and ``callback-states-*.pkl``. A full disk can leave
one of them empty or cut off; Ray then fails deep inside its loop (or waits forever). :func:`restore_problem`
reads them without unpickling anything (JSON is only parsed, a pickle's opcodes only listed) and says what is
wrong, so the driver can refuse in one line before Ray starts: also state that names a class this version of sweep
no longer has (saved by another version, before a module moved).

Example:
    >>> import tempfile
    >>> experiment = Path(tempfile.mkdtemp())
    >>> _ = (experiment / "tuner.pkl").write_bytes(b"")
    >>> restore_problem(experiment)
    'no experiment_state-*.json beside tuner.pkl'
    >>> _ = (experiment / "experiment_state-2026.json").write_text('{"trial_data": [], "runner_data": {}}')
    >>> restore_problem(experiment)
    'tuner.pkl is empty (0 bytes)'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

TUNER_FILE = "tuner.pkl"
OWN_PACKAGES = ("sweep", "search_spaces", "trainables", "sweep_errors")  # the only names looked up, never imported else
PATTERNS = ("experiment_state-*.json", "searcher-state-*.pkl", "search_gen_state-*.json", "callback-states-*.pkl")


def unpickled_files(experiment: Path) -> list[Path]:
    """The files `Tuner.restore` would unpickle, as Ray picks them (the newest name of each kind)."""
    experiment = Path(experiment)
    files = [experiment / TUNER_FILE] if (experiment / TUNER_FILE).exists() else []
    for pattern in PATTERNS:
        found = sorted(experiment.glob(pattern))
        if found:
            files.append(found[-1])  # Ray takes max() of the names
    return files


def restore_problem(experiment: Path) -> str | None:
    """What keeps Ray from restoring the experiment in `experiment` (one phrase), or None when it looks whole."""
    experiment = Path(experiment)
    if not (experiment / TUNER_FILE).exists():
        return None  # nothing to restore: a new Tuner starts
    if not sorted(experiment.glob(PATTERNS[0])):
        return f"no experiment_state-*.json beside {TUNER_FILE}"
    for path in unpickled_files(experiment):
        try:
            data = path.read_bytes()
        except OSError as err:
            return f"{path.name} cannot be read ({err.strerror or err})"
        if not data:
            return f"{path.name} is empty (0 bytes)"
        if path.name.startswith("experiment_state-"):
            try:
                state = json.loads(data)
            except ValueError as err:
                return f"{path.name} is cut off or damaged ({err})"
            if not isinstance(state, dict) or "trial_data" not in state or "runner_data" not in state:
                return f"{path.name} is not an experiment state (no trial_data/runner_data)"
        elif data[:1] != b"\x80":  # every pickle of protocol 2 and up starts with PROTO
            return f"{path.name} is not a pickle Ray wrote"
        else:
            try:
                gone = missing_name(data)
            except ValueError as err:
                return f"{path.name} is cut off or damaged ({err})"
            if gone:
                return f"{path.name} names {gone}, which this version of sweep does not have: saved by another version"
    return None


def missing_name(data: bytes) -> str | None:
    """The first class or function of sweep's own packages that the pickle `data` names and this version lacks,
    read from its opcodes (a global's module and name are the two strings pushed, or fetched from the memo, just
    before it); a cut-off pickle raises ValueError.

    Example:
        >>> import pickle
        >>> from sweep.run.rounds import RoundSlot
        >>> data = pickle.dumps([RoundSlot(1, None, False, 4), RoundSlot(2, None, True, 4)])
        >>> missing_name(data), missing_name(data.replace(b"RoundSlot", b"RoundSlab"))
        (None, 'sweep.run.rounds.RoundSlab')
    """
    import importlib
    import pickletools

    strings: list[str] = []
    memo: dict[int, object] = {}
    top: object = None  # what the last opcode pushed, when it is a string
    for op, arg, _ in pickletools.genops(data):
        arg = cast(Any, arg)
        if op.name in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):  # stores the top, pushes nothing
            memo[len(memo) if arg is None else int(arg)] = top
            continue
        top = arg if "UNICODE" in op.name else memo.get(int(arg)) if op.name.endswith("GET") else None
        strings += [top] if isinstance(top, str) else []
        if op.name == "GLOBAL" or op.name == "STACK_GLOBAL" and len(strings) >= 2:
            module, name = arg.split(" ", 1) if op.name == "GLOBAL" else strings[-2:]
            try:
                found = importlib.import_module(module) if module.split(".")[0] in OWN_PACKAGES else None
                for part in name.split(".") if found else []:
                    found = getattr(found, part)
            except (ImportError, AttributeError):
                return f"{module}.{name}"
    return None


def download_state(uri: str, into: Path) -> Path:
    """Copies the files `Tuner.restore` would unpickle from the experiment at `uri` (and the signatures beside
    them) into the local folder `into`, to check them there before Ray reads them; returns `into`."""
    import fnmatch

    import pyarrow.fs

    from sweep.store.signing import SIGNATURES_FILE

    filesystem, base = pyarrow.fs.FileSystem.from_uri(uri)
    infos = filesystem.get_file_info(pyarrow.fs.FileSelector(base, allow_not_found=True))
    names = [Path(info.path).name for info in infos if info.type == pyarrow.fs.FileType.File]
    wanted = {TUNER_FILE, SIGNATURES_FILE} & set(names)
    for pattern in PATTERNS:
        matching = sorted(n for n in names if fnmatch.fnmatch(n, pattern))
        wanted |= set(matching[-1:])
    into.mkdir(parents=True, exist_ok=True)
    local = pyarrow.fs.LocalFileSystem()
    for name in sorted(wanted):
        pyarrow.fs.copy_files(
            f"{base}/{name}", str(into / name), source_filesystem=filesystem, destination_filesystem=local
        )
    return into

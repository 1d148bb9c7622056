"""What `resume` checks before Ray starts: the plan files of started rounds, and Ray's saved state (whole, and
signed with this user's key: :mod:`sweep.store.signing`). Each problem is one line naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from search_spaces import Space, SweepSpec
from sweep import events as E
from sweep.run.rounds import RoundSlot
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.tables import read_table
from sweep_errors import SweepError


def check_plans(directory: SweepDir, spec: SweepSpec, base: Space, observer: E.Observer | None = None) -> None:
    """Re-derives a started round 1's deleted plan files (telling `observer`), and refuses, in one line, a later
    started round's.

    Round 1's plan comes from the spec and its seed alone, so it is planned again, the same (checked against the
    rows already recorded). A later round was planned from the results at the time: once some of its trials
    are recorded, the rest of its plan cannot be known.

    Raises:
        SweepError: naming the missing file and what to do.
    """
    state = directory.state.read()
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    for slot in (RoundSlot(**slot) for slot in state.rounds):
        if state.round_status.get(str(slot.number)) != "running":
            continue  # not started (planned when it starts), or done (its rows are what counts)
        plan, space = directory.round_plan(slot.number), directory.round_space(slot.number)
        if plan.exists() and space.exists():
            continue
        if slot.number == 1 and not slot.zoom and spec.sampler != "tpe":  # TPE's plan grows from its results
            _replan_first_round(directory, spec, base, slot, trials)
            E.emit(observer, E.RoundReplanned(str(directory.round_plan(1)), spec.seed))
            continue
        recorded = 0 if trials.empty or S.ROUND not in trials else int((trials[S.ROUND] == slot.number).sum())
        if plan.exists() or recorded:
            missing = space if plan.exists() else plan
            raise SweepError(
                f"{missing} is gone and round {slot.number} has started: it was planned from earlier results, so "
                "its plan cannot be re-derived; put the file back (from a copy of the sweep); the results so far "
                "stay readable (`sweep show`)"
            )


def _replan_first_round(directory: SweepDir, spec: SweepSpec, base: Space, slot: RoundSlot, trials: Any) -> None:
    """Writes round 1's plan files again, as the searcher first wrote them (the spec's seed decides them)."""
    import pandas as pd

    from sweep.run.rounds import plan_configs, round_space

    space = round_space(slot, base, None, [], spec)
    configs = plan_configs(spec, space, slot, None, None)
    recorded = {} if trials.empty else {str(r[S.PLAN_ID]): r for r in trials.to_dict("records")}
    for config in configs:
        row = recorded.get(str(config[S.PLAN_ID]))
        if row is None:
            continue
        differs = [k for k, v in config.items() if k in row and str(row[k]) != str(v)]
        if differs and not all(_close(row[k], config[k]) for k in differs):
            raise SweepError(
                f"{directory.round_plan(1)} is gone and planning round 1 again gives other values than trials.csv "
                f"holds ({config[S.PLAN_ID]}: {differs[0]}); put the file back (from a copy of the sweep)"
            )
    directory.round_plan(1).parent.mkdir(parents=True, exist_ok=True)  # rounds/ may be gone as a whole
    directory.write_yaml(directory.round_space(1), space.to_dict())
    pd.DataFrame(configs).to_csv(directory.round_plan(1), index=False)


def _close(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def check_saved_state(directory: SweepDir, experiment: str | None, trust: bool = False) -> None:
    """Refuses, in one line, Ray state that `Tuner.restore` could not restore or that this user did not sign.

    Raises:
        SweepError: a state file is empty, cut off or damaged; or (without `trust`) not signed with this user's
            key, so that unpickling it could run code someone else put there.
    """
    if not experiment:
        return
    where = directory.location
    if directory.remote is None:
        _check_state_folder(directory.ray_dir / experiment, f"{where}/ray/{experiment}", where, trust)
        return
    import shutil
    import tempfile

    from sweep.store.ray_state import download_state

    copy = Path(tempfile.mkdtemp(prefix="sweep-state-"))
    try:  # check a local copy of what Ray would read at the URI
        try:
            download_state(f"{directory.ray_storage}/{experiment}", copy)
        except OSError as err:
            raise SweepError(f"{directory.ray_storage}/{experiment}: cannot read Ray's saved state ({err})") from None
        _check_state_folder(copy, f"{directory.ray_storage}/{experiment}", where, trust)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _check_state_folder(folder: Path, shown: str, where: str, trust: bool) -> None:
    from sweep.store.ray_state import restore_problem, unpickled_files
    from sweep.store.signing import key_path, load_key, unsigned

    fresh = f"sweep resume {where} --fresh"
    problem = restore_problem(folder)
    if problem:
        raise SweepError(
            f"{shown}: Ray cannot restore its saved state ({problem}); the tables hold every finished trial: "
            f"{fresh} runs the rest of the plan afresh from them"
        )
    bad = [] if trust else unsigned(folder, unpickled_files(folder), load_key(create=False))
    if bad:
        name = shown.rsplit("/", 2)[-2:]
        raise SweepError(
            f"{'/'.join(name)}/{bad[0]} is not signed with your key ({key_path()}): written elsewhere or changed; "
            f"restoring unpickles it, which can run any code. Trusted: sweep resume {where} --trust; else: {fresh}"
        )

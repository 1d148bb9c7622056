"""Column names of the results tables, defined once: every reader and writer imports them from here."""

from __future__ import annotations

# trials.csv: one row per trial.
TRIAL_ID = "trial_id"  # Ray's trial id
PLAN_ID = "plan_id"  # our id of the planned config: r<round>-<index>, stable across resumes
ROUND = "round"
STAGE = "stage"  # tier tuned in a --staged sweep; empty otherwise
STATUS = "status"  # one of STATUSES
RUNG = "rung"  # highest ASHA milestone (epochs) the trial reached
EPOCHS = "epochs_trained"
TRAIN_SECONDS = "train_seconds"
BEST = "best_metric"  # best value of the sweep's metric over the trial's epochs
LAST = "last_metric"
NODE_IP = "node_ip"
NODE_ID = "node_id"  # Ray's node id, reported by the built-in trainables
ERROR = "error"
FINISHED = "finished_at"  # seconds since the sweep started when the trial ended, on the driver

TRIAL_COLUMNS = [
    PLAN_ID,
    TRIAL_ID,
    ROUND,
    STAGE,
    STATUS,
    RUNG,
    EPOCHS,
    TRAIN_SECONDS,
    BEST,
    LAST,
    NODE_IP,
    NODE_ID,
    FINISHED,
    ERROR,
]

# history.csv: one row per trial per reported epoch; the trainable's metrics follow these.
EPOCH = "epoch"
WALL = "wall_seconds"  # seconds since the sweep started, on the driver
HISTORY_KEYS = [PLAN_ID, TRIAL_ID, ROUND, EPOCH, WALL]
DIVERGED_KEY = "diverged"  # a trainable's own divergence flag; the recorder sets it on a non-finite metric too

COMPLETED, PRUNED, DIVERGED, ERRORED = "completed", "pruned", "diverged", "error"
STOPPED = "stopped"  # still training when the sweep's time budget ran out
TIMEOUT = "timeout"  # over the spec's per-trial time limit
STATUSES = (COMPLETED, PRUNED, DIVERGED, ERRORED, STOPPED, TIMEOUT)

# Result keys Ray adds to every report that the history does not need.
RAY_BOOKKEEPING = {
    "timestamp", "checkpoint_dir_name", "done", "training_iteration", "trial_id", "date", "time_this_iter_s",
    "time_total_s", "pid", "hostname", "config", "time_since_restore", "iterations_since_restore",
    "experiment_tag", "should_checkpoint",
}  # fmt: skip

RESERVED = set(TRIAL_COLUMNS) | set(HISTORY_KEYS)


def check_not_reserved(names: object) -> None:
    """No parameter may be named like a results column: a one-line SpecError naming the first one."""
    from search_spaces import SpecError

    clash = sorted(set(names) & RESERVED)  # type: ignore[call-overload]
    if clash:
        raise SpecError(f"space.{clash[0]}: the name is reserved for a results column; rename the parameter")

"""A retest's outcome: the per-config summary over seeds, whether the ranking held, and the terminal report."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sweep.store import schema as S

MIN_CONFIGS_FOR_RHO = 5  # two configs always give ρ = ±1; below five a rank correlation says nothing
SHOWN = [S.PLAN_ID, "original_rank", "new_rank", "original_metric", "mean", "std", "n", "test_accuracy_mean"]


@dataclass
class RetestResult:
    """One retest: its rows, its per-config summary, and whether the original ranking held.

    Attributes:
        retest_id: the id shared by this retest's rows in retest.csv and retest_summary.csv.
        rows: one row per config per seed.
        summary: one row per config: mean, std and n of the metric, original and new rank, test accuracy.
        spearman: rank correlation between the original ranking and the retest means (NaN below
            :data:`MIN_CONFIGS_FOR_RHO` configs: over fewer it is ±1 or close by chance).
        holds: whether the sweep's best config is still best on the retest mean.
        metric, mode: the sweep's metric and direction.
    """

    retest_id: str
    rows: pd.DataFrame
    summary: pd.DataFrame
    spearman: float
    holds: bool
    metric: str
    mode: str

    def first_error(self) -> str | None:
        """Why the first run failed when every run did (an error, or no reading of the metric): a retest with
        nothing to report; None when some run has a reading.

        Example:
            >>> rows = pd.DataFrame({"dev_accuracy": [None, None], "error": ["DataError: bad file", None]})
            >>> RetestResult("id", rows, pd.DataFrame(), math.nan, False, "dev_accuracy", "max").first_error()
            'DataError: bad file'
        """
        if self.rows.empty:
            return None
        errors = self.rows.get("error", pd.Series(None, index=self.rows.index, dtype=object))
        readings = pd.to_numeric(self.rows.get(self.metric, pd.Series(dtype=float)), errors="coerce")
        if readings.reindex(self.rows.index).notna().any():
            return None
        said = errors[errors.notna() & (errors.astype(str).str.strip() != "")]
        return str(said.iloc[0]) if len(said) else f"no run reported {self.metric}"

    def winner(self) -> pd.Series:
        """The summary row of the config with the best retest mean."""
        return self.summary.sort_values("new_rank", kind="stable").iloc[0]

    def text(self) -> str:
        """The terminal report."""
        shown = self.summary[SHOWN]
        lines = [
            f"retest {self.retest_id}: {self.metric} ({self.mode}) at full budget, last epoch, both sides "
            "(original_metric: the sweep trial's last epoch)",
            shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        verdict = "ranking holds: the top-1 config stays top-1" if self.holds else "ranking changed: a new top-1"
        if math.isnan(self.spearman):
            lines.append(f"{verdict} (no rank correlation: it needs {MIN_CONFIGS_FOR_RHO} configs, --top)")
        else:
            lines.append(f"Spearman rank correlation, original vs retest mean: {self.spearman:+.2f}; {verdict}")
        best = self.winner()
        if math.isnan(float(best["test_accuracy_mean"])):
            test = "no test_accuracy (the trainable reports none)"
        else:
            test = f"test_accuracy {best['test_accuracy_mean']:.4f} ± {_nan0(best['test_accuracy_std']):.4f}"
        lines.append(f"winner on mean {self.metric}: {best[S.PLAN_ID]}, {test} over {int(best['n'])} seed(s)")
        return "\n".join(lines)


def summarise(rows: pd.DataFrame, metric: str, mode: str) -> pd.DataFrame:
    """Per config: mean, std and n of the metric over seeds, test accuracy, original and new rank."""
    values = rows.assign(
        **{
            metric: pd.to_numeric(rows[metric], errors="coerce"),
            "test_accuracy": pd.to_numeric(rows["test_accuracy"], errors="coerce"),
        }
    )
    group = values.groupby(S.PLAN_ID, sort=False)
    summary = pd.DataFrame(
        {
            "retest_id": group["retest_id"].first(),
            "metric": metric,
            "mean": group[metric].mean(),
            "std": group[metric].std(),
            "n": group[metric].count(),
            "original_rank": group["original_rank"].first(),
            "original_metric": group["original_metric"].first(),
            "test_accuracy_mean": group["test_accuracy"].mean(),
            "test_accuracy_std": group["test_accuracy"].std(),
            "data": group["data"].first(),
        }
    ).reset_index()
    # A config whose every run failed has no mean; it ranks last.
    summary["new_rank"] = summary["mean"].rank(ascending=mode == "min", method="min", na_option="bottom").astype(int)
    return summary.sort_values("original_rank", kind="stable").reset_index(drop=True)


def spearman(summary: pd.DataFrame) -> float:
    """Rank correlation of the original ranking and the retest means (NaN below :data:`MIN_CONFIGS_FOR_RHO`)."""
    if len(summary) < MIN_CONFIGS_FOR_RHO:
        return math.nan
    return round(float(summary["original_rank"].corr(summary["new_rank"], method="spearman")), 12)


def _nan0(value: float) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def latest_retest_text(summary: pd.DataFrame, winner: str | None) -> str | None:
    """`sweep show`'s lines on the sweep's latest retest (`retest_summary.csv`), or None without one: the
    retest's own winner on its mean, and where the sweep's winner `winner` landed.

    Example:
        >>> rows = pd.DataFrame({"retest_id": ["t1", "t1"], "plan_id": ["r1-000", "r1-001"], "metric": ["acc"] * 2,
        ...                      "mean": [0.8, 0.9], "std": [0.01, 0.02], "n": [3, 3], "original_rank": [1, 2],
        ...                      "new_rank": [2, 1]})
        >>> print(latest_retest_text(rows, "r1-000").splitlines()[0])
        retest t1 (the latest): r1-001 wins on mean acc 0.9000 ± 0.0200 over 3 seeds; the sweep's winner r1-000 ranks 2
    """
    if summary.empty or "retest_id" not in summary or "new_rank" not in summary:
        return None
    latest = summary[summary["retest_id"] == summary["retest_id"].iloc[-1]]
    ordered = latest.sort_values("new_rank", kind="stable")
    best = ordered.iloc[0]
    line = (
        f"retest {best['retest_id']} (the latest): {best[S.PLAN_ID]} wins on mean {best['metric']} "
        f"{float(best['mean']):.4f} ± {_nan0(float(best['std'])):.4f} over {int(best['n'])} seeds"
    )
    if winner is not None and winner != best[S.PLAN_ID]:
        mine = latest[latest[S.PLAN_ID] == winner]
        line += f"; the sweep's winner {winner} ranks {int(mine['new_rank'].iloc[0])}" if not mine.empty else ""
    elif winner is not None:
        line += "; the sweep's winner holds"
    table = ordered[[S.PLAN_ID, "original_rank", "new_rank", "mean", "std", "n"]]
    return line + "\n" + table.to_string(index=False, float_format=lambda v: f"{v:.4f}")

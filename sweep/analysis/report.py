"""The outcome of `sweep analyze`: the terminal text and one self-contained HTML report.

The report embeds its images as base64 data URIs and its style inline, so the single file can be mailed,
attached to an issue, or opened from disk with no server and no network.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from search_spaces import SweepSpec
from sweep.analysis.advice import Advice
from sweep.analysis.advisor import advise
from sweep.analysis.importance import Importance, best_regions, importance
from sweep.store import schema as S

if TYPE_CHECKING:
    from sweep.store.results import SweepResult

TOP_COLUMNS = [S.PLAN_ID, S.ROUND, S.STAGE, S.STATUS, S.RUNG, S.EPOCHS, S.BEST]


@dataclass
class Analysis:
    """Everything `sweep analyze` found and wrote for one sweep.

    Attributes:
        result: the sweep's tables and spaces.
        importance: per-parameter importance (empty scores when skipped) and how it was computed.
        regions: per numeric parameter, (lowest, highest, trials) over the best quarter of the trials.
        plots: (title, path) of every PNG written.
        report: the HTML report's path (None until written).
        advice: the recipe advisor's advice (see :mod:`sweep.analysis.advisor`).
        spec: the spec the sweep ran (None for an exported table).
    """

    result: SweepResult
    importance: Importance
    regions: dict[str, tuple[float, float, int]]
    plots: list[tuple[str, Path]] = field(default_factory=list)
    report: Path | None = None
    advice: list[Advice] = field(default_factory=list)
    spec: SweepSpec | None = None

    def top_table(self, k: int = 5) -> pd.DataFrame:
        """The best k trials: ids, status, metric, then the tuned parameters."""
        top = self.result.ranked(usable=True).head(k)
        columns = [c for c in TOP_COLUMNS if c in top and not top[c].isna().all()] + list(self.result.params)
        return top[columns].rename(columns={S.BEST: f"best {self.result.metric}"})

    def text(self, k: int = 5) -> str:
        """The terminal report."""
        result = self.result
        finished = len(result.ranked(usable=True))
        out = [f"{result.name}: {len(result.trials)} trials, {finished} with a finite {result.metric}"]
        out += [f"note: {note}" for note in result.notes]
        top = self.top_table(k)
        out += [
            "",
            f"top {len(top)}:",
            top.to_string(index=False, float_format=_fmt) if not top.empty else "(none)",
        ]
        out += ["", self.importance.method]
        width = max((len(name) for name in self.importance.scores), default=0)
        for name, score in self.importance.ordered():
            out.append(f"  {name:<{width}}  {score:6.1%}  {'█' * round(score * 30)}")
        out += [f"  note: {note}" for note in self.importance.notes]
        if self.regions:
            out += ["", "best region (range of the top 25% of trials, real values):"]
            width = max(len(name) for name in self.regions)
            for name, (low, high, n) in self.regions.items():
                scale = result.params[name].scale
                out.append(f"  {name:<{width}}  [{_fmt(low)}, {_fmt(high)}]  ({scale}, {n} trials)")
        if self.advice:
            out += ["", "advice:"] + [f"  {advice.text}" for advice in self.advice]
        return "\n".join(out)

    def html(self, k: int = 10) -> str:
        """The report as one HTML document with every image inline."""
        result, imp = self.result, self.importance
        parts = [f"<h1>sweep analysis: {_e(result.name)}</h1>"]
        parts.append(f"<p>{len(result.trials)} trials; metric <b>{_e(result.metric)}</b> ({_e(result.mode)}).</p>")
        parts += [f"<p class=note>{_e(note)}</p>" for note in result.notes]
        parts.append(f"<h2>Top {k} trials</h2>")
        parts.append(self.top_table(k).to_html(index=False, float_format=_fmt, na_rep="", border=0))
        parts.append(f"<h2>Importance</h2><p>{_e(imp.method)}</p>")
        if imp.scores:
            rows = pd.DataFrame([(n, f"{s:.1%}") for n, s in imp.ordered()], columns=["parameter", "importance"])
            parts.append(rows.to_html(index=False, border=0))
        parts += [f"<p class=note>{_e(note)}</p>" for note in imp.notes]
        if self.regions:
            parts.append("<h2>Best region</h2><p>Range of the top 25% of trials, in real values.</p>")
            regions = pd.DataFrame(
                [(n, result.params[n].scale, _fmt(lo), _fmt(hi), c) for n, (lo, hi, c) in self.regions.items()],
                columns=["parameter", "scale", "low", "high", "trials"],
            )
            parts.append(regions.to_html(index=False, border=0))
        if self.advice:
            parts.append("<h2>Advice</h2><ul>")
            parts += [f"<li>{_e(advice.text)}</li>" for advice in self.advice]
            parts.append("</ul>")
        parts.append("<h2>Plots</h2>")
        for title, path in self.plots:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            parts.append(
                f"<figure><img alt='{_e(title)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{_e(title)}</figcaption></figure>"
            )
        if not any(path.name == "learning-curves.png" for _, path in self.plots):
            parts.append("<p class=note>No learning curves: no per-epoch history was available.</p>")
        body = "\n".join(parts)
        return (
            "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>sweep analysis: {_e(result.name)}</title><style>{STYLE}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n"
        )


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;font-size:13px;margin:.5em 0}th,td{padding:3px 8px;text-align:right}"
    "tr:nth-child(even){background:#f3f5f8}th{border-bottom:1px solid #888}.note{color:#8a5a00}"
    "figure{display:inline-block;margin:.5em}img{max-width:100%}figcaption{font-size:13px;color:#555}"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) and not math.isnan(value) else str(value)


def analyze(
    path: SweepResult | str | Path, history: str | Path | None = None, top: int = 10, plots: bool = True
) -> Analysis:
    """Analyses a sweep (its directory, an exported trials table, or a loaded result); writes the PNGs and the
    HTML report.

    Args:
        path: a sweep directory, a .csv/.parquet written by `sweep export`, or what `sweep.load` returned.
        history: optionally a per-epoch table (`sweep export --history`) for the learning curves.
        top: trials in the report's top table.
        plots: write the plots and the report (False: compute only).

    Returns:
        The analysis; its `plots` and `report` say what was written where.

    Example:
        >>> from sweep.analysis import analyze
        >>> print(analyze("sweeps/digits-momentum-20261122-120000").text())  # doctest: +SKIP
    """
    from sweep.analysis.plots import write_plots
    from sweep.store.results import SweepResult, load, read_table_file

    result = path if isinstance(path, SweepResult) else load(path)
    if history is not None:
        result = replace(result, history=read_table_file(Path(history).expanduser()))
    estimate = importance(result.trials, result.params, result.mode)
    analysis = Analysis(result, estimate, best_regions(result.ranked(usable=True), result.params), spec=result.spec)
    analysis.advice = advise(result, estimate, analysis.spec)
    if plots:
        analysis.plots = write_plots(result, estimate)
        result.report_path.write_text(analysis.html(top), encoding="utf-8")
        analysis.report = result.report_path
    return analysis

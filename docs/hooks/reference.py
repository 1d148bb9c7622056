"""The generated parts of the docs: the spec reference (from the scale and scheduler registries, the spec's own
dataclasses and the built-in trainables' declared keys) and the CLI reference (from the typer app).

MkDocs runs :func:`on_page_markdown` on every page (``hooks:`` in mkdocs.yml); a page asks for a part with a
marker line, ``<!-- generated: spec-reference -->`` or ``<!-- generated: cli-reference -->``. Since the text is
made from the registries at build time, a new scale, scheduler, spec key, trainable key or command appears in
the docs without anyone editing them; ``tests/test_docs.py`` checks that each one is listed and described.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

SPEC_MARKER = "<!-- generated: spec-reference -->"
CLI_MARKER = "<!-- generated: cli-reference -->"

# One line per top-level spec key. A key without one is still listed; the docs test names it.
TOP_KEY_HELP = {
    "name": "the sweep's name; its directory is `STORAGE/NAME-YYYYmmdd-HHMMSS` (a plain name: no `/`, no `..`)",
    "trainable": "a built-in (below) or `package.module:function`, a plain Ray Tune function trainable",
    "data": "`digits`, `spirals[:n=...,features=...,classes=...]`, `mnist1d`, or a `.csv`/`.parquet`/`.npz` path "
    "(relative to the spec's directory)",
    "label": "a data file's column to predict (the same as `space: {label: ...}`)",
    "metric": "what the trainable reports each epoch and the sweep ranks on",
    "mode": "`max` or `min` (a loss)",
    "samples": "configs per round",
    "sampler": "`random`, `sobol`, `grid` or `tpe` (Optuna's TPE through Ray's `OptunaSearch`)",
    "seed": "seeds the sampling (and `sweep train`'s config)",
    "baseline": "the first trial trains every parameter at its default, so the summary says what the search gained",
    "scheduler": "`asha`, `fifo` or `pbt`, alone or as a mapping with the type's keys (below)",
    "rounds": "coarse-to-fine rounds: a count, or the mapping below",
    "resources": "per trial: `{cpu: 1, gpu: 0}`",
    "max_concurrent": "at most this many trials at once",
    "time_budget": "the whole sweep's wall-clock budget (`90s`, `10m`, `2h`)",
    "trial_timeout": "a trial training longer is stopped and recorded as `timeout`",
    "tracking": "`[mlflow, tensorboard]` (the `track` extra)",
    "tracking_uri": "an MLflow server (`http://host:5000`), with mlflow in `tracking`; default: a SQLite store in "
    "the sweep directory",
    "target_accuracy": "a human-level accuracy, the advisor's proxy for Bayes error (bias vs variance)",
    "target_metric": "a human-level value of `metric` itself (a loss too), the advisor's proxy for Bayes error",
    "early_stopping": "`{patience: N}`: stop a trial after N epochs without a better dev value (Ray's Stopper; "
    "opt-in, not orthogonal: see Diagnostics)",
    "space": "the hyperparameters: `name: {scale: argument, default: ..., tier: ...}` or a fixed value",
}
SHOWN_DEFAULTS = {
    "name": "the spec file's name",
    "scheduler": "`asha` (below)",
    "rounds": "`1` (below)",
    "resources": "`{cpu: 1, gpu: 0}`",
    "space": "required",
    "label": "`label`",
}
ROUNDS_HELP = {
    "count": "rounds in all; each after the first zooms on the best trials so far",
    "top_fraction": "the share of trials the zoom is fitted on",
    "margin": "how far past the best trials' span the zoom reaches (a share of the width)",
    "expand": "a range whose best trials crowd a bound moves past it instead of zooming in",
    "regions": "a zoomed round samples around each of its best `regions` trials (0: the whole zoomed box)",
    "explore": "the share of a zoomed round's samples drawn from the whole space again",
    "model": "`gp`: once a few results are in, a Gaussian process picks each trial among draws from where the "
    "round looks (see the recipe); `none`: each round's samples are drawn up front",
}


def _first_line(text: str | None) -> str:
    """A docstring's first paragraph on one line, its reStructuredText literals as Markdown's."""
    return " ".join((inspect.cleandoc(text or "").split("\n\n")[0]).split()).replace("``", "`")


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def _default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return "required"
    if isinstance(value, float):
        return f"`{value:.4g}`"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        shown = getattr(value, "to_dict", lambda: dataclasses.asdict(value))()
        return f"`{shown}`" if shown else "(empty)"
    return "–" if value is None or value == () else f"`{value}`"


def spec_keys() -> list[str]:
    """Every top-level key a spec may hold."""
    from search_spaces.spec import SPACE_SHORTHANDS, TOP_KEYS

    return [*TOP_KEYS, *SPACE_SHORTHANDS]


def spec_reference() -> str:
    """The spec reference as Markdown."""
    from search_spaces.scales import SCALES
    from search_spaces.scheduler_spec import COMMON_KEYS, SETTINGS
    from search_spaces.spec import ResourcesSpec, RoundsSpec, SweepSpec
    from sweep.schedulers import REGISTRY
    from trainables.registry import builtin_names, declaration

    fields = {f.name: f for f in dataclasses.fields(SweepSpec)}
    out = ["## Top-level keys", "", "| key | default | what |", "|---|---|---|"]
    for key in spec_keys():
        default = _default(fields[key]) if key in fields else "–"
        default = SHOWN_DEFAULTS.get(key, default)
        out.append(f"| `{key}` | {default} | {_cell(TOP_KEY_HELP.get(key, ''))} |")
    out += ["", "### `rounds:`", "", "| key | default | what |", "|---|---|---|"]
    for field in dataclasses.fields(RoundsSpec):
        out.append(f"| `{field.name}` | {_default(field)} | {_cell(ROUNDS_HELP.get(field.name, ''))} |")
    out += ["", "### `resources:`", "", "| key | default |", "|---|---|"]
    out += [f"| `{f.name}` | {_default(f)} |" for f in dataclasses.fields(ResourcesSpec)]

    out += ["", "## Scales", "", "Each parameter of `space:` is `name: {scale: argument}`, with optional `default:`"
            " and `tier:`; a bare value is fixed.", "", "| scale | example | what |", "|---|---|---|"]  # fmt: skip
    for name, scale in SCALES.items():
        example = scale.examples[0] if getattr(scale, "examples", ()) else ""
        out.append(f"| `{name}` | `{{{name}: {example}}}` | {_cell(_first_line(type(scale).__doc__))} |")

    common = ", ".join(f"`{k}`" for k in COMMON_KEYS)
    out += ["", "## Schedulers", "", f"Every type takes {common} (`max_t`: the epoch budget; default the most "
            "epochs a config can train), then its own keys.", ""]  # fmt: skip
    for name in REGISTRY:
        settings = SETTINGS[name]
        out += [f"### `{name}`", "", _first_line(settings.__doc__), ""]
        own = dataclasses.fields(settings)
        if own:
            out += ["| key | default | rule |", "|---|---|---|"]
            for field in own:
                rule = field.metadata.get("rule")
                text = rule.text or (f"an integer ≥ {rule.minimum}" if rule.minimum is not None else "") if rule else ""
                out.append(f"| `{field.name}` | {_default(field)} | {_cell(text)} |")
            out.append("")

    out += ["## Built-in trainables", ""]
    for name in builtin_names():
        declared = declaration(name)
        out += [f"### `{name}`", "", f"Reports: {', '.join(f'`{m}`' for m in declared.metrics)}.", "",
                "| config key | default | accepts |", "|---|---|---|"]  # fmt: skip
        for key, rule in declared.keys.items():
            value = declared.defaults.get(key)
            shown = "–" if value is None else f"`{value}`"
            out.append(f"| `{key}` | {_cell(shown)} | {_cell(_accepts(rule))} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _accepts(rule: Any) -> str:
    """What a declared key accepts, in words: ``integer ≥ 1``, ``number in (0, 1]``, ``relu, tanh``."""
    if rule.kind == "choice":
        return ", ".join(rule.choices)
    if rule.kind in ("int", "optional_int", "float"):
        kind = "number" if rule.kind == "float" else "integer"
        low = None if rule.low is None or rule.low == -math.inf else rule.low
        high = None if rule.high is None or rule.high == math.inf else rule.high
        if low is not None and high is not None:
            text = f"{kind} in {'(' if rule.low_open else '['}{low:g}, {high:g}{')' if rule.high_open else ']'}"
        elif low is not None:
            text = f"{kind} {'>' if rule.low_open else '≥'} {low:g}"
        elif high is not None:
            text = f"{kind} {'<' if rule.high_open else '≤'} {high:g}"
        else:
            text = kind
        return text + (", odd" if rule.odd else "") + (", or none" if rule.kind == "optional_int" else "")
    return {"bool": "true or false", "text": "text", "split": "train/dev/test fractions summing to 1"}.get(
        rule.kind, rule.kind
    )


def command_names() -> list[str]:
    """Every `sweep` command."""
    return sorted(_cli().commands)


def _cli() -> Any:
    import typer

    from sweep.cli.app import app
    from sweep.cli.main import _register

    _register()
    return typer.main.get_command(app)


def cli_reference() -> str:
    """The CLI reference as Markdown: each command's usage, help and options, as `sweep CMD --help` gives them."""
    import click

    group = _cli()
    out = []
    for name in command_names():
        command = group.commands[name]
        context = click.Context(command, info_name=f"sweep {name}")
        out += [f"## `sweep {name}`", "", "```text", command.get_usage(context), "```", ""]
        out += [inspect.cleandoc(command.help or "").replace("Example: ", "Example: `", 1).rstrip() + _tick(command)]
        rows = []
        for param in command.params:
            if param.name == "help":
                continue
            if isinstance(param, click.Argument):
                names = f"`{param.human_readable_name}`"
            else:
                names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            rows.append(f"| {names} | {_cell(' '.join((getattr(param, 'help', None) or '').split()))} |")
        if rows:
            out += ["", "| argument / option | what |", "|---|---|", *rows]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _tick(command: Any) -> str:
    """Close the backtick opened around the example command, when the help has one."""
    return "`" if "Example: " in (command.help or "") else ""


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: fill in the generated parts a page asks for."""
    if SPEC_MARKER in markdown:
        markdown = markdown.replace(SPEC_MARKER, spec_reference())
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    return markdown

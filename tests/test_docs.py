"""The docs: the generated references list everything the registries hold, the site builds with --strict, and every
code block of the getting-started and trainable pages runs, in order, in one directory.

A page's blocks: ```bash runs in bash, ```python in a fresh interpreter; a block after ``<!-- file: NAME -->`` is
written to NAME instead (a spec, a module). Blocks of other languages are output, not commands.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"(?:<!-- file: (?P<file>\S+) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)


def _reference():
    spec = importlib.util.spec_from_file_location("docs_reference", DOCS / "hooks" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table_keys(markdown: str, heading: str) -> list[str]:
    """The first-column keys of the table under `heading` (up to the next heading)."""
    section = markdown.split(heading + "\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, re.M)


def test_the_spec_reference_lists_every_key_scale_scheduler_and_trainable_key():
    from search_spaces.scales import SCALES
    from search_spaces.scheduler_spec import SETTINGS
    from search_spaces.spec import ResourcesSpec, RoundsSpec
    from sweep.schedulers import REGISTRY
    from trainables.registry import builtin_names, declaration

    reference = _reference()
    text = reference.spec_reference()
    assert _table_keys(text, "## Top-level keys") == reference.spec_keys()
    undescribed = [key for key in reference.spec_keys() if not reference.TOP_KEY_HELP.get(key)]
    assert not undescribed, f"describe these spec keys in docs/hooks/reference.py TOP_KEY_HELP: {undescribed}"
    assert _table_keys(text, "### `rounds:`") == [f.name for f in RoundsSpec.__dataclass_fields__.values()]
    assert _table_keys(text, "### `resources:`") == list(ResourcesSpec.__dataclass_fields__)
    assert _table_keys(text, "## Scales") == list(SCALES)
    for name in REGISTRY:
        own = list(SETTINGS[name].__dataclass_fields__)
        assert f"### `{name}`" in text and (not own or _table_keys(text, f"### `{name}`") == own)
    for name in builtin_names():
        assert _table_keys(text, f"### `{name}`") == list(declaration(name).keys)


def test_the_cli_reference_lists_every_command_and_option():
    import click

    reference = _reference()
    text = reference.cli_reference()
    group = reference._cli()
    assert re.findall(r"^## `sweep (\S+)`$", text, re.M) == sorted(group.commands)
    for name, command in group.commands.items():
        section = text.split(f"## `sweep {name}`\n", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert f"`{param.opts[0]}`" in section, f"sweep {name}: {param.opts[0]} missing"


def test_every_page_is_in_the_nav_and_the_site_builds_strict(tmp_path):
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    in_nav = {next(iter(entry.values())) for entry in config["nav"]}
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages - in_nav == set(), "add these pages to mkdocs.yml's nav"
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [mkdocs, "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "kernel_size" in (tmp_path / "site" / "spec" / "index.html").read_text()
    assert "sweep validate" in (tmp_path / "site" / "cli" / "index.html").read_text()


def run_page(page: str, folder: Path, env: dict[str, str]) -> list[str]:
    """Runs a page's blocks in order in `folder`; returns the kinds run (for the test to check none was skipped)."""
    ran = []
    for block in BLOCK.finditer((DOCS / page).read_text()):
        code, lang = block["code"], block["lang"]
        if block["file"]:
            (folder / block["file"]).write_text(code)
            ran.append(f"file:{block['file']}")
            continue
        if lang not in ("bash", "python"):
            continue
        command = ["bash", "-euo", "pipefail", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, f"{page} block failed:\n{code}\n--- stderr:\n{done.stderr[-3000:]}"
        assert "error:" not in done.stderr, f"{page} block printed an error:\n{code}\n{done.stderr[-3000:]}"
        ran.append(lang)
    return ran


def _environment(ray_instance) -> dict[str, str]:
    """The venv's commands first; sweeps join the session's Ray (RAY_ADDRESS) instead of starting their own."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "PYTHONPATH": str(ROOT), "RAY_ADDRESS": ray_instance.address}


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.parametrize("page", ["getting-started.md", "trainable.md"])
def test_every_block_of_the_page_runs(page, ray_instance, tmp_path):
    ran = run_page(page, tmp_path, _environment(ray_instance))
    assert "bash" in ran and "python" in ran
    assert len(ran) == len(BLOCK.findall((DOCS / page).read_text())) - sum(
        1 for b in BLOCK.finditer((DOCS / page).read_text()) if not b["file"] and b["lang"] not in ("bash", "python")
    )

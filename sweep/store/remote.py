"""Sweeps stored at a URI (s3://, gs://, file://, anything pyarrow's filesystems understand).

Ray writes the trials' checkpoints straight to the URI (the right place when nodes share no filesystem). The
driver keeps the small files (`SMALL_FILES` in sweep.store.layout, and the round spaces) in a local mirror, appends
there as results arrive, and copies them to the URI when the sweep starts, every so often while it runs
(:mod:`sweep.run.mirror_push`) and when it stops, so a sweep directory at the URI is complete and `sweep resume
URI` / `sweep.load(URI)` work from any machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def is_uri(location: str | Path) -> bool:
    return "://" in str(location)


def _filesystem(uri: str):  # -> tuple[pyarrow.fs.FileSystem, str]
    import pyarrow.fs

    return pyarrow.fs.FileSystem.from_uri(uri)


def push(local: Path, uri: str, names: Iterable[str]) -> None:
    """Copies the sweep's small files (and round spaces) from the local mirror to the URI."""
    import pyarrow.fs

    filesystem, base = _filesystem(uri)
    filesystem.create_dir(f"{base}/rounds", recursive=True)
    local_fs = pyarrow.fs.LocalFileSystem()
    files = [local / name for name in names] + sorted((local / "rounds").glob("*"))
    for path in files:
        if path.is_file():
            target = f"{base}/{path.relative_to(local).as_posix()}"
            pyarrow.fs.copy_files(str(path), target, source_filesystem=local_fs, destination_filesystem=filesystem)


def pull(uri: str, local: Path, names: Iterable[str]) -> bool:
    """Copies a sweep's small files from the URI into `local`; False when the URI holds no sweep."""
    import pyarrow.fs

    filesystem, base = _filesystem(uri)
    if filesystem.get_file_info(f"{base}/sweep.json").type != pyarrow.fs.FileType.File:
        return False
    (local / "rounds").mkdir(parents=True, exist_ok=True)
    selector = pyarrow.fs.FileSelector(base, recursive=True)
    local_fs = pyarrow.fs.LocalFileSystem()
    wanted, pulled = set(names), set()
    for info in filesystem.get_file_info(selector):
        relative = info.path[len(base) :].lstrip("/")
        if info.type == pyarrow.fs.FileType.File and (relative in wanted or relative.startswith("rounds/")):
            pyarrow.fs.copy_files(
                info.path, str(local / relative), source_filesystem=filesystem, destination_filesystem=local_fs
            )
            pulled.add(relative)
    # what the URI no longer holds (a retest.csv deleted there) is not read from an older pull
    for path in [*(local / name for name in wanted), *(local / "rounds").iterdir()]:
        if path.is_file() and path.relative_to(local).as_posix() not in pulled:
            path.unlink()
    return True


def exists(uri: str) -> bool:
    """Whether anything is stored at `uri`."""
    import pyarrow.fs

    filesystem, base = _filesystem(uri)
    return filesystem.get_file_info(base).type != pyarrow.fs.FileType.NotFound


def mirror_dir(uri: str, cache: Path) -> Path:
    """Where the local mirror of a sweep at `uri` lives: the sweep's folder name and a digest of its whole URI,
    so that a sweep copied to another URI under the same name gets a mirror of its own."""
    uri = uri.rstrip("/")
    digest = hashlib.sha256(uri.encode()).hexdigest()[:8]
    return cache.expanduser().resolve() / f"{uri.rsplit('/', 1)[-1]}-{digest}"


def sweeps_at(uri: str) -> list[str] | None:
    """The URIs of the sweeps stored directly under `uri` (each folder holding a sweep.json), sorted; None when
    nothing is stored at `uri`."""
    import pyarrow.fs

    filesystem, base = _filesystem(uri)
    if filesystem.get_file_info(base).type != pyarrow.fs.FileType.Directory:
        return None
    found = []
    for child in filesystem.get_file_info(pyarrow.fs.FileSelector(base, recursive=False)):
        if child.type != pyarrow.fs.FileType.Directory or child.base_name.startswith("."):
            continue
        if filesystem.get_file_info(f"{child.path}/sweep.json").type == pyarrow.fs.FileType.File:
            found.append(f"{uri.rstrip('/')}/{child.base_name}")
    return sorted(found)

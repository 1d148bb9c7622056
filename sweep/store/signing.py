"""Signatures of the Ray state a sweep writes, so `sweep resume` unpickles only what this user's sweep wrote.

Restoring a Tuner unpickles files from the sweep directory, and unpickling runs whatever code a file names:
anyone who can write to a shared or URI-stored sweep could run code as whoever resumes it. So sweep signs each
state file Ray writes with an HMAC-SHA256 under a key kept in the user's config directory
(``$XDG_CONFIG_HOME/sweep/state.key``, else ``~/.config/sweep/state.key``; mode 600, made on first use), and
keeps the signatures beside the files in ``ray/<experiment>/sweep-signatures.json``. `resume` checks them
before Ray reads anything; a directory written elsewhere (another user or machine) needs ``--trust``.

Ray rewrites its state every few seconds and copies it to the sweep directory in the background, so the
signatures are written first and keep each file's last few versions: a kill between the two copies leaves a
file whose signature is already there.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> key = b"k" * 32
    >>> _ = (folder / "tuner.pkl").write_bytes(b"state")
    >>> sign_files(folder, [folder / "tuner.pkl"], key)
    >>> unsigned(folder, [folder / "tuner.pkl"], key)
    []
    >>> _ = (folder / "tuner.pkl").write_bytes(b"changed")
    >>> unsigned(folder, [folder / "tuner.pkl"], key)
    ['tuner.pkl']
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

SIGNATURES_FILE = "sweep-signatures.json"
KEEP = 6  # versions of each file whose signatures are kept


def key_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where this user's signing key lives."""
    environ = os.environ if environ is None else environ
    config = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".config")
    return Path(config).expanduser() / "sweep" / "state.key"


def load_key(create: bool = True) -> bytes | None:
    """This user's key (made, readable by its owner only, when `create` and none exists yet)."""
    path = key_path()
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        if not create:
            return None
    # Written whole to a file of this process's, then linked into place: a driver starting at the same moment
    # reads either no key or the whole one, never an empty file.
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        os.link(draft, path)
    except FileExistsError:  # another driver made it a moment ago
        pass
    except OSError:
        return None  # a read-only home: nothing is signed, and a resume then needs --trust
    finally:
        with contextlib.suppress(OSError):
            draft.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text().strip())


def signature(key: bytes, name: str, data: bytes) -> str:
    """HMAC-SHA256 of a file's name and bytes (a signed file cannot be passed off under another name)."""
    return hmac.new(key, name.encode() + b"\0" + data, hashlib.sha256).hexdigest()


def read_signatures(folder: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((Path(folder) / SIGNATURES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): [str(s) for s in v] for k, v in files.items() if isinstance(v, list)}


def sign_files(folder: Path, files: Iterable[Path], key: bytes, signed: Mapping[str, str] | None = None,
               scratch: Path | None = None) -> None:  # fmt: skip
    """Adds the signatures of `files` (and the ready-made `signed`: name → signature) to `folder`'s list, written
    whole under a temporary name in `scratch` (default `folder`; on the same disk) and moved into place: a
    folder that another thread copies (Ray's staging folder) needs a scratch outside it, or the copy lists the
    temporary file and fails when it is gone."""
    folder = Path(folder)
    known = read_signatures(folder)
    fresh = list((signed or {}).items())
    for path in map(Path, files):
        with contextlib.suppress(OSError):  # gone already: Ray replaced it
            fresh.append((path.name, signature(key, path.name, path.read_bytes())))
    for name, mine in fresh:
        known[name] = [s for s in known.get(name, []) if s != mine][-(KEEP - 1) :] + [mine]
    tmp = (folder if scratch is None else Path(scratch)) / f".{folder.name}.{SIGNATURES_FILE}.tmp"
    tmp.write_text(json.dumps({"version": 1, "files": known}, indent=1))
    os.replace(tmp, folder / SIGNATURES_FILE)


def unsigned(folder: Path, files: Iterable[Path], key: bytes | None) -> list[str]:
    """Names of the `files` in `folder` whose bytes carry no signature of `key`."""
    known = read_signatures(folder)
    bad = []
    for path in files:
        name = Path(path).name
        if key is None or signature(key, name, Path(path).read_bytes()) not in known.get(name, []):
            bad.append(name)
    return bad

"""MNIST-1D (Greydanus, 2020), generated on this machine by the `mnist1d` package and cached on disk.

The arrays come from the package's own generator, ``make_dataset(get_dataset_args())`` (its default
arguments: 5,000 examples of 40 features, 10 classes), never from its download path (``get_dataset``),
so nothing here touches the network. Generating takes about 5 s, so the result is written once to
``$XDG_CACHE_HOME/sweep/`` (``~/.cache/sweep/`` by default) under a name keyed by the package version and
a hash of its generator's source files; a new release or an edited generator writes a new file. A cache
hit reads a 1.6 MB ``.npz`` without importing the package at all (importing it costs ~1 s: it imports
matplotlib and requests).

The generator reseeds Python's and numpy's global random number generators (``set_seed(42)``); their
states are saved and restored around it, so a trial that happens to generate the data draws the same
numbers afterwards as one that read it from the cache.

Example:
    >>> x, y = mnist1d_arrays()  # doctest: +SKIP
    >>> x.shape, sorted(set(y.tolist())) == list(range(10))  # doctest: +SKIP
    ((5000, 40), True)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import random
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from trainables.cache_home import cache_home
from trainables.errors import DataError

# Bump when what is stored changes (not when the package changes: its version and source are in the key).
_FORMAT = 1
_SOURCES = ("data.py", "transform.py")  # the generator's code: make_dataset and the transforms it applies


def cache_path(cache_dir: Path | None = None) -> Path:
    """The cache file for the installed generator: ``mnist1d-<version>-<source hash>.npz``.

    Raises:
        DataError: The `mnist1d` package is not installed.

    Example:
        >>> cache_path(Path("/tmp/c")).name.startswith("mnist1d-")  # doctest: +SKIP
        True
    """
    spec = importlib.util.find_spec("mnist1d")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "data 'mnist1d': the `mnist1d` package is not installed: pip install mnist1d "
            "(or reinstall sweep, which depends on it)"
        )
    package = Path(list(spec.submodule_search_locations)[0])
    digest = hashlib.sha256(f"format {_FORMAT}".encode())
    for name in _SOURCES:
        source = package / name
        digest.update(source.read_bytes() if source.is_file() else name.encode())
    version = importlib.metadata.version("mnist1d")
    return (cache_dir or cache_home()) / f"mnist1d-{version}-{digest.hexdigest()[:16]}.npz"


def mnist1d_arrays(cache_dir: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 MNIST-1D examples: features (float64, 5000 × 40) and labels (int64, 0..9).

    The package's train (4,000) and test (1,000) parts are concatenated in that order; the caller splits
    them (see :func:`trainables.data.load_dataset`).

    Args:
        cache_dir: Where the generated arrays are kept (default :func:`trainables.cache_home.cache_home`).

    Raises:
        DataError: The package is missing or its generator's output is not MNIST-1D's shape.
    """
    path = cache_path(cache_dir)
    cached = _read(path)
    if cached is not None:
        return cached
    x, y = generate()
    _write(path, x, y)
    return x, y


def generate() -> tuple[np.ndarray, np.ndarray]:
    """Run the package's generator with its default arguments (~5 s); the global RNGs are left as found."""
    from mnist1d.data import get_dataset_args, make_dataset

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        dataset = make_dataset(get_dataset_args())  # never get_dataset(): that one downloads
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    x = np.concatenate([dataset["x"], dataset["x_test"]]).astype(np.float64)
    y = np.concatenate([dataset["y"], dataset["y_test"]]).astype(np.int64)
    if x.ndim != 2 or len(x) != len(y):
        raise DataError(
            f"data 'mnist1d': the generator returned features {x.shape} and labels {y.shape}: "
            "expected (n, 40) and (n,); check the installed mnist1d version"
        )
    return x, y


def _read(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached arrays, or None when the file is missing or unreadable (it is then regenerated)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return archive["x"], archive["y"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def _write(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    """Write atomically (a temporary file in the same directory, then rename), so a worker never reads a
    half-written file while another writes it. A cache that cannot be written only costs the next
    process another generation."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as sink:
            np.savez(sink, x=x, y=y)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the cache from other users of a shared machine
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)

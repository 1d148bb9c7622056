"""Resolve a `data:` string before a launch, without loading big data.

A built-in name is parsed (options and their ranges, as the generator checks them); a file must exist, have
a supported extension and be readable, and its header must name the label column and numeric features (CSV:
the first rows; Parquet: the schema; NPZ: the array headers). A small file (≤ :data:`FULL_LOAD_BYTES`) is
then loaded by the very loader the trials use, so every rule it applies (≥ 2 classes, enough rows, finite
values) is checked exactly; a big one is never read past its header.
"""

from __future__ import annotations

import difflib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sweep_errors import SweepError

FULL_LOAD_BYTES = 16 * 2**20  # below this a file is read in full by the trials' own loader (well under a second)
SNIFF_ROWS = 1000
FILE_SUFFIXES = (".csv", ".parquet", ".pq", ".npz")


def check_data(
    data: str, base: Path, *, label: str = "label", split: Any = (0.6, 0.2, 0.2), split_seed: int = 0
) -> None:
    """Raise a one-line DataError when `data` cannot be loaded by the trials.

    Args:
        data: ``digits``, ``spirals[:options]``, another built-in name, or a file path.
        base: the directory a relative path is resolved in (the spec's directory).
        label, split, split_seed: the trials' config values that the loader uses.

    Example:
        >>> check_data("spirals:n=abc", Path("."))
        Traceback (most recent call last):
        trainables.errors.DataError: data 'spirals:n=abc': bad option 'n=abc' (options: n, classes, features, \
noise, seed): write e.g. spirals:n=20000,classes=3,features=2,noise=0.2
    """
    from trainables.data import BUILTINS, DataError

    name, _, options = data.partition(":")
    if name in BUILTINS:
        _check_builtin(data, name, options)
        return
    path = Path(data).expanduser()
    path = path if path.is_absolute() else base / path
    if path.suffix.lower() not in FILE_SUFFIXES and not path.exists():
        close = difflib.get_close_matches(name, list(BUILTINS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DataError(
            f"data {data!r}: neither a built-in dataset ({', '.join(BUILTINS)}) nor a file: "
            f"{hint}give a built-in name or a .csv, .parquet or .npz path"
        )
    if not path.is_file():
        where = f" (looked in {base})" if not Path(data).expanduser().is_absolute() else ""
        raise DataError(
            f"data file {data!r} not found{where}: give a path to a CSV, Parquet or NPZ file, "
            f"or a built-in dataset ({', '.join(BUILTINS)})"
        )
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise DataError(
            f"data file {path.name!r}: unsupported extension {path.suffix.lower()!r}: "
            "give a .csv, .parquet or .npz file"
        )
    try:
        with path.open("rb") as f:
            f.read(1)
        size = path.stat().st_size
    except OSError as err:
        raise DataError(f"data file {path.name!r} cannot be read ({err.strerror}): check its permissions") from None
    if size == 0:
        raise DataError(f"data file {path.name!r} is empty: give a file with a header and rows")
    # The header first: its messages are the same for a small file and a big one. A file outside the spec's
    # directory (an absolute path, ../) may be anyone's: its column names are not printed, only their count.
    _sniff(path, label, names=_inside(path, base))
    if size <= FULL_LOAD_BYTES:
        _load_in_full(path, label, split, split_seed)


def _check_builtin(data: str, name: str, options: str) -> None:
    from trainables.data import DataError, _parse_options

    if name != "spirals":
        if options or data != name:
            raise DataError(f"data {data!r}: {name} takes no options: write data: {name}")
        return
    opts = _parse_options(data)
    n, k, d, noise = int(opts["n"]), int(opts["classes"]), int(opts["features"]), opts["noise"]
    if k < 2 or d < 2 or n < 2 * k or not noise >= 0 or n > 10**8 or d > 10**5:
        raise DataError(
            f"data {data!r}: n={n}, classes={k}, features={d}, noise={noise:g} invalid: "
            "need classes ≥ 2, features ≥ 2, 2·classes ≤ n ≤ 10^8, features ≤ 10^5, noise ≥ 0"
        )


def _load_in_full(path: Path, label: str, split: Any, split_seed: int) -> None:
    from trainables.data import DataError, load_dataset

    try:
        load_dataset(str(path), label=label, split=list(split), split_seed=split_seed)
    except SweepError:
        raise
    except Exception as err:  # the loader let a reader's own error through: still one line
        raise DataError(
            f"data file {path.name!r} could not be read ({type(err).__name__}: {err}): check its format"
        ) from None


def _inside(path: Path, base: Path) -> bool:
    """Whether `path` lies inside the spec's directory `base` (links and `..` resolved)."""
    try:
        return path.resolve().is_relative_to(Path(base).resolve())
    except (OSError, RuntimeError):
        return False


def _sniff(path: Path, label: str, names: bool = True) -> None:
    """The header checks of a big file: label column present, feature columns numeric, arrays named. With
    `names` False the messages count the columns instead of naming them."""
    from trainables.data import DataError

    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            columns, numeric = _npz_header(path)
            if not {"y"} <= set(columns) or not ({"x", "X"} & set(columns)):
                raise DataError(
                    f"data file {path.name!r} holds arrays {', '.join(columns) or 'none'}: "
                    "save the features as `x` (or `X`) and the labels as `y`"
                )
            if not numeric:
                raise DataError(
                    f"data file {path.name!r}: `x` must be a numeric 2-D array with one row per label in `y`"
                )
            return
        if suffix == ".csv":
            import pandas as pd

            frame = pd.read_csv(path, nrows=SNIFF_ROWS)
            if frame.empty:
                raise DataError(f"data file {path.name!r} has a header but no rows: add the examples")
            columns = [str(c) for c in frame.columns]
            bad = [c for c in frame.columns if c != label and not pd.api.types.is_numeric_dtype(frame[c])]
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            columns = list(schema.names)
            bad = [
                f.name
                for f in schema
                if f.name != label and not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
            ]
    except SweepError:
        raise
    except Exception as err:
        raise DataError(
            f"data file {path.name!r} could not be read ({type(err).__name__}: {err}): check its format"
        ) from None
    if label not in columns:
        shown = f"columns: {', '.join(columns[:20])}" if names else f"{len(columns)} columns"
        raise DataError(
            f"data file {path.name!r} has no label column {label!r} ({shown}): "
            f"name the column to predict with a top-level `label:` in the spec, e.g. "
            f"`label: {columns[-1] if names else '<column>'}`"
        )
    if bad:
        shown = f": {', '.join(map(str, bad))}" if names else f" ({len(bad)} of {len(columns)} columns)"
        raise DataError(
            f"data file {path.name!r} has non-numeric feature columns{shown}: encode them as numbers or drop them"
        )
    if len(columns) < 2:
        raise DataError(f"data file {path.name!r} has no feature column besides {label!r}: add numeric ones")


def _npz_header(path: Path) -> tuple[list[str], bool]:
    """The array names of an .npz and whether its `x` (or `X`) is numeric, from the headers alone."""
    numeric = False
    with zipfile.ZipFile(path) as archive:
        names = [n[: -len(".npy")] for n in archive.namelist() if n.endswith(".npy")]
        x_name = "x" if "x" in names else "X"
        if x_name in names:
            with archive.open(f"{x_name}.npy") as member:
                version = np.lib.format.read_magic(member)
                reader = (
                    np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = reader(member)
                numeric = np.issubdtype(dtype, np.number) and len(shape) in (1, 2)
    return names, numeric

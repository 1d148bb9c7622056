"""The bad-input corpus as a table of mutations of one good spec, plus bad data files built on the fly.

Each case is (name, file bytes, expected fragment of the error line). :func:`write_corpus` writes every spec
(and the data files the data cases point at) into a directory, so the same cases run in-process, through the
console script, or by hand (`sweep validate DIR/<name>.yaml`).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

GOOD: dict[str, Any] = {
    "name": "fuzz",
    "trainable": "mlp",
    "data": "digits",
    "samples": 4,
    "space": {"lr": {"loguniform": [1e-4, 1], "default": 0.05}, "epochs": 3},
}


@dataclass(frozen=True)
class Case:
    """One bad input: the spec file's bytes and a fragment the one error line must contain."""

    name: str
    content: bytes
    expect: str


def _spec(**changes: Any) -> bytes:
    spec = {**GOOD, **changes}
    return yaml.safe_dump({k: v for k, v in spec.items() if v is not _DROP}, sort_keys=False).encode()


def _space(**entries: Any) -> bytes:
    return _spec(space={**GOOD["space"], **entries})


_DROP = object()

# Top-level values that cannot run: key -> bad values (the error names the key).
TOP_LEVEL: dict[str, list[Any]] = {
    "name": ["../../etc/x", "a/b", "..", "", 5, ".hidden", "x" * 200, "back\\slash", " padded"],
    "trainable": ["os:getcwd", "mlpp", "nosuch.mod:train", "my trainer", 5, "json:nope",
                  "sweep.checks.preflight:MAX_SEED"],
    "data": ["mnist", "spirals:n=abc", "spirals:classes=1", "spirals:foo=1", "digits:x", "mnist1d:n=4", 3,
             "missing.csv", "spirals:n=1e12", "spirals:noise=-1", "cifar10"],
    "metric": ["dev_acc", "accuracy", 5, "", "val_loss"],
    "mode": ["maximize", 1, None],
    "samples": [0, -1, "ten", 1e30, 1.5, True, [4]],
    "sampler": ["sobl", 3, "bayes"],
    "seed": [-1, 2**40, "x", 1.5],
    "scheduler": [{"type": "ashaa"}, {"grace": 2}, {"reduction_factor": 1}, {"quantile_fraction": 0.9},
                  {"max_t": 0}, "nope", [1], {"grace_period": 0}],
    "rounds": [0, -1, {"count": 0}, {"top_fraction": 1.5}, {"margin": -1}, {"cnt": 2}, "two"],
    "resources": [{"cpu": 0}, {"gpus": 1}, {"gpu": -1}, 5],
    "max_concurrent": [0, "x"],
    "space": [{}, [1], "x", None],
}  # fmt: skip

# Values of the mlp's config keys it refuses: key -> bad entries (the error names space.<key>).
SPACE: dict[str, list[Any]] = {
    "epochs": ["three", 0, 1.5, {"uniform": [1, 10]}, {"int": [0, 5]}],
    "layers": [-1, "two"],
    "hidden_units": [0, {"uniform": [16, 256]}, {"loguniform": [16, 256]}],
    "activation": ["gelu", {"choice": ["relu", "gelu"]}],
    "init": ["kaiming"],
    "batch_norm": ["yes", 2],
    "l2": [-0.1, {"uniform": [-1, 1]}],
    "keep_prob": [1.5, 0, {"uniform": [0.5, 1.5]}],
    "optimizer": ["adamw", {"choice": ["sgd", "lamb"]}],
    "lr": [0, -1, {"loguniform": [0, 1]}, {"uniform": [-1, 1]}, "fast"],
    "momentum": [1.0, {"beta": [0.9, 1.0]}, -0.1],
    "beta1": [1.0],
    "beta2": [1.5],
    "eps": [0],
    "batch_size": [-1, {"pow2": [30, 100]}, {"pow2": [17, 31]}, "big"],
    "lr_decay": ["cosine"],
    "decay_rate": [-1],
    "seed": ["x"],
    "split": [[0.5, 0.5], [0.8, 0.3, 0.1], "60/20/20"],
    "split_seed": ["a"],
    "checkpoint_every": [-1],
    "threads": [0],
    "data": ["mnist", {"choice": ["digits", "mnist"]}],
    "label": ["", 5],
    "hiden_units": [32],
    "dropout": [0.5],
    "learning_rate": [0.1],
    "plan_id": [1],
    "status": ["x"],
}

# Mistakes in an entry's own form (scale keys, bounds, defaults, tiers): entry -> where the error points.
ENTRIES: list[Any] = [
    {"logunifrom": [1e-4, 1]},
    {"loguniform": [1e-4, 1], "uniform": [0, 1]},
    {"loguniform": [1e-4, 1], "tier": 4},
    {"loguniform": [1e-4, 1], "tier": "x"},
    {"loguniform": [1e-4, 1], "default": 2},
    [1, 2],
    {"choice": []},
    {"grid": "x"},
    {"loguniform": [1]},
    {"loguniform": [1e-4, 1, 2]},
    {"loguniform": ["a", "b"]},
    {"beta": [0.99, 0.9]},
    {"int": [1.5, 3]},
    {"pow2": [0, 4]},
    {"value": 3, "default": 4},
    {},
]

# Whole files that are not a spec: (name, bytes, fragment).
RAW: list[tuple[str, bytes, str]] = [
    ("utf16", "name: x\nsamples: 4\n".encode("utf-16"), "UTF-16"),
    ("utf16-be", "name: x\n".encode("utf-16-be"), "binary"),
    ("binary", bytes(range(256)) * 4, "binary"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("latin1", "name: café\nsamples: 4\n".encode("latin-1"), "not UTF-8"),
    ("cp1252-quote", b"name: \x93fuzz\x94\n", "not UTF-8"),
    ("5000-digits", b"samples: " + b"9" * 5000 + b"\n", "invalid YAML"),
    ("5000-digit-seed", b"seed: -" + b"1" * 5000 + b"\n", "invalid YAML"),
    ("dup-top", b"name: a\nname: b\nspace: {lr: 0.1}\n", "duplicate key 'name'"),
    ("dup-space", b"space:\n  lr: 0.1\n  lr: 0.2\n", "duplicate key 'lr'"),
    ("dup-flow", b"space: {lr: 0.1, lr: 0.2}\n", "duplicate key 'lr'"),
    ("dup-nested", b"scheduler: {type: asha, type: fifo}\nspace: {lr: 0.1}\n", "duplicate key 'type'"),
    ("bad-indent", b"name: x\n  samples: 4\n", "invalid YAML"),
    ("tab-indent", b"space:\n\tlr: 0.1\n", "invalid YAML"),
    ("unclosed", b"space: {lr: [1e-4, 1}\n", "invalid YAML"),
    ("list", b"- 1\n- 2\n", "a spec must be a mapping"),
    ("scalar", b"hello\n", "a spec must be a mapping"),
    ("empty", b"", "a spec must be a mapping"),
    ("comment-only", b"# nothing\n", "a spec must be a mapping"),
    ("deep", b"[" * 5000, "invalid YAML"),
    ("python-tag", b"name: !!python/object/apply:os.system [ls]\n", "invalid YAML"),
    ("unhashable-key", b"{[1]: 2}\n", "invalid YAML"),
    ("huge", b"# " + b"x" * 1_100_000 + b"\n", "too large for a spec"),
    ("inf-samples", b"samples: 1e400\nspace: {lr: 0.1}\n", "samples"),
    ("nan-lr", b"space: {lr: .nan}\n", "space.lr"),
    ("date-seed", b"seed: 2026-01-01\nspace: {lr: 0.1}\n", "seed"),
    ("bad-date", b"seed: 2026-13-45\n", "invalid YAML"),
    ("null-key", b"space: {~: 1}\n", "space"),
    ("int-key", b"space: {1: 2}\n", "space"),
    ("anchor-bomb", b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "unknown key"),
]

# Bad data files: (file name, writer, fragment). Each runs as `data: <file>` in an otherwise good spec.
DATA: list[tuple[str, Any, str]] = []


def _data(name: str, fragment: str):
    def register(writer: Any) -> Any:
        DATA.append((name, writer, fragment))
        return writer

    return register


def _csv(text: str) -> Any:
    return lambda path: path.write_text(text)


for _name, _text, _frag in [
    ("empty.csv", "", "is empty"),
    ("header-only.csv", "a,b,label\n", "has a header but no rows"),
    ("no-label.csv", "a,b,c\n1,2,3\n4,5,6\n", "no label column 'label'"),
    ("text-feature.csv", "a,b,label\n1,x,0\n2,y,1\n3,z,0\n", "non-numeric feature columns: b"),
    ("only-label.csv", "label\n0\n1\n0\n1\n", "no feature column"),
    ("one-class.csv", "a,label\n" + "".join(f"{i},0\n" for i in range(30)), "1 class"),
    ("too-few-rows.csv", "a,label\n1,0\n2,1\n", "too few"),
    ("nan-feature.csv", "a,label\n" + "".join(f"{'' if i == 3 else i},{i % 2}\n" for i in range(30)), "missing"),
    ("inf-feature.csv", "a,label\n" + "".join(f"{'inf' if i == 3 else i},{i % 2}\n" for i in range(30)), "infinite"),
    ("ragged.csv", "a,label\n1,0\n2,1,9,9\n3,0\n", "could not be read"),
    ("unterminated-quote.csv", 'a,label\n1,0\n"2,1\n3,0\n', "could not be read"),
    ("semicolons.csv", "a;b;label\n1;2;0\n3;4;1\n", "no label column"),
    ("data.txt", "a,label\n1,0\n", "unsupported extension '.txt'"),
    ("data.json", '{"a": [1, 2]}', "unsupported extension '.json'"),
]:
    _data(_name, _frag)(_csv(_text))


@_data("binary.csv", "could not be read")
def _binary_csv(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 8)


@_data("utf16.csv", "could not be read")
def _utf16_csv(path: Path) -> None:
    path.write_bytes("a,label\n1,0\n2,1\n".encode("utf-16"))


@_data("latin1.csv", "could not be read")
def _latin1_csv(path: Path) -> None:
    path.write_bytes("caf\xe9,label\n1,0\n2,1\n".encode("latin-1"))


@_data("missing.csv", "not found")
def _missing(path: Path) -> None:
    pass  # the spec names a file that is not there


@_data("folder.csv", "not found")
def _folder(path: Path) -> None:
    path.mkdir()


@_data("corrupt.parquet", "could not be read")
def _corrupt_parquet(path: Path) -> None:
    path.write_bytes(b"PAR1" + bytes(200))


@_data("no-label.parquet", "no label column")
def _no_label_parquet(path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).to_parquet(path)


@_data("text-feature.parquet", "non-numeric feature columns")
def _text_parquet(path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"a": ["x", "y", "z"], "label": [0, 1, 0]}).to_parquet(path)


@_data("empty.npz", "holds arrays none")
def _empty_npz(path: Path) -> None:
    with zipfile.ZipFile(path, "w"):
        pass


@_data("no-y.npz", "save the features as `x`")
def _no_y(path: Path) -> None:
    np.savez(path, x=np.zeros((4, 2)))


@_data("text-x.npz", "numeric 2-D array")
def _text_x(path: Path) -> None:
    np.savez(path, x=np.array([["a", "b"]] * 4), y=np.arange(4) % 2)


@_data("length-mismatch.npz", "one row per label")
def _mismatch(path: Path) -> None:
    np.savez(path, x=np.zeros((5, 2)), y=np.arange(4) % 2)


@_data("object.npz", "numeric 2-D array")
def _object(path: Path) -> None:
    np.savez(path, x=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4) % 2)


@_data("not-a-zip.npz", "could not be read")
def _not_zip(path: Path) -> None:
    path.write_bytes(b"not a zip file at all")


@_data("3d.npz", "numeric 2-D array")
def _three_d(path: Path) -> None:
    np.savez(path, x=np.zeros((4, 2, 2, 2)).reshape(4, 2, 4)[:, :, :, None], y=np.arange(4) % 2)


# --- assembling ----------------------------------------------------------------------------------------------------
def spec_cases() -> Iterator[Case]:
    """Every bad spec (top-level values, config values, entry forms, raw files), with the fragment expected."""
    for key, values in TOP_LEVEL.items():
        for i, value in enumerate(values):
            expect = key if key != "data" or not isinstance(value, str) else "data"
            yield Case(f"top-{key}-{i}", _spec(**{key: value}), expect)
    yield Case("top-unknown-samplr", _spec(samplr="sobol"), "samplr")
    yield Case("top-unknown-spcae", _spec(spcae={}), "spcae")
    yield Case("top-unknown-epochs", _spec(epochs=3), "epochs")
    yield Case("top-no-space", _spec(space=_DROP), "space")
    for key, values in SPACE.items():
        for i, value in enumerate(values):
            expect = f"space.{key}" if key != "data" else "data"
            yield Case(f"space-{key}-{i}", _space(**{key: value}), expect)
    yield Case("space-step-decay", _space(lr_decay="step", decay_rate=2), "space.decay_rate")
    yield Case(
        "space-decay-corner", _space(lr_decay={"choice": ["none", "step"]}, decay_rate={"uniform": [0.5, 2]}),
        "space.decay_rate",
    )  # fmt: skip
    for i, entry in enumerate(ENTRIES):
        yield Case(f"entry-{i}", _space(lr=entry), "space.lr")
    for name, content, expect in RAW:
        yield Case(f"raw-{name}", content, expect)


def data_cases() -> Iterator[tuple[Case, str, Any]]:
    """(spec case, data file name, writer) for every bad data file."""
    for file_name, writer, expect in DATA:
        stem = file_name.replace(".", "-")
        yield Case(f"data-{stem}", _spec(data=file_name), expect), file_name, writer


def write_corpus(directory: Path) -> list[tuple[Path, Case]]:
    """Write every case (and the data files) under `directory`; return (spec path, case) pairs."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for case in spec_cases():
        path = directory / f"{case.name}.yaml"
        path.write_bytes(case.content)
        written.append((path, case))
    for case, file_name, writer in data_cases():
        folder = directory / case.name
        folder.mkdir(exist_ok=True)
        writer(folder / file_name)
        path = folder / "spec.yaml"
        path.write_bytes(case.content)
        written.append((path, case))
    (directory / "index.json").write_text(json.dumps({c.name: c.expect for _, c in written}, indent=1))
    return written

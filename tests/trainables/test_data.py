"""Datasets: built-ins, user files, splits, normalisation, the per-process cache and the error messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from trainables.config import ConfigError
from trainables.data import DataError, load_dataset, make_spirals

torch.set_num_threads(1)


def _table(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "label": ["cat", "dog"] * (n // 2)})


def test_digits_shapes_split_and_types() -> None:
    s = load_dataset("digits")
    assert (s.n_features, s.n_classes, s.name) == (64, 10, "digits")
    sizes = [len(s.y_train), len(s.y_dev), len(s.y_test)]
    assert sum(sizes) == 1797 and sizes[0] == round(0.6 * 1797) and sizes[1] == round(0.2 * 1797)
    assert s.x_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert set(s.y_train.tolist()) == set(range(10))


def test_normalised_with_training_statistics_only() -> None:
    s = load_dataset("digits")
    mean, std = s.x_train.mean(0), s.x_train.std(0, unbiased=False)
    assert torch.allclose(mean, torch.zeros(64), atol=1e-5)
    varying = std > 0  # digits has constant (all-zero) pixels: guarded, they stay 0 instead of NaN
    assert torch.allclose(std[varying], torch.ones(int(varying.sum())), atol=1e-4)
    assert not varying.all() and torch.isfinite(s.x_dev).all() and torch.isfinite(s.x_test).all()
    assert not torch.allclose(s.x_dev.mean(0), torch.zeros(64), atol=1e-3)  # dev did not shape the stats


def test_cached_per_process_and_split_seed_fixes_the_split() -> None:
    first = load_dataset("digits", split=[0.6, 0.2, 0.2])
    assert load_dataset("digits", split=(0.6, 0.2, 0.2)) is first
    other = load_dataset("digits", split_seed=1)
    assert other is not first and not torch.equal(other.y_train, first.y_train)


def test_split_must_sum_to_one() -> None:
    with pytest.raises(ConfigError, match=r"config\.split: .* summing to 1"):
        load_dataset("digits", split=(0.5, 0.2, 0.2))


def test_spirals_options_and_padding() -> None:
    s = load_dataset("spirals:n=300,classes=4,features=6,noise=0.1")
    assert (s.n_features, s.n_classes) == (6, 4)
    assert len(s.y_train) + len(s.y_dev) + len(s.y_test) == 300
    x1, y1 = make_spirals(n=100, seed=3)
    x2, _ = make_spirals(n=100, seed=3)
    assert np.array_equal(x1, x2) and x1.shape == (100, 2) and set(y1.tolist()) == {0, 1, 2}
    with pytest.raises(DataError, match="bad option 'size=5'"):
        load_dataset("spirals:size=5")


def test_csv_with_text_labels(tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    _table().to_csv(path, index=False)
    s = load_dataset(str(path))
    assert (s.n_features, s.n_classes, s.name) == (2, 2, "pets.csv")
    assert set(torch.cat([s.y_train, s.y_dev, s.y_test]).tolist()) == {0, 1}


def test_custom_label_column_and_parquet(tmp_path: Path) -> None:
    path = tmp_path / "pets.parquet"
    _table().rename(columns={"label": "kind"}).to_parquet(path)
    assert load_dataset(str(path), label="kind").n_features == 2


@pytest.mark.parametrize("x_key", ["x", "X"])
def test_npz(tmp_path: Path, x_key: str) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, **{x_key: np.random.default_rng(0).normal(size=(30, 5)), "y": np.arange(30) % 3})
    s = load_dataset(str(path))
    assert (s.n_features, s.n_classes) == (5, 3)


def test_missing_file_message() -> None:
    with pytest.raises(DataError) as err:
        load_dataset("x.csv")
    assert str(err.value) == (
        "data file 'x.csv' not found: give a path to a CSV, Parquet or NPZ file, "
        "or a built-in dataset (digits, spirals, mnist1d)"
    )


def test_missing_label_column_names_columns_and_key(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _table().rename(columns={"label": "y"}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"no label column 'label' \(columns: a, b, y\): set the `label` key"):
        load_dataset(str(path))


def test_non_numeric_feature_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _table().assign(colour=["red", "blue"] * 20).to_csv(path, index=False)
    with pytest.raises(DataError, match="non-numeric feature columns: colour"):
        load_dataset(str(path))


def test_one_class(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _table().assign(label="cat").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"1 class \(need at least 2\)"):
        load_dataset(str(path))


@pytest.mark.parametrize("labels", [["cat", "dog"], [0, 1]])
def test_rows_without_a_label_are_counted_and_refused(tmp_path: Path, labels: list) -> None:
    """A string column with gaps made np.unique raise TypeError; a numeric one made NaN a class of its own."""
    path = tmp_path / "t.csv"
    column = [labels[i % 2] if i % 10 else None for i in range(40)]
    _table().assign(label=column).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"^data 't.csv': 4 of 40 rows have no label: fill or drop those rows$"):
        load_dataset(str(path))


def test_labels_with_fractions_are_a_regression_target_not_classes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _table().assign(label=[0.5 * i for i in range(40)]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"the labels are numbers with fractions \(e.g. 0.5\), not classes"):
        load_dataset(str(path))
    _table().assign(label=[float(i % 3) for i in range(40)]).to_csv(path, index=False)  # whole numbers: classes
    assert load_dataset(str(path)).n_classes == 3


def test_too_few_rows_for_a_split_is_refused_rather_than_an_empty_test_split(tmp_path: Path) -> None:
    """3 rows at 0.6/0.2/0.2 cut 2/1/0: the test split was empty and the winner's test accuracy NaN. A split that
    keeps no test share on purpose still loads (the course allows train/dev only)."""
    path = tmp_path / "t.csv"
    _table(n=4).head(3).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"^data 't.csv': 3 examples are too few for split \[0.6, 0.2, 0.2\]"):
        load_dataset(str(path))
    no_test = load_dataset(str(path), split=(0.6, 0.4, 0.0))
    assert (len(no_test.y_train), len(no_test.y_dev), len(no_test.y_test)) == (2, 1, 0)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("a,label\n1,2\n")
    with pytest.raises(DataError, match="unsupported extension '.txt'"):
        load_dataset(str(path))


def test_edited_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _table(40).to_csv(path, index=False)
    first = load_dataset(str(path))
    _table(60).to_csv(path, index=False)
    import os

    os.utime(path, ns=(0, 10**18))  # a different mtime even on coarse-grained filesystems
    assert len(load_dataset(str(path)).y_train) != len(first.y_train)


def test_digits_are_sklearns_bundled_digits_read_without_importing_sklearn():
    import numpy as np
    from sklearn.datasets import load_digits

    from trainables.data import _digits

    x, y = _digits()
    bunch = load_digits()
    assert np.array_equal(x, bunch.data) and np.array_equal(y, bunch.target)

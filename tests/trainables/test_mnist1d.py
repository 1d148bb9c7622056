"""`data: mnist1d`: generated offline by the package's own generator, identical everywhere, cached on disk."""

from __future__ import annotations

import hashlib
import random
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from trainables import mnist1d_data
from trainables.data import DataError, load_dataset

REPO = Path(__file__).resolve().parents[2]


def _digest(x: np.ndarray, y: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()


class NetworkUsed(AssertionError):
    """Raised by the blocked socket functions: generating the data tried to reach the network."""


def _refuse(*args: object, **kwargs: object) -> None:
    raise NetworkUsed(f"network call with {args[1:] or kwargs}")


def _block_network(patch: pytest.MonkeyPatch) -> None:
    """Every way the package (requests, urllib3, http.client) could open a connection raises."""
    patch.setattr(socket.socket, "connect", _refuse)
    patch.setattr(socket.socket, "connect_ex", _refuse)
    patch.setattr(socket, "create_connection", _refuse)
    patch.setattr(socket, "getaddrinfo", _refuse)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    _block_network(monkeypatch)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """One fresh generation into an empty cache (``<XDG_CACHE_HOME>/sweep``), with the network blocked and the
    global RNGs watched."""
    cache = tmp_path_factory.mktemp("xdg") / "sweep"
    with pytest.MonkeyPatch.context() as patch:
        _block_network(patch)
        random.seed(7)
        np.random.seed(7)
        x, y = mnist1d_data.mnist1d_arrays(cache_dir=cache)
        after = (random.random(), np.random.random())
    random.seed(7)
    np.random.seed(7)
    assert after == (random.random(), np.random.random()), "the generator's set_seed leaked into the global RNGs"
    return cache, x, y


def test_shapes_and_classes_are_the_papers(generated: tuple[Path, np.ndarray, np.ndarray]) -> None:
    _, x, y = generated
    assert x.shape == (5000, 40) and x.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(np.bincount(y), np.full(10, 500))  # 10 classes, 500 examples each
    assert np.isfinite(x).all()


def test_written_to_the_cache_and_read_back_without_generating(
    generated: tuple[Path, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    cache, x, y = generated
    (path,) = cache.glob("mnist1d-*.npz")
    assert path == mnist1d_data.cache_path(cache) and not list(cache.glob("*.tmp"))

    def must_not_run() -> None:
        raise AssertionError("generated again despite the cache")

    monkeypatch.setattr(mnist1d_data, "generate", must_not_run)
    x2, y2 = mnist1d_data.mnist1d_arrays(cache_dir=cache)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


def test_a_corrupt_cache_file_is_regenerated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = mnist1d_data.cache_path(tmp_path)
    path.write_bytes(b"not an npz")
    fake = (np.zeros((10, 40)), np.arange(10))
    monkeypatch.setattr(mnist1d_data, "generate", lambda: fake)
    x, _ = mnist1d_data.mnist1d_arrays(cache_dir=tmp_path)
    assert x.shape == (10, 40)
    assert np.load(path)["x"].shape == (10, 40)  # the bad file was replaced


def test_same_arrays_generated_in_another_process(
    generated: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    _, x, y = generated
    script = (
        "import hashlib, sys; from pathlib import Path; import numpy as np\n"
        "from trainables.mnist1d_data import mnist1d_arrays\n"
        "x, y = mnist1d_arrays(cache_dir=Path(sys.argv[1]))\n"
        "print(hashlib.sha256(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "other-cache")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == _digest(x, y)
    assert list((tmp_path / "other-cache").glob("mnist1d-*.npz"))  # it generated (empty cache), not read ours


def test_load_dataset_splits_like_every_dataset(
    generated: tuple[Path, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    cache, _, _ = generated
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache.parent))  # the default cache: the one generated above
    monkeypatch.setattr(mnist1d_data, "generate", _refuse)
    s = load_dataset("mnist1d", split_seed=123)  # a split seed no other test uses: not an earlier cache entry
    assert (s.n_features, s.n_classes, s.name) == (40, 10, "mnist1d")
    assert [len(s.y_train), len(s.y_dev), len(s.y_test)] == [3000, 1000, 1000]
    assert load_dataset("mnist1d", split_seed=123) is s  # cached per process
    assert torch.allclose(s.x_train.mean(0), torch.zeros(40), atol=1e-5)  # normalised with train statistics
    assert set(s.y_test.tolist()) == set(range(10))


def test_options_are_refused() -> None:
    with pytest.raises(DataError) as err:
        load_dataset("mnist1d:n=100")
    assert str(err.value) == "data 'mnist1d:n=100': mnist1d takes no options: write data: mnist1d"

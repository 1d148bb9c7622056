"""The address check before Ray is asked (sweep/cluster/reachable.py): what a user is told, on loopback only.

Ray joins a loopback host at this node's address; the tests stand in another loopback address (127.0.0.2) for
that translation, so that no traffic leaves loopback."""

from __future__ import annotations

import socket

import pytest

from sweep.cluster import reachable
from sweep_errors import SweepError


@pytest.fixture
def listener():
    """A TCP port on 127.0.0.1 that accepts connections (and only there)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _translated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reachable, "_as_ray_resolves_it", lambda address, host, port: ("127.0.0.2", port))


def test_an_address_that_answers_passes(listener):
    reachable.check_reachable(f"127.0.0.1:{listener}")
    reachable.check_reachable(f"ray://127.0.0.1:{listener}")


def test_a_loopback_only_listener_behind_rays_translation_is_named(listener, monkeypatch):
    """`sweep up` prints its Ray's loopback address; given as --address, Ray looks for it at this node's address."""
    _translated(monkeypatch)
    with pytest.raises(SweepError) as raised:
        reachable.check_reachable(f"127.0.0.1:{listener}")
    assert str(raised.value) == (
        f"cannot connect to the Ray cluster at '127.0.0.1:{listener}': Ray joins 127.0.0.1 at this node's address, "
        f"127.0.0.2:{listener}, where nothing answers (connection refused); something listens on "
        f"127.0.0.1:{listener} only: a local Ray such as `sweep up`'s is joined without --address, a cluster's head "
        "started by `ray start --head` listens on this node's address"
    )


def test_nothing_at_either_address_names_both(monkeypatch):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _translated(monkeypatch)
    with pytest.raises(SweepError, match=rf"nothing answers at 127\.0\.0\.2:{port}, this node's address for "
                                         r"127\.0\.0\.1 \(connection refused\)"):  # fmt: skip
        reachable.check_reachable(f"127.0.0.1:{port}")

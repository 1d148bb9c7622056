"""The address check before Ray is asked (sweep/cluster/reachable.py): what a user is told, on loopback only.

Ray joins a loopback host at this node's address; the tests stand in another loopback address (127.0.0.2) for
that translation, so that no traffic leaves loopback."""

from __future__ import annotations

import contextlib
import socket
import threading

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


def test_an_address_that_answers_passes(listener, monkeypatch):
    monkeypatch.setattr(reachable, "ANSWER_S", 0.2)  # it accepts and says nothing: Ray is left to judge
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


@pytest.fixture
def server():
    """A loopback server that answers each connection with the given bytes (after reading what it is sent)."""
    servers = []

    def start(answer: bytes) -> int:
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        servers.append(listening)

        def serve() -> None:
            with contextlib.suppress(OSError):
                while True:
                    connection, _ = listening.accept()
                    with connection:
                        connection.recv(1024)
                        connection.sendall(answer)

        threading.Thread(target=serve, daemon=True).start()
        return listening.getsockname()[1]

    yield start
    for listening in servers:
        listening.close()


def test_a_server_that_opens_with_http2_settings_passes(server):
    port = server(bytes([0, 0, 6, reachable.SETTINGS, 0, 0, 0, 0, 0]) + bytes(6))  # as gRPC's servers do
    reachable.check_reachable(f"127.0.0.1:{port}")
    reachable.check_reachable(f"ray://127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "it answered 'HTTP/1.1 400 Bad Request'"),
        (b"-ERR unknown command 'PRI'\r\n", "it answered \"-ERR unknown command 'PRI'\""),  # a Redis on 6379
        (b"", "it closed the connection without a word"),
        (bytes([0, 0, 0, 7, 0, 0, 0, 0, 1]), "it answered 9 bytes that are not HTTP/2"),  # a frame, not SETTINGS
    ],
    ids=["http", "redis", "closes", "binary"],
)
def test_a_server_that_is_not_ray_is_named_in_one_line(server, answer, said):
    port = server(answer)
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(SweepError) as raised:
            reachable.check_reachable(address)
        assert str(raised.value) == (
            f"cannot connect to the Ray cluster at '{address}': what answers at 127.0.0.1:{port} is not Ray ({said}); "
            "check the port: a head listens on 6379 unless started otherwise (`ray status` on the head shows its "
            "address), Ray Client on 10001"
        )


def test_a_server_that_says_nothing_is_left_to_ray(listener, monkeypatch):
    monkeypatch.setattr(reachable, "ANSWER_S", 0.2)  # a slow link's server, not known to be something else
    assert reachable.not_grpc("127.0.0.1", listener) is None


def test_a_tls_cluster_is_not_probed_in_plain_text(server, monkeypatch):
    port = server(b"\x15\x03\x03\x00\x02\x02\x46")  # a TLS alert: what a TLS server answers plain bytes with
    assert reachable.not_grpc("127.0.0.1", port) == "it answered 7 bytes that are not HTTP/2"
    monkeypatch.setenv("RAY_USE_TLS", "1")
    assert reachable.not_grpc("127.0.0.1", port) is None


@pytest.mark.ray
def test_rays_own_gcs_passes_and_its_dashboard_port_is_named(ray_instance):
    host, port = ray_instance.address.rsplit(":", 1)
    assert reachable.not_grpc(host, int(port)) is None
    dashboard_host, dashboard_port = ray_instance.dashboard_url.rsplit(":", 1)
    assert reachable.not_grpc(dashboard_host, int(dashboard_port)).startswith("it answered 'HTTP/1.")

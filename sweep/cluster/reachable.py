"""Whether anything answers at a cluster's address, asked before Ray is: a refused or silent address fails in
seconds with one line.

Given an address where nothing listens (a mistyped port, a head that is down), `ray.init` tries 20 times for
about 40 s each (some 14 minutes) and prints its own warnings every few seconds before it gives up; Ray Client
(``ray://``) waits 30 s and warns in a traceback-like block. A TCP connection to the address, as Ray itself would
resolve it, tells the same thing at once. A malformed address (no port, the dashboard's http:// one) is refused
first, in words: Ray's parser raises a bare ValueError for it.

Something that answers but is not Ray (the dashboard's port 8265 given without http://, a Redis on 6379, a web
server) makes `ray.init` wait as long, printing its GCS warnings: a cluster's GCS and its Ray Client server
both speak gRPC, whose HTTP/2 server opens with a SETTINGS frame; any other first answer is refused in one line.
"""

from __future__ import annotations

import os
import socket

from sweep_errors import SweepError

TIMEOUT_S = 5.0  # a head on a slow network answers a TCP handshake well within this


def check_reachable(address: str, given_by: str = "") -> None:
    """Raise a one-line SweepError when `address` is not one Ray joins (``host:port``, ``ray://host:port``) or
    nothing accepts a TCP connection there; ``auto`` and ``local`` are Ray's own to resolve. `given_by` names
    where the address came from when the user did not type it (``RAY_ADDRESS``).

    Example:
        >>> check_reachable("ray://127.0.0.1:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        sweep_errors.SweepError: cannot connect to the Ray cluster at 'ray://127.0.0.1:1': nothing answers at ...
    """
    parsed = parse_address(address, given_by)
    if parsed is None:
        return
    host, port = _as_ray_resolves_it(address, *parsed)
    reason = tcp_failure(host, port)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if reason is None:
        answer = not_grpc(host, port)
        if answer is not None:
            raise SweepError(
                f"{_cluster_at(address, given_by)}: what answers at {where} is not Ray ({answer}); check the "
                "port: a head listens on 6379 unless started otherwise (`ray status` on the head shows its "
                "address), Ray Client on 10001"
            )
        return
    if (host, port) != parsed:  # Ray's own translation of a loopback host to this node's address
        given = f"[{parsed[0]}]" if ":" in parsed[0] else parsed[0]
        if _answers(parsed[0], port):
            raise SweepError(
                f"{_cluster_at(address, given_by)}: Ray joins {given} at this node's address, {where}, where "
                f"nothing answers ({reason}); something listens on {given}:{port} only: a local Ray such as `sweep "
                "up`'s is joined without --address, a cluster's head started by `ray start --head` listens on "
                "this node's address"
            )
        where += f", this node's address for {given}"
    raise SweepError(
        f"{_cluster_at(address, given_by)}: nothing answers at {where} ({reason}); check the "
        "address (`ray status` on the head shows it) and that the cluster is up"
    )


def parse_address(address: str, given_by: str = "") -> tuple[str, int] | None:
    """(host, port) of a cluster's address as a user gives it, or a one-line SweepError saying what Ray joins
    (Ray's own parser answers a malformed one with a ValueError, some with a traceback logged per attempt).
    None for what Ray resolves itself: ``auto``, ``local``, and a connector module's ``name://...``.

    Example:
        >>> parse_address("ray://head:10001"), parse_address("[::1]:6379"), parse_address("auto")
        (('head', 10001), ('::1', 6379), None)
        >>> parse_address("head")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        sweep_errors.SweepError: cannot connect to the Ray cluster at 'head': not an address Ray joins; give ...
    """
    scheme, separator, rest = address.partition("://")
    if address in ("auto", "local") or (separator and scheme not in ("ray", "http", "https")):
        return None
    where = _cluster_at(address, given_by)
    if separator and scheme in ("http", "https"):
        raise SweepError(
            f"{where}: that is the dashboard's address, where `ray job submit` sends jobs; give the head's "
            f"HOST:PORT (port 6379 unless it was started otherwise) or ray://HOST:10001, or run the sweep as a "
            f"job: ray job submit --address {address} -- sweep launch SPEC"
        )
    host, colon, port = (rest if separator else address).rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 2**16:
        raise SweepError(
            f"{where}: not an address Ray joins; give HOST:PORT (the head's, port 6379 unless it was started "
            "otherwise: `ray status` on the head shows it), ray://HOST:PORT for Ray Client (port 10001), or auto"
        )
    return host, int(port)


def tcp_failure(host: str, port: int) -> str | None:
    """Why nothing accepts a TCP connection at `host`:`port`, in a few words; None when something does.

    Example:
        >>> tcp_failure("127.0.0.1", 1)
        'connection refused'
    """
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S):
            return None
    except socket.gaierror:
        return "no such host"
    except TimeoutError:
        return f"no answer within {TIMEOUT_S:g} s"
    except OSError as err:
        return (err.strerror or type(err).__name__).lower()


# HTTP/2's client preface and an empty SETTINGS frame: what a gRPC client sends first.
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
SETTINGS = 4  # an HTTP/2 frame's type, its fourth byte
ANSWER_S = 2.0  # a gRPC server sends its SETTINGS at once; silence past this is left to Ray to judge


def not_grpc(host: str, port: int) -> str | None:
    """What the server at `host`:`port` answers instead of gRPC's HTTP/2, in a few words; None when it answers as
    a gRPC server does, or says nothing within ANSWER_S (a slow link: Ray is asked), or when Ray's connections
    are TLS (``RAY_USE_TLS``), which this plain probe does not speak.

    Example:
        >>> with socket.socket() as server:  # a server that closes every connection unread
        ...     server.bind(("127.0.0.1", 0)); server.listen()
        ...     import threading; _ = threading.Thread(target=lambda: server.accept()[0].close()).start()
        ...     not_grpc("127.0.0.1", server.getsockname()[1])
        'it closed the connection without a word'
    """
    if os.environ.get("RAY_USE_TLS", "0").strip().lower() in ("1", "true"):
        return None
    head = b""
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as connection:
            connection.settimeout(ANSWER_S)
            connection.sendall(HTTP2_PREFACE)
            while len(head) < 9:
                chunk = connection.recv(9 - len(head) if head else 256)
                if not chunk:
                    break
                head += chunk
                if not head.startswith(b"\x00"):  # text, not a frame: enough to quote it
                    break
    except TimeoutError:
        if not head:
            return None
    except ConnectionResetError:
        pass  # it refused what it read: judged on what came before
    except OSError:
        return None  # the connection itself failed: tcp_failure's to say, not a verdict on the protocol
    if len(head) >= 4 and head[3] == SETTINGS:
        return None
    if not head:
        return "it closed the connection without a word"
    text = head.decode("ascii", errors="replace").strip().splitlines()
    if text and text[0].isprintable():
        return f"it answered {text[0][:60]!r}"
    return f"it answered {len(head)} bytes that are not HTTP/2"


def _answers(host: str, port: int) -> bool:
    return tcp_failure(host, port) is None


def _cluster_at(address: str, given_by: str) -> str:
    return f"cannot connect to the Ray cluster at '{address}'" + (f" ({given_by})" if given_by else "")


def _as_ray_resolves_it(address: str, host: str, port: int) -> tuple[str, int]:
    """(host, port) that Ray connects to for `address`: Ray Client's as given, a cluster's with a loopback host
    replaced by this node's address (Ray's `canonicalize_bootstrap_address`).

    Example:
        >>> _as_ray_resolves_it("ray://127.0.0.1:10001", "127.0.0.1", 10001)
        ('127.0.0.1', 10001)
    """
    if address.startswith("ray://"):
        return host, port
    try:
        from ray._private.services import canonicalize_bootstrap_address

        resolved = canonicalize_bootstrap_address(address)
        if resolved:
            resolved_host, _, resolved_port = resolved.rpartition(":")
            return resolved_host.removeprefix("[").removesuffix("]"), int(resolved_port)
    except Exception:  # noqa: BLE001  # a Ray that moved its helper: the address as given
        pass
    return host, port

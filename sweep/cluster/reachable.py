"""Whether anything answers at a cluster's address, asked before Ray is: a refused or silent address fails in
seconds with one line.

Given an address where nothing listens (a mistyped port, a head that is down), `ray.init` tries 20 times for
about 40 s each (some 14 minutes) and prints its own warnings every few seconds before it gives up; Ray Client
(``ray://``) waits 30 s and warns in a traceback-like block. A TCP connection to the address, as Ray itself would
resolve it, tells the same thing at once.
"""

from __future__ import annotations

import socket

from sweep_errors import SweepError

TIMEOUT_S = 5.0  # a head on a slow network answers a TCP handshake well within this


def check_reachable(address: str) -> None:
    """Raise a one-line SweepError when nothing accepts a TCP connection at `address` (``host:port`` or
    ``ray://host:port``); do nothing for an address Ray itself resolves otherwise (``auto``) or cannot parse.

    Example:
        >>> check_reachable("ray://127.0.0.1:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        sweep_errors.SweepError: cannot connect to the Ray cluster at 'ray://127.0.0.1:1': nothing answers at ...
    """
    target = _as_ray_resolves_it(address)
    if target is None:
        return
    host, port = target
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S):
            return
    except socket.gaierror:
        reason = "no such host"
    except TimeoutError:
        reason = f"no answer within {TIMEOUT_S:g} s"
    except OSError as err:
        reason = (err.strerror or type(err).__name__).lower()
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if not address.startswith("ray://") and not address.endswith(where):
        where += f", this node's address for {address.rsplit(':', 1)[0]}"  # Ray's own translation of loopback
    raise SweepError(
        f"cannot connect to the Ray cluster at '{address}': nothing answers at {where} ({reason}); check the "
        "address (`ray status` on the head shows it) and that the cluster is up"
    )


def _as_ray_resolves_it(address: str) -> tuple[str, int] | None:
    """(host, port) that Ray connects to for `address`: Ray Client's as given, a cluster's with a loopback host
    replaced by this node's address (Ray's `canonicalize_bootstrap_address`). None where Ray decides itself.

    Example:
        >>> _as_ray_resolves_it("ray://head.example:10001"), _as_ray_resolves_it("auto")
        (('head.example', 10001), None)
    """
    if address.startswith("ray://"):
        target: str | None = address.removeprefix("ray://")
    else:
        try:
            from ray._private.services import canonicalize_bootstrap_address

            target = canonicalize_bootstrap_address(address)
        except Exception:  # an address Ray cannot read: its own error says why  # noqa: BLE001
            return None
    if not target:
        return None
    host, _, port = target.rpartition(":")
    try:
        return host.strip("[]"), int(port.split("/")[0])
    except ValueError:
        return None

"""Whether the spec's trackers can be used, asked before Ray starts: a missing package or an MLflow store that
cannot be reached is one line in seconds, with no sweep directory left behind.

Given a ``tracking_uri`` where no MLflow server answers (a server that is down, a mistyped port), MLflow's
client retries each request 7 times with a growing back-off: the launch printed a retry warning every few
seconds for some 4 minutes, after Ray had started, then ended in ``error: unexpected MlflowException``. One
request through MLflow's own client, without its retries, tells the same at once; a TCP connection first says
"nothing answers" in words. A URI MLflow refuses (a plain-file store, which MLflow 3 no longer writes, or an
unknown scheme) fails the same way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from search_spaces import SpecError, SweepSpec
from sweep.cluster.reachable import tcp_failure
from sweep.tracking import TrackingError, require
from sweep.tracking.mlflow_calls import bounded_calls, reason

FIX = "give a server's http://HOST:PORT (what `mlflow server` prints), sqlite:///PATH/mlflow.db, or leave "\
      "tracking_uri out to keep the runs in the sweep's own DIR/mlruns"  # fmt: skip


def check_tracking(spec: SweepSpec) -> None:
    """Raise a one-line TrackingError when one of the spec's trackers cannot be used: its package is missing,
    or its MLflow ``tracking_uri`` is a store MLflow cannot open or a server that does not answer as one; a
    SpecError for a ``tracking_uri`` without mlflow among the trackers (nothing would be logged there)."""
    for kind in spec.tracking:
        require(kind)
    if spec.tracking_uri is not None and "mlflow" not in spec.tracking:  # it would be ignored, silently
        listed = f"tracking: [{', '.join(spec.tracking)}]" if spec.tracking else "no tracking:"
        raise SpecError(f"tracking_uri: given, but the spec has {listed}, so nothing is logged there; add mlflow "
                        "to tracking (tracking: [mlflow]) or leave tracking_uri out")  # fmt: skip
    if "mlflow" in spec.tracking and spec.tracking_uri is not None:
        check_mlflow_store(spec.tracking_uri)


def check_mlflow_store(uri: str) -> None:
    """Ask the MLflow store at `uri` for one experiment, without MLflow's retries; a one-line TrackingError
    naming the URI, the reason and the fix when it cannot answer.

    Example:
        >>> check_mlflow_store("http://127.0.0.1:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        sweep.tracking.TrackingError: tracking_uri 'http://127.0.0.1:1': nothing answers at 127.0.0.1:1 ...
    """
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        try:
            host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # a port that is not a number
            host = port = None
        if not host or not port:
            raise TrackingError(f"tracking_uri {uri!r}: not a server's address; {FIX}")
        failure = tcp_failure(host, port)
        if failure is not None:
            raise TrackingError(f"tracking_uri {uri!r}: nothing answers at {host}:{port} ({failure}); start the "
                                f"MLflow server or {FIX}")  # fmt: skip
    from mlflow.tracking import MlflowClient

    try:
        with bounded_calls(retries=0):
            MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as err:  # noqa: BLE001 - MLflow's errors come in many types; each is the user's to fix
        raise TrackingError(f"tracking_uri {uri!r}: MLflow cannot use it ({reason(str(err))}); {FIX}") from None

"""The warnings Ray Client streams from the cluster go to the sweep's log, not the terminal (no Ray started:
the records go through Ray's own logger the way its log stream hands them over)."""

from __future__ import annotations

import logging

import pytest

from sweep.cluster.client_log import CLIENT_LOGGER, HeldRecords, hold_client_log
from sweep.run import ray_log


@pytest.fixture
def client_logger():
    logger = logging.getLogger(CLIENT_LOGGER)
    import ray.util.client.logsclient  # noqa: F401  (Ray's module sets up the logger: no handler, no propagation)

    before = list(logger.handlers)
    yield logger
    for handler in [h for h in logger.handlers if h not in before]:
        logger.removeHandler(handler)
        handler.close()
    tune_logger = logging.getLogger("ray.tune")
    for handler in [h for h in tune_logger.handlers if getattr(h, "_sweep", False)]:
        tune_logger.removeHandler(handler)
        handler.close()
    ray_log.restore()


def test_the_clusters_warnings_are_held_until_the_sweeps_log_takes_them(tmp_path, capfd, client_logger):
    hold_client_log()
    hold_client_log()  # a second connection in the same process holds with the same handler
    assert sum(isinstance(h, HeldRecords) for h in client_logger.handlers) == 1
    client_logger.setLevel(logging.INFO)  # what Ray's log stream sets
    client_logger.log(logging.WARNING, "SIGTERM handler is not set because current thread is not the main thread.")
    client_logger.log(logging.INFO, "an info record of the server")
    assert capfd.readouterr().err == ""  # without the hold Python prints it on stderr (its last resort)

    log = tmp_path / "ray-tune.log"
    ray_log.log_ray_to(log)
    client_logger.log(logging.WARNING, "a later warning of the cluster")
    text = log.read_text()
    assert "SIGTERM handler is not set" in text and "a later warning of the cluster" in text
    assert "an info record" not in text
    assert not any(isinstance(h, HeldRecords) for h in client_logger.handlers)

    second = tmp_path / "second.log"  # the next sweep of the process: its own log, not both
    ray_log.log_ray_to(second)
    client_logger.log(logging.WARNING, "for the second sweep")
    assert "for the second sweep" in second.read_text() and "for the second sweep" not in log.read_text()
    assert capfd.readouterr().err == ""

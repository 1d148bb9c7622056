"""An MLflow store that cannot be used: refused in one line before a launch makes anything; one that goes down
mid-sweep ends tracking with one warning line, not the sweep. Against real stores and a real `mlflow server` on
loopback; no Ray is started."""

from __future__ import annotations

import http.server
import logging
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sweep.store import schema as S
from sweep.tracking import log_sweep_summary, tracking_callbacks
from tests.conftest import free_port, invoke_cli, tiny_spec, wait_for
from tests.tracking.test_tracking import FakeTrial, epoch, report

pytest.importorskip("mlflow", reason="the track extra (mlflow) is not installed")

FIX = ("give a server's http://HOST:PORT (what `mlflow server` prints), sqlite:///PATH/mlflow.db, or leave "
       "tracking_uri out to keep the runs in the sweep's own DIR/mlruns")  # fmt: skip


def _spec(tmp_path: Path, uri: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(tiny_spec(tracking=["mlflow"], tracking_uri=uri)))
    return path


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2 and proc.stdout == "", (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
    return proc.stderr.removeprefix("error: ").rstrip("\n")


def test_a_server_that_is_down_is_refused_before_a_launch_makes_its_sweep(tmp_path):
    """Before, the launch started Ray, made its sweep, and MLflow retried for some 4 minutes (a warning every few
    seconds) before `error: unexpected MlflowException`; the sweep stayed behind as interrupted."""
    port = free_port()
    spec, storage = _spec(tmp_path, f"http://127.0.0.1:{port}"), tmp_path / "sweeps"
    line = _one_line(invoke_cli("launch", str(spec), "--storage", str(storage)))
    assert line == (f"tracking_uri 'http://127.0.0.1:{port}': nothing answers at 127.0.0.1:{port} (connection "
                    f"refused); start the MLflow server or {FIX}")  # fmt: skip
    assert not storage.exists() or not any(storage.iterdir())
    assert _one_line(invoke_cli("validate", str(spec))) == line


class _NotMLflow(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.send_error(404)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def not_mlflow() -> Iterator[str]:
    """A web server on loopback that is not MLflow's (a dashboard, another service on the port)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotMLflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_store_mlflow_cannot_use_is_one_line_naming_why(tmp_path, not_mlflow):
    cases = {
        not_mlflow: "the server answered HTTP 404: not an MLflow tracking server",
        str(tmp_path / "mlruns"): "The filesystem tracking backend (e.g., './mlruns') is in maintenance mode and "
        "will not receive further updates",  # MLflow 3 no longer writes plain-file stores
        "http://127.0.0.1:port": None,  # not an address
    }
    for uri, why in cases.items():
        line = _one_line(invoke_cli("validate", str(_spec(tmp_path, uri))))
        expected = f"not a server's address; {FIX}" if why is None else f"MLflow cannot use it ({why}); {FIX}"
        assert line == f"tracking_uri {uri!r}: {expected}"
    database = tmp_path / "store" / "mlflow.db"
    database.parent.mkdir()
    assert invoke_cli("validate", str(_spec(tmp_path, f"sqlite:///{database}"))).returncode == 0


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `mlflow server` on loopback with its own SQLite store."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--default-artifact-root", str(root / "art")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(uri), "the MLflow server", timeout=120, proc=server)
        yield uri, server
    finally:
        _stop(server)


def _healthy(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _stop(server: subprocess.Popen) -> None:
    import os
    import signal

    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)  # its workers too
        server.wait()


def test_a_server_that_goes_down_mid_sweep_ends_tracking_with_one_warning(tmp_path, mlflow_server, capsys, caplog):
    """Before, each logging call retried for some 4 minutes while the sweep waited, then ended it with an
    MLflow error (the sweep interrupted). Now a call fails within seconds, one warning line says that the sweep
    goes on without tracking, and nothing more is asked of the store. While it answers, MLflow prints no web
    addresses (two lines per trial on a server, `--quiet` or not)."""
    from mlflow.tracking import MlflowClient

    uri, server = mlflow_server
    assert invoke_cli("validate", str(_spec(tmp_path, uri))).returncode == 0
    root = tmp_path / "tiny-20261205-120000"
    root.mkdir()
    (callback,) = tracking_callbacks(["mlflow"], root, uri, experiment="tiny", max_t=4)
    callback.setup()
    trials = [FakeTrial(f"t{i}", {S.PLAN_ID: f"r1-00{i}", "lr": 0.1, "epochs": 4}) for i in range(3)]

    def train(trial: FakeTrial) -> None:
        callback.on_trial_start(0, trials, trial)
        callback.on_trial_result(0, trials, trial, report(epoch(1, 0.6), epoch(2, 0.7)))
        callback.on_trial_complete(0, trials, trial)

    train(trials[0])
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert {r.info.run_name for r in runs} == {"r1-000", root.name}  # the trial's run and the sweep's
    assert "View run" not in capsys.readouterr().out

    _stop(server)
    caplog.set_level(logging.WARNING)
    train(trials[1])
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1, warned
    assert warned[0].startswith(f"warning: MLflow at {uri} stopped taking the sweep's logs (")
    assert warned[0].endswith(f"): the sweep goes on without tracking; its results are in {root}")
    assert callback.stopped is not None
    train(trials[2])  # tracking is off: nothing more is asked of the store, and nothing more is said
    assert log_sweep_summary(root, uri, {"status": "completed", "winner": "r1-000"}, experiment="tiny") is None
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == warned  # said once


def test_a_tracking_uri_without_mlflow_among_the_trackers_is_refused(tmp_path):
    """Before, it was ignored: a user who gave a server's address had nothing logged there, and no word."""
    for trackers in ([], ["tensorboard"]):
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(tiny_spec(tracking=trackers, tracking_uri="http://127.0.0.1:1")))
        listed = f"tracking: [{', '.join(trackers)}]" if trackers else "no tracking:"
        assert _one_line(invoke_cli("validate", str(spec))) == (
            f"tracking_uri: given, but the spec has {listed}, so nothing is logged there; add mlflow to tracking "
            "(tracking: [mlflow]) or leave tracking_uri out"
        )

"""A real multi-node Ray cluster on this machine (separate raylets on loopback): the same `sweep launch
--address`, trials spread over nodes, a user's trainable shipped by runtime env, node loss, driver loss."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sweep
from search_spaces import load_spec
from sweep.cluster.launcher import check_fits, runtime_env
from sweep.store import schema as S
from sweep.store.ray_state import unpickled_files
from sweep.store.signing import load_key, unsigned
from sweep_errors import SweepError
from tests.cli.test_cli_sweep import _rows, _sweep_dir
from tests.conftest import SWEEP_BIN, free_port, run_cli, tiny_spec, wait_for
from tests.store.test_sweep_unit_copy import _tree
from tests.toy_trainables import GATE

ROOT = Path(__file__).resolve().parents[2]


def test_cluster_yaml_passes_rays_own_validation():
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    validate_config(prepare_config(copy.deepcopy(config)))  # what `ray up` runs first
    assert config["provider"]["type"] == "local"
    assert any("constraints.txt" in command for command in config["setup_commands"])
    assert any(
        "--dashboard-host=127.0.0.1" in c and "RAY_AUTH_MODE=token" in c for c in config["head_start_ray_commands"]
    )
    broken = copy.deepcopy(config)
    broken["setup_comands"] = broken.pop("setup_commands")
    with pytest.raises(Exception, match="setup_comands"):
        validate_config(prepare_config(broken))


def test_local_runs_upload_nothing_and_clusters_get_the_project(tmp_path):
    local = runtime_env(tmp_path, ship=True, storage=str(tmp_path / "sweeps"), local=True)
    assert "working_dir" not in local and local["env_vars"]["SWEEP_PROJECT_DIR"] == str(tmp_path)
    assert local["worker_process_setup_hook"] == "sweep.cluster.worker_setup.prepare"
    remote = runtime_env(tmp_path, ship=True, storage=str(tmp_path / "sweeps"))
    assert remote["working_dir"] == str(tmp_path) and "sweeps" in remote["excludes"]
    assert "worker_process_setup_hook" not in remote  # off clusters: see runtime_env's docstring
    assert runtime_env(tmp_path, ship=False, storage="s3://b/s") is None


def test_worker_setup_enters_the_project(tmp_path, monkeypatch):
    from sweep.cluster import worker_setup

    monkeypatch.chdir("/")
    monkeypatch.setenv(worker_setup.PROJECT_ENV, str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    worker_setup.prepare()
    assert Path.cwd() == tmp_path and str(tmp_path) in sys.path


def test_a_trial_no_node_can_hold_fails_before_starting():
    spec = load_spec({**tiny_spec(), "resources": {"cpu": 4}})
    nodes = [{"CPU": 2.0, "memory": 1e9}, {"CPU": 1.0}]
    with pytest.raises(SweepError, match=r"resources\.cpu: each trial asks for 4 CPU and 0 GPU but no node has that "
                       r"\(nodes: 2 CPU/0 GPU, 1 CPU/0 GPU\)"):  # fmt: skip
        check_fits(spec, nodes)
    check_fits(load_spec({**tiny_spec(), "resources": {"cpu": 2}}), nodes)  # fits the larger node


@pytest.fixture(scope="module")
def cluster():
    """A head with no CPUs (the driver's node) and two 1-CPU worker nodes, each its own raylet."""
    from ray._common.utils import reset_ray_address
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    # Ray's Cluster names its head in /tmp/ray/ray_current_cluster, where any plain `ray.init()` on the machine
    # would join it (a notebook test on the other pytest-xdist worker did); these tests pass its address
    reset_ray_address()
    workers = [nodes.add_node(num_cpus=1) for _ in range(2)]
    nodes.wait_for_nodes()
    yield nodes, workers
    nodes.shutdown()


def _launch(spec: dict, tmp_path: Path, address: str, **popen) -> subprocess.Popen:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    args = [
        SWEEP_BIN,
        "launch",
        str(spec_path),
        "--address",
        address,
        "--storage",
        str(tmp_path / "sweeps"),
        "--quiet",
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _finish(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"{out}\n{err}"


USER_TRAINABLE = textwrap.dedent(
    '''
    import numpy as np
    import ray
    from ray import tune


    def train(config):
        """A user's trainable that lives only in a temporary directory."""
        node = ray.get_runtime_context().get_node_id()
        work = np.random.default_rng(0).standard_normal((300, 300))
        for epoch in range(1, config["epochs"] + 1):
            for _ in range(150):
                work = np.tanh(work @ work / 300)
            tune.report({"epoch": epoch, "score": -(config["x"] - 0.3) ** 2 + 0.01 * epoch, "node_id": node})
    '''
)


@pytest.mark.ray
def test_user_trainable_from_a_temp_dir_runs_on_several_nodes(cluster, tmp_path):
    nodes, _ = cluster
    (tmp_path / "my_trainable.py").write_text(USER_TRAINABLE)
    spec = {
        "name": "user", "trainable": "my_trainable:train", "metric": "score", "mode": "max", "samples": 4,
        "scheduler": {"type": "fifo"}, "space": {"x": {"uniform": [0.0, 1.0]}, "epochs": 6},
    }  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _finish(_launch(spec, tmp_path, nodes.address, cwd=tmp_path, env=env))

    result = sweep.load(_sweep_dir(tmp_path / "sweeps"))
    assert len(result.trials) == 4 and (result.trials[S.STATUS] == S.COMPLETED).all()
    assert result.trials[S.NODE_ID].nunique() == 2, result.trials[S.NODE_ID]


@pytest.mark.ray
def test_driver_killed_on_the_cluster_then_resume(cluster, tmp_path):
    nodes, _ = cluster
    space = {**tiny_spec()["space"], "epochs": 40, "batch_size": 16, "momentum": 0.9}
    proc = _launch(tiny_spec(samples=4, scheduler={"type": "fifo"}, space=space), tmp_path, nodes.address)
    directory = wait_for(lambda: _sweep_dir(tmp_path / "sweeps"), "the sweep directory", proc=proc)
    wait_for(lambda: _rows(directory / "trials.csv") >= 1, "a finished trial", proc=proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert _rows(directory / "trials.csv") < 4

    run_cli("resume", str(directory), "--address", nodes.address, "--quiet", check=True)
    result = sweep.load(directory)
    assert sorted(result.trials[S.PLAN_ID]) == [f"r1-{i:03d}" for i in range(4)]
    assert (result.trials[S.STATUS] == S.COMPLETED).all() and (result.trials[S.EPOCHS] == 40).all()


@pytest.mark.ray
def test_a_lost_worker_node_costs_no_trial(cluster, tmp_path):
    """Runs last in this module: it takes a node away."""
    nodes, workers = cluster
    doomed = workers[1]
    # Long enough that the trial caught mid-run is still running when its node goes (a quiet machine trains 60
    # epochs of digits in about a second).
    epochs = 300
    space = {**tiny_spec()["space"], "epochs": epochs, "batch_size": 16, "momentum": 0.9}
    proc = _launch(tiny_spec(samples=4, scheduler={"type": "fifo"}, space=space), tmp_path, nodes.address)
    directory = wait_for(lambda: _sweep_dir(tmp_path / "sweeps"), "the sweep directory", proc=proc)

    def running_on_doomed_node() -> bool:
        if _rows(directory / "history.csv") == 0:
            return False
        # A trial mid-way on the node: reports are batched (about one a second), so the first rows a trial
        # shows may also be its last; only a trial seen between epoch 3 and well before the end is still running.
        history = pd.read_csv(directory / "history.csv")
        reached = history[history[S.NODE_ID] == doomed.node_id].groupby(S.PLAN_ID)[S.EPOCH].max()
        return bool(((reached >= 3) & (reached <= epochs // 4)).any())

    wait_for(running_on_doomed_node, "a trial a few epochs in on the second worker", proc=proc)
    nodes.remove_node(doomed, allow_graceful=False)
    _finish(proc)

    result = sweep.load(directory)
    assert sorted(result.trials[S.PLAN_ID]) == [f"r1-{i:03d}" for i in range(4)]
    assert (result.trials[S.STATUS] == S.COMPLETED).all() and (result.trials[S.EPOCHS] == epochs).all()
    # The trial that lost its node went on from its checkpoint on the surviving node: its early epochs ran on
    # the lost node and its later ones elsewhere, each epoch once.
    moved = [
        group for _, group in result.history.groupby(S.PLAN_ID)
        if (group[S.NODE_ID] == doomed.node_id).any() and (group[S.NODE_ID] != doomed.node_id).any()
    ]  # fmt: skip
    assert moved, "a trial should have moved off the lost node"
    for group in moved:
        assert list(group[S.EPOCH]) == list(range(1, epochs + 1))
        lost = group[group[S.NODE_ID] == doomed.node_id][S.EPOCH]
        assert lost.max() < group[group[S.NODE_ID] != doomed.node_id][S.EPOCH].min()
        assert lost.min() == 1  # it was not restarted from scratch elsewhere


def _end_processes_of(temp_dir: str) -> None:
    """Ends the Ray processes a test started, by id: `ray stop` would end every Ray on the machine."""
    import psutil

    mine = []
    for process in psutil.process_iter(["cmdline"]):
        if any(temp_dir in part for part in process.info["cmdline"] or []):
            mine.append(process)
    for process in mine:
        process.kill()
    psutil.wait_procs(mine, timeout=30)


@pytest.fixture(scope="module")
def head_node():
    """A head started the way cluster.yaml starts it (`ray start --head`), with the job server and Ray Client."""
    import shutil
    import sys
    import tempfile

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "RAY_AUTH_MODE": "token"}
    temp_dir = tempfile.mkdtemp(prefix="sweep-rj-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    ports = {"dashboard": free_port(), "client": free_port()}
    args = [f"--port={free_port()}", f"--dashboard-port={ports['dashboard']}",
            f"--ray-client-server-port={ports['client']}", f"--dashboard-agent-listen-port={free_port()}"]  # fmt: skip
    try:
        subprocess.run(
            [str(bin_dir / "ray"), "start", "--head", "--num-cpus=2", "--node-ip-address=127.0.0.1",
             "--dashboard-host=127.0.0.1", "--include-dashboard=true", f"--temp-dir={temp_dir}", *args],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        yield bin_dir, env, ports
    finally:
        _end_processes_of(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _project(tmp_path: Path) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    (work / "spec.yaml").write_text(yaml.safe_dump(tiny_spec(samples=3)))
    return work


@pytest.mark.ray
def test_ray_job_submit_runs_a_sweep_on_the_cluster(head_node, tmp_path):
    bin_dir, env, ports = head_node
    storage = tmp_path / "sweeps"
    job = subprocess.run(
        [str(bin_dir / "ray"), "job", "submit", "--address", f"http://127.0.0.1:{ports['dashboard']}",
         "--working-dir", str(_project(tmp_path)), "--", "sweep", "launch", "spec.yaml", "--storage", str(storage)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    assert "succeeded" in job.stdout + job.stderr
    result = sweep.load(_sweep_dir(storage))
    assert len(result.trials) == 3 and result.status == "completed"


def test_a_connection_is_tried_three_times_and_only_on_the_named_error():
    from sweep.cluster.local import with_retries

    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise ConnectionAbortedError(f"Initialization failure from server: attempt {len(calls)}")

    with pytest.raises(ConnectionAbortedError, match="attempt 3"):
        with_retries(refused, ConnectionAbortedError, wait_s=0)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(ConnectionAbortedError, match="attempt 1"):  # a cluster address that is not Ray Client's
        with_retries(refused, (), wait_s=0)
    assert len(calls) == 1


@pytest.mark.ray
def test_ray_client_address_runs_a_sweep(head_node, tmp_path):
    _, env, ports = head_node
    storage = tmp_path / "sweeps"
    spec = _project(tmp_path) / "spec.yaml"
    done = run_cli("launch", str(spec), "--address", f"ray://127.0.0.1:{ports['client']}", "--storage", str(storage),
                   "--quiet", check=True, env=env)  # fmt: skip
    result = sweep.load(_sweep_dir(storage))
    assert len(result.trials) == 3 and result.status == "completed"
    # Ray Tune's messages in the Tuner's actor on the cluster go to the sweep's log, not back to the terminal
    assert "(TunerInternal" not in done.stdout + done.stderr, done.stderr
    # nor do the warnings of Ray Client's server process (Ray's "SIGTERM handler is not set ..." at connection)
    assert "SIGTERM handler" not in done.stdout + done.stderr, done.stderr


@pytest.mark.ray
def test_a_copy_resumed_over_ray_client_writes_only_into_the_copy(head_node, tmp_path):
    """Over Ray Client the restored Tuner lives in an actor on the cluster; the sweep's configs for the copy
    replace the launch's there too (Ray's would send the copy's rows and new trials into the original)."""
    _, env, ports = head_node
    address = f"ray://127.0.0.1:{ports['client']}"
    # one trial at a time, and every trial after the first waits for the gate: the launch is interrupted with
    # trials left to make, which the resume makes
    signals = tmp_path / "signals"
    signals.mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "gated", "trainable": "tests.toy_trainables:gated", "samples": 4, "seed": 1, "max_concurrent": 1,
        "scheduler": "fifo", "space": {"x": {"uniform": [0.0, 1.0]}, "epochs": 2, "signals": str(signals)},
    }))  # fmt: skip
    storage = tmp_path / "sweeps"
    proc = subprocess.Popen(
        [SWEEP_BIN, "launch", str(spec), "--storage", str(storage), "--address", address, "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        original = wait_for(lambda: _sweep_dir(storage), "the sweep directory", proc=proc)
        wait_for(lambda: _rows(original / "trials.csv") >= 1, "a finished trial", proc=proc)
        # Over Ray Client an interrupted driver's Tuner saves nothing more, and Ray copies its saves into the sweep
        # in the background: the test waits for a save and its signatures to be there
        wait_for(lambda: _signed_state(original / "ray" / "sweep"), "a signed save of Ray's state", proc=proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _rows(original / "trials.csv") == 1
    made_by_launch = {path.name for path in (original / "ray" / "sweep").glob("gated_*")}
    copy = tmp_path / "elsewhere" / "copy"
    copy.parent.mkdir()
    subprocess.run(["cp", "-a", str(original), str(copy)], check=True)
    before = _tree(original)
    (signals / GATE).touch()

    run_cli("resume", str(copy), "--address", address, "--quiet", check=True, env=env)
    assert _tree(original) == before, "resuming the copy changed the original"
    assert {path.name for path in (copy / "ray" / "sweep").glob("gated_*")} - made_by_launch, (
        "no trial made by the resume"
    )
    result = sweep.load(copy)
    assert result.status == "completed" and sorted(result.trials[S.PLAN_ID]) == [f"r1-{i:03d}" for i in range(4)]


def _signed_state(experiment: Path) -> bool:
    """Whether Ray has saved the experiment's state and every file a restore would unpickle is signed."""
    files = unpickled_files(experiment)
    try:
        return any(f.name.startswith("experiment_state") for f in files) and not unsigned(
            experiment, files, load_key(create=False)
        )
    except (OSError, ValueError):  # a file being written
        return False

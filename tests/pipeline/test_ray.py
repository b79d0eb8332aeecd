"""`assay run --executor ray` on a real multi-node Ray cluster on this machine.

`ray.cluster_utils.Cluster` starts a head node with no CPUs (the driver's node: it gets no
verifier) and two worker nodes with one CPU each, each its own raylet and worker processes. The
scripted-teacher scenarios run through it and must give the corpus the local executor gives; a
worker node killed with SIGKILL mid-run and a driver killed with SIGKILL mid-run lose nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import ray
from ray.cluster_utils import Cluster

from pipeline.cli import main
from pipeline.config import RunConfig
from pipeline.engine import Engine
from pipeline.executors import ray_cluster
from pipeline.generators.scripted import ScriptedGenerator
from pipeline.jsonl import iter_jsonl
from pipeline.store import RunStore
from tests.pipeline import scenarios
from tests.pipeline.teacher_server import TeacherServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEACHER = f"{os.path.abspath(scenarios.__file__)}:teacher"
# Every scenario, three slow ones (an infinite loop is a 2 s timeout: verifications that are in
# flight when a node dies), and "late" problems a test can hold back until the cluster changed.
EARLY = [
    *(f"infinite_loop-{i}" for i in range(3)),
    *(f"{name}-1" for name in scenarios.SCENARIOS if name != "infinite_loop"),
]
LATE = [f"{name}-late" for name in ("right", "wrong_value", "undefined_name", "wrong_test")]
NAMES = EARLY + LATE
K = 2
# What makes one run's corpus differ from another's with the same answers: when, how long, and
# the teacher's name and token counting (the scripted generator counts words, the server its own).
VOLATILE = {"time", "duration_s", "max_rss_mb", "tokens_in", "tokens_out", "teacher", "generator", "model"}  # fmt: skip


def content(value):
    if isinstance(value, dict):
        return {k: content(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [content(v) for v in value]
    return value


def corpus(run_dir: str) -> list[dict]:
    folder = os.path.join(run_dir, "corpus")
    return [r for p in sorted(os.listdir(folder)) for r in iter_jsonl(os.path.join(folder, p))]


def by_id(run_dir: str) -> dict[str, dict]:
    return {r["id"]: content(r) for r in corpus(run_dir)}


def run_args(seeds: str, run_dir: str, *extra: str) -> list[str]:
    return ["run", "--seeds", seeds, "--problems", str(len(NAMES)), "--max-revisions", str(K),
            "--timeout", "2", "--run-dir", run_dir, "--no-progress", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> str:
    return scenarios.write_seeds(str(tmp_path_factory.mktemp("seeds") / "seeds.jsonl"), NAMES)


@pytest.fixture(scope="module")
def reference(seeds, tmp_path_factory) -> dict[str, dict]:
    """The local executor's corpus of the scenarios: what every Ray run must give."""
    run_dir = str(tmp_path_factory.mktemp("local") / "run")
    args = run_args(seeds, run_dir, "--generator", "scripted", "--model", TEACHER, "--jobs", "2")
    assert main(args) == 0
    ref = by_id(run_dir)
    assert len(ref) == len(NAMES) - 1  # all but never_fixed
    return ref


@pytest.fixture(scope="module")
def cluster():
    # Nodes are declared dead after ~2 s of missed health checks (30 s by default).
    fast = {
        "health_check_initial_delay_ms": 0,
        "health_check_period_ms": 500,
        "health_check_timeout_ms": 500,
        "health_check_failure_threshold": 4,
    }
    head = {"num_cpus": 0, "include_dashboard": False, "_system_config": fast}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


def worker_ids(cluster: Cluster) -> set[str]:
    return {node.node_id for node in cluster.worker_nodes}


def test_same_corpus_as_local_with_teacher_replicas(cluster, seeds, reference, tmp_path, capsys):
    """Verification on every worker node, the scripted teacher in two replica actors."""
    config = tmp_path / "ray.toml"
    config.write_text("[executor]\nteacher_replicas = 2\n")
    run_dir = str(tmp_path / "run")
    args = run_args(seeds, run_dir, "--generator", "scripted", "--model", TEACHER, "--json",
                    "--config", str(config), "--executor", "ray", "--ray-address", cluster.address)  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert by_id(run_dir) == reference
    executor = summary["executor"]
    nodes = {n["node_id"]: n for n in executor["nodes"]}
    # One verifier per worker node, none on the head (no CPUs), each of them used; their sum is
    # every sandbox run of the run: no verdict came from anywhere else.
    assert set(nodes) == worker_ids(cluster)
    assert all(n["verified"] > 0 and n["jobs"] == 1 and not n["lost"] for n in nodes.values())
    assert sum(n["verified"] for n in nodes.values()) == summary["this_run"]["verified"]
    replicas = executor["teacher"]["replicas"]
    assert len(replicas) == 2 and all(r["answered"] > 0 for r in replicas)
    assert sum(r["answered"] for r in replicas) == summary["this_run"]["teacher_calls"]


class GatedTeacher(ScriptedGenerator):
    """The scripted teacher in the driver, holding back the LATE problems until `gate` opens."""

    async def start(self) -> None:
        await super().start()
        self.gate = asyncio.Event()

    async def generate(self, chats):
        if any("late" in chat[0]["content"] for chat in chats):
            await self.gate.wait()
        return await super().generate(chats)


async def until(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def test_worker_node_killed_mid_run_loses_nothing(cluster, seeds, reference, tmp_path, monkeypatch):
    """SIGKILL a worker node (its raylet and its verifier actor) while a sample is being verified
    there; then a new node joins. The run completes with the local corpus, the lost sample
    verified on another node, the new node taking work."""
    monkeypatch.setattr(ray_cluster, "WATCH_S", 0.2)
    run_dir = str(tmp_path / "run")
    config = RunConfig.model_validate(
        {"run_dir": run_dir, "problems": len(NAMES), "max_revisions": K, "progress": False,
         "seeds": {"path": seeds}, "teacher": {"generator": "scripted", "model": TEACHER},
         "verifier": {"timeout": 2}, "executor": {"kind": "ray", "address": cluster.address}}
    )  # fmt: skip
    teacher = GatedTeacher(config.teacher, config.sampling)
    engine = Engine(config, generator=teacher)
    executor = engine.executor
    nodes = {node.node_id: node for node in cluster.worker_nodes}

    async def choreography() -> tuple[str, str]:
        run = asyncio.create_task(engine.run())
        await until(lambda: len(executor.nodes) == 2, what="two node verifiers")
        # A node with a sample in flight for 0.3 s: a 2 s infinite loop, not one about to end.
        busy_since: dict[str, float] = {}

        def long_busy() -> str | None:
            now = time.monotonic()
            for node_id, verifier in executor.nodes.items():
                if verifier.load == 0:
                    busy_since.pop(node_id, None)
                elif now - busy_since.setdefault(node_id, now) > 0.3:
                    return node_id
            return None

        await until(lambda: long_busy() is not None, what="a long verification")
        victim = long_busy()
        assert victim is not None
        pid = (await executor.nodes[victim].handle.where.remote())["pid"]
        os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(cluster.remove_node, nodes[victim], allow_graceful=False)
        newcomer = cluster.add_node(num_cpus=1).node_id  # main thread only (signal handlers)
        await until(lambda: newcomer in executor.nodes, what="a verifier on the new node")
        teacher.gate.set()
        await run
        return victim, newcomer

    victim, newcomer = asyncio.run(choreography())
    assert by_id(run_dir) == reference
    placed = {v.node_id: v for v in executor.history}
    assert placed[victim].lost and executor.resubmitted >= 1
    assert placed[newcomer].verified > 0
    # Each recorded verdict was obtained once: the lost node's unfinished runs are not counted.
    assert sum(v.verified for v in executor.history) == engine.stats.verified
    with RunStore.open_readonly(run_dir) as store:
        problems = list(store.iter_problems())
    assert all(p.status in ("accepted", "rejected") for p in problems)
    assert all(a.status == "verified" for p in problems for a in p.trail)


def slow_teacher(messages):
    """The scenarios' teacher taking 0.2 s an answer: calls are in flight when a replica dies."""
    answer = scenarios.teacher(messages)
    return {**({"content": answer} if isinstance(answer, str) else answer), "delay": 0.2}


def test_teacher_replica_killed_mid_run_is_replaced(cluster, seeds, reference, tmp_path):
    """SIGKILL one of two teacher replicas while it answers: its unanswered chats go to the other,
    a new replica starts, and the run gives the local corpus."""
    config = RunConfig.model_validate(
        {"run_dir": str(tmp_path / "run"), "problems": len(NAMES), "max_revisions": K,
         "progress": False, "seeds": {"path": seeds},
         "teacher": {"generator": "scripted", "model": f"{os.path.abspath(__file__)}:slow_teacher"},
         "verifier": {"timeout": 2},
         "executor": {"kind": "ray", "address": cluster.address, "teacher_replicas": 2}}
    )  # fmt: skip
    engine = Engine(config)

    async def choreography() -> None:
        run = asyncio.create_task(engine.run())
        await until(lambda: engine.executor.teacher is not None, what="the teacher")
        teacher = engine.executor.teacher
        await until(
            lambda: len(teacher.pool.live) == 2 and all(r.load for r in teacher.pool.live),
            what="both replicas answering",
        )
        os.kill(teacher.pool.live[0].pid, signal.SIGKILL)
        await run

    asyncio.run(choreography())
    assert by_id(config.run_dir) == reference
    teacher = engine.executor.teacher
    assert teacher.relaunched >= 1 and sum(r.lost for r in teacher.pool.every) == 1
    assert len(teacher.pool.every) == 3  # two at start, one in the lost one's place
    assert sum(r.answered for r in teacher.pool.every) == engine.stats.teacher_calls


def start_driver(server: TeacherServer, seeds: str, run_dir: str, address: str):
    args = run_args(seeds, run_dir, "--generator", "openai", "--model", server.model,
                    "--base-url", server.base_url, "--concurrency", "3", "--json",
                    "--executor", "ray", "--ray-address", address)  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def recorded_keys(run_dir: str) -> set[str]:
    from tests.pipeline.test_resume import recorded_keys as keys

    return keys(run_dir)


def test_driver_killed_mid_run_resumes(cluster, seeds, reference, tmp_path):
    """SIGKILL the driver (`assay run` with an HTTP teacher) mid-run, then rerun: the run finishes
    with the local corpus, no teacher call repeated for an answer the store holds."""
    from tests.pipeline.test_resume import wait_for

    run_dir = str(tmp_path / "run")
    with TeacherServer(scenarios.teacher, delay=0.05) as server:
        proc = start_driver(server, seeds, run_dir, cluster.address)
        wait_for(run_dir, 3, proc, timeout=120)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before_keys, before_corpus = recorded_keys(run_dir), corpus(run_dir)
        asked = len(server.answered())
        assert before_corpus and len(before_corpus) < len(reference)

        proc = start_driver(server, seeds, run_dir, cluster.address)
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        again = server.answered()[asked:]

    assert not {r.key for r in again} & before_keys  # nothing the store held was asked again
    assert recorded_keys(run_dir) == {r.key for r in server.answered()}
    final = corpus(run_dir)
    assert len(final) == len({r["id"] for r in final})  # no duplicate line
    assert {r["id"] for r in before_corpus} <= {r["id"] for r in final}
    assert by_id(run_dir) == reference
    summary = json.loads(out)
    verifiers = {n["node_id"] for n in summary["executor"]["nodes"]}
    assert verifiers == worker_ids(cluster)  # the rerun verified on the worker nodes only

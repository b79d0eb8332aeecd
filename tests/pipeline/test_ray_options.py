"""The executor's options: `[executor]` and its flags, where the teacher's replicas go, and errors
that say how to fix them. No cluster here (test_ray.py has one)."""

from __future__ import annotations

import argparse
import re
import socket

import pytest

from pipeline.cli import main
from pipeline.commands import run
from pipeline.commands.run import overrides
from pipeline.config import ConfigError, ExecutorConfig, TeacherConfig, resolve
from pipeline.executors import ExecutorError
from pipeline.executors.ray_cluster import probe
from pipeline.executors.ray_teacher import placement
from tests.pipeline import scenarios


@pytest.fixture
def seeds(tmp_path) -> str:
    return scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), ["right"])


def parse(*flags: str):
    """The parsed `assay run` flags, as the command would see them."""
    parser = argparse.ArgumentParser()
    run.register(parser.add_subparsers())
    return parser.parse_args(["run", *flags])


def test_flags_and_toml_fill_the_executor_section(tmp_path, seeds):
    path = tmp_path / "run.toml"
    path.write_text('[executor]\nkind = "ray"\naddress = "auto"\nteacher_replicas = 2\n')
    flags = parse("--ray-address", "10.0.0.1:6379", "--node-jobs", "3", "--model", "m")
    config = resolve(str(path), {**overrides(flags), "seeds": {"path": seeds}})
    assert config.executor == ExecutorConfig(
        kind="ray", address="10.0.0.1:6379", node_jobs=3, teacher_replicas=2
    )


def test_local_is_the_default_and_executor_options_may_change_on_resume(seeds):
    local = resolve(None, {"teacher": {"model": "m"}, "seeds": {"path": seeds}})
    assert local.executor.kind == "local"
    on_ray = local.model_copy(update={"executor": ExecutorConfig(kind="ray", address="auto")})
    assert on_ray.identity("p") == local.identity("p")  # a run started here resumes on Ray


BAD = [
    # (toml, flags) -> words of the error
    ('[executor]\nkind = "spark"\n', [], "option 'executor.kind'"),
    ("[executor]\nnodes = 3\n", [], "unknown option 'executor.nodes'"),
    ("[executor]\nnode_jobs = 0\n", ["--executor", "ray"], "option 'executor.node_jobs'"),
    ("", ["--ray-address", "auto"], "[executor] address only apply to the ray executor"),
    ("[executor]\nteacher_replicas = 2\n", [], "pass --executor ray"),
]


@pytest.mark.parametrize(("toml", "flags", "words"), BAD)
def test_bad_executor_options_are_named(tmp_path, seeds, toml, flags, words):
    path = tmp_path / "run.toml"
    path.write_text(toml)
    args = parse("--model", "m", "--seeds", seeds, *flags)
    with pytest.raises(ConfigError, match=re.escape(words)):
        resolve(str(path), overrides(args))


def vllm(**engine_args) -> TeacherConfig:
    return TeacherConfig(generator="vllm", model="m", engine_args=engine_args)


PLACEMENT = [
    # (executor options, teacher, cluster resources) -> (replicas, GPUs per replica)
    ({}, TeacherConfig(generator="openai", model="m"), {"GPU": 8}, (0, 0.0)),
    ({"teacher_replicas": 2}, TeacherConfig(generator="scripted", model="m"), {}, (2, 0.0)),
    ({}, vllm(), {"GPU": 4}, (4, 1.0)),
    ({}, vllm(tensor_parallel_size=2), {"GPU": 5}, (2, 2.0)),
    ({}, vllm(tensor_parallel_size=2, pipeline_parallel_size=2), {"GPU": 8}, (2, 4.0)),
    ({"teacher_replicas": 1, "teacher_gpus": 8}, vllm(), {"GPU": 8}, (1, 8.0)),
]


@pytest.mark.parametrize(("options", "teacher", "resources", "expected"), PLACEMENT)
def test_teacher_replicas_go_one_per_gpu_group(options, teacher, resources, expected):
    config = ExecutorConfig(kind="ray", **options)
    assert placement(config, teacher, resources) == expected


def test_vllm_without_gpus_says_where_the_teacher_can_go():
    with pytest.raises(ExecutorError, match="has 0.*vllm serve"):
        placement(ExecutorConfig(kind="ray"), vllm(tensor_parallel_size=2), {"CPU": 64})
    with pytest.raises(ExecutorError, match="teacher_replicas = 3 x 2 GPUs.*has 4 GPUs"):
        placement(
            ExecutorConfig(kind="ray", teacher_replicas=3), vllm(tensor_parallel_size=2), {"GPU": 4}
        )


@pytest.mark.parametrize("address", ["head", "ray://:10001", "head:port"])
def test_malformed_address_is_refused(address):
    with pytest.raises(ExecutorError, match="give HOST:PORT"):
        probe(address)


def test_unreachable_cluster_fails_in_seconds_and_keeps_the_run_dir(tmp_path, seeds, capsys):
    """Nothing listens on the port: a message with the fix, not minutes of Ray retrying."""
    with socket.socket() as sock:  # a port that was free a moment ago, now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status = main(
        ["run", "--generator", "scripted", "--model", "tests.pipeline.scenarios:teacher",
         "--seeds", seeds, "--problems", "1", "--run-dir", str(tmp_path / "run"), "--no-progress",
         "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert f"nothing answers at the Ray address 127.0.0.1:{port}" in err
    assert "ray start --head" in err

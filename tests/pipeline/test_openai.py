"""The openai generator against a real loopback server: retries, errors that say what to do."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from pipeline.cli import main
from pipeline.config import SamplingConfig, TeacherConfig
from pipeline.generators import GeneratorError, RequestRefused, create
from tests.pipeline import scenarios
from tests.pipeline.teacher_server import TeacherServer

CHAT = [{"role": "user", "content": "hello there"}]


def generator(base_url: str, **teacher):
    teacher = {"model": "scripted-teacher", "base_url": base_url, "retry_base": 0.01, **teacher}
    return create(TeacherConfig(**teacher), SamplingConfig(temperature=0.3, max_tokens=64, seed=7))


async def ask(gen, chat=CHAT):
    await gen.start()
    try:
        return await gen.generate([chat])
    finally:
        await gen.close()


def test_answer_tokens_and_sampling_are_passed(monkeypatch):
    monkeypatch.setenv("TEST_TEACHER_KEY", "sk-123")
    with TeacherServer(
        lambda chat: {"content": "one two three", "finish_reason": "length"}
    ) as server:
        gen = generator(server.base_url, api_key_env="TEST_TEACHER_KEY")
        [answer] = asyncio.run(ask(gen))
    assert (answer.text, answer.finish_reason) == ("one two three", "length")
    assert (answer.tokens_in, answer.tokens_out) == (2, 3) and answer.seconds > 0
    body = server.requests[0].body
    assert body["model"] == "scripted-teacher" and body["messages"] == CHAT
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (
        0.3,
        0.95,
        64,
        7,
    )


@pytest.mark.parametrize("faults", [[500], [429, 429], [502, 503, 504, 500]])
def test_5xx_and_429_are_retried(faults):
    with TeacherServer(lambda chat: "ok", faults=list(faults)) as server:
        gen = generator(server.base_url)
        [answer] = asyncio.run(ask(gen))
    assert answer.text == "ok"
    assert [r.status for r in server.requests] == [*faults, 200]
    assert gen.retries == len(faults)


def test_retries_give_up_with_a_clear_error():
    with TeacherServer(lambda chat: "ok", faults=[500] * 10) as server:
        gen = generator(server.base_url, max_retries=2)
        with pytest.raises(GeneratorError, match="still failing after 3 tries: HTTP 500"):
            asyncio.run(ask(gen))


def test_a_refused_request_is_not_retried():
    with TeacherServer(lambda chat: "ok", faults=[400]) as server:
        with pytest.raises(RequestRefused, match=r"^HTTP 400: injected 400$"):
            asyncio.run(ask(generator(server.base_url)))
        assert len(server.requests) == 1


def test_model_not_served_is_named():
    with TeacherServer(lambda chat: "ok", model="other-model") as server:
        with pytest.raises(GeneratorError, match="'scripted-teacher' is not served.*other-model"):
            asyncio.run(ask(generator(server.base_url)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_down_at_start_fails_in_seconds(tmp_path, capsys):
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), ["right"])
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    status = main(
        ["run", "--model", "m", "--base-url", url, "--seeds", seeds, "--run-dir",
         str(tmp_path / "run"), "--no-progress"]
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert status == 1 and elapsed < 10
    err = capsys.readouterr().err
    assert f"teacher server not reachable at {url}/models" in err and "--base-url" in err


@pytest.mark.slow
def test_many_requests_in_flight_with_a_slow_teacher(tmp_path):
    """A teacher taking 0.3 s per answer keeps >= 8 requests in flight (the loop overlaps)."""
    names = [f"right-{i}" for i in range(16)]
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), names)
    with TeacherServer(scenarios.teacher, delay=0.3) as server:
        status = main(
            ["run", "--model", server.model, "--base-url", server.base_url, "--seeds", seeds,
             "--problems", "16", "--concurrency", "16", "--run-dir", str(tmp_path / "run"),
             "--no-progress"]
        )  # fmt: skip
    assert status == 0
    print("in flight at most:", server.in_flight_max)
    assert server.in_flight_max >= 8, server.in_flight_max
    assert len(server.answered()) == 32  # a problem and one passing answer each

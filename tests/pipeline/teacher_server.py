"""A real OpenAI-compatible HTTP server on 127.0.0.1, answered by a script (tests only).

    with TeacherServer(script, model="scripted", faults=[500, 429]) as server:
        ... --base-url server.base_url ...
    server.requests  # every chat-completions request received, in order

`faults` are HTTP statuses returned, in order, to the first POSTs (without calling the script).
`/v1/completions` (a base model's mode) calls the script with the prompt text.
`delay` makes every answer take that many seconds; `in_flight_max` is the most requests the server
held at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = Callable[[list[dict[str, str]]], "str | dict[str, Any]"]


def chat_key(messages: list[dict[str, str]]) -> str:
    """A digest of a conversation, to tell whether the same call was made twice."""
    text = json.dumps([[m["role"], m["content"]] for m in messages])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Request:
    messages: list[dict[str, str]]
    status: int
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        return chat_key(self.messages)


class TeacherServer:
    def __init__(
        self,
        script: Script,
        model: str = "scripted-teacher",
        faults: list[int] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.script = script
        self.model = model
        self.faults = list(faults or [])
        self.delay = delay
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.in_flight_max = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def answered(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.status == 200]

    def __enter__(self) -> TeacherServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: dict[str, Any], headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed mid-request: what the resume tests do

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": server.model}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") == "/v1/completions":
                    self._complete(body)
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                messages = body.get("messages", [])
                with server.lock:
                    fault = server.faults.pop(0) if server.faults else None
                    server.in_flight += 1
                    server.in_flight_max = max(server.in_flight_max, server.in_flight)
                try:
                    if fault is not None:
                        with server.lock:
                            server.requests.append(Request(messages, fault, body))
                        headers = {"Retry-After": "0"} if fault == 429 else None
                        self._send(fault, {"error": {"message": f"injected {fault}"}}, headers)
                        return
                    result = server.script(messages)
                    if isinstance(result, str):
                        result = {"content": result}
                    delay = result.get("delay", server.delay)
                    if delay:
                        time.sleep(delay)
                    content = result.get("content") or ""
                    with server.lock:
                        server.requests.append(Request(messages, 200, body))
                    prompt_tokens = sum(len(m["content"].split()) for m in messages)
                    self._send(
                        200,
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "model": body.get("model"),
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": content},
                                    "finish_reason": result.get("finish_reason", "stop"),
                                }
                            ],
                            "usage": {
                                "prompt_tokens": prompt_tokens,
                                "completion_tokens": len(content.split()),
                                "total_tokens": prompt_tokens + len(content.split()),
                            },
                        },
                    )
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _complete(self, body: dict[str, Any]) -> None:
                """/v1/completions: the script gets the prompt text; `stop` is honoured (as vLLM
                does: the text ends before the first stop sequence)."""
                prompt = body.get("prompt", "")
                with server.lock:
                    server.requests.append(
                        Request([{"role": "prompt", "content": prompt}], 200, body)
                    )
                result = server.script(prompt)
                content = result if isinstance(result, str) else result.get("content") or ""
                cuts = [i for i in (content.find(s) for s in body.get("stop") or []) if i >= 0]
                text = content[: min(cuts)] if cuts else content
                self._send(
                    200,
                    {
                        "id": "cmpl-test",
                        "object": "text_completion",
                        "model": body.get("model"),
                        "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 1},
                    },
                )

        return Handler

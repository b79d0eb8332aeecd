"""Setting up the Docker backend, without a daemon: the apt mirror debootstrap uses, and the errors
a user sees when Docker is not there."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sandbox import SetupRefused, Verifier, VerifyOptions
from sandbox.isolation import docker as docker_backend
from sandbox.isolation.docker_image import DEFAULT_MIRROR, apt_mirror

NO_DAEMON = "unix:///tmp/assay-no-daemon-here.sock"
NOT_REACHABLE = (
    "Docker daemon not reachable at /tmp/assay-no-daemon-here.sock: start it with `dockerd &` "
    "or use --sandbox process"
)


@pytest.mark.parametrize(
    ("files", "mirror"),
    [
        (
            {
                "debian.sources": (
                    "Types: deb\nURIs: http://mirror.example/debian\n"
                    "Suites: bookworm bookworm-updates\nComponents: main\n\n"
                    "Types: deb\nURIs: http://mirror.example/debian-security\n"
                    "Suites: bookworm-security\nComponents: main\n"
                )
            },
            "http://mirror.example/debian",
        ),
        (
            {
                "debian.sources": (
                    "Types: deb\nURIs: http://security.example/debian-security\n"
                    "Suites: bookworm-security\n"
                )
            },
            DEFAULT_MIRROR,
        ),
        (
            {
                "sources.list": (
                    "# a comment\ndeb-src http://src.example/debian bookworm main\n"
                    "deb [arch=amd64] http://list.example/debian/ bookworm main\n"
                )
            },
            "http://list.example/debian",
        ),
        (
            {"google.list": "deb https://packages.example/apt cloud-sdk main\n"},
            DEFAULT_MIRROR,
        ),
        (
            {
                "off.sources": (
                    "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n"
                )
            },
            DEFAULT_MIRROR,
        ),
        ({}, DEFAULT_MIRROR),
    ],
    ids=["deb822", "security-only", "one-line", "not-debian", "disabled", "none"],
)
def test_apt_mirror(tmp_path, files, mirror):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    patterns = (
        str(tmp_path / "sources.list"),
        str(tmp_path / "*.list"),
        str(tmp_path / "*.sources"),
    )
    assert apt_mirror(patterns) == mirror


def test_no_daemon_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", NO_DAEMON)
    with pytest.raises(SetupRefused) as refused:
        docker_backend._connect()
    assert str(refused.value) == NOT_REACHABLE


def test_verifier_refuses_before_any_work(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", NO_DAEMON)
    monkeypatch.setattr(docker_backend, "_client", None)
    with pytest.raises(SetupRefused, match="Docker daemon not reachable"):
        Verifier(VerifyOptions(sandbox="docker"))


def test_cli_says_how_to_fix_it(tmp_path):
    source = tmp_path / "in.jsonl"
    record = {"solution": "def f():\n    return 1\n", "tests": "def test_f():\n    pass\n"}
    source.write_text(json.dumps(record) + "\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "verify",
            str(source),
            "--sandbox",
            "docker",
            "--out",
            str(tmp_path / "out"),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_HOST": NO_DAEMON},
        timeout=120,
    )
    assert proc.returncode != 0
    assert NOT_REACHABLE in proc.stderr

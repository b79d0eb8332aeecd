"""What `pip install assay` gets: a wheel built from the tracked files carries every one of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("pipeline", "sandbox", "prompts")


def test_the_wheel_carries_every_file_of_the_packages(tmp_path):
    """The languages' harnesses, servers and lint configs are not Python: a wheel without them
    installs an assay whose every language but Python fails."""
    if shutil.which("git") is None or not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("needs a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *PACKAGES, "pyproject.toml", "README.md"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    tracked = [path for path in listed if path]
    source = tmp_path / "source"
    for path in tracked:  # as a fresh clone has them: no build leftovers, no bytecode
        os.makedirs(source / os.path.dirname(path), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, path), source / path)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = os.listdir(tmp_path / "wheel")
    names = set(zipfile.ZipFile(tmp_path / "wheel" / wheel).namelist())
    missing = [p for p in tracked if p.startswith(tuple(f"{n}/" for n in PACKAGES))]
    missing = [p for p in missing if p not in names]
    assert missing == []
    assert not [n for n in names if "__pycache__" in n]

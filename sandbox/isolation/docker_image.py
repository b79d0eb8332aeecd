"""Build the sandbox image `assay-sandbox:latest` from the Dockerfile beside this module.

The Dockerfile starts FROM a Debian base. Where Docker Hub answers, that is debian:bookworm-slim;
where it does not (CI here), it is a minimal Debian that debootstrap makes from the machine's
configured apt mirror, imported as assay-sandbox-base:latest. The choice is automatic, and an image
that exists is not built again unless the Dockerfile changed (`--rebuild` forces it).

    python -m sandbox.isolation.docker_image [--rebuild] [--base auto|hub|debootstrap]

Building the base needs root and debootstrap (`apt-get install debootstrap`).
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

IMAGE = "assay-sandbox:latest"  # also tagged by digest (`image`): checkouts with other toolchains coexist
HUB_BASE = "debian:bookworm-slim"
LOCAL_BASE = "assay-sandbox-base:latest"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-pytest", "python3-numpy")  # Python's; each language adds its own
DEFAULT_MIRROR = "http://deb.debian.org/debian"
SOURCES = (
    "/etc/apt/sources.list",
    "/etc/apt/sources.list.d/*.list",
    "/etc/apt/sources.list.d/*.sources",
)
TRIM = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/log",
)
DIGEST_LABEL = "assay.dockerfile"
LOCK = os.path.join(tempfile.gettempdir(), "assay-sandbox-image.lock")

Log = Callable[[str], None]


class ImageError(RuntimeError):
    """The image could not be built; the message says why and what to do."""


def _stderr(message: str) -> None:
    print(f"[sandbox-image] {message}", file=sys.stderr, flush=True)


def dockerfile() -> Path | None:
    """The Dockerfile beside this module (a checkout's, or an installed package's)."""
    path = Path(__file__).resolve().parent / "Dockerfile"
    return path if path.is_file() else None


def apt_mirror(patterns: tuple[str, ...] = SOURCES) -> str:
    """The first Debian archive (not the security one) that apt is configured with."""
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                text = Path(path).read_text()
            except OSError:
                continue
            if path.endswith(".sources"):
                stanzas = [s for s in re.split(r"\n\s*\n", text) if s.strip()]
                for stanza in stanzas:
                    fields = dict(
                        (k.strip().lower(), v.strip())
                        for k, _, v in (
                            line.partition(":") for line in stanza.splitlines() if ":" in line
                        )
                        if not k.startswith("#")
                    )
                    if fields.get("enabled", "yes").lower() == "no":
                        continue
                    for uri in fields.get("uris", "").split():
                        if _is_archive(uri, fields.get("suites", "")):
                            return uri.rstrip("/")
            else:
                for line in text.splitlines():
                    parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                    if len(parts) >= 3 and parts[0] == "deb" and _is_archive(parts[1], parts[2]):
                        return parts[1].rstrip("/")
    return DEFAULT_MIRROR


def _is_archive(uri: str, suites: str) -> bool:
    return (
        uri.startswith(("http://", "https://"))
        and "security" not in uri
        and "debian" in uri
        and any(not s.endswith(("-security", "-updates", "-backports")) for s in suites.split())
    )


def image_exists(client: Any, name: str) -> bool:
    return _image(client, name) is not None


def _image(client: Any, name: str) -> Any:
    import docker.errors

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def packages() -> list[str]:
    """The Debian packages the image holds: Python's, and every built-in language's toolchain
    (`sandbox.languages`: `Toolchain.debian`)."""
    from sandbox.languages import _BUILTIN, lookup

    found = set(PACKAGES)
    for name in _BUILTIN:
        found.update(lookup(name).toolchain.debian)
    return sorted(found)


def packages_digest() -> str:
    return hashlib.sha256(" ".join(packages()).encode()).hexdigest()[:12]


def local_base() -> str:
    """The debootstrapped base's name: one per package list, so a new language's toolchain makes
    a new base."""
    return f"{LOCAL_BASE.partition(':')[0]}:{packages_digest()}"


def dockerfile_digest() -> str | None:
    """A short hash of the Dockerfile and the package list, kept as a label, so that an edited
    Dockerfile or a new language's toolchain is built again."""
    source = dockerfile()
    if source is None:
        return None
    return hashlib.sha256(source.read_bytes() + packages_digest().encode()).hexdigest()[:16]


def image() -> str:
    """The image the containers run: the one built from this Dockerfile and package list (tagged
    by their digest), or IMAGE where the Dockerfile is missing."""
    digest = dockerfile_digest()
    return IMAGE if digest is None else f"{IMAGE.partition(':')[0]}:{digest}"


def image_current(client: Any) -> bool:
    """The image exists and was built from this Dockerfile (any IMAGE will do without one)."""
    return _image(client, image()) is not None


def _try_pull(client: Any, name: str, log: Log) -> bool:
    import docker.errors

    repository, _, tag = name.partition(":")
    log(f"pulling {name} ...")
    try:
        client.images.pull(repository, tag=tag or "latest")
        return True
    except docker.errors.DockerException as exc:
        log(f"cannot pull {name} ({str(exc).strip()[:200]}); making a base with debootstrap")
        return False


def debootstrap_base(client: Any, log: Log, mirror: str | None = None) -> str:
    """Make a minimal Debian rootfs with python3 and pytest and import it as LOCAL_BASE."""
    if os.geteuid() != 0:
        raise ImageError(
            "Docker Hub is unreachable and making a base image with debootstrap needs root: "
            "run `sudo make sandbox-image`, or load debian:bookworm-slim into Docker"
        )
    if shutil.which("debootstrap") is None:
        raise ImageError(
            "Docker Hub is unreachable and debootstrap is not installed: "
            "`apt-get install -y debootstrap`, then `make sandbox-image`"
        )
    mirror = mirror or apt_mirror()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="assay-rootfs-", dir="/var/tmp") as tmp:
        root = os.path.join(tmp, "rootfs")
        log(f"debootstrap --variant=minbase {SUITE} from {mirror} (a minute or two) ...")
        command = [
            "debootstrap",
            "--variant=minbase",
            "--include=" + ",".join(packages()),
            SUITE,
            root,
            mirror,
        ]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-8:]
            raise ImageError(
                f"debootstrap failed ({proc.returncode}) from {mirror}:\n  "
                + "\n  ".join(tail)
                + "\nFix: check that apt can reach that mirror (apt-get update)"
            )
        for path in TRIM:
            target = os.path.join(root, path)
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target, exist_ok=True)
        archive = os.path.join(tmp, "rootfs.tar")
        subprocess.run(["tar", "--numeric-owner", "-C", root, "-cf", archive, "."], check=True)
        shutil.rmtree(root, ignore_errors=True)
        name = local_base()
        log("importing the rootfs as " + name)
        repository, _, tag = name.partition(":")
        client.api.import_image_from_file(archive, repository=repository, tag=tag)
    log(f"base image made in {time.monotonic() - started:.0f} s")
    return name


def choose_base(client: Any, how: str, log: Log) -> str:
    """A base image that exists locally after this call: the hub's, or one made here."""
    if how in ("auto", "hub"):
        for name in (HUB_BASE, local_base()) if how == "auto" else (HUB_BASE,):
            if image_exists(client, name):
                return name
        if _try_pull(client, HUB_BASE, log):
            return HUB_BASE
        if how == "hub":
            raise ImageError(f"cannot pull {HUB_BASE}: use --base debootstrap")
    return debootstrap_base(client, log)


def build(client: Any, base: str, log: Log) -> None:
    source = dockerfile()
    if source is None:
        raise ImageError(
            f"{image()} is missing and there is no Dockerfile to build it from ({__file__} has "
            "none beside it): reinstall assay, or use --sandbox process"
        )
    # The build context is the Dockerfile alone: the image copies nothing of assay.
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        tar.add(str(source), arcname="Dockerfile")
    context.seek(0)
    log(f"building {image()} FROM {base} ...")
    error = None
    for chunk in client.api.build(
        fileobj=context,
        custom_context=True,
        tag=image(),
        buildargs={"BASE": base, "PACKAGES": " ".join(packages())},
        labels={DIGEST_LABEL: dockerfile_digest() or ""},
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
    ):
        if "error" in chunk:
            error = chunk["error"]
        elif chunk.get("stream", "").strip().startswith("Step "):
            log(chunk["stream"].strip())
    if error or not image_exists(client, image()):
        raise ImageError(f"docker build of {image()} failed: {error}")
    repository, _, tag = IMAGE.partition(":")
    client.api.tag(image(), repository, tag)  # the newest build is also IMAGE


def ensure_image(client: Any, rebuild: bool = False, how: str = "auto", log: Log = _stderr) -> str:
    """Make sure the image exists, building it (and its base) when it does not. Safe to call from
    several processes at once: one builds, the others wait for it."""
    if not rebuild and image_current(client):
        return image()
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not rebuild and image_current(client):
            return image()
        started = time.monotonic()
        base = choose_base(client, how, log)
        build(client, base, log)
        log(f"{image()} built in {time.monotonic() - started:.0f} s")
    return image()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build even if the image exists")
    parser.add_argument("--base", choices=("auto", "hub", "debootstrap"), default="auto")
    args = parser.parse_args(argv)
    from sandbox.isolation.docker import connect

    try:
        client = connect()
        name = ensure_image(client, rebuild=args.rebuild, how=args.base)
    except Exception as exc:  # every failure becomes one readable line
        _stderr(f"error: {exc}")
        return 1
    image = client.images.get(name)
    _stderr(f"{name} ready ({image.short_id}, {image.attrs.get('Size', 0) / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

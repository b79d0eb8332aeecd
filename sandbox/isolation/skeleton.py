"""The sandbox's root: a read-only skeleton with the interpreter and nothing else of the host.

Built once per worker in its private mount namespace; the worker then pivots into it, so the paths
a warm pytest session is configured with are the paths every sample sees.
"""

from __future__ import annotations

import glob
import os
import sys

from sandbox.isolation import linux

SANDBOX = "/sandbox"  # a run's tmpfs (`runs.py`)
WORK = "/sandbox/work"  # the sample's directory as the sample sees it
SANDBOX_USER = "sandbox"
# Where samples see the box cache: what languages build once for every sample (a precompiled
# header, a test framework's compiled main), read-only (`sandbox.languages.box_cache`).
BOX_CACHE = "/opt/assay"

# Host files the skeleton shows read-only under /etc: what the dynamic linker, time zones and TLS need.
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "ssl",
    "alternatives",
    "mime.types",
    "nsswitch.conf",
    "php",  # Debian's PHP loads its extensions (posix, mbstring, dom, ...) by its conf.d
)
# Toolchains' configuration under /etc, read-only: the JDK's (jvm.cfg, java.security) is there.
ETC_TOOLCHAINS = ("java-*",)
DEVICES = ("null", "zero", "full", "random", "urandom")


class SetupError(RuntimeError):
    """The kernel refused what isolation needs; the message names the cause and the fix."""


def interpreter_paths() -> list[str]:
    """The directories a sample needs: system libraries and this interpreter with its packages."""
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
    for prefix in {sys.base_prefix, sys.prefix, sys.exec_prefix}:
        paths.append(prefix)
    paths.append(os.path.dirname(os.path.realpath(sys.executable)))
    paths += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    chosen: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths if os.path.lexists(p)}, key=len):
        if not any(path == c or path.startswith(c.rstrip("/") + "/") for c in chosen):
            chosen.append(path)
    return chosen


# Where the skeleton puts something of its own: an interpreter path there would be hidden or refused.
BOX_OWNED = ("/proc", "/dev", "/etc", SANDBOX, BOX_CACHE)


def refuse_hidden_paths(paths: list[str]) -> None:
    """A SetupError naming an interpreter path the sandbox's root cannot show at its own place:
    under a directory the skeleton makes its own (/dev/shm is a link to the run's /tmp there), or
    above one (a prefix of /opt would leave no room for the box cache). /tmp is not among them: a
    path under it is bound into each run's /tmp (`boxes.py`)."""
    for path in paths:
        for owned in BOX_OWNED:
            if path == owned or path.startswith(owned + "/") or owned.startswith(path + "/"):
                raise SetupError(
                    f"the Python environment's {path} cannot be shown to samples at its own path: "
                    f"the sandbox's root keeps {owned} for itself. Fix: install the environment "
                    "elsewhere (under /srv, /home or /tmp, say), or use "
                    "--sandbox docker, or accept weaker isolation with --isolation weak"
                )


def mountpoint() -> str:
    """A fixed, never-removed directory to mount the skeleton on in our private mount namespace.

    Removing a directory that is a mount point in another namespace detaches that mount there, so
    a per-worker directory could not be cleaned up while a worker runs; one shared directory that
    only ever serves as a mount point leaves nothing behind. Call it before entering a user
    namespace: inside, every user is uid 0.
    """
    path = os.path.join(os.environ.get("TMPDIR") or "/tmp", f".assay-mnt-{os.geteuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not os.path.isdir(path) or os.path.islink(path) or info.st_uid != os.geteuid():
        raise SetupError(f"{path} is not a directory owned by this user: remove it and retry")
    return path


def enter_namespaces(userns: bool) -> None:
    """A private mount namespace for the worker (and a user namespace when not root)."""
    try:
        if userns:
            uid, gid = os.geteuid(), os.getegid()
            linux.unshare(linux.CLONE_NEWUSER | linux.CLONE_NEWNS)
            linux.write_id_maps("self", f"0 {uid} 1", f"0 {gid} 1")
        else:
            linux.unshare(linux.CLONE_NEWNS)
        linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    except OSError as exc:
        hint = (
            "unprivileged user namespaces are off: enable them "
            "(sysctl -w kernel.unprivileged_userns_clone=1, or "
            "kernel.apparmor_restrict_unprivileged_userns=0), or run assay as root"
            if userns
            else "the kernel refused a new mount namespace (a container without CAP_SYS_ADMIN?): "
            "run assay on the host or in a privileged container"
        )
        raise SetupError(
            f"cannot isolate samples: {exc}. Fix: {hint}; or --isolation weak"
        ) from exc


def build_skeleton(uid: int, root: str, box_cache: str | None = None) -> None:
    """Build the read-only root every sample sees and move the worker into it (pivot_root).

    `uid` is the sample's uid as /etc/passwd inside should name it. The skeleton's /proc is that of
    the caller's pid namespace: it is mounted while the host's /proc is still in view, as the kernel
    demands of a mount made inside a user namespace."""
    paths = interpreter_paths()
    refuse_hidden_paths(paths)
    linux.mount("tmpfs", root, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=4m,mode=0755")
    for path in paths:
        target = root + path
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), target)
            continue
        os.makedirs(target, exist_ok=True)
        linux.bind_readonly(path, target)
    if box_cache and os.path.isdir(box_cache):
        target = root + BOX_CACHE
        os.makedirs(target, exist_ok=True)
        linux.bind_readonly(box_cache, target)
    for name in ("proc", "dev", "tmp", "sandbox", ".old", "etc"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
    flags = linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC
    linux.mount("proc", os.path.join(root, "proc"), "proc", flags)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    toolchains = [os.path.basename(p) for g in ETC_TOOLCHAINS for p in glob.glob(f"/etc/{g}")]
    for name in (*ETC_FILES, *sorted(toolchains)):
        src = os.path.join("/etc", name)
        if not os.path.exists(src):
            continue
        dst = os.path.join(root, "etc", name)
        if os.path.isdir(src):
            os.makedirs(dst)
        else:
            open(dst, "w").close()
        linux.bind_readonly(src, dst)
    etc = {
        "passwd": f"root:x:0:0:root:/root:/bin/sh\n{SANDBOX_USER}:x:{uid}:{uid}::{WORK}:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "group": f"root:x:0:\n{SANDBOX_USER}:x:{uid}:\nnogroup:x:65534:\n",
        "hostname": "sandbox\n",
        "hosts": "127.0.0.1 localhost sandbox\n::1 localhost\n",
    }
    for name, text in etc.items():
        with open(os.path.join(root, "etc", name), "w") as fh:
            fh.write(text)
    dev = os.path.join(root, "dev")
    for name in DEVICES:
        open(os.path.join(dev, name), "w").close()
        linux.mount(f"/dev/{name}", os.path.join(dev, name), None, linux.MS_BIND)
    for name, target in (
        ("shm", "/tmp"),  # a run's tmp is bound on /tmp
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, os.path.join(dev, name))
    os.makedirs(os.path.join(root, WORK.lstrip("/")))
    linux.mount(None, root, None, linux.MS_REMOUNT | linux.MS_RDONLY | linux.MS_NOSUID)
    # The worker itself moves in, so that the warm pytest session is configured with the
    # very paths a sample sees (/sandbox/work), and drops the host's mounts: each sample's
    # mount namespace is then a copy of a dozen mounts, not of the host's whole table.
    # Cgroups stay reachable through directory descriptors opened before.
    os.chdir(root)
    linux.pivot_root(".", ".old")
    linux.umount2("/.old", linux.MNT_DETACH)
    os.chdir(WORK)

"""The few Linux system calls isolation needs that Python 3.11's `os` lacks, through libc."""

from __future__ import annotations

import _socket  # not socket.py: what it adds (enum, selectors) would only grow the fork servers
import ctypes
import errno
import fcntl
import os
import struct
import sys

# The C library through the interpreter's own symbols (no ctypes.util: it imports subprocess).
_libc = ctypes.CDLL(None, use_errno=True)
# The same, called with the GIL held: fork(2) must not run while another thread holds it.
_libc_gil = ctypes.PyDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38


def _check(result: int, what: str) -> int:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def fork_single_threaded() -> int:
    """fork(2) for a process with one thread, without `os.fork`'s Python fork hooks: they rebuild
    the state of threads and locks that a single-threaded parent does not have (threading's and
    logging's take ~0.7 ms and ~170 pages in a large interpreter), and the child pays for every
    page they touch. The one hook with an effect the child can see, `random`'s reseed, is done
    here. Call it only where no other thread can exist (`is_single_threaded`)."""
    pid = _libc_gil.fork()
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"fork: {os.strerror(err)}")
    if pid == 0:
        rng = sys.modules.get("random")
        if rng is not None:
            rng.seed()
    return pid


def is_single_threaded() -> bool:
    return len(os.listdir("/proc/self/task")) == 1


def capabilities() -> dict[str, int]:
    """This process's capability sets (CapInh, CapPrm, CapEff, CapBnd, CapAmb), from /proc."""
    with open("/proc/self/status") as fh:
        return {
            key: int(value, 16)
            for key, _, value in (line.partition(":") for line in fh)
            if key.startswith("Cap")
        }


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None
) -> None:
    _check(
        _libc.mount(
            None if source is None else source.encode(),
            target.encode(),
            None if fstype is None else fstype.encode(),
            ctypes.c_ulong(flags),
            None if data is None else data.encode(),
        ),
        f"mount {fstype or source} on {target}",
    )


def bind_readonly(source: str, target: str) -> None:
    """Bind `source` on `target`, then remount the bind read-only, nosuid, nodev."""
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
    try:
        mount(None, target, None, flags)
    except OSError as exc:
        # Inside a user namespace a locked flag (e.g. noexec of the source) must be kept.
        if exc.errno != errno.EPERM:
            raise
        mount(None, target, None, flags | MS_NOEXEC)


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    SYS_pivot_root = 155 if os.uname().machine == "x86_64" else 41  # aarch64: 41
    _check(_libc.syscall(SYS_pivot_root, new_root.encode(), put_old.encode()), "pivot_root")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, len(raw)), "sethostname")


def loopback_up() -> None:
    """Bring `lo` up in a fresh network namespace, so code can talk to itself and nothing else."""
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        ifreq = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))
    finally:
        sock.close()


NETWORK_STATE = ("/proc/net/snmp", "/proc/net/snmp6", "/proc/net/unix")


def network_fingerprint() -> bytes:
    """The packet counters and Unix socket table of this process's network namespace: equal to a
    fresh namespace's once every process of a sample is gone, unless a packet was ever sent (and a
    TCP connection may linger in TIME_WAIT) or a Unix socket outlived its owner."""
    parts = []
    for path in NETWORK_STATE:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # no IPv6
            parts.append(b"-")
            continue
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(fd)
        parts.append(b"".join(chunks))
    return b"\0".join(parts)


def write_id_maps(pid: int | str, uid_map: str, gid_map: str) -> None:
    """Write a user namespace's maps; `setgroups` is denied first, as unprivileged maps need."""
    base = f"/proc/{pid}"
    try:
        with open(f"{base}/setgroups", "w") as fh:
            fh.write("deny")
    except FileNotFoundError:
        pass
    with open(f"{base}/uid_map", "w") as fh:
        fh.write(uid_map)
    with open(f"{base}/gid_map", "w") as fh:
        fh.write(gid_map)


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (capset, version 3). A uid
    change clears them only when it leaves uid 0: a process that made a user namespace holds every
    capability in it whatever its uid there."""
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = bytes(24)  # two {effective, permitted, inheritable} words, all zero
    _check(_libc.capset(header, data), "capset")

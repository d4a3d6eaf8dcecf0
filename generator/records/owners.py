"""Which process is filing a reservation, and whether it is still alive.

A reservation names its owner as host|boot|pid|start. On the same machine and since the same
boot, the owner is alive while a process with that pid and start time runs. On PostgreSQL the
owner also holds an advisory lock for as long as its connection lives, which answers the
question for every machine (see `Index._owner_alive`).
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path


@functools.cache
def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "-"


def _stat(pid: int) -> list[str]:
    """Fields 3… of /proc/PID/stat (Linux): state, ppid, …; empty where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # the command name (field 2) may hold spaces and parentheses; fields after it are plain
    return stat.rsplit(")", 1)[1].split()


def start_time(pid: int) -> str:
    """The process's start, in clock ticks since boot, so a reused pid is not taken for the
    process that died."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else "-"


def this_process() -> str:
    return _owner(os.getpid())  # by pid: a forked worker is an owner of its own


@functools.cache
def _owner(pid: int) -> str:
    return f"{socket.gethostname()}|{boot_id()}|{pid}|{start_time(pid)}"


def alive(owner: str) -> bool | None:
    """True or False when this machine can tell; None for a process on another machine."""
    try:
        host, boot, pid_text, start = owner.split("|")
        pid = int(pid_text)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    if boot != boot_id():
        return False  # the machine restarted since
    if os.name == "nt":
        return None  # os.kill(pid, 0) would signal the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, but another user's
    fields = _stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # killed, waiting only for its parent to collect it
    return start == "-" or start_time(pid) in (start, "-")

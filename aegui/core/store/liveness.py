"""Whether a run's writer is alive, never from a PID alone: a lock its process holds, else the PID with the
process's start time and PID namespace, else a heartbeat."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .store_safety import FileLock, fcntl


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    try:  # the command name may hold spaces or ')': the fields start after the last ')'
        return int(stat[stat.rindex(b")") + 2:].split()[19])
    except (ValueError, IndexError):
        return None


def _pid_namespace() -> str | None:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return None


def process_identity(pid: int | None = None) -> str | None:
    """'namespace:start-ticks' for a process (this one by default); None where /proc cannot tell."""
    pid = os.getpid() if pid is None else pid
    start, ns = _start_ticks(pid), _pid_namespace()
    return None if start is None or ns is None else f"{ns}:{start}"


_LIVE: dict[str, tuple[str, FileLock]] = {}


def live_token(store_path) -> str:
    """This process's liveness token for a store: it holds an exclusive flock on `<store>.live/<token>`
    for as long as it lives, so any process on this machine, in any PID namespace, can tell it is alive."""
    key = str(Path(store_path).resolve())
    if key in _LIVE and _LIVE[key][1].fd is not None:
        return _LIVE[key][0]
    import uuid
    token = uuid.uuid4().hex
    try:
        folder = Path(f"{store_path}.live")
        folder.mkdir(exist_ok=True)
        lock = FileLock(folder / token)
        if not lock.try_lock(True):
            return ""
    except OSError:
        return ""  # no lock possible here: PID and start time still tell
    _LIVE[key] = (token, lock)
    import atexit
    atexit.register(_drop_live, lock)
    return token


def _drop_live(lock: FileLock) -> None:
    """At a clean exit, remove this process's lock file (a killed process's is removed by the next checker)."""
    try:
        lock.path.unlink()
    except OSError:
        pass
    lock.release()


def _token_alive(store_path, token: str) -> bool | None:
    """True/False when the token's lock file decides; None when there is none to ask."""
    if fcntl is None or not token:
        return None
    path = Path(f"{store_path}.live") / token
    if not path.exists():
        return None
    lock = FileLock(path)
    try:
        if not lock.try_lock(True):
            return True
        try:
            path.unlink()  # its owner is gone; the lock file served its purpose
        except OSError:
            pass
        return False
    except OSError:
        return None
    finally:
        lock.release()


def run_identity(store_path) -> str:
    """What a new run records about the process writing it: 'namespace:start-ticks:token'."""
    return f"{process_identity() or ':'}:{live_token(store_path)}"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def writer_alive(pid, identity: str | None, updated: float, stale_seconds: float, now: float | None = None,
                 store_path=None) -> bool:
    """Whether the process that recorded a running run (on this host) may still be writing it.

    The lock its process holds decides first (it is released by the kernel on any death, in any PID
    namespace). Without one, a PID from this namespace must exist and have started when the run's process
    did (PID reuse, PID 1 in a container). From another namespace only a heartbeat within stale_seconds
    proves life: a PID that cannot be seen from here proves nothing.
    """
    now = time.time() if now is None else now
    heartbeat = isinstance(updated, (int, float)) and now - updated <= stale_seconds
    parts = str(identity).split(":") if identity else []
    if len(parts) == 3 and store_path is not None:
        by_lock = _token_alive(store_path, parts[2])
        if by_lock is not None:
            return by_lock
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return heartbeat
    if len(parts) >= 2 and parts[1]:
        if parts[0] != _pid_namespace():
            return heartbeat
        return str(_start_ticks(pid)) == parts[1]
    return _pid_exists(pid)

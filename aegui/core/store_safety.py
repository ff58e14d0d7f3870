"""What the run store needs to survive faults: telling corruption from a full disk, locks that let
concurrent openers agree on one move aside, and liveness that never rests on a PID alone."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; one opener at a time is the user's to ensure there
    fcntl = None

# SQLite's primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
CORRUPT_CODES = (SQLITE_CORRUPT, SQLITE_NOTADB)


def lock_wait_seconds() -> float:
    """How long to wait for a store another aegui holds: AEGUI_LOCK_TIMEOUT seconds, else 30."""
    try:
        return max(0.0, float(os.environ.get("AEGUI_LOCK_TIMEOUT", "30")))
    except ValueError:
        return 30.0


def kind_of(exc: BaseException) -> str:
    """'corrupt', 'full', 'readonly', 'permission', 'locked' or 'io' for a SQLite or OS error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary in CORRUPT_CODES:
            return "corrupt"
        return {SQLITE_FULL: "full", SQLITE_READONLY: "readonly", SQLITE_PERM: "permission",
                SQLITE_CANTOPEN: "permission", SQLITE_BUSY: "locked", SQLITE_LOCKED: "locked"}.get(primary, "io")
    text = str(exc).lower()  # Python before 3.11, or an error raised by aegui itself
    for needle, kind in (("malformed", "corrupt"), ("not a database", "corrupt"), ("quick_check", "corrupt"),
                         ("integrity", "corrupt"), ("disk is full", "full"), ("no space", "full"),
                         ("readonly", "readonly"), ("read-only", "readonly"), ("permission", "permission"),
                         ("unable to open", "permission"), ("locked", "locked"), ("busy", "locked")):
        if needle in text:
            return kind
    errno_ = getattr(exc, "errno", None)
    if errno_ == 28:
        return "full"
    if errno_ in (1, 13):
        return "permission"
    if errno_ == 30:
        return "readonly"
    return "io"


REASONS = {"full": "the disk is full", "readonly": "it is read-only", "permission": "permission was denied",
           "locked": "another program holds it locked", "io": "the system could not read or write it",
           "corrupt": "it is damaged"}


def explain(path, exc: BaseException) -> str:
    """One line: which store, why it cannot be used, and SQLite's or the system's own words."""
    kind = kind_of(exc)
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"the run store {path} cannot be used: {REASONS[kind]} ({detail}); it was left as it is"


class FileLock:
    """An flock on a small file beside the store; a no-op where flock does not exist."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None
        self.mode = 0

    def _open(self) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)

    def try_lock(self, exclusive: bool) -> bool:
        """Take (or convert) the lock without waiting; True when held."""
        if fcntl is None:
            return True
        self._open()
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(self.fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.mode = mode
        return True

    def lock(self, exclusive: bool, on_wait=None, timeout: float | None = None) -> bool:
        """Take the lock, calling on_wait() once if another process holds it; False after timeout seconds."""
        timeout = lock_wait_seconds() if timeout is None else timeout
        deadline, told = time.monotonic() + timeout, False
        while not self.try_lock(exclusive):
            if not told and on_wait is not None:
                on_wait()
                told = True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def release(self) -> None:
        """Drop the lock and close its file."""
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd, self.mode = None, 0


# ---------------------------------------------------------------- liveness

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


# ---------------------------------------------------------------- opening, and moving a damaged file aside

class StoreFault(Exception):
    """The store cannot be used; environment says whether the system (not the user's input) is to blame."""

    def __init__(self, message: str, environment: bool = True):
        super().__init__(message)
        self.environment = environment


def _checked(path: Path, connect):
    """(connection, None) when the file opens and checks out, (None, error) when SQLite calls it corrupt."""
    try:
        return connect(), None
    except sqlite3.DatabaseError as exc:
        if kind_of(exc) != "corrupt":
            raise StoreFault(explain(path, exc)) from None
        return None, exc


def open_checked(path: Path, connect, on_wait=None):
    """Open the store through connect(), moving it aside only for real corruption; (db, notice, users_lock).

    Every checked opener holds a shared lock on `<store>.users` while connected. A damaged file is moved
    under an exclusive lock on `<store>.lock`, re-checked once that lock is held (another opener may have
    moved it already), and only when no other aegui has it open: a finished run never lands in a file
    that was moved aside.
    """
    gate, users = FileLock(Path(f"{path}.lock")), FileLock(Path(f"{path}.users"))
    try:
        if not gate.lock(False, on_wait):
            raise StoreFault(f"the run store {path} is held by another aegui; gave up after {lock_wait_seconds():g} s")
        db, damage = _checked(path, connect)
        if db is not None:
            users.lock(False)  # shared: only a mover, holding the gate, ever asks for it exclusively
            return db, "", users
        gate.release()
        if not gate.lock(True, on_wait):
            raise StoreFault(f"the run store {path} is damaged ({damage}) and another aegui is opening it; "
                             f"gave up after {lock_wait_seconds():g} s")
        db, damage = _checked(path, connect)  # another opener may have moved it while we waited
        if db is not None:
            users.lock(False)
            return db, "", users
        if not users.try_lock(True):
            raise StoreFault(f"the run store {path} is damaged ({damage}), but another aegui still has it open; "
                             "close it, then try again (nothing was moved)")
        target = move_aside(path)
        db = connect()
        users.try_lock(False)  # downgrade: others may use the new file now
        return db, (f"the run store {path} was damaged ({damage}); it was moved to {target} "
                    "and a new one started"), users
    except BaseException:
        users.release()
        raise
    finally:
        gate.release()


def move_aside(path: Path) -> Path:
    """Rename the store (and its -wal, -shm) to a fresh `.corrupt-STAMP` name; never overwrite a copy."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{target}{suffix}"))
    return target


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes: mode=ro, else immutable (a store whose folder cannot be written)."""
    from urllib.parse import quote
    last: BaseException | None = None
    for query in ("mode=ro", "immutable=1"):
        db = None
        try:
            db = sqlite3.connect(f"file:{quote(str(path))}?{query}", uri=True, timeout=1.0)
            db.execute("SELECT count(*) FROM runs").fetchone()
            return db
        except sqlite3.Error as exc:
            last = exc
            if db is not None:
                db.close()
    raise StoreFault(explain(path, last))

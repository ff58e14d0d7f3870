"""What the run store needs to survive faults: telling corruption from a full disk, and locks that let
concurrent openers agree on one move aside (liveness lives in liveness.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from types import ModuleType

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: no flock; one opener at a time is the user's to ensure there
    fcntl = None

# SQLite's primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26
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

    # Hand-written, not the `filelock` package (4.3.1 checked): its FileLock is exclusive only, and its
    # ReadWriteLock (a SQLite transaction) raises on a change of mode. The store needs shared flocks that every
    # opener holds (`.users`), a mover's exclusive lock downgraded to shared in place once a damaged file is
    # moved aside (open_checked), and a probe of another process's lock that the kernel drops when it dies
    # (liveness.py). On Windows no lock is taken: one opener at a time is the user's to ensure there.

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None
        self.mode = 0

    def _open(self) -> int:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        return self.fd

    def try_lock(self, exclusive: bool) -> bool:
        """Take (or convert) the lock without waiting; True when held."""
        if fcntl is None:
            return True
        fd = self._open()
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
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
            db.row_factory = sqlite3.Row  # as RunStore's own connection: rows are read by column name
            db.execute("SELECT count(*) FROM runs").fetchone()
            return db
        except sqlite3.Error as exc:
            last = exc
            if db is not None:
                db.close()
    assert last is not None  # the loop returns or records why
    raise StoreFault(explain(path, last))

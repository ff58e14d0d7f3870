"""The run store: one SQLite file (WAL) holding every run's config, status, losses and epoch means.

RunStore opens (checking, migrating, waiting out locks) and writes; its reads are RunReader's (store_read.py),
the tables are in store_schema.py, and the end-of-run rewrite of a run's chunks in store_compact.py.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import platformdirs

from ..config import config_io
from . import liveness
from . import store_safety as safety
from ..config.config import RunConfig
from .blobs import blob
from ..floors.floors import Floor, headline, is_exact
from .store_compact import compact, refresh_summary, summary_values
from .store_read import RunReader
from .store_schema import STATUSES, create_schema
from ..config.vocab import Status

DB_NAME = "runs.sqlite"
STALE_SECONDS = 120.0  # a 'running' run from another host with no heartbeat this long is interrupted


class StoreError(RuntimeError):
    """The store cannot be opened or written; the message says where and why.

    environment: True when the system is to blame (full disk, permission, lock: exit 1), False for input.
    """

    def __init__(self, message: str, environment: bool = True):
        super().__init__(message)
        self.environment = environment


def default_data_dir() -> Path:
    """AEGUI_DATA_DIR, else the platform's per-user data folder (platformdirs): on Linux $XDG_DATA_HOME/aegui
    or ~/.local/share/aegui, on macOS ~/Library/Application Support/aegui, on Windows %APPDATA%\\aegui."""
    env = os.environ.get("AEGUI_DATA_DIR")
    if env:
        return Path(env).expanduser()
    # roaming: %APPDATA% (Roaming), where aegui has always stored runs on Windows, not %LOCALAPPDATA%.
    return Path(platformdirs.user_data_dir("aegui", appauthor=False, roaming=True))


def versions() -> dict:
    """Versions of aegui, torch and numpy, for reproducing a run."""
    from ... import __version__
    import torch
    return {"aegui": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


def _retrying(write):
    """Make a store write wait out another aegui's lock (saying so) and fail as one StoreError."""
    @functools.wraps(write)
    def wrapper(self, *args, **kwargs):
        return self._retry(lambda: write(self, *args, **kwargs))
    return wrapper


WAITING = "waiting for the store (held by another aegui)"


def say_waiting() -> None:
    """Tell the user, on stderr, that another aegui holds the store and this one waits."""
    print(f"aegui: {WAITING}", file=sys.stderr, flush=True)


class RunStore(RunReader):
    """A connection to the run store; use one per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | os.PathLike, check: bool = True, read_only: bool = False, on_wait=say_waiting):
        """Connect to the store file; check=False for another connection to a store this process opened.

        The first open checks the file (quick_check, whose time grows with the file), moves it aside only
        when SQLite reports corruption, and marks dead writers' runs interrupted; later connections (a
        worker thread's) skip both. read_only opens without writing anything (a full or read-only disk).
        Raises StoreError, whose `environment` says whether the system rather than the input is to blame.
        """
        self.path = Path(path)
        self.notice = ""  # set when a corrupt file was moved aside, or the store opened read-only
        self.read_only = read_only
        self.on_wait = on_wait
        self._users = None
        try:
            if read_only:
                self.db = safety.connect_read_only(self.path)
            elif check:
                self._connect()
            else:
                self.db = self._try_connect(quick_check=False)
        except safety.StoreFault as exc:
            raise StoreError(str(exc), exc.environment) from None
        except sqlite3.Error as exc:
            raise StoreError(safety.explain(self.path, exc)) from None

    @classmethod
    def open(cls, data_dir: str | os.PathLike | None = None, read_only_ok: bool = False) -> RunStore:
        """Open (creating if needed) the store in data_dir or the default data folder.

        read_only_ok: when the store cannot be written (full disk, permission, read-only), open it for
        reading, with the reason in `notice`, instead of raising.
        """
        folder = Path(data_dir) if data_dir else default_data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {folder}: {exc.strerror or exc}", False) from None
        path = folder / DB_NAME
        if not os.access(folder, os.W_OK):
            if read_only_ok and path.is_file():
                return cls._reading_only(path, f"the data folder {folder} is not writable")
            raise StoreError(f"the data folder {folder} is not writable; choose another with --data-dir "
                             "or AEGUI_DATA_DIR", False)
        try:
            return cls(path)
        except StoreError as exc:
            if not (read_only_ok and exc.environment and path.is_file() and "held by another" not in str(exc)):
                raise
            return cls._reading_only(path, str(exc))

    @classmethod
    def _reading_only(cls, path: Path, why: str) -> RunStore:
        store = cls(path, read_only=True)
        store.notice = f"{why}; opened read-only: runs are listed, nothing can be stored"
        return store

    def _connect(self) -> None:
        self.db, self.notice, self._users = safety.open_checked(self.path, self._try_connect, self.on_wait)
        try:
            self._mark_interrupted()
            self._repair_summaries()
        except sqlite3.Error:
            pass  # a full or read-only disk: the runs still list; they are marked at the next open

    def _try_connect(self, quick_check: bool = True) -> sqlite3.Connection:
        # A short busy timeout: _retry waits longer, and tells the user it is waiting.
        db = sqlite3.connect(self.path, timeout=1.0)
        db.row_factory = sqlite3.Row  # stored rows are read by column name (store_rows.py)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives an application crash
            if quick_check and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":  # one unnamed column
                exc = sqlite3.DatabaseError("quick_check failed")
                exc.sqlite_errorcode = safety.SQLITE_CORRUPT  # type: ignore[attr-defined]  # as SQLite's own would
                raise exc
            create_schema(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _retry(self, write):
        """Run a write, waiting (and saying so) while another aegui holds the lock; StoreError on any failure."""
        deadline = None
        while True:
            try:
                return write()
            except sqlite3.Error as exc:
                if safety.kind_of(exc) != "locked":
                    raise StoreError(safety.explain(self.path, exc).replace("; it was left as it is", "")) from None
                if deadline is None:
                    deadline = time.monotonic() + safety.lock_wait_seconds()
                    if self.on_wait:
                        self.on_wait()
                if time.monotonic() >= deadline:
                    raise StoreError(f"the run store {self.path} is held by another aegui; gave up after "
                                     f"{safety.lock_wait_seconds():g} s") from None

    def _mark_interrupted(self) -> None:
        host, now = socket.gethostname(), time.time()
        rows = self.db.execute("SELECT run_id, pid, host, updated, proc FROM runs WHERE status='running'").fetchall()
        me = f"{liveness.process_identity() or ':'}:"
        # Dead: not this process's own run, and no sign of its writer (its lock, PID and start time, or, from
        # another host, a recent heartbeat).
        dead = [r["run_id"] for r in rows
                if not (r["host"] == host and r["pid"] == os.getpid() and str(r["proc"]).startswith(me))
                and not (liveness.writer_alive(r["pid"], r["proc"], r["updated"], STALE_SECONDS, now, self.path)
                         if r["host"] == host else
                         isinstance(r["updated"], (int, float)) and now - r["updated"] <= STALE_SECONDS)]
        if dead:
            with self.db:
                self.db.executemany("UPDATE runs SET status='interrupted' WHERE run_id=?", [(i,) for i in dead])
            for run_id in dead:
                refresh_summary(self, run_id)

    def _repair_summaries(self) -> None:
        """Ended runs whose summary is missing (stored by an aegui that compacted before it summed up, and
        was killed in between) get it from their curves."""
        rows = self.db.execute("SELECT run_id FROM runs WHERE status IN ('finished', 'cancelled') "
                               "AND final_loss IS NULL AND batches > 0 AND stop_reason IS NOT 'diverged'").fetchall()
        for row in rows:
            refresh_summary(self, row["run_id"])

    # ------------------------------------------------------------ writing

    @_retrying
    def create_run(self, config: RunConfig, *, device: str, floors: list[Floor], copies: int = 1,
                   group_name: str | None = None) -> int:
        """Insert a new running run with its floors (see floors.py) and return its id."""
        now = time.time()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO runs(name, status, config, created, updated, device, "
                "versions, copies, pid, host, group_name, proc) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.unique_name(config.label()), Status.RUNNING, config_io.to_json(config, indent=None), now, now,
                 device, json.dumps(versions()), copies, os.getpid(), socket.gethostname(), group_name,
                 liveness.run_identity(self.path)))
            run_id = cur.lastrowid
            assert run_id is not None  # an INSERT's row
            self._write_floors(run_id, floors)
        return run_id

    def set_floors(self, run_id: int, floors: list[Floor]) -> None:
        """Replace a run's floors (a model floor solved in the background has arrived)."""
        with self.db:
            self._write_floors(run_id, floors)

    def _write_floors(self, run_id: int, floors: list[Floor]) -> None:
        # floor / floor_exact / floor_basis keep the tightest exact-or-bound floor, for older readers.
        top = headline(floors)
        value = top.value if top is not None else None
        self.db.execute("UPDATE runs SET floors=?, floor=?, floor_exact=?, floor_basis=? WHERE run_id=?",
                        (json.dumps([f.to_dict() for f in floors]), value,
                         int(is_exact(top)), top.basis if top else None, run_id))

    def unique_name(self, base: str) -> str:
        """base, or 'base (2)', 'base (3)', …: repeated runs of one config must be told apart in the table."""
        taken = {r["name"] for r in self.db.execute("SELECT name FROM runs WHERE substr(name, 1, ?) = ?",
                                                (len(base), base))}
        n = 1
        name = base
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        return name

    @_retrying
    def write_progress(self, run_id: int, start_step: int, losses: np.ndarray, epochs: list[tuple],
                       seconds: float, floors: np.ndarray | None = None) -> None:
        """Append a block of per-batch losses (and BCE batch floors) and finished epochs in one transaction."""
        with self.db:
            if len(losses):
                block = np.ascontiguousarray(losses, dtype=np.float32)
                self.db.execute("INSERT OR REPLACE INTO loss_chunks(run_id, start_step, n, data, floors) "
                                "VALUES(?,?,?,?,?)", (run_id, start_step, len(block), block.tobytes(), blob(floors)))
            self.db.executemany("INSERT OR REPLACE INTO epochs VALUES(?,?,?,?,?,?)",
                                [(run_id, *e) for e in epochs])
            self.db.execute("UPDATE runs SET updated=?, seconds=?, batches=?, epochs=MAX(epochs, ?) WHERE run_id=?",
                            (time.time(), seconds, start_step + len(losses),
                             max([e[0] + 1 for e in epochs], default=0), run_id))

    @_retrying
    def finish_run(self, run_id: int, status: str, stop_reason: str | None, end=None, error: str | None = None,
                   compact_now: bool = True):
        """Record the end of a run with its summary (final loss, lowest epoch loss, batches) in one transaction,
        then compact its losses (compact_run) unless compact_now is False.

        The summary is written before the compaction: a finished run is finished, with its summary, whatever
        happens to the compaction (a kill, a full disk, Ctrl-C), which is an optimisation."""
        if status not in STATUSES:
            raise ValueError(f"status {status!r}: must be one of {', '.join(STATUSES)}")
        fields: dict = {"status": status, "stop_reason": stop_reason, "error": error, "updated": time.time()}
        if end is not None:
            fields.update(seconds=end.seconds, batches=end.batches, epochs=end.epochs,
                          batches_per_s=end.batches_per_s,
                          eval_loss=end.eval_loss if np.isfinite(end.eval_loss) else None,
                          saturated=end.saturated if np.isfinite(getattr(end, "saturated", np.nan)) else None,
                          copy_final=json.dumps([float(v) for v in end.copy_final])
                          if end.copy_final is not None else None)
        fields.update(summary_values(self, run_id, end))
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.db:
            self.db.execute(f"UPDATE runs SET {sets} WHERE run_id=?", (*fields.values(), run_id))
        if compact_now:
            self.compact_run(run_id)

    def compact_run(self, run_id: int, progress=None, stop=None) -> str | None:
        """Join and pack an ended run's loss chunks (store_compact.compact: one transaction per group, so an
        interrupted one is rolled back by SQLite and the run keeps its whole curve). None when done, else why
        not: a failure (a full disk) is returned, never raised, since the run is stored already.

        progress(done, total) and stop() as for compact; KeyboardInterrupt passes through.
        """
        try:
            return None if compact(self, run_id, progress=progress, stop=stop) else "stopped by the user"
        except (sqlite3.Error, OSError) as exc:
            detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            return f"{safety.REASONS[safety.kind_of(exc)]} ({detail})"

    @_retrying
    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new display name."""
        with self.db:
            self.db.execute("UPDATE runs SET name=? WHERE run_id=?", (str(name)[:200], run_id))

    @_retrying
    def set_notes(self, run_id: int, notes: str) -> None:
        """Replace a run's free-text notes."""
        with self.db:
            self.db.execute("UPDATE runs SET notes=? WHERE run_id=?", (str(notes), run_id))

    @_retrying
    def delete(self, run_id: int) -> None:
        """Remove a run and its curves."""
        with self.db:
            for table in ("loss_chunks", "epochs", "runs"):
                self.db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))

    def close(self) -> None:
        """Close the connection (and let a mover of a damaged store proceed)."""
        self.db.close()
        if self._users is not None:
            self._users.release()

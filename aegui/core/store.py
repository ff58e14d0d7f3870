"""The run store: one SQLite file (WAL) holding every run's config, status, losses and epoch means."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import config as config_mod
from . import config_io
from .config import RunConfig
from .floors import Floor, find, headline

DB_NAME = "runs.sqlite"
STATUSES = ("running", "finished", "cancelled", "interrupted", "failed")
STALE_SECONDS = 120.0  # a 'running' run from another host with no heartbeat this long is interrupted

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs(
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL, status TEXT NOT NULL, stop_reason TEXT, config TEXT NOT NULL,
  created REAL NOT NULL, updated REAL NOT NULL, seconds REAL DEFAULT 0,
  batches INTEGER DEFAULT 0, epochs INTEGER DEFAULT 0,
  final_loss REAL, min_epoch_loss REAL, floor REAL, floor_exact INTEGER, floor_basis TEXT,
  device TEXT, versions TEXT, notes TEXT DEFAULT '', copies INTEGER DEFAULT 1,
  batches_per_s REAL, pid INTEGER, host TEXT, error TEXT, group_name TEXT, copy_final TEXT,
  floors TEXT, eval_loss REAL);
CREATE TABLE IF NOT EXISTS loss_chunks(
  run_id INTEGER NOT NULL, start_step INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
  floors BLOB, PRIMARY KEY(run_id, start_step)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs(
  run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, epoch_mean REAL, recent_mean REAL,
  step INTEGER, seconds REAL, PRIMARY KEY(run_id, epoch)) WITHOUT ROWID;
"""

_LIST_COLUMNS = ("run_id, name, status, stop_reason, config, created, seconds, batches, epochs, final_loss, "
                 "min_epoch_loss, floor, floor_exact, device, notes, copies, batches_per_s, error, "
                 "group_name, copy_final, versions, floors, eval_loss")


class StoreError(RuntimeError):
    """The store cannot be opened or written; the message says where and why."""


@dataclass(frozen=True)
class RunRow:
    """One stored run's summary, without its loss curve."""

    run_id: int
    name: str
    status: str
    stop_reason: str | None
    config: RunConfig
    created: float
    seconds: float
    batches: int
    epochs: int
    final_loss: float | None
    min_epoch_loss: float | None
    floor: float | None
    floor_exact: bool
    device: str
    notes: str
    copies: int
    batches_per_s: float | None = None
    error: str | None = None
    group_name: str | None = None
    copy_final: list | None = None
    versions: dict | None = None
    floors: list = field(default_factory=list)  # [Floor], the run's floors with their claims
    eval_loss: float | None = None  # the final model on every row; None for failed and killed runs

    @property
    def gap(self) -> float | None:
        """eval_loss − floor: how far the final model sits above the tightest exact-or-bound floor."""
        if self.eval_loss is None or self.floor is None:
            return None
        return self.eval_loss - self.floor

    def floor_value(self, name: str) -> float | None:
        """The value of the floor called name ('data', 'model', …), or None."""
        found = find(self.floors, name)
        return found.value if found is not None else None

    @property
    def optimizer_gap(self) -> float | None:
        """eval_loss − model floor: what the optimizer left; None without both."""
        model = self.floor_value("model")
        return None if model is None or self.eval_loss is None else self.eval_loss - model


def default_data_dir() -> Path:
    """AEGUI_DATA_DIR, else the platform's per-user data folder."""
    env = os.environ.get("AEGUI_DATA_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "aegui"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "aegui"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "aegui"


def versions() -> dict:
    """Versions of aegui, torch and numpy, for reproducing a run."""
    from .. import __version__
    import torch
    return {"aegui": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class RunStore:
    """A connection to the run store; use one per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | os.PathLike, check: bool = True):
        """Connect to the store file; check=False for another connection to a store this process opened.

        The first open checks the file (quick_check, whose time grows with the file), moves a damaged one
        aside and marks dead writers' runs interrupted; later connections (a worker thread's) skip both.
        """
        self.path = Path(path)
        self.notice = ""  # set when a corrupt file was moved aside
        if check:
            self._connect()
        else:
            self.db = self._try_connect(quick_check=False)

    @classmethod
    def open(cls, data_dir: str | os.PathLike | None = None) -> "RunStore":
        """Open (creating if needed) the store in data_dir or the default data folder."""
        folder = Path(data_dir) if data_dir else default_data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {folder}: {exc.strerror or exc}") from None
        if not os.access(folder, os.W_OK):
            raise StoreError(f"the data folder {folder} is not writable; choose another with --data-dir "
                             "or AEGUI_DATA_DIR")
        return cls(folder / DB_NAME)

    def _connect(self) -> None:
        try:
            self.db = self._try_connect()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreError(f"the run store {self.path} is locked by another program") from None
            self._move_aside(exc)
            self.db = self._try_connect()
        self._mark_interrupted()

    def _try_connect(self, quick_check: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives an application crash
            if quick_check and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            db.executescript(_SCHEMA)
            _migrate(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _move_aside(self, exc: Exception) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():  # never overwrite an earlier copy
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                os.replace(side, Path(str(target) + suffix))
        self.notice = f"the run store {self.path} was damaged ({exc}); it was moved to {target} and a new one started"

    def _mark_interrupted(self) -> None:
        host, now = socket.gethostname(), time.time()
        rows = self.db.execute("SELECT run_id, pid, host, updated FROM runs WHERE status='running'").fetchall()
        dead = [r[0] for r in rows
                if (r[2] == host and r[1] != os.getpid() and not _pid_alive(r[1]))
                or (r[2] != host and now - r[3] > STALE_SECONDS)]
        if dead:
            with self.db:
                self.db.executemany("UPDATE runs SET status='interrupted' WHERE run_id=?", [(i,) for i in dead])
            for run_id in dead:
                self._refresh_summary(run_id)

    # ------------------------------------------------------------ writing

    def create_run(self, config: RunConfig, *, device: str, floors: list[Floor], copies: int = 1,
                   group_name: str | None = None) -> int:
        """Insert a new running run with its floors (see floors.py) and return its id."""
        now = time.time()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO runs(name, status, config, created, updated, device, "
                "versions, copies, pid, host, group_name) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (self.unique_name(config.label()), "running", config_io.to_json(config, indent=None), now, now,
                 device, json.dumps(versions()), copies, os.getpid(), socket.gethostname(), group_name))
            run_id = int(cur.lastrowid)
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
                         int(top is not None and top.claim == "exact"), top.basis if top else None, run_id))

    def unique_name(self, base: str) -> str:
        """base, or 'base (2)', 'base (3)', …: repeated runs of one config must be told apart in the table."""
        taken = {r[0] for r in self.db.execute("SELECT name FROM runs WHERE substr(name, 1, ?) = ?",
                                                (len(base), base))}
        n = 1
        name = base
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        return name

    def write_progress(self, run_id: int, start_step: int, losses: np.ndarray, epochs: list[tuple],
                       seconds: float, floors: np.ndarray | None = None) -> None:
        """Append a block of per-batch losses (and BCE batch floors) and finished epochs in one transaction."""
        with self.db:
            if len(losses):
                block = np.ascontiguousarray(losses, dtype=np.float32)
                self.db.execute("INSERT OR REPLACE INTO loss_chunks VALUES(?,?,?,?,?)",
                                (run_id, start_step, len(block), block.tobytes(), _blob(floors)))
            self.db.executemany("INSERT OR REPLACE INTO epochs VALUES(?,?,?,?,?,?)",
                                [(run_id, *e) for e in epochs])
            self.db.execute("UPDATE runs SET updated=?, seconds=?, batches=?, epochs=MAX(epochs, ?) WHERE run_id=?",
                            (time.time(), seconds, start_step + len(losses),
                             max([e[0] + 1 for e in epochs], default=0), run_id))

    def finish_run(self, run_id: int, status: str, stop_reason: str | None, end=None, error: str | None = None):
        """Record the end of a run and compact its losses into large chunks."""
        if status not in STATUSES:
            raise ValueError(f"status {status!r}: must be one of {', '.join(STATUSES)}")
        fields: dict = {"status": status, "stop_reason": stop_reason, "error": error, "updated": time.time()}
        if end is not None:
            fields.update(seconds=end.seconds, batches=end.batches, epochs=end.epochs,
                          batches_per_s=end.batches_per_s,
                          eval_loss=end.eval_loss if np.isfinite(end.eval_loss) else None,
                          copy_final=json.dumps([float(v) for v in end.copy_final])
                          if end.copy_final is not None else None)
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.db:
            self.db.execute(f"UPDATE runs SET {sets} WHERE run_id=?", (*fields.values(), run_id))
        self._compact(run_id)
        self._refresh_summary(run_id, end)

    def _compact(self, run_id: int, size: int = 65536) -> None:
        # Slow runs commit small blocks; one rewrite at the end keeps the curve near 4 bytes a batch.
        losses, floors = self.losses(run_id), self.batch_floors(run_id)
        with self.db:
            self.db.execute("DELETE FROM loss_chunks WHERE run_id=?", (run_id,))
            for start in range(0, len(losses), size):
                block = losses[start:start + size]
                part = floors[start:start + size] if floors is not None else None
                self.db.execute("INSERT INTO loss_chunks VALUES(?,?,?,?,?)",
                                (run_id, start, len(block), block.tobytes(), _blob(part)))

    def _refresh_summary(self, run_id: int, end=None) -> None:
        means = self.epoch_means(run_id)
        finite = means[np.isfinite(means)]
        final = end.final_loss if end is not None else (float(means[-1]) if len(means) else None)
        if final is None or not np.isfinite(final):
            # No finished epoch: the mean of the batches trained, as the engine's own RunEnd would give.
            losses = self.losses(run_id)
            per_batch = np.median(losses, axis=1) if losses.ndim > 1 else losses
            finite_b = per_batch[np.isfinite(per_batch)]
            final = float(finite_b.astype(np.float64).mean()) if len(finite_b) else None
        low = float(finite.min()) if len(finite) else final
        with self.db:
            self.db.execute("UPDATE runs SET final_loss=?, min_epoch_loss=?, batches=? WHERE run_id=?",
                            (final, low, self._batch_count(run_id), run_id))

    def _batch_count(self, run_id: int) -> int:
        return int(self.db.execute("SELECT COALESCE(SUM(n), 0) FROM loss_chunks WHERE run_id=?",
                                   (run_id,)).fetchone()[0])

    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new display name."""
        with self.db:
            self.db.execute("UPDATE runs SET name=? WHERE run_id=?", (str(name)[:200], run_id))

    def set_notes(self, run_id: int, notes: str) -> None:
        """Replace a run's free-text notes."""
        with self.db:
            self.db.execute("UPDATE runs SET notes=? WHERE run_id=?", (str(notes), run_id))

    def delete(self, run_id: int) -> None:
        """Remove a run and its curves."""
        with self.db:
            for table in ("loss_chunks", "epochs", "runs"):
                self.db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))

    # ------------------------------------------------------------ reading

    def list_runs(self) -> list[RunRow]:
        """Every stored run, newest first."""
        rows = self.db.execute(f"SELECT {_LIST_COLUMNS} FROM runs ORDER BY run_id DESC").fetchall()
        return [_row(r) for r in rows]

    def get_run(self, run_id: int) -> RunRow:
        """One run's summary; KeyError when there is no such run."""
        r = self.db.execute(f"SELECT {_LIST_COLUMNS} FROM runs WHERE run_id=?", (int(run_id),)).fetchone()
        if r is None:
            raise KeyError(run_id)
        return _row(r)

    def losses(self, run_id: int) -> np.ndarray:
        """Per-batch losses, float32: shape (batches,) or (batches, copies) for a seed band."""
        copies = self.db.execute("SELECT copies FROM runs WHERE run_id=?", (run_id,)).fetchone()
        k = copies[0] if copies else 1
        blobs = self.db.execute("SELECT data FROM loss_chunks WHERE run_id=? ORDER BY start_step",
                                (run_id,)).fetchall()
        flat = np.frombuffer(b"".join(b[0] for b in blobs), dtype=np.float32).copy()
        return flat.reshape(-1, k) if k > 1 else flat

    def batch_floors(self, run_id: int) -> np.ndarray | None:
        """Each batch's own BCE floor (its targets' mean entropy), float32; None for other losses."""
        blobs = self.db.execute("SELECT floors FROM loss_chunks WHERE run_id=? ORDER BY start_step",
                                (run_id,)).fetchall()
        if not blobs or any(b[0] is None for b in blobs):
            return None
        return np.frombuffer(b"".join(b[0] for b in blobs), dtype=np.float32).copy()

    def epoch_means(self, run_id: int) -> np.ndarray:
        """Mean loss of each finished epoch."""
        rows = self.db.execute("SELECT epoch_mean FROM epochs WHERE run_id=? ORDER BY epoch", (run_id,)).fetchall()
        return np.array([r[0] for r in rows], dtype=np.float64)

    def epochs(self, run_id: int) -> list[tuple]:
        """(epoch, epoch_mean, recent_mean, step, seconds) for each finished epoch."""
        return self.db.execute("SELECT epoch, epoch_mean, recent_mean, step, seconds FROM epochs "
                               "WHERE run_id=? ORDER BY epoch", (run_id,)).fetchall()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()


def _blob(values) -> bytes | None:
    return None if values is None else np.ascontiguousarray(values, dtype=np.float32).tobytes()


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store written by an earlier aegui up to this schema, adding columns only."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(loss_chunks)")}
    if "floors" not in columns:
        db.execute("ALTER TABLE loss_chunks ADD COLUMN floors BLOB")
    columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
    for name, kind in (("floors", "TEXT"), ("eval_loss", "REAL")):
        if name not in columns:
            db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")


def _row(r: tuple) -> RunRow:
    try:
        cfg = config_io.from_json(r[4])
    except config_mod.ConfigError:
        cfg = RunConfig(name=r[1])  # a row from a newer schema still lists
    return RunRow(run_id=r[0], name=r[1], status=r[2], stop_reason=r[3], config=cfg, created=r[5],
                  seconds=r[6] or 0.0, batches=r[7] or 0, epochs=r[8] or 0, final_loss=r[9],
                  min_epoch_loss=r[10], floor=r[11], floor_exact=bool(r[12]), device=r[13] or "",
                  notes=r[14] or "", copies=r[15] or 1, batches_per_s=r[16], error=r[17], group_name=r[18],
                  copy_final=json.loads(r[19]) if r[19] else None, versions=json.loads(r[20]) if r[20] else None,
                  floors=_floors(r[21], cfg, r[11], bool(r[12])), eval_loss=r[22])


def _floors(text: str | None, cfg: RunConfig, value: float | None, exact: bool) -> list[Floor]:
    """A row's floors; a run stored before floors had claims gets its one floor named by what it was."""
    if text:
        try:
            return [Floor.from_dict(d) for d in json.loads(text)]
        except (ValueError, TypeError):
            return []
    if value is None:
        return []
    if cfg.loss.kind in ("bce", "bce_logits") or value == 0:
        return [Floor("data", value, "lower bound", "stored by an earlier aegui")]
    if exact:
        return [Floor("data", 0.0, "lower bound", f"{cfg.loss.kind} is never negative"),
                Floor("model", value, "exact", "stored by an earlier aegui: the PCA floor of a linear model")]
    return [Floor("data", 0.0, "lower bound", f"{cfg.loss.kind} is never negative"),
            Floor("linear (PCA)", value, "reference", "stored by an earlier aegui")]

"""The run store's tables, the columns a run's summary is read from, and the migration of older stores."""

from __future__ import annotations

import sqlite3

from ..config.vocab import Status

STATUSES = tuple(Status)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs(
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL, status TEXT NOT NULL, stop_reason TEXT, config TEXT NOT NULL,
  created REAL NOT NULL, updated REAL NOT NULL, seconds REAL DEFAULT 0,
  batches INTEGER DEFAULT 0, epochs INTEGER DEFAULT 0,
  final_loss REAL, min_epoch_loss REAL, floor REAL, floor_exact INTEGER, floor_basis TEXT,
  device TEXT, versions TEXT, notes TEXT DEFAULT '', copies INTEGER DEFAULT 1,
  batches_per_s REAL, pid INTEGER, host TEXT, error TEXT, group_name TEXT, copy_final TEXT, proc TEXT,
  floors TEXT, eval_loss REAL, saturated REAL);
CREATE TABLE IF NOT EXISTS loss_chunks(
  run_id INTEGER NOT NULL, start_step INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
  floors BLOB, codec INTEGER, PRIMARY KEY(run_id, start_step)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs(
  run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, epoch_mean REAL, recent_mean REAL,
  step INTEGER, seconds REAL, PRIMARY KEY(run_id, epoch)) WITHOUT ROWID;
"""

LIST_COLUMNS = ("run_id, name, status, stop_reason, config, created, seconds, batches, epochs, final_loss, "
                "min_epoch_loss, floor, floor_exact, device, notes, copies, batches_per_s, error, "
                "group_name, copy_final, versions, floors, eval_loss, saturated")


def create_schema(db: sqlite3.Connection) -> None:
    """Create the tables a new store lacks, and migrate an older store's."""
    db.executescript(SCHEMA)
    migrate(db)


def migrate(db: sqlite3.Connection) -> None:
    """Bring a store written by an earlier aegui up to this schema, adding columns only."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(loss_chunks)")}
    if "floors" not in columns:
        db.execute("ALTER TABLE loss_chunks ADD COLUMN floors BLOB")
    if "codec" not in columns:
        db.execute("ALTER TABLE loss_chunks ADD COLUMN codec INTEGER")  # NULL: raw float32 (blobs.py)
    if "proc" not in {r[1] for r in db.execute("PRAGMA table_info(runs)")}:
        db.execute("ALTER TABLE runs ADD COLUMN proc TEXT")  # the writer's identity: see store_safety
    columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
    for name, kind in (("floors", "TEXT"), ("eval_loss", "REAL"), ("saturated", "REAL")):
        if name not in columns:
            db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")

"""The run store's read side: stored runs' summaries and curves, read over one sqlite3 connection."""

from __future__ import annotations

import sqlite3

import numpy as np

from . import store_query
from .blobs import floats, unpack
from .store_rows import RunRow, parse_row
from .store_schema import LIST_COLUMNS, STATUSES


class RunReader:
    """Reads runs from the connection in self.db; RunStore (store.py) opens that connection and writes."""

    db: sqlite3.Connection

    def list_runs(self) -> list[RunRow]:
        """Every stored run, newest first."""
        rows = self.db.execute(f"SELECT {LIST_COLUMNS} FROM runs ORDER BY run_id DESC").fetchall()
        return [parse_row(r, STATUSES) for r in rows]

    def ordered_ids(self, text: str = "", sort: str | None = None, descending: bool = False) -> list[tuple[int, str]]:
        """(run_id, stamp) of the runs matching text, ordered in SQL (store_query.ordered_ids)."""
        return store_query.ordered_ids(self.db, text, sort, descending)

    def rows_by_id(self, run_ids, cache: dict | None = None) -> dict[int, RunRow]:
        """The RunRows of these runs, by id: a page of the results table, never the whole store (cache: see
        store_query.rows_by_id)."""
        return store_query.rows_by_id(self.db, run_ids, cache)

    def haystacks(self, below: int | None = None, limit: int = 500, run_ids=None) -> list[tuple[int, str]]:
        """(run_id, the text a filter searches) for a slice of runs, newest first (store_query.haystacks)."""
        return store_query.haystacks(self.db, below, limit, run_ids)

    def running_ids(self) -> set[int]:
        """Ids of the runs stored as 'running' (training now, or paused)."""
        return store_query.running_ids(self.db)

    def get_run(self, run_id: int) -> RunRow:
        """One run's summary; KeyError when there is no such run."""
        r = self.db.execute(f"SELECT {LIST_COLUMNS} FROM runs WHERE run_id=?", (int(run_id),)).fetchone()
        if r is None:
            raise KeyError(run_id)
        return parse_row(r, STATUSES)

    def copies(self, run_id: int) -> int:
        """How many copies (seeds) the run trained; 1 for a single run, or a missing or damaged count."""
        row = self.db.execute("SELECT copies FROM runs WHERE run_id=?", (run_id,)).fetchone()
        k = row["copies"] if row is not None else None
        return k if isinstance(k, int) and k > 0 else 1

    def losses(self, run_id: int) -> np.ndarray:
        """Per-batch losses, float32: shape (batches,) or (batches, copies) for a seed band."""
        k = self.copies(run_id)
        rows = self.db.execute("SELECT data, codec FROM loss_chunks WHERE run_id=? ORDER BY start_step",
                               (run_id,)).fetchall()
        flat = floats(rows)
        return flat[:len(flat) // k * k].reshape(-1, k) if k > 1 else flat

    def loss_chunks(self, run_id: int, first: int | None = None, stop: int | None = None):
        """(losses, batch floors or None) of each stored chunk in order, one chunk in memory at a time: a long
        seed band is drawn (figures/envelope.py) without holding its whole curve.

        first, stop: only batches first..stop-1 (the chunks holding them, cut to them): a zoomed stretch."""
        k = self.copies(run_id)
        spans = [(r["start_step"], r["n"]) for r in self.db.execute(
            "SELECT start_step, n FROM loss_chunks WHERE run_id=? ORDER BY start_step", (run_id,))]
        if first is None and stop is None:
            yield from self._chunks(run_id, k, [s for s, _ in spans])
            return
        lo, hi = first or 0, stop if stop is not None else float("inf")
        done = 0  # batches are counted as stored (chunks in order), as losses() joins them
        wanted = []
        for start, n in spans:
            n = n if isinstance(n, int) and n > 0 else 0
            if done < hi and done + n > lo:
                wanted.append((start, done))
            done += n
        for (losses, floors), (_, at) in zip(self._chunks(run_id, k, [s for s, _ in wanted]), wanted):
            a, b = max(lo - at, 0), max(min(hi - at, len(losses)), 0)
            yield losses[a:b], None if floors is None else floors[a:b]

    def _chunks(self, run_id: int, k: int, starts: list):
        for start in starts:  # one query per chunk: no cursor stays open across the caller's work
            row = self.db.execute("SELECT data, codec FROM loss_chunks WHERE run_id=? AND start_step=?",
                                  (run_id, start)).fetchone()
            if row is None:
                continue
            raw = unpack(row["data"], row["codec"])
            flat = np.frombuffer(raw[:len(raw) - len(raw) % 4], dtype=np.float32)  # read-only, not copied
            del row
            losses = flat[:len(flat) // k * k].reshape(-1, k) if k > 1 else flat
            floors = self.db.execute("SELECT floors, codec FROM loss_chunks WHERE run_id=? AND start_step=?",
                                     (run_id, start)).fetchone()
            yield losses, None if floors is None or floors["floors"] is None else floats([floors])

    def batch_floors(self, run_id: int) -> np.ndarray | None:
        """Each batch's own BCE floor (its targets' mean entropy), float32; None for other losses."""
        rows = self.db.execute("SELECT floors, codec FROM loss_chunks WHERE run_id=? ORDER BY start_step",
                               (run_id,)).fetchall()
        if not rows or any(r["floors"] is None for r in rows):
            return None
        return floats(rows)

    def epoch_means(self, run_id: int) -> np.ndarray:
        """Mean loss of each finished epoch."""
        rows = self.db.execute("SELECT epoch_mean FROM epochs WHERE run_id=? ORDER BY epoch", (run_id,)).fetchall()
        return np.array([r["epoch_mean"] for r in rows], dtype=np.float64)

    def epochs(self, run_id: int) -> list[tuple]:
        """(epoch, epoch_mean, recent_mean, step, seconds) for each finished epoch, as sqlite3.Rows (by name)."""
        return self.db.execute("SELECT epoch, epoch_mean, recent_mean, step, seconds FROM epochs "
                               "WHERE run_id=? ORDER BY epoch", (run_id,)).fetchall()

    def value_counts(self, run_ids) -> dict[int, int]:
        """How many values (batches × seeds) each run has stored, by its row: what reading its whole curve costs."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        # From the runs' own batch counts: summing their chunks walks every chunk's row (60 ms for a big run).
        rows = self.db.execute(f"SELECT run_id, MAX(COALESCE(batches, 0), 0) * MAX(COALESCE(copies, 1), 1) FROM runs "
                               f"WHERE run_id IN ({marks})", ids).fetchall()
        return {int(i): int(v or 0) for i, v in rows}

    def batch_count(self, run_id: int) -> int:
        """How many batches of losses are stored for the run."""
        return int(self.db.execute("SELECT COALESCE(SUM(n), 0) AS n FROM loss_chunks WHERE run_id=?",
                                   (run_id,)).fetchone()["n"])

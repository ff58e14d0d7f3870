"""Stored curves for the comparison plot, read so that selecting a run never stalls the GUI thread.

A selection's curves are read on the GUI thread only while they are small (SYNC_VALUES values in all). A
larger run (a 1,000,000-batch × 64-seed band is 256 MB of float32) is shown at once by its legend row, and
read in a background thread, a chunk at a time, into what the plot draws of it: an envelope of
BUCKETS × 2 points (figures/envelope.py), per seed band its median and min–max. Memory follows the plot, not
the curve. A newer selection or view supersedes a read in progress (it stops at its next chunk). Zooming in
reads the zoomed stretch again at the same resolution, so detail appears where the view is.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PySide6 import QtCore

from ..core.store.store import RunStore, StoreError
from .figures.envelope import BUCKETS, reduce_curve
from .plots.comparison_plot import MAX_CURVES, run_x
from .plots.curves import RunCurve
from .plots.view_rule import batch_floor_offset, first_zero, run_floor

SYNC_VALUES = 2_000_000  # stored values (batches × seeds) a selection may read on the GUI thread: ~30 ms
ZOOM_DELAY_MS = 150      # a zoom or view change settles this long before the stretch is read again
FINER = 0.5              # read a zoomed stretch again when it shows less than this share of the run


class Cancelled(Exception):
    """A read was superseded: a newer selection or view wants other curves."""


class ReducedLosses:
    """A stored run's curve as the comparison draws it: its length, where it reached 0, and an envelope read for
    one view (smoothing, excess), with a finer one over the zoomed stretch when there is one.

    len() is the run's batch count, as for an array of its losses; `pending` until the first read arrives."""

    def __init__(self, n: int):
        self.n = int(n)
        self.zero: int | None = None
        self.key = None       # (smoothing, excess) the envelope was read for
        self.coarse = None    # (index, series, subtracted) over the whole run
        self.fine: Any = None  # (first, stop, key, (index, series, subtracted)) over a zoomed stretch

    def __len__(self) -> int:
        return self.n

    @property
    def pending(self) -> bool:
        """No envelope read yet."""
        return self.coarse is None

    def envelope(self) -> tuple[np.ndarray, list[np.ndarray], bool]:
        """(batch indices, [mid] or [mid, lo, hi], floor subtracted): the coarse envelope, with the finer
        stretch in place of its points there."""
        if self.coarse is None:
            return np.zeros(0), [np.zeros(0)], False
        index, series, subtracted = self.coarse
        if self.fine is None or self.fine[2] != self.key:
            return index, series, subtracted
        first, stop, _, (f_index, f_series, _) = self.fine
        before, after = index < first, index >= stop
        return (np.concatenate((index[before], f_index, index[after])),
                [np.concatenate((s[before], f, s[after])) for s, f in zip(series, f_series)], subtracted)

    def step(self, first: float, stop: float) -> float:
        """Batches per drawn point between first and stop: 1 where every batch is drawn."""
        index = self.envelope()[0]
        inside = np.count_nonzero((index >= first) & (index < stop))
        return max(float(stop - first), 1.0) / max(int(inside), 1)


def read_envelope(store, run_id: int, smoothing: int, excess: bool, buckets: int = BUCKETS,
                  span: tuple[int, int] | None = None, cancel: threading.Event | None = None) -> dict:
    """What the comparison draws of a stored run, read a chunk at a time: its envelope for this view (over
    batches span[0]..span[1]-1, or all of them), and, reading all, where it reached 0."""
    row = store.get_run(run_id)
    n = store.batch_count(run_id)
    shift, _ = run_floor(getattr(row, "floors", None), row.floor)
    offset = None
    if excess and shift is not None:
        floors = store.batch_floors(run_id)  # n float32s at most: bounded by the batches, not the seeds
        if floors is not None and len(floors) == n:
            offset = batch_floor_offset(row.floors, floors, shift)
        del floors
    first, stop = (0, n) if span is None else (max(0, int(span[0])), min(n, int(span[1])))
    warm = max(0, first - max(1, int(smoothing)) + 1)  # the trailing mean's window before the stretch
    zero: list = [None, 0]

    def chunks():
        for losses, floors in store.loss_chunks(run_id, warm if span else None, stop if span else None):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            if span is None and zero[0] is None and len(losses):
                hit = first_zero(np.asarray(losses).reshape(len(losses), -1).min(axis=1))
                zero[0] = None if hit is None else zero[1] + hit
            zero[1] += len(losses)
            yield losses, floors
    index, series, subtracted = reduce_curve(chunks(), stop - warm, smoothing, offset, buckets)
    index = index + warm
    if warm < first:
        keep = index >= first
        index, series = index[keep], [s[keep] for s in series]
    return {"run_id": run_id, "n": n, "zero": zero[0], "span": span, "key": (int(smoothing), bool(excess)),
            "envelope": (index, series, offset is not None and subtracted)}


def open_for_reading(path) -> RunStore:
    """A store connection of a reading thread's own (sqlite connections are per thread); read-only where the
    disk is full or read-only, since reading needs no write."""
    try:
        return RunStore(path, check=False)
    except StoreError:
        return RunStore(path, read_only=True)


def figure_envelopes(rows_and_losses, view: dict, cancel: threading.Event | None = None) -> list:
    """rows_and_losses with each curve read a chunk at a time (export.StoredLosses) replaced by its envelope
    for this view (ReducedLosses): what a saved figure draws of it. Run in a background thread, so saving a
    1,000,000-batch × 64-seed run does not freeze the window; raises Cancelled when cancel is set."""
    from .figures.export import StoredLosses
    big = [item for item in rows_and_losses if isinstance(item[1], StoredLosses)]
    if not big:
        return list(rows_and_losses)
    smoothing, excess = int(view.get("smoothing", 1) or 1), bool(view.get("excess", False))
    store = open_for_reading(big[0][1].store.path)
    try:
        read = {}
        for _, losses in big:
            got = read_envelope(store, losses.run_id, smoothing, excess, BUCKETS, None, cancel)
            reduced = ReducedLosses(got["n"])
            reduced.zero, reduced.key, reduced.coarse = got["zero"], got["key"], got["envelope"]
            read[losses.run_id] = reduced
    finally:
        store.close()
    return [RunCurve(item[0], read[item[1].run_id], getattr(item, "floors", None))
            if isinstance(item[1], StoredLosses) else item for item in rows_and_losses]


class _Read(QtCore.QRunnable):
    """One background read: several runs' envelopes, one run at a time, on its own store connection."""

    def __init__(self, job: dict, done):
        super().__init__()
        self.job, self.done = job, done

    def run(self) -> None:  # noqa: D102 - QRunnable's
        job, results = self.job, []
        try:
            store = open_for_reading(job["path"])
            try:
                for run_id in job["run_ids"]:
                    results.append(read_envelope(store, run_id, job["smoothing"], job["excess"], job["buckets"],
                                                 job.get("spans", {}).get(run_id), job["cancel"]))
            finally:
                store.close()
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - reported to the plot, never lost in a thread
            job["error"] = f"{type(exc).__name__}: {exc}"
        job["results"] = results
        self.done(job)


class StoredComparison(QtCore.QObject):
    """Binds a ComparisonPlot to a run store: shows selections, reads big curves in the background, and reads
    them again when the view's smoothing, excess mode or zoom asks for another envelope."""

    sigRead = QtCore.Signal(object)   # a finished read (a job dict), delivered to the GUI thread
    sigShown = QtCore.Signal()        # every selected curve is drawn (its envelope read, for big runs)

    def __init__(self, plot, store, parent=None):
        super().__init__(parent)
        self.plot, self.store = plot, store
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one read at a time: a superseded one ends at its next chunk
        self.job: dict | None = None
        self.error: str | None = None
        self._parsed: dict = {}  # stored row → RunRow: reselecting a run does not parse its config again
        self.sigRead.connect(self._read)
        self._zoom = QtCore.QTimer(self, singleShot=True, interval=ZOOM_DELAY_MS)
        self._zoom.timeout.connect(self._reread)
        plot.sigViewChanged.connect(self._zoom.start)
        plot.plot_item.vb.sigXRangeChanged.connect(self._zoom.start)
        plot.prepare()  # the first selection of many runs then fills items made while idle

    def show(self, run_ids, total: int | None = None) -> list:
        """Draw these stored runs (the first MAX_CURVES): small curves now, big ones when read. The pairs drawn."""
        self._cancel()
        ids = list(run_ids)[:MAX_CURVES]
        counts = self.store.value_counts(ids)
        rows = self.store.rows_by_id(ids, self._parsed)
        budget, pairs, big = SYNC_VALUES, [], []
        for run_id in ids:
            if run_id not in rows:
                continue
            values = counts.get(run_id, 0)
            if values <= budget:
                budget -= values
                # The row already parsed (a config's JSON and checks cost ~2 ms a run), its curve read now.
                pairs.append(RunCurve(rows[run_id], self.store.losses(run_id), self.store.batch_floors(run_id)))
            else:
                pairs.append(RunCurve(rows[run_id], ReducedLosses(rows[run_id].batches)))  # its read counts them
                big.append(run_id)
        self.plot.set_runs(pairs, total=len(run_ids) if total is None else total)
        if big:
            self._start(big)
        else:
            self.sigShown.emit()
        return pairs

    def busy(self) -> bool:
        """A read is under way."""
        return self.job is not None

    def shutdown(self) -> None:
        """Stop any read and wait for its thread (the window is closing)."""
        self._zoom.stop()
        self._cancel()
        self.pool.waitForDone(10_000)

    # ---------------------------------------------------------------- reads

    def _buckets(self) -> int:
        """Two points a pixel of the plot's width, as the figures' envelope (at least BUCKETS)."""
        width = self.plot.plot_item.vb.width() * self.plot.devicePixelRatioF()
        return max(BUCKETS, int(width))

    def _start(self, run_ids, spans: dict | None = None) -> None:
        self._cancel()
        self.job = {"path": str(self.store.path), "run_ids": list(run_ids), "smoothing": self.plot.smoothing,
                    "excess": self.plot.excess, "buckets": self._buckets(), "spans": spans or {},
                    "cancel": threading.Event()}
        self.pool.start(_Read(self.job, self.sigRead.emit))

    def _cancel(self) -> None:
        if self.job is not None:
            self.job["cancel"].set()
            self.job = None

    def _read(self, job: dict) -> None:
        if job is not self.job:
            return  # superseded: a newer selection or view is being read
        self.job = None
        self.error = job.get("error")
        by_id = {r["run_id"]: r for r in job.get("results", [])}
        first = False
        for row, losses in self.plot.runs:
            got = by_id.get(row.run_id)
            if got is None or not isinstance(losses, ReducedLosses):
                continue
            if got["span"] is None:
                first = first or losses.pending
                losses.n, losses.zero, losses.key, losses.coarse = got["n"], got["zero"], got["key"], got["envelope"]
            else:
                losses.fine = (*got["span"], got["key"], got["envelope"])
        if first:  # names ('reached 0 at …') and ranges as for curves read at once
            self.plot.set_runs(list(self.plot.runs), total=len(self.plot.runs) + self.plot.left_out)
        else:
            self.plot.setUpdatesEnabled(False)
            try:
                self.plot.redraw()
            finally:
                self.plot.setUpdatesEnabled(True)
        self.sigShown.emit()
        self._reread()  # the view may have moved while this was read

    def _reread(self) -> None:
        """Read again what the view now needs: another smoothing or excess mode, or a zoomed stretch."""
        if self.job is not None and not self.job.get("zoom"):
            return  # a whole-run read is under way; it looks again when it ends
        reduced = [(row, losses) for row, losses in self.plot.runs
                   if isinstance(losses, ReducedLosses) and not losses.pending]
        if not reduced or any(losses.pending for _, losses in self.plot.runs if isinstance(losses, ReducedLosses)):
            return
        key = (int(self.plot.smoothing), bool(self.plot.excess))
        stale = [row.run_id for row, losses in reduced if losses.key != key]
        if stale:
            self._start(stale)
            return
        spans = {}
        zoomed = not self.plot.plot_item.vb.autoRangeEnabled()[0]
        x_lo, x_hi = self.plot.plot_item.vb.viewRange()[0]
        for row, losses in reduced:
            n = losses.n
            span = _batches(row, n, self.plot.x_axis, x_lo, x_hi) if zoomed else None
            if span is None or span[1] - span[0] > FINER * n:
                losses.fine = None  # zoomed out: the whole run's envelope is the right one
                continue
            fine = losses.fine
            if fine is not None and fine[2] == key and fine[0] <= span[0] and span[1] <= fine[1] and \
                    (span[1] - span[0]) > 0.5 * (fine[1] - fine[0]):
                continue  # the stretch read already covers the view at about its resolution
            if losses.step(*span) > 1:
                spans[row.run_id] = span
        if spans:
            self._start(list(spans), spans)
            assert self.job is not None  # _start has just made it
            self.job["zoom"] = True


def _batches(row, n: int, axis: str, x_lo: float, x_hi: float) -> tuple[int, int] | None:
    """The batches first..stop-1 a view's x range shows of a run of n batches (x is linear in the batch)."""
    if n < 2:
        return None
    x0, x1 = (float(v) for v in run_x(row, n, axis, at=np.array([0.0, n - 1.0])))
    if x1 <= x0:
        return None
    per = (n - 1) / (x1 - x0)
    first = int(np.floor((x_lo - x0) * per))
    stop = int(np.ceil((x_hi - x0) * per)) + 1
    first, stop = max(0, first), min(n, stop)
    return (first, stop) if stop > first else None

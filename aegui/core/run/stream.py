"""Drives train() for a live viewer and sends the run to it as records, in chunks.

Qt-free, so the same stream runs in the window's worker thread or in a training process of its own
(see child.py). It never opens the store: the viewer records what it receives (recorder.RunRecorder.feed).
Every record is handed to a `send(record)` callable, as it is (records.py), in this order:

    RunStart (its wire form, without tensors)  FloorsUpdate  LossChunk  EpochSummary  Reconstruction
    Paused  Solving  RunEnd or RunFailed  StreamDone

LossBlocks are gathered into one LossChunk at most every CHUNK_INTERVAL; an epoch's summary follows the
chunk that holds its last batch; StreamDone is always last.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from typing import Any, Protocol
from collections.abc import Callable

import numpy as np

from ..engine.records import (EpochSummary, FloorsUpdate, LossBlock, LossChunk, Paused, Reconstruction, RunEnd,
                      RunFailed, RunStart, Solving, StreamDone)

CHUNK_INTERVAL = 0.1  # 10 chunks a second: each costs the viewer's GUI thread a wake-up; its paced plot draws fewer
RECON_INTERVAL = 1.0  # seconds between reconstruction snapshots: each costs the run a forward pass and the GUI a draw


class Flag(Protocol):
    """What the stream needs of its cancel and pause flags (threading.Event has it)."""

    def is_set(self) -> bool: ...  # noqa: D102

    def wait(self, timeout: float | None = None) -> bool: ...  # noqa: D102


class _Buffer:
    """The engine's loss blocks gathered between two chunks, as lists of arrays."""

    def __init__(self) -> None:
        self.steps: list[np.ndarray] = []
        self.losses: list[np.ndarray] = []
        self.seconds: list[np.ndarray] = []
        self.epochs: list[np.ndarray] = []
        self.copy_losses: list[np.ndarray] = []
        self.floors: list[np.ndarray] = []  # BCE only: each batch's own floor, one per step
        self.summaries: list = []  # EpochSummary records, sent after the chunk that holds their batches
        self.last_seconds = 0.0  # when the last block arrived, since the run started

    def chunk(self) -> LossChunk:
        """The gathered batches as one LossChunk; the buffer is emptied."""
        chunk = LossChunk(np.concatenate(self.steps), np.concatenate(self.losses), np.concatenate(self.seconds),
                          np.concatenate(self.epochs),
                          np.concatenate(self.copy_losses) if self.copy_losses else None,
                          np.concatenate(self.floors) if self.floors else None)
        self.steps, self.losses, self.seconds, self.epochs, self.copy_losses, self.floors = [], [], [], [], [], []
        return chunk


class RunStream:
    """One run of config: train and send its records; cancel and running are the viewer's flags."""

    def __init__(self, config, send: Callable[[object], None], cancel: Flag, running: Flag,
                 *, threads: int | None = None, copies: int = 1, train: Callable | None = None):
        """train: the records' generator, training.train's signature; None for the engine's own (looked up
        when the run starts). A training process passes the one its parent handed it (child.py)."""
        self.config, self.send = config, send
        self.train = train
        self.cancel, self.running = cancel, running  # running is clear while the viewer holds the run paused
        self.threads, self.copies = threads, copies
        self._model: Any = None   # the run's model and a sample of its data, for reconstructions
        self._sample: Any = None
        self._last_recon = 0.0
        self._t0 = time.perf_counter()
        self._last_emit = 0.0
        self._buf = _Buffer()
        # Time held paused: left out of every time the stream sends (batch and epoch seconds, the run's end),
        # so the seconds axis, the status bar's elapsed and the stored duration agree (none counts a pause).
        self.paused_s = 0.0

    def run(self) -> None:
        """Train to the end; an error becomes a RunFailed record; StreamDone comes last."""
        try:
            self._drive()
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user, not kill the thread
            self._fail(exc)
        finally:
            self.send(StreamDone())

    def _drive(self) -> None:
        from ..engine import training  # looked up at call time: an in-process test may replace training.train
        train = self.train if self.train is not None else training.train
        records = train(self.config, self.cancel, copies=self.copies, threads=self.threads)
        for record in records:
            if isinstance(record, LossBlock):
                self._on_block(record)
            elif isinstance(record, EpochSummary):
                self._on_epoch(record)
            elif isinstance(record, RunStart):
                self._on_start(record)
            elif isinstance(record, FloorsUpdate):
                self.send(record)
            elif isinstance(record, Solving):
                self._flush()  # the last batches and epoch, now: the wait that follows sends nothing
                self.send(record)
            elif isinstance(record, RunEnd):
                self._flush()
                self._reconstruct()  # the final weights, whatever the timer says
                self.send(self._without_pauses(record))
                continue
            if time.perf_counter() - self._last_recon >= RECON_INTERVAL:
                self._reconstruct()
            self._hold_if_paused()

    def _reconstruct(self) -> None:
        """Send x, x̂ and codes of copy 0 on the run's fixed sample (between batches)."""
        if self._model is None:
            return
        self._last_recon = time.perf_counter()
        try:
            from ..engine.reconstruct import reconstruct
            x, xhat, codes = reconstruct(self._model, self._sample, self.config.loss.kind)
        except Exception:  # noqa: BLE001 - a failed snapshot must not end the run it only illustrates
            traceback.print_exc()
            self._model = None
            return
        self.send(Reconstruction(x, xhat, codes, self.config.loss.kind))

    def _on_start(self, start: RunStart) -> None:
        self._t0 = time.perf_counter()
        self._model, self._sample = start.model, start.sample
        self.send(start.wire())

    def _on_block(self, block: LossBlock) -> None:
        now = time.perf_counter()
        buf, m = self._buf, len(block)
        # The block's batches ran between the last block and now: spread their times evenly over that span.
        since = buf.last_seconds
        buf.last_seconds = now - self._t0
        buf.steps.append(block.steps)
        buf.losses.append(block.loss)
        buf.seconds.append(np.linspace(since, buf.last_seconds, m + 1)[1:])
        buf.epochs.append(np.full(m, block.epoch, dtype=np.int64))
        if block.copy_losses is not None:
            buf.copy_losses.append(block.copy_losses)
        if block.floors is not None:
            buf.floors.append(np.asarray(block.floors, dtype=np.float64))
        if now - self._last_emit >= CHUNK_INTERVAL:
            self._flush(now)

    def _on_epoch(self, summary: EpochSummary) -> None:
        # Sent after the next chunk, so the plot never sees an epoch before its batches; its seconds on the
        # stream's clock, which leaves pauses out, like the batches'.
        self._buf.summaries.append(dataclasses.replace(summary, seconds=time.perf_counter() - self._t0))

    def _flush(self, now: float | None = None) -> None:
        """Send what is buffered: one chunk of batches, then the epochs they finished."""
        self._last_emit = time.perf_counter() if now is None else now
        buf = self._buf
        if buf.steps:
            self.send(buf.chunk())
        summaries, buf.summaries = buf.summaries, []
        for summary in summaries:
            self.send(summary)

    def _hold_if_paused(self) -> None:
        if self.running.is_set() or self.cancel.is_set():
            return
        self._flush()  # show everything trained so far before holding
        self.send(Paused(True))
        held_from = time.perf_counter()
        while not self.running.wait(0.05) and not self.cancel.is_set():
            pass  # stop() also sets running; the timeout only guards a flag that cannot wake a waiter
        held = time.perf_counter() - held_from
        self.paused_s += held
        self._t0 += held  # the run's clock stood still while it was held
        self.send(Paused(False))

    def _without_pauses(self, end):
        """The run's end with its duration and rate over training time only (the engine's clock kept going)."""
        if not self.paused_s:
            return end
        seconds = max(end.seconds - self.paused_s, 0.0)
        rate = end.batches / seconds if seconds > 0 else end.batches_per_s
        return dataclasses.replace(end, seconds=seconds, batches_per_s=rate)

    def _fail(self, exc: BaseException) -> None:
        self._flush()
        message = f"{type(exc).__name__}: {exc}"
        if type(exc).__name__ in ("ConfigError", "DataError"):
            message = str(exc)  # the engine's own messages already say field, value and what is allowed
        else:
            traceback.print_exc()
        self.send(RunFailed(message))

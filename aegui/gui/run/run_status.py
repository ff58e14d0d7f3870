"""The status bar's run readout: progress in epochs, batches/s, elapsed, ETA and device."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from ...core.engine.pace import rate_text

FIRST_ETA_S = 2.0  # no ETA before this much training: the first chunks' rate includes start-up (seen: 13:49)
STATUS_MS = 250  # ≤ 4 status updates a second: each relayouts the bar, and chunks arrive up to 30 times a second


def clock(seconds: float) -> str:
    """'m:ss', or 'h:mm:ss' from an hour; '—' when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def plural(n: int, word: str) -> str:
    """'1 epoch', '2 epochs', '1,000 batches'."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def end_words(end) -> tuple[str, str]:
    """How a run ended, in plain words: the progress bar's short text and the status line's sentence
    ('stopped: loss below tol', 'Stopped: loss below tol after 705 batches'), never the stop reason's id."""
    epochs, batches = plural(int(end.epochs), "epoch"), plural(int(end.batches), "batch")
    batches = batches.replace("batchs", "batches")
    short, sentence = {
        "tol": ("stopped: loss below tol", f"Stopped: loss below tol after {batches}"),
        "max_epochs": (f"finished: {epochs}", f"Finished: {epochs}, {batches}"),
        "cancelled": (f"cancelled after {epochs}", f"Cancelled after {epochs} ({batches})"),
        "diverged": (f"diverged after {batches}", f"Diverged after {batches}: the loss left the finite numbers"),
    }.get(end.stop_reason, (f"ended: {end.stop_reason}", f"Ended ({end.stop_reason}) after {batches}"))
    return short, sentence


class RunStatus:
    """Permanent status-bar widgets for the current run; fed by the window from the worker's chunks."""

    def __init__(self, bar: QStatusBar):
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setMinimumWidth(190)  # 'max_epochs: 20 epochs' on one line
        self.progress.setTextVisible(True)
        self.rate = QLabel()
        self.elapsed = QLabel()
        self.eta = QLabel()
        self.device = QLabel()
        for w, tip in ((self.progress, "Epochs done of the most this run may take (tol can stop it sooner)"),
                       (self.rate, "Optimizer steps a second, over the whole run so far"),
                       (self.elapsed, "Time since training started"),
                       (self.eta, "Time left if the run goes to its last epoch"),
                       (self.device, "Where the run trains")):
            w.setToolTip(tip)
            bar.addPermanentWidget(w)
        self.epochs = self.batches_per_epoch = 1
        self._pending: tuple[int, float] | None = None
        self._paused_at: float | None = None  # the stream's seconds leave out paused time already
        self._last: tuple[int, float] = (0, 0.0)
        self._timer = QTimer(bar)
        self._timer.setSingleShot(True)
        self._timer.setInterval(STATUS_MS)
        self._timer.timeout.connect(self._flush)
        self.reset()

    def reset(self) -> None:
        """No run yet."""
        self._timer.stop()
        self._pending = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        for w in (self.rate, self.elapsed, self.eta):
            w.setText("")

    def start(self, epochs: int, batches_per_epoch: int, device: str = "?", device_note: str = "") -> None:
        """A run began: set the scale from its epochs and batches per epoch; show where it trains."""
        self._timer.stop()
        self._pending = None
        self.epochs = max(1, int(epochs))
        self.batches_per_epoch = max(1, int(batches_per_epoch))
        self.progress.setRange(0, self.epochs * self.batches_per_epoch)
        self.progress.setValue(0)
        self.progress.setFormat(f"epoch 1 of {self.epochs}")  # the epoch training now, counted from 1
        self.device.setText(f"device: {device}")
        self.device.setToolTip(device_note or "Where the run trains")
        self.rate.setText("")
        self.elapsed.setText("elapsed 0:00")
        self.eta.setText("")
        self._paused_at, self._last = None, (0, 0.0)

    def set_paused(self, paused: bool) -> None:
        """The run paused or resumed (the stream's seconds leave pause time out of elapsed, rate and ETA)."""
        if paused and self._paused_at is None:
            self._paused_at = time.monotonic()
            self._flush()
            self.eta.setText("paused")
        elif not paused and self._paused_at is not None:
            self._paused_at = None
            self._show(*self._last)

    def update(self, batches: int, seconds: float) -> None:
        """Show progress after `batches` steps in `seconds`: now, or at most STATUS_MS later with the latest."""
        self._pending = (batches, seconds)
        if not self._timer.isActive():
            self._flush()
            self._timer.start()

    def _flush(self) -> None:
        if self._pending is not None:
            self._show(*self._pending)
            self._pending = None

    def _show(self, batches: int, seconds: float) -> None:
        self._last = (batches, seconds)
        total = self.epochs * self.batches_per_epoch
        self.progress.setValue(min(batches, total))
        # The epoch being trained, from 1: "epoch 0 of 4" read as nothing started.
        self.progress.setFormat(f"epoch {min(batches // self.batches_per_epoch + 1, self.epochs)} of {self.epochs}")
        rate = batches / seconds if seconds > 0 else float("nan")
        self.rate.setText(rate_text(rate))
        self.elapsed.setText(f"elapsed {clock(seconds)}")
        if self._paused_at is not None:
            self.eta.setText("paused")
        elif rate > 0 and seconds >= FIRST_ETA_S:
            self.eta.setText(f"ETA {clock((total - batches) / rate)}")
        else:
            self.eta.setText("ETA …")

    def solving(self, seconds: float) -> None:
        """Training is done and the run waits for its floor: the bar says so, and the estimate gives the wait's
        limit (the bar full, not at its last epoch, which read as a run stuck on it)."""
        self._timer.stop()
        self._flush()
        self.progress.setValue(self.progress.maximum())
        self.progress.setFormat("solving the floor…")
        self.eta.setText(f"≤ {clock(seconds)} more")

    def end(self, text: str, batches: int | None = None) -> None:
        """The run ended: say how (and, given, how many batches it trained), and clear the estimate."""
        self._timer.stop()
        self._flush()  # the last counts first, so the end text is not overwritten by a late update
        if batches is not None:
            self.progress.setValue(min(int(batches), self.progress.maximum()))
        self.progress.setFormat(text)
        self.eta.setText("")

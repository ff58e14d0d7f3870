"""Training progress on stderr: a redrawn bar on a terminal, one plain line per epoch otherwise."""

from __future__ import annotations

import sys
import time

from ..core.engine.pace import rate_text


class Progress:
    """Shows epoch, batches/s, recent and epoch loss while a run trains."""

    def __init__(self, epochs: int, label: str, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.epochs, self.label = epochs, label
        self._last_draw = 0.0
        self._t0: float | None = None  # set at the first batch: start-up is not training speed
        self._batches = 0
        self._compact_t0: float | None = None
        self._compact_said = 0.0

    def _rate(self) -> float:
        if self._t0 is None:
            return 0.0
        dt = time.perf_counter() - self._t0
        return self._batches / dt if dt > 0 else 0.0

    def batch(self, epoch: int, step: int, loss: float) -> None:
        """Redraw the bar at most 10 times a second (terminals only)."""
        if self._t0 is None:
            self._t0, self._first = time.perf_counter(), step
        self._batches = step - self._first
        now = time.perf_counter()
        if not self.tty or now - self._last_draw < 0.1:
            return
        self._last_draw = now
        done = epoch / max(self.epochs, 1)
        bar = "█" * int(done * 24) + "·" * (24 - int(done * 24))
        self.stream.write(f"\r{self.label} [{bar}] epoch {epoch + 1}/{self.epochs}  "
                          f"{rate_text(self._rate())}  loss {loss:.4g}   ")
        self.stream.flush()

    def epoch(self, epoch: int, epoch_mean: float, recent_mean: float) -> None:
        """One line per finished epoch, the seed's printout."""
        line = (f"epoch {epoch + 1}/{self.epochs}  {rate_text(self._rate())}  "
                f"recent loss {recent_mean:.6g}  epoch loss {epoch_mean:.6g}")
        if self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
        self.stream.write(line + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A line of its own, e.g. the device fallback."""
        self.stream.write(text + "\n")
        self.stream.flush()

    def compacting(self, done: int, total: int) -> None:
        """Say how far the end-of-run packing of the losses is, once a second after its first second."""
        now = time.perf_counter()
        if self._compact_t0 is None:
            self._compact_t0 = self._compact_said = now
        if now - self._compact_said < 1.0 or done >= total:
            return
        self._compact_said = now
        line = f"packing the stored losses: {done:,} of {total:,} batches ({100 * done / max(total, 1):.0f}%)"
        self.stream.write(("\r" + line + "   ") if self.tty else line + "\n")
        self.stream.flush()

    def compacted(self) -> None:
        """End the packing line on a terminal."""
        if self.tty and self._compact_said != self._compact_t0:
            self.stream.write("\n")
            self.stream.flush()

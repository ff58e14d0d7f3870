"""The live plot's data: every batch in compact growable buffers, and the decimated series it draws from them.

Losses, seconds and band edges are float32 (the store keeps float32 losses too); batch floors stay float64 so
loss − floor keeps its sign. A redraw asks series() for one curve over an index span: up to FULL_POINTS points
come exactly as held, more come as the min/max envelope kept by a PeakSeries (or, for a zoomed span that the
stored buckets resolve too coarsely, reduced on the fly from the buffers).
"""

from __future__ import annotations

import numpy as np

from .decimate import BUCKETS, FULL_POINTS, Track, interleave, peak_reduce, pow2_at_least, rolling_reader
from .plot_base import _Growable

class LiveSeries:
    """Per-batch columns of one run and the Tracks (loss, recent mean, band; plain and per-batch excess)."""

    def __init__(self, buckets: int = BUCKETS):
        self.steps, self.losses = _Growable(np.int32), _Growable(np.float32)
        self.seconds, self.epochs = _Growable(np.float32), _Growable(np.int32)
        self.floors = _Growable(np.float64)  # BCE: each batch's own floor (its targets' entropy)
        self.lo, self.hi = _Growable(np.float32), _Growable(np.float32)  # seed band: min, max over copies
        self.window = 1
        # Each batch's floor is raised by this constant so they average to the run's one floor (view_rule).
        self.floor_offset = 0.0
        f64 = np.float64

        def excess_of(buf):
            return lambda i0, i1: buf.view()[i0:i1].astype(f64) - self.floors.view()[i0:i1] - self.floor_offset
        reads = {"loss": lambda i0, i1: self.losses.view()[i0:i1].astype(f64), "loss_x": excess_of(self.losses),
                 "lo": lambda i0, i1: self.lo.view()[i0:i1].astype(f64), "lo_x": excess_of(self.lo),
                 "hi": lambda i0, i1: self.hi.view()[i0:i1].astype(f64), "hi_x": excess_of(self.hi)}
        reads["recent"] = rolling_reader(reads["loss"], lambda: self.window)
        reads["recent_x"] = rolling_reader(reads["loss_x"], lambda: self.window)
        self.tracks = {name: Track(read, buckets) for name, read in reads.items()}
        self.buckets = buckets

    def clear(self) -> None:
        """Forget every point."""
        for buf in (self.steps, self.losses, self.seconds, self.epochs, self.floors, self.lo, self.hi):
            buf.n = 0
        for track in self.tracks.values():
            track.peaks.reset()

    def set_window(self, window: int) -> None:
        """The recent mean's window; a new one rebuilds the recent series (once, O(n), in chunks)."""
        if window != self.window:
            self.window = window
            for name in ("recent", "recent_x"):
                self.tracks[name].peaks.reset()

    def set_floor_offset(self, offset: float) -> None:
        """Raise every batch floor by offset (the run's floor − the data floor); a new one rebuilds the excess series."""
        if offset != self.floor_offset:
            self.floor_offset = float(offset)
            for name, track in self.tracks.items():
                if name.endswith("_x"):
                    track.peaks.reset()

    @property
    def n(self) -> int:
        """Batches held."""
        return self.losses.n

    def has_batch_floors(self) -> bool:
        """True when there is a floor for every batch (BCE), so excess subtracts each batch's own."""
        return self.floors.n > 0 and self.floors.n == self.losses.n

    def available(self, name: str) -> int:
        """How many leading points track `name` can read now."""
        n = self.losses.n
        if name in ("lo", "hi", "lo_x", "hi_x"):
            n = min(n, self.lo.n, self.hi.n)
        return min(n, self.floors.n) if name.endswith("_x") else n

    def x_of(self, idx: np.ndarray, axis: str, per_epoch: int) -> np.ndarray:
        """x values of batch indices on the batch, epoch or seconds axis."""
        if axis == "seconds":
            return self.seconds.view()[idx].astype(np.float64)
        steps = self.steps.view()[idx].astype(np.float64)
        return (steps + 1) / per_epoch if axis == "epoch" else steps

    def index_of(self, x: float, axis: str, per_epoch: int) -> int:
        """The first batch index whose x is ≥ x (steps and seconds only grow)."""
        if axis == "seconds":
            return int(np.searchsorted(self.seconds.view(), x))
        step = x * per_epoch - 1 if axis == "epoch" else x
        return int(np.searchsorted(self.steps.view(), step))

    def series(self, name: str, span: tuple[int, int], x_of, which: str = "both") -> tuple[np.ndarray, np.ndarray, bool]:
        """(x, y, decimated) of track `name` over batch indices span; which picks the envelope's min, max or both."""
        track, avail = self.tracks[name], self.available(name)
        i0, i1 = min(span[0], avail), min(span[1], avail)
        if i1 - i0 <= FULL_POINTS:
            return x_of(np.arange(i0, i1)), track.read(i0, i1), False
        track.catch_up(avail)
        p = track.peaks
        b0, b1 = i0 // p.size, -(-i1 // p.size)
        if b1 - b0 >= self.buckets // 4:  # the kept buckets resolve this span well enough
            mins, maxs = p.mins[b0:b1], p.maxs[b0:b1]
            size, first = p.size, b0 * p.size
        else:  # zoomed in past the kept resolution: reduce just this span, at full resolution's source
            size = pow2_at_least((i1 - i0) / self.buckets)
            mins, maxs = peak_reduce(track.read(i0, i1), size)
            first = i0
        starts = first + np.arange(len(mins)) * size
        ends = np.minimum(starts + size, avail) - 1
        lo, hi = {"both": (mins, maxs), "min": (mins, mins), "max": (maxs, maxs)}[which]
        return interleave(x_of(starts), x_of(ends)), interleave(lo, hi), True

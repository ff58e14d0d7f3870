"""Min/max ("peak") decimation kept up to date as a run grows, so a live redraw costs O(new + shown) points.

A PeakSeries holds at most `buckets` (min, max) pairs over consecutive index buckets of a power-of-two size;
when it fills, neighbouring buckets merge and the size doubles. Its envelope per bucket equals the full
data's, so spikes are never lost, while the plot draws a few thousand points whatever the run's length.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .plot_base import rolling_mean

BUCKETS = 2048  # about 2× the plot's width in pixels: each pixel column still sees its min and max
FULL_POINTS = 2 * BUCKETS  # up to this many points in view are drawn as they are, not decimated
FEED_CHUNK = 1 << 16  # catching up on a long run goes in chunks: bounded temporaries, bounded RSS


def _minmax(v: np.ndarray) -> tuple[float, float]:
    """fmin/fmax skip NaN (NaN only when all are NaN) and raise no All-NaN warning, unlike nanmin."""
    return np.fmin.reduce(v), np.fmax.reduce(v)


def peak_reduce(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bucket min and max of values in buckets of `size` points (the last bucket may be partial)."""
    values = np.asarray(values)
    full = len(values) // size * size
    block = values[:full].reshape(-1, size)
    mins, maxs = np.fmin.reduce(block, axis=1), np.fmax.reduce(block, axis=1)
    if full < len(values):
        lo, hi = _minmax(values[full:])
        mins, maxs = np.append(mins, lo), np.append(maxs, hi)
    return mins, maxs


def pow2_at_least(x: float) -> int:
    """The smallest power of two ≥ x (1 for x ≤ 1)."""
    return 1 << max(0, int(np.ceil(np.log2(max(x, 1.0)))))


class PeakSeries:
    """An incrementally kept min/max envelope of a growing array in at most `buckets` buckets."""

    def __init__(self, buckets: int = BUCKETS):
        self.buckets = buckets - buckets % 2  # merging pairs needs an even count
        self.mins = np.empty(self.buckets, dtype=np.float32)
        self.maxs = np.empty(self.buckets, dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        """Forget every point."""
        self.size, self.count, self.n = 1, 0, 0

    def extend(self, values) -> None:
        """Add values after the last point; O(len(values)) amortised."""
        v = np.asarray(values, dtype=np.float32)
        while len(v):
            if self.n % self.size:
                v = self._fill_partial(v)
            elif self.count == self.buckets:
                self._merge()
            else:
                v = self._add_buckets(v)

    def _fill_partial(self, v: np.ndarray) -> np.ndarray:
        k = min(self.size - self.n % self.size, len(v))
        lo, hi = _minmax(v[:k])
        i = self.count - 1
        self.mins[i], self.maxs[i] = np.fmin(self.mins[i], lo), np.fmax(self.maxs[i], hi)
        self.n += k
        return v[k:]

    def _add_buckets(self, v: np.ndarray) -> np.ndarray:
        k = min(len(v) // self.size, self.buckets - self.count)
        take = k * self.size if k else len(v)  # fewer than a bucket's worth left: it opens a partial bucket
        mins, maxs = peak_reduce(v[:take], self.size)
        self.mins[self.count:self.count + len(mins)] = mins
        self.maxs[self.count:self.count + len(maxs)] = maxs
        self.count += len(mins)
        self.n += take
        return v[take:]

    def _merge(self) -> None:
        # Only called with every bucket full, so pairs merge into full buckets of twice the size.
        h = self.count // 2
        self.mins[:h] = np.fmin(self.mins[0:self.count:2], self.mins[1:self.count:2])
        self.maxs[:h] = np.fmax(self.maxs[0:self.count:2], self.maxs[1:self.count:2])
        self.count, self.size = h, self.size * 2

    def envelope(self) -> tuple[np.ndarray, np.ndarray]:
        """Views of the per-bucket mins and maxs (bucket i covers points [i·size, (i+1)·size))."""
        return self.mins[:self.count], self.maxs[:self.count]


class Track:
    """One per-batch value stream on the plot: exact values of any index range, and their PeakSeries."""

    def __init__(self, read: Callable[[int, int], np.ndarray], buckets: int = BUCKETS):
        self.read = read  # (i0, i1) -> float64 values of points i0..i1-1
        self.peaks = PeakSeries(buckets)

    def catch_up(self, available: int) -> None:
        """Feed the peak series every point up to `available` it has not seen, in bounded chunks."""
        if available < self.peaks.n:
            self.peaks.reset()  # the data were cleared or replaced
        while self.peaks.n < available:
            i0 = self.peaks.n
            self.peaks.extend(self.read(i0, min(available, i0 + FEED_CHUNK)))


def rolling_reader(read: Callable[[int, int], np.ndarray], window: Callable[[], int]):
    """A read(i0, i1) of the trailing mean over window() points of what `read` returns."""
    def rolled(i0: int, i1: int) -> np.ndarray:
        w = window()
        start = max(0, i0 - w + 1)  # the points before i0 that i0's window still covers
        return rolling_mean(read(start, i1), w)[i0 - start:]
    return rolled


def interleave(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a0, b0, a1, b1, … as float64."""
    out = np.empty(2 * len(a), dtype=np.float64)
    out[0::2], out[1::2] = a, b
    return out

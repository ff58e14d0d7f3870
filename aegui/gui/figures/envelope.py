"""A figure's curves reduced chunk by chunk to an envelope of at most BUCKETS × 2 points, so memory and file size
follow the figure, not the curve: a 1,000,000-batch × 64-seed band costs what a single run costs."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator

import numpy as np

from ..plots.plot_base import rolling_mean

BUCKETS = 1000   # two points (low, high) per bucket: about two a pixel of the widest panel (~900 logical px)
CHUNK = 65536    # batches per step: 64 seeds × 65,536 × 8 bytes = 32 MB of float64 at a time


def chunks_of(losses, floors=None, size: int = CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """(losses, batch floors) slices of an in-memory curve, `size` batches each."""
    n = len(losses)
    floors = None if floors is None or len(floors) != n else floors
    for start in range(0, n, size):
        yield losses[start:start + size], None if floors is None else floors[start:start + size]


class Envelope:
    """Per-batch series (median, min, max for bands; the curve for one run) smoothed by a trailing mean of
    `smoothing` batches and folded into buckets of `step` batches: each bucket keeps its first and last x,
    the median's low and high in the order they came, the band's lowest low and highest high."""

    def __init__(self, n: int, smoothing: int, buckets: int = BUCKETS):
        self.n, self.smoothing = int(n), max(1, int(smoothing))
        self.step = max(1, -(-self.n // buckets)) if self.n > 2 * buckets else 1
        self.tail: list[np.ndarray] | None = None  # the last smoothing-1 unsmoothed values of each series
        self.done = 0
        self.pending: list[np.ndarray] | None = None  # smoothed values not yet a whole bucket
        self.out: list[list[np.ndarray]] = []
        self.index: list[np.ndarray] = []

    def feed(self, series: list[np.ndarray]) -> None:
        """Add the next batches' per-batch series (mid, and lo, hi for a band), all the same length."""
        if self.tail is not None and self.smoothing > 1:
            joined = [np.concatenate((t, s)) for t, s in zip(self.tail, series)]
            smooth = [rolling_mean(j, self.smoothing)[len(t):] for j, t in zip(joined, self.tail)]
        else:
            joined, smooth = series, [rolling_mean(s, self.smoothing) for s in series]
        keep = self.smoothing - 1
        self.tail = [j[max(len(j) - keep, 0):] if keep else j[:0] for j in joined]
        if self.pending is not None:
            smooth = [np.concatenate((p, s)) for p, s in zip(self.pending, smooth)]
        whole = len(smooth[0]) // self.step * self.step
        self._fold([s[:whole] for s in smooth])
        self.pending = [s[whole:] for s in smooth]

    def _fold(self, smooth: list[np.ndarray]) -> None:
        m = len(smooth[0])
        if m == 0:
            return
        first = self.done
        self.done += m
        if self.step == 1:
            self.index.append(np.arange(first, first + m, dtype=np.float64))
            self.out.append(smooth)
            return
        b = m // self.step
        shaped = [s.reshape(b, self.step) for s in smooth]
        with np.errstate(all="ignore"):
            mid = shaped[0]
            ok = np.isfinite(mid).any(axis=1)
            safe_lo = np.where(np.isfinite(mid), mid, np.inf)
            safe_hi = np.where(np.isfinite(mid), mid, -np.inf)
            i_lo, i_hi = safe_lo.argmin(axis=1), safe_hi.argmax(axis=1)
            rows = np.arange(b)
            v_lo, v_hi = mid[rows, i_lo], mid[rows, i_hi]
            low_first = i_lo <= i_hi
            a = np.where(low_first, v_lo, v_hi)
            z = np.where(low_first, v_hi, v_lo)
            a, z = np.where(ok, a, np.nan), np.where(ok, z, np.nan)
            pair = [np.column_stack((a, z)).ravel()]
            if len(shaped) == 3:
                lo, hi = np.nanmin(shaped[1], axis=1), np.nanmax(shaped[2], axis=1)
                pair += [np.repeat(lo, 2), np.repeat(hi, 2)]
        starts = first + rows * self.step
        self.index.append(np.column_stack((starts, starts + self.step - 1)).ravel().astype(np.float64))
        self.out.append(pair)

    def result(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """(batch indices, [mid] or [mid, lo, hi]) after the last feed."""
        if self.pending is not None and len(self.pending[0]):
            rest, self.step = self.pending, 1  # a last partial bucket: its points as they are
            self.pending = None
            self._fold(rest)
        if not self.out:
            return np.zeros(0), [np.zeros(0)]
        parts = len(self.out[0])
        return np.concatenate(self.index), [np.concatenate([o[k] for o in self.out]) for k in range(parts)]


VALUES_PER_SLICE = 1 << 20  # losses turned into float64 at a time: 8 MB, whatever a stored chunk holds


def _slices(chunks):
    """The chunks cut into slices of at most VALUES_PER_SLICE values (a stored chunk of 65,536 batches × 64
    seeds is 4 million), so the float64 copies and the median's work stay small."""
    for losses, floors in chunks:
        losses = np.asarray(losses)
        width = losses.shape[1] if losses.ndim == 2 else 1
        rows = max(1, VALUES_PER_SLICE // max(width, 1))
        for start in range(0, len(losses), rows):
            yield losses[start:start + rows], None if floors is None else floors[start:start + rows]


def first_zero_chunked(chunks) -> int | None:
    """The first batch whose loss reached 0 (every copy's least value, view_rule.first_zero), chunk by chunk."""
    from ..plots.view_rule import first_zero
    start = 0
    for losses, _ in chunks:
        values = np.asarray(losses)
        lowest = values.reshape(len(values), -1).min(axis=1) if values.size else values.reshape(-1)
        hit = first_zero(lowest)
        if hit is not None:
            return start + hit
        start += len(values)
    return None


def band_series(values: np.ndarray) -> list[np.ndarray]:
    """A seed band's per-batch median, min and max. Where every value is finite the median is taken by
    partition (np.median's value, without nanmedian's masking: 15× faster on 64 seeds)."""
    if np.isfinite(values).all():
        k = values.shape[1]
        part = np.partition(values, k // 2, axis=1)  # one kth: two (np.median's way) cost 4× as much
        upper = part[:, k // 2]
        mid = (part[:, :k // 2].max(axis=1) + upper) / 2 if k % 2 == 0 else upper
        return [mid, values.min(axis=1), values.max(axis=1)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN batch stays NaN
        return [np.nanmedian(values, axis=1), np.nanmin(values, axis=1), np.nanmax(values, axis=1)]


def reduce_curve(chunks: Iterable[tuple[np.ndarray, np.ndarray | None]], n: int, smoothing: int,
                 offset: float | None = None, buckets: int = BUCKETS) -> tuple[np.ndarray, list[np.ndarray], bool]:
    """Reduce a curve given as (losses, batch floors) chunks of n batches in all: (batch indices, [mid] or
    [mid, lo, hi], whether a floor was subtracted). offset: subtract each batch's floor raised by it (excess
    with BCE batch floors, one floor per run); a loss that reached 0 stays 0, a gap on a log axis."""
    env = Envelope(n, smoothing, buckets)
    subtracted = False
    for losses, floors in _slices(chunks):
        raw = np.asarray(losses, dtype=np.float64)
        values = raw
        if offset is not None and floors is not None and len(floors) == len(raw):
            per_batch = np.asarray(floors, dtype=np.float64) + offset
            values = np.where(raw <= 0, 0.0, raw - (per_batch[:, None] if raw.ndim == 2 else per_batch))
            subtracted = True
        if values.ndim == 2 and values.shape[1] > 1:
            series = band_series(values)
        else:
            series = [values.reshape(len(values))]
        env.feed(series)
    index, series = env.result()
    return index, series, subtracted

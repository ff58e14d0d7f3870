"""The live plot's decimation: bounded display size, exact min/max envelope, full resolution when zoomed in."""

import numpy as np
import pytest

from aegui.core.engine.records import LossChunk
from aegui.gui.plots.decimate import FULL_POINTS, PeakSeries, peak_reduce

INFO = {"floor": 0.5, "floor_exact": True, "label": "long", "batches_per_epoch": 100, "loss": "bce"}


def envelope_of(values, size):
    """Reference per-bucket min and max, bucket by bucket."""
    chunks = [values[i:i + size] for i in range(0, len(values), size)]
    return np.array([c.min() for c in chunks]), np.array([c.max() for c in chunks])


@pytest.mark.parametrize("chunk", [1, 7, 500, 100_000])
def test_peak_series_is_bounded_and_its_envelope_equals_the_datas_per_bucket(chunk):
    values = np.random.default_rng(1).normal(size=100_003).astype(np.float32)
    peaks = PeakSeries(buckets=64)
    for s in range(0, len(values), chunk):
        peaks.extend(values[s:s + chunk])
        assert peaks.count <= 64
    assert peaks.n == len(values) and peaks.size & (peaks.size - 1) == 0  # a power of two
    mins, maxs = peaks.envelope()
    want_min, want_max = envelope_of(values, peaks.size)
    np.testing.assert_array_equal(mins, want_min)
    np.testing.assert_array_equal(maxs, want_max)


def test_peak_series_skips_nan_without_warning(recwarn):
    peaks = PeakSeries(buckets=8)
    peaks.extend([np.nan, 1.0, np.nan, np.nan, np.nan, np.nan, 3.0, np.nan, np.nan])
    mins, maxs = peak_reduce(np.array([np.nan, np.nan, 2.0, np.nan]), 2)
    assert np.isnan(mins[0]) and mins[1] == 2.0
    assert np.nanmin(peaks.envelope()[0]) == 1.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.fixture
def long_plot(make_live_plot):
    plot = make_live_plot(INFO)
    plot.set_smoothing(1)
    return plot


def feed_long(plot, losses, chunk=3000):
    steps = np.arange(len(losses), dtype=np.int64)
    for s in range(0, len(losses), chunk):
        sl = slice(s, s + chunk)
        plot.append(steps[sl], losses[sl], steps[sl] / 700.0, steps[sl] // 100)
    plot.redraw()
    return steps


def shown(item):
    x, y = item.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


def test_long_run_is_drawn_decimated_but_held_in_full(long_plot):
    losses = (0.6 + 0.3 * np.random.default_rng(2).random(200_000)).astype(np.float32)
    losses[123_457] = 5.0  # one spike must survive decimation
    feed_long(long_plot, losses)
    x, y = shown(long_plot.raw_curve)
    assert long_plot.decimated and len(x) <= FULL_POINTS
    assert long_plot.point_count() == 200_000
    np.testing.assert_array_equal(long_plot.data()[1], losses)
    peaks = long_plot.series.tracks["loss"].peaks
    want_min, want_max = envelope_of(losses.astype(np.float64), peaks.size)
    np.testing.assert_allclose(y[0::2], want_min)
    np.testing.assert_allclose(y[1::2], want_max)
    assert y.max() == pytest.approx(5.0) and x[0] == 0 and x[-1] == 199_999


def test_zoomed_in_view_shows_full_resolution(qtbot, long_plot):
    losses = np.linspace(1.0, 0.6, 200_000).astype(np.float32)
    feed_long(long_plot, losses)
    long_plot.plot_item.vb.setXRange(50_000, 50_999, padding=0)  # switches x auto-range off
    qtbot.waitUntil(lambda: not long_plot.pacing.dirty, timeout=5000)  # the zoom's own redraw, nothing forced
    x, y = shown(long_plot.raw_curve)
    assert not long_plot.decimated
    assert x[0] <= 50_000 and x[-1] >= 50_999 and len(x) < FULL_POINTS
    np.testing.assert_array_equal(np.diff(x), 1)  # every batch, none skipped
    np.testing.assert_array_equal(y, losses[int(x[0]):int(x[-1]) + 1])


def test_decimated_excess_and_log_clamp_stay_right(long_plot):
    n = 50_000
    floors = np.full(n, 0.6)
    losses = (floors + np.geomspace(0.2, 1e-3, n)).astype(np.float32)
    losses[30_000] = 0.55  # under its floor: clamped and marked on log
    steps = np.arange(n, dtype=np.int64)
    # The run's one floor is the data's, whose batches' floors are these (excess subtracts one floor per run).
    long_plot.set_floors([{"name": "data", "value": 0.6, "claim": "lower bound", "basis": ""}])
    long_plot.append_chunk(LossChunk(steps, losses, steps / 700.0, steps // 100, floors=floors))
    long_plot.set_excess(True)
    x, y = shown(long_plot.raw_curve)
    assert long_plot.decimated and (y > 0).all()
    mx, my = shown(long_plot.clamped)
    assert len(mx) >= 1 and np.all(np.abs(mx - 30_000) <= long_plot.series.tracks["loss_x"].peaks.size)
    assert my.min() == pytest.approx(y.min())
    want_max = envelope_of(losses.astype(np.float64) - floors, long_plot.series.tracks["loss_x"].peaks.size)[1]
    np.testing.assert_allclose(y[1::2], want_max, rtol=1e-6)
    assert len(shown(long_plot.recent_curve)[0]) <= FULL_POINTS


def test_diverged_epoch_means_draw_without_all_nan_warnings(recwarn, long_plot):
    long_plot.append(np.arange(3), [np.nan] * 3, [0.1, 0.2, 0.3], [0, 0, 0])
    long_plot.add_epoch(0, float("nan"), float("nan"), 3, 0.3)
    long_plot.redraw()
    long_plot.grab()  # paint: pyqtgraph's bounds of an all-NaN curve warned here
    assert not [w for w in recwarn if "All-NaN" in str(w.message)]

"""Issue 18.11: a seed band's figure is an envelope like a single run's, read a stored chunk at a time."""

import numpy as np

from aegui.core.store.store import RunStore
from aegui.gui.figures import envelope, export
from aegui.gui.plots.plot_base import rolling_mean
from tests.gui.fixtures_runs import synthetic, tiny


def test_a_short_curve_is_kept_whole_and_smoothed_as_on_screen():
    rng = np.random.default_rng(0)
    y = rng.random((1500, 4))
    index, (mid, lo, hi), _ = envelope.reduce_curve(envelope.chunks_of(y, size=97), len(y), 20)
    assert np.array_equal(index, np.arange(1500))
    assert np.allclose(mid, rolling_mean(np.median(y, axis=1), 20))
    assert np.allclose(lo, rolling_mean(y.min(axis=1), 20)) and np.allclose(hi, rolling_mean(y.max(axis=1), 20))


def test_a_long_curve_keeps_its_peaks_in_at_most_two_points_a_bucket():
    y = np.full(1_000_000, 0.5)
    y[123_457] = 9.0  # one spike, which a thinned curve must not lose
    index, (mid,), _ = envelope.reduce_curve(envelope.chunks_of(y, size=65536), len(y), 1, buckets=1000)
    assert len(mid) <= 2 * 1000 and mid.max() == 9.0 and index[-1] == len(y) - 1
    assert np.all(np.diff(index) >= 0)


def test_stored_chunks_read_back_the_curve(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    band = np.random.default_rng(1).random((3000, 8)).astype(np.float32)
    run_id = synthetic(store, tiny("mse"), band, 0.0)
    parts = [c for c, _ in store.loss_chunks(run_id)]
    assert np.array_equal(np.concatenate(parts), store.losses(run_id))
    store.close()


def test_a_long_band_svg_is_as_small_as_a_single_runs(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    n = 200_000
    steps = np.arange(n)[:, None]
    band = (0.5 * np.exp(-steps / 30_000) * (1 + 0.3 * np.random.default_rng(2).random((n, 8)))).astype(np.float32)
    b = synthetic(store, tiny("mse", name="band"), band, 0.0)
    s = synthetic(store, tiny("mse", name="single"), band[:, 0], 0.0)
    store.close()
    band_svg = export.export_runs(tmp_path / "runs.sqlite", [b], tmp_path / "b.svg").stat().st_size
    single_svg = export.export_runs(tmp_path / "runs.sqlite", [s], tmp_path / "s.svg").stat().st_size
    assert band_svg < 300_000 and band_svg < 5 * single_svg

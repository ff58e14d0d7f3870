"""The comparison's x range covers every panel's runs through every change of view."""

import pytest


@pytest.fixture
def three_runs(qtbot, tmp_path):
    """A shown comparison of a 16-batch BCE run, a 300-batch MSE run and a 3,000-batch BCE run (two panels)."""
    from aegui.core.store.store import RunStore
    from tests.gui.fixtures_runs import decaying, shown_comparison, synthetic, tiny
    store = RunStore.open(tmp_path / "ranges")
    ids = [synthetic(store, tiny("bce", name="short bce"), decaying(16, 0.5004) + 0.2, floor=0.5004),
           synthetic(store, tiny("mse", name="mse 300"), decaying(300, 0.0) + 0.04, floor=0.0),
           synthetic(store, tiny("bce", name="long bce"), decaying(3000, 0.5004) + 0.01, floor=0.5004)]
    plot = shown_comparison(qtbot, store, ids)
    assert len(plot.extra_panels) == 1
    yield plot
    store.close()


def _x_max(plot) -> float:
    plot.grab()  # a paint: pyqtgraph settles auto-range as it prepares one
    return plot.plot_item.vb.viewRange()[0][1]


@pytest.mark.parametrize("change", ["log off", "log off, then epoch, then batch", "then epoch, then batch",
                                    "excess, log off", "smoothing"])
def test_every_view_shows_the_longest_run_whole(three_runs, change):
    plot = three_runs
    assert _x_max(plot) >= 2999
    if change.startswith("excess"):
        plot.set_excess(True)
    if "log off" in change:
        plot.set_log(False)
        assert _x_max(plot) >= 2999, change  # unticking Log y cut the view to the MSE run's 300 batches
    if "epoch" in change:
        plot.set_x_axis("epoch")
        x_hi = _x_max(plot)
        assert x_hi >= 0.99 * max(plot.runs, key=lambda r: r[0].batches)[0].epochs, (change, x_hi)
        plot.set_x_axis("batch")
        assert _x_max(plot) >= 2999, change
    if change == "smoothing":
        plot.set_smoothing(1)
        assert _x_max(plot) >= 2999
    below = next(iter(plot.extra_panels.values())).getPlotItem().vb
    assert not below.autoRangeEnabled()[0]  # it follows the main panel's x, never fits its own

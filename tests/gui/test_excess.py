"""Excess over floor: one floor per run for every curve (BCE batch floors raised to average to it); MSE keeps its constant floor."""

import csv

import numpy as np
import pytest

from aegui.core.engine.records import EpochSummary, LossChunk, RunStart
from aegui.core.floors.floors import Floor, find
from aegui.core.store.store import RunStore
from aegui.gui.plots.view_rule import batch_floor_offset
from aegui.gui.plots.comparison_plot import ComparisonPlot
from aegui.gui.plots.curves import RunCurve, stored_curve
from aegui.gui.figures.export import save_csv
from aegui.gui.grid.figure import GridView
from aegui.gui.plots.loss_plot import LivePlot
from aegui.gui.plots.plot_base import rolling_mean
from aegui.gui.run.runner import RunController
from tests.gui.fixtures_runs import decaying, synthetic, tiny, trained

# Converges onto its floor within a second, and then many batches dip under the data set's floor.
BCE = tiny("bce", "uniform", name="bce converged", **{"training.epochs": 30, "optimizer.lr": 0.05})
MSE = tiny("mse", "uniform", name="mse", **{"training.epochs": 3})


def held(item):
    x, y = item.getOriginalDataset()
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "runs.sqlite")
    yield s
    s.close()


@pytest.fixture
def live_run(qtbot, data_dir):
    """Train a config through the RunController into a LivePlot; return the plot and the stored run."""
    runners = []

    def run(config):
        plot = LivePlot()
        qtbot.addWidget(plot)
        runner = RunController(str(data_dir / "runs.sqlite"))
        runners.append(runner)
        info = {}

        def take(record):  # the records the window's RunView passes to its live plot
            if isinstance(record, RunStart):
                info.update(run_id=record.run_id, floors=[f.to_dict() for f in record.floors],
                            floor=record.floor.value)
                plot.start(record)
            elif isinstance(record, LossChunk):
                plot.append_chunk(record)
            elif isinstance(record, EpochSummary):
                plot.add_epoch(record.epoch, record.epoch_mean, record.recent_mean, record.batches, record.seconds)
        runner.sigRecord.connect(take)
        with qtbot.waitSignal(runner.sigEnded, timeout=60_000):
            assert runner.start(config)
        plot.set_excess(True)
        plot.set_smoothing(1)
        return plot, info

    yield run
    for runner in runners:
        runner.shutdown()


def test_live_excess_of_a_bce_run_subtracts_one_floor_from_every_curve(live_run, data_dir):
    plot, info = live_run(BCE)
    db = RunStore(data_dir / "runs.sqlite")
    losses, floors = db.losses(info["run_id"]), db.batch_floors(info["run_id"])
    epoch_means = db.epoch_means(info["run_id"])
    db.close()
    assert plot.floor_count() == plot.point_count() == len(losses) == len(floors)
    # Each batch's own floor, raised by one constant so that they average to the run's floor (the headline).
    offset = batch_floor_offset(info["floors"], floors, info["floor"])
    assert offset == pytest.approx(info["floor"] - find([Floor.from_dict(f) for f in info["floors"]], "data").value)
    _, y = held(plot.raw_curve)
    shifted = plot.data()[1] - floors - offset
    np.testing.assert_allclose(y[shifted > 0], shifted[shifted > 0], rtol=1e-5, atol=1e-6)
    plot.set_smoothing(20)
    _, recent = held(plot.recent_curve)
    want = rolling_mean(plot.data()[1], 20) - rolling_mean(floors.astype(np.float64), 20) - offset
    np.testing.assert_allclose(recent[want > 0], want[want > 0], rtol=1e-5, atol=1e-6)
    _, ey = held(plot.epoch_curve)  # epoch means less the same floor
    np.testing.assert_allclose(ey[epoch_means - info["floor"] > 0],
                               (epoch_means - info["floor"])[epoch_means - info["floor"] > 0], rtol=1e-4, atol=1e-6)
    # One floor: over the last epoch the recent mean's excess averages to the epoch mean's (was 100× apart).
    per_epoch = len(losses) // len(epoch_means)
    tail = (losses.astype(np.float64) - floors - offset)[-per_epoch:].mean()
    assert tail == pytest.approx(epoch_means[-1] - info["floor"], abs=1e-4)
    label = plot.plot_item.getAxis("left").labelText
    assert "nats" in label and "floor" in label and label.startswith("loss − ")


def test_live_excess_of_an_mse_run_keeps_the_constant_floor(live_run):
    plot, info = live_run(MSE)
    assert plot.floor_count() == 0
    _, y = held(plot.raw_curve)
    shifted = plot.data()[1] - info["floor"]
    np.testing.assert_allclose(y[shifted > 0], shifted[shifted > 0])


def test_comparison_excess_of_a_bce_run_uses_its_batch_floors(qtbot, store):
    bce, mse = trained(store, BCE), trained(store, MSE)
    curves = [stored_curve(store, bce), stored_curve(store, mse)]
    assert curves[0].floors is not None and curves[1].floors is None
    row, losses = curves[0]  # still a (row, losses) pair
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.set_smoothing(1)
    plot.set_excess(True)
    plot.set_runs(curves)
    _, y = held(plot.curves[0])
    offset = batch_floor_offset(row.floors, curves[0].floors, row.floor)
    want = losses.astype(np.float64) - curves[0].floors - offset
    np.testing.assert_allclose(y[want > 0], want[want > 0], rtol=1e-5, atol=1e-6)
    mse_row, mse_losses = curves[1]
    _, y_mse = held(plot.curves[1])
    shifted = mse_losses.astype(np.float64) - mse_row.floor
    np.testing.assert_allclose(y_mse[shifted > 0], shifted[shifted > 0], rtol=1e-6)
    plain = ComparisonPlot()  # a plain (row, losses) tuple, as before RunCurve, still draws the constant floor
    qtbot.addWidget(plain)
    plain.set_smoothing(1)
    plain.set_excess(True)
    plain.set_runs([(row, losses)])
    assert len(held(plain._runs_items[0].clamped)[0]) > 0


def test_csv_has_a_batch_floor_column_for_bce_runs_only(store, tmp_path):
    bce = trained(store, BCE)
    mse = synthetic(store, tiny("mse", name="mse synthetic"), decaying(100, 0.0) + 1e-3, floor=0.0)
    out = save_csv([stored_curve(store, bce), stored_curve(store, mse)], tmp_path / "c.csv")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    assert header == ["step", f"#{bce} bce converged", f"#{bce} bce converged batch floor", f"#{mse} mse synthetic"]
    floors = np.array([float(r[2]) for r in rows[1:] if r[2]])
    np.testing.assert_allclose(floors, store.batch_floors(bce), rtol=1e-6)


def test_grid_excess_draws_bce_cells_from_their_batch_floors(qtbot, store):
    bce = trained(store, BCE)
    row, losses = stored_curve(store, bce)
    view = GridView()
    qtbot.addWidget(view)
    view.set_cells([{"loss": "bce", "data": "uniform", "row": row, "losses": losses,
                     "floors": store.batch_floors(bce)}])
    view.set_excess(True)
    _, y = held(view.cells[0].raw)
    assert len(y) and (y > 0).all()
    assert not view.cells[0].floor_line.isVisible()
    assert "floor" in view.cells[0].plot.getAxis("left").labelText


def test_run_curve_is_a_pair(store):
    curve = RunCurve("row", np.ones(3), np.zeros(3))
    row, losses = curve
    assert row == "row" and len(curve) == 2 and curve.floors is not None


def test_the_comparison_names_its_clamp_markers_while_any_show(qtbot, tmp_path):
    """On a log axis in excess mode, batches at or under their floor are drawn on a flat row at the axis' foot:
    the legend says so while any are shown (it read as 'excess reaches 4e-8'), and not otherwise."""
    store = RunStore.open(tmp_path / "clamp")
    rng = np.random.default_rng(0)
    noisy = 0.5 + np.abs(decaying(400, 0.0)) * 0.2 + rng.normal(0, 1e-3, 400)  # dips under its floor 0.5
    run_id = synthetic(store, tiny("mse", name="noisy"), noisy, floor=0.5)
    plot = ComparisonPlot(smoothing=1)
    qtbot.addWidget(plot)
    plot.show()
    plot.set_runs([stored_curve(store, run_id)])

    def texts():
        return [label.text for _, label in plot.legend.items]
    assert not any("clamped" in t for t in texts())
    plot.set_excess(True)
    assert plot._runs_items[0].clamped.isVisible()
    assert any(t.startswith("≤ floor, clamped") for t in texts())
    plot.set_log(False)  # a linear axis draws them as they are: nothing clamped
    assert not any("clamped" in t for t in texts())
    store.close()

"""Grid figure: one plot per loss × data cell on shared axes, floors drawn, saved with its runs embedded."""

import numpy as np
import pytest
from PySide6 import QtGui

from aegui.core.config import config_io
from aegui.core.store.store import RunStore
from aegui.gui.figures.export import ExportError, read_figure
from aegui.gui.grid.figure import GridView, cells_from_results, grid_image, save_grid
from aegui.gui.grid.cells import band_series, peak_thin
from tests.gui.fixtures_runs import decaying, synthetic, tiny

LOSSES, DATAS = ("mse", "bce"), ("uniform", "bernoulli")


@pytest.fixture
def grid(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    results = []
    for loss in LOSSES:
        for data in DATAS:
            floor = 0.5 if (loss, data) == ("bce", "uniform") else 0.0
            curve = decaying(300, floor) + 1e-3
            if (loss, data) == ("mse", "bernoulli"):  # one seed band among the cells
                curve = np.stack([decaying(300, 0.0, s) + 1e-3 for s in range(4)], axis=1)
            run_id = synthetic(store, tiny(loss, data, name=f"{loss} · {data}"), curve, floor=floor)
            results.append({"loss": loss, "data": data, "run_id": run_id})
    yield store, results
    store.close()


def test_png_has_the_requested_width_and_carries_every_cell(qapp, grid, tmp_path):
    store, results = grid
    out = save_grid(store, results, tmp_path / "grid.png", width=1200)
    image = QtGui.QImage(str(out))
    assert image.width() == 1200 and image.height() > 500
    runs = read_figure(out)
    assert [r["run_id"] for r in runs] == [r["run_id"] for r in results]
    for run, res in zip(runs, results):
        cfg = config_io.from_dict(run["config"])
        assert cfg == store.get_run(res["run_id"]).config
        assert (cfg.loss.kind, cfg.data.kind) == (res["loss"], res["data"])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_svg_carries_titles_and_metadata(qapp, grid, tmp_path):
    store, results = grid
    out = save_grid(str(store.path), results, tmp_path / "grid.svg")   # a store path works too
    text = out.read_text(encoding="utf-8")
    assert "BCE × uniform" in text and "floor 0.5 (exact)" in text
    assert len(read_figure(out)) == 4


def test_cells_are_laid_out_losses_by_data_with_x_linked_per_column_and_y_per_row(qapp, qtbot, grid):
    store, results = grid
    view = GridView()
    qtbot.addWidget(view)
    view.set_cells(cells_from_results(store, results))
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    assert view.shape == (list(LOSSES), list(DATAS))
    items = view.layout_widget.ci.items
    for cell, res in zip(view.cells, results):
        r, c = LOSSES.index(res["loss"]), DATAS.index(res["data"])
        assert items[cell.plot] == [(r, c)]
        assert cell.plot.getViewBox().state["logMode"][1]
    for data in DATAS:  # x: linked along each column (one data kind), not across the grid
        col = [c.plot.getViewBox() for c in view.cells if c.data == data]
        assert col[0].linkedView(0) is None and all(vb.linkedView(0) is col[0] for vb in col[1:])
        for vb in col[1:]:  # pyqtgraph aligns linked x on screen: cells without tick labels are a bit wider
            assert vb.viewRange()[0] == pytest.approx(col[0].viewRange()[0], abs=15)
    rows = [[c for c in view.cells if c.loss == loss] for loss in LOSSES]
    for row in rows:  # y: linked, and equal, only along a row (one loss, one unit)
        head = row[0].plot.getViewBox()
        assert head.linkedView(1) is None
        assert all(c.plot.getViewBox().linkedView(1) is head for c in row[1:])
        assert all(c.plot.getViewBox().viewRange()[1] == pytest.approx(head.viewRange()[1], abs=0.05) for c in row)
    mse_y, bce_y = (row[0].plot.getViewBox().viewRange()[1] for row in rows)
    assert mse_y != pytest.approx(bce_y, abs=0.05)


def test_titles_floors_and_seed_band(qapp, qtbot, grid):
    store, results = grid
    view = GridView()
    qtbot.addWidget(view)
    view.set_cells(cells_from_results(store, results))
    bce_uniform = view.cells[2]
    title = bce_uniform.plot.titleLabel.text
    assert "BCE × uniform" in title and "floor 0.5<br>" in title and "final 0.5" in title
    # One precision rule: the title and the floor's label print the floor alike (3 significant digits).
    assert bce_uniform.floor_line.label.toPlainText() == "floor 0.5 (exact)"
    assert bce_uniform.floor_line.isVisible() and bce_uniform.floor_line.value() == pytest.approx(np.log10(0.5))
    assert not view.cells[0].floor_line.isVisible()          # floor 0: no place on a log axis
    band_cell, plain = view.cells[1], view.cells[0]
    assert band_cell.band.isVisible() and band_cell.band.boundingRect().height() > 0
    assert band_cell.raw.getOriginalDataset()[0] is None or len(band_cell.raw.getOriginalDataset()[0]) == 0
    median = np.median(band_cell.losses, 1)
    shown = band_cell.median.getOriginalDataset()[1]
    np.testing.assert_allclose(shown[median > 0], median[median > 0], rtol=1e-6)
    assert (shown > 0).all()                                   # ≤ 0 clamped for the log axis, not dropped
    assert not plain.band.isVisible() and len(plain.raw.getData()[0]) == 300
    assert len(plain.epochs.getData()[0]) == 37               # 300 batches, 8 per epoch


def test_add_live_appends_to_a_running_cell(qapp, qtbot):
    view = GridView()
    qtbot.addWidget(view)
    view.set_cells([{"loss": "mse", "data": "uniform", "floor": 0.0},
                    {"loss": "bce", "data": "uniform", "floor": 0.5, "floor_exact": True}])
    assert "waiting" in view.cells[1].plot.titleLabel.text
    view.add_live("bce", "uniform", np.arange(50), 0.9 - np.arange(50) / 200)
    qtbot.waitUntil(lambda: "running" in view.cells[1].plot.titleLabel.text, timeout=3000)
    view.add_live("bce", "uniform", np.arange(50, 80), np.full(30, 0.6))
    def drawn():
        y = view.cells[1].raw.getOriginalDataset()[1]
        assert y is not None and len(y) == 80
    qtbot.waitUntil(drawn, timeout=3000)
    np.testing.assert_allclose(view.cells[1].raw.getOriginalDataset()[1][-30:], 0.6)
    with pytest.raises(KeyError, match="l1 × uniform"):
        view.add_live("l1", "uniform", [0], [1.0])


def test_thinning_keeps_spikes_and_bands_keep_extremes():
    y = np.ones(100_000)
    y[54_321] = 50.0
    x, t = peak_thin(y, 1000)
    assert len(t) <= 1000 and t.max() == 50.0 and x.max() < 100_000
    band = np.stack([np.full(10_000, 1.0), np.full(10_000, 3.0)], 1)
    band[777, 0] = 0.01
    bx, mid, lo, hi = band_series(band, 500)
    assert len(bx) <= 500 and lo.min() == 0.01 and hi.max() == 3.0 and np.allclose(mid, 2.0, atol=0.1)


def test_grid_image_and_errors(qapp, grid, tmp_path):
    store, results = grid
    image = grid_image(cells_from_results(store, results[:2]), width=800)
    assert image.width() == 800 and "aegui_figure" in image.text("aegui")
    with pytest.raises(ExportError, match=r"\.png, \.svg or \.pdf"):
        save_grid(store, results, tmp_path / "grid.jpg")
    with pytest.raises(ExportError, match="no run 9999"):
        save_grid(store, [{"loss": "mse", "data": "uniform", "run_id": 9999}], tmp_path / "g.png")
    with pytest.raises(ExportError, match="does not exist"):
        save_grid(store, results, tmp_path / "missing" / "g.png")


def test_cli_grid_saves_an_excess_figure(tmp_path, capsys):
    from aegui.cli import main
    from aegui.gui.figures.export import read_figure
    out = tmp_path / "grid.png"
    code = main(["--data-dir", str(tmp_path / "d"), "grid", "--samples", "512", "--epochs", "2", "--device", "cpu",
                 "--excess", "--out", str(out)])
    assert code == 0 and out.exists()
    assert len(read_figure(out)) == 4
    assert "propagateSizeHints" not in capsys.readouterr().err


def test_finished_cell_is_not_recomputed_while_another_trains(qapp, qtbot, monkeypatch):
    view = GridView()
    qtbot.addWidget(view)
    view.set_cells([{"loss": "mse", "data": "uniform", "floor": 0.0},
                    {"loss": "mse", "data": "gaussian", "floor": 0.0},
                    {"loss": "bce", "data": "uniform", "floor": 0.5}])
    view.set_cell({"loss": "mse", "data": "uniform", "losses": np.linspace(1, 0.1, 500)})
    finished, running, other_row = view.cells
    calls = {id(c): 0 for c in view.cells}
    for cell in view.cells:
        real = cell._compute_series
        def counted(excess_mode, cell=cell, real=real):
            calls[id(cell)] += 1
            return real(excess_mode)
        monkeypatch.setattr(cell, "_compute_series", counted)
    for i in range(3):
        view.add_live("mse", "gaussian", np.arange(i * 20, i * 20 + 20), np.full(20, 0.5))
        view.redraw()
    assert calls[id(running)] == 3
    assert calls[id(finished)] == 0           # same row: redrawn from its cached series
    assert calls[id(other_row)] == 0
    drawn = {id(c): 0 for c in view.cells}
    for cell in view.cells:
        monkeypatch.setattr(cell, "draw", lambda *a, cell=cell, **k: drawn.__setitem__(id(cell), drawn[id(cell)] + 1))
    view.add_live("mse", "gaussian", np.arange(60, 80), np.full(20, 0.5))
    view.redraw()
    assert drawn[id(other_row)] == 0          # a row with no change is not redrawn at all
    view.set_excess(True)
    assert calls[id(finished)] == 1           # a new mode: computed once, then cached
    view.set_excess(False)
    view.set_excess(True)
    assert calls[id(finished)] == 1

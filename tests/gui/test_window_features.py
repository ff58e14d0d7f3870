"""The window's issue-4 features end to end, offscreen: seed bands, live reconstructions, grids, figures, hints."""

import pytest
from PySide6 import QtWidgets

from aegui.core.engine.records import Reconstruction, RunStart
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.core.store.store import RunStore
from aegui.gui.figures import export
from aegui.gui.grid.dialog import GridDialog
from aegui.gui.window.layout import COMPARE_HINT, LIVE_HINT

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def stored(data_dir):
    store = RunStore(data_dir / "runs.sqlite")
    try:
        return [(r, store.losses(r.run_id)) for r in store.list_runs()]
    finally:
        store.close()


def run_to_end(qtbot, window, config):
    window.panels.set_config(config)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000) as ended:
        assert window.start_run()
    return ended.args[0]


def test_seed_band_run_draws_the_band_and_stores_every_copy(qtbot, window, data_dir):
    window.acts.seeds.setValue(3)
    assert run_to_end(qtbot, window, TINY) == "finished"
    assert window.live.band_count() == window.live.point_count() == 16
    # the plot draws at its next tick (≤ 30 Hz), which may come after the run's end
    qtbot.waitUntil(lambda: window.live.band.isVisible() and not window.live.band.path().isEmpty(), timeout=5_000)
    (row, losses), = stored(data_dir)
    assert row.copies == 3 and losses.shape == (16, 3) and len(row.copy_final) == 3
    from aegui.gui.results_model import TITLES
    assert window.results.proxy.index(0, TITLES.index("seeds")).data() == "3"
    assert "each seed's final loss" in window.results.proxy.index(0, 0).data(3)  # ToolTipRole


def test_reconstruction_reaches_the_view_during_a_run(qtbot, window):
    window.panels.set_config(with_changes(TINY, **{"training.epochs": 100_000}))
    with qtbot.waitSignal(window.runner.sigRecord, timeout=30_000,
                          check_params_cb=lambda r: isinstance(r, Reconstruction)) as snap:
        window.start_run()
    x, xhat, codes, kind = snap.args[0].x, snap.args[0].xhat, snap.args[0].codes, snap.args[0].loss
    assert x.shape == xhat.shape == (512, 2) and codes is None and kind == "mse"
    qtbot.waitUntil(lambda: window.recon._x is not None, timeout=5_000)
    assert "fixed sample points" in window.recon.readout.text()
    with qtbot.waitSignal(window.sigRunEnded, timeout=10_000):
        window.stop_run()


def test_grid_dialog_defaults_to_the_seed_design_and_refuses_with_reasons(qtbot):
    dialog = GridDialog(TINY)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == (["mse", "bce"], ["uniform", "bernoulli"])
    assert [(c.loss, c.data) for c in dialog.accepted_cells()] == [
        ("mse", "uniform"), ("mse", "bernoulli"), ("bce", "uniform"), ("bce", "bernoulli")]
    bce_uniform = dialog.accepted_cells()[2]
    assert bce_uniform.config.model.output == "sigmoid" and bce_uniform.floor == pytest.approx(0.5, abs=0.01)
    d = TINY.data  # each cell says the shape it will train at (the panels', a loaded file's too)
    assert f"{d.samples:,} × {d.features:,}" in dialog.cell_list.item(0).text()
    dialog.data_boxes["gaussian"].setChecked(True)
    refused = [c for c in dialog.cells if c.refused]
    assert [(c.loss, c.data) for c in refused] == [("bce", "gaussian")] and "[0, 1]" in refused[0].refused
    assert "refused" in dialog.cell_list.item(5).text() and "skipped" in dialog.summary.text()
    for box in dialog.loss_boxes.values():
        box.setChecked(False)
    assert not dialog.run_button.isEnabled()


def test_a_2x2_grid_runs_every_cell_into_one_group(qtbot, window, data_dir, tmp_path, monkeypatch):
    window.panels.set_config(TINY)
    window.queue.open_grid_dialog()
    cells = window.queue.grid_dialog.accepted_cells()
    window.queue.grid_dialog.reject()
    assert window.queue.start_grid(cells)
    assert window.ui.tabs.currentWidget() is window.grid_panel and not window.acts.grid.isEnabled()
    with qtbot.waitSignal(window.queue.grid_run.sigDone, timeout=60_000) as done:
        pass
    assert done.args == ["finished"] and window.queue.grid_run is None and not window.is_running()
    runs = stored(data_dir)
    assert len(runs) == 4 and len({r.group_name for r, _ in runs}) == 1 and runs[0][0].group_name
    view = window.grid_panel.view
    assert all(c.row is not None and len(c.values()) == 16 for c in view.cells)
    assert view.shape == (["mse", "bce"], ["uniform", "bernoulli"])
    assert not window.ui.recon_tabs.isVisible()  # the grid takes the width while its tab shows
    target = tmp_path / "grid"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "PNG image (*.png)")))
    window.acts.save_grid.trigger()
    assert window.last_message == f"Saved {target}.png"
    assert {r["run_id"] for r in export.read_figure(f"{target}.png")} == {r.run_id for r, _ in runs}


def test_open_figure_then_rerun_loads_the_config_and_runs_it(qtbot, window, data_dir, tmp_path):
    assert run_to_end(qtbot, window, with_changes(TINY, name="from figure", **{"optimizer.lr": 0.0042})) == "finished"
    path = tmp_path / "fig.png"
    export.save_comparison(window.results.rows_and_losses([stored(data_dir)[0][0].run_id]), path, 600)
    window.panels.set_config(TINY)
    window.files.open_figure(str(path))
    dialog = window.files.figure_dialog
    assert dialog.isVisible() and dialog.table.rowCount() == 1
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
        dialog.rerun_selected()
    assert window.panels.config().optimizer.lr == 0.0042 and window.panels.config().name == "from figure"
    assert len(stored(data_dir)) == 2


def test_open_figure_load_only_fills_the_panels(qtbot, window, data_dir, tmp_path):
    assert run_to_end(qtbot, window, with_changes(TINY, **{"optimizer.lr": 0.0077})) == "finished"
    path = tmp_path / "fig.svg"
    export.save_comparison(window.results.rows_and_losses([stored(data_dir)[0][0].run_id]), path)
    window.panels.set_config(TINY)
    window.files.open_figure(str(path))
    window.files.figure_dialog.load_selected()
    assert window.panels.config().optimizer.lr == 0.0077 and not window.is_running()


def test_hints_claim_and_idle_status(qtbot, window):
    assert window.live.hint() == LIVE_HINT and window.comparison.hint() == COMPARE_HINT
    assert "Run (Ctrl+R)" in window.ui.idle_label.text()
    window.panels.apply_preset("sigmoid-bce-uniform")
    assert window.ui.claim.isVisible() and "0.5 nats" in window.ui.claim.text() and "floor" in window.ui.claim.text()
    window.panels.fields["optimizer.lr"].widget.setText("0.05")
    assert "0.5 nats" in window.ui.claim.text() and "changed since" not in window.ui.claim.text()  # follows the config
    assert run_to_end(qtbot, window, TINY) == "finished"
    assert window.live.hint() is None and "final loss" in window.ui.idle_label.text()
    window.results.view.selectAll()
    assert window.comparison.hint() is None
    window.results.view.clearSelection()
    assert window.comparison.hint() == COMPARE_HINT


def test_default_size_fills_most_of_the_screen(window):
    area, least = window.screen().availableGeometry(), window.minimumSizeHint()
    assert window.width() == max(min(int(area.width() * 0.9), 1600), least.width())
    assert window.height() == max(min(int(area.height() * 0.9), 1000), least.height())
    header = window.results.view.horizontalHeader()
    titles = [window.results.proxy.headerData(i, header.orientation()) for i in range(10)]
    assert {"data floor", "model floor", "optimizer gap", "gap to floor"} <= set(titles)  # in view without scrolling


def test_run_end_is_drawn_at_once_and_the_run_is_listed_while_it_trains(qtbot, window):
    listed = []
    window.runner.sigRecord.connect(
        lambda r: listed.append(window.results.model.rowCount()) if isinstance(r, RunStart) else None)
    window.live.pacing.timer.setInterval(60_000)  # a paced tick would come far too late to draw this run
    window.panels.set_config(TINY)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
        window.start_run()
    assert listed == [1]  # the running row shows before the first batch is drawn
    x, _ = window.live.raw_curve.getData()
    assert len(x) == window.live.point_count() > 0  # drawn by the end signal, not a later paced tick

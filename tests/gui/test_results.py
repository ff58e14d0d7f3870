"""The results pane lists the store, sorts, filters, renames, deletes after asking, and feeds comparisons."""

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from aegui.core.store import RunStore
from aegui.gui.plots.loss_plot import ComparisonPlot
from aegui.gui.results import COLUMNS, ResultsPane
from tests.gui.fixtures_runs import decaying, synthetic, tiny, trained


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    ids = [trained(store, tiny("mse", "uniform")), trained(store, tiny("bce", "bernoulli"))]
    ids.append(synthetic(store, tiny("bce", "uniform", name="bce on uniform"), decaying(300)))
    store.close()
    return str(path), ids


@pytest.fixture
def pane(qtbot, store_path):
    p = ResultsPane(store_path[0])
    qtbot.addWidget(p)
    p.resize(1200, 400)
    p.show()
    yield p
    p.close_store()


def column(name):
    return [c[0] for c in COLUMNS].index(name)


def cell(pane, row, name):
    return pane.proxy.index(row, column(name)).data()


def test_lists_every_stored_run_with_its_columns(pane, store_path):
    titles = [pane.proxy.headerData(i, QtCore.Qt.Orientation.Horizontal) for i in range(pane.proxy.columnCount())]
    for wanted in ("name", "data", "model", "loss", "lr", "batches", "final loss", "min loss", "data floor",
                   "model floor", "optimizer gap", "eval loss", "gap to floor", "stop reason", "duration", "device", "status"):
        assert wanted in titles
    assert pane.proxy.rowCount() == 3
    names = {cell(pane, r, "name") for r in range(3)}
    assert "bce on uniform" in names and "linear mse uniform" in names
    row = [r for r in range(3) if cell(pane, r, "name") == "bce on uniform"][0]
    assert cell(pane, row, "model floor") == "0.5" and cell(pane, row, "data floor") == "0"
    assert float(cell(pane, row, "gap to floor")) == pytest.approx(decaying(300)[-1] - 0.5, abs=1e-3)
    assert cell(pane, row, "stop reason") == "max_epochs"


def test_selection_overlays_curves_in_the_comparison_plot(qtbot, pane, store_path):
    ids = store_path[1][:2]
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    pane.sigSelectionChanged.connect(lambda run_ids: plot.set_runs(pane.rows_and_losses(run_ids)))
    with qtbot.waitSignal(pane.sigSelectionChanged, timeout=5000) as blocker:
        pane.select_runs(ids)
    assert sorted(blocker.args[0]) == sorted(ids)
    legend = [label.text for _, label in plot.legend.items]
    assert len(legend) == 2 and all(text.startswith("#") for text in legend)
    assert {r.run_id for r, _ in plot.runs} == set(ids)
    assert all(len(losses) == 16 for _, losses in plot.runs)  # 512 samples / 64 per batch × 2 epochs


def test_filter_and_sort(pane):
    pane.filter_edit.setText("bernoulli")
    assert pane.proxy.rowCount() == 1
    pane.filter_edit.clear()
    pane.view.sortByColumn(column("final loss"), QtCore.Qt.SortOrder.AscendingOrder)
    finals = [float(cell(pane, r, "final loss")) for r in range(3)]
    assert finals == sorted(finals)


def test_rename_by_editing_the_name_cell(pane, store_path):
    idx = pane.proxy.index(0, column("name"))
    run_id = pane.model.row(idx.row()).run_id
    assert pane.proxy.setData(idx, "renamed run")
    assert pane.store.get_run(run_id).name == "renamed run"
    pane.refresh()
    assert "renamed run" in {cell(pane, r, "name") for r in range(3)}


def test_notes_dialog_stores_notes(pane, monkeypatch):
    pane.select_runs([pane.model.row(0).run_id])
    monkeypatch.setattr(QtWidgets.QInputDialog, "getMultiLineText", lambda *a, **k: ("stalls at 0.5", True))
    pane.edit_notes()
    assert pane.store.get_run(pane.model.row(0).run_id).notes == "stalls at 0.5"


def test_delete_asks_first(pane, store_path, monkeypatch):
    victim = store_path[1][0]
    pane.select_runs([victim])
    asked = []
    Button = QtWidgets.QMessageBox.StandardButton

    def answer(reply):
        return lambda *a, **k: asked.append(a[2]) or reply

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", answer(Button.No))
    pane.delete_selected()
    assert pane.proxy.rowCount() == 3 and "cannot be undone" in asked[0]
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", answer(Button.Yes))
    pane.delete_selected()
    assert pane.proxy.rowCount() == 2
    with pytest.raises(KeyError):
        pane.store.get_run(victim)


def test_load_config_emits_the_runs_config(qtbot, pane, store_path):
    run_id = store_path[1][1]
    pane.select_runs([run_id])
    with qtbot.waitSignal(pane.sigLoadConfig, timeout=5000) as blocker:
        pane.actions_by_name["Load config"].trigger()
    assert blocker.args[0] == pane.store.get_run(run_id).config
    assert blocker.args[0].loss.kind == "bce"


def test_refresh_lists_a_thousand_runs_quickly(qtbot, tmp_path):
    store = RunStore(tmp_path / "big.sqlite")
    first = synthetic(store, tiny(), np.linspace(1, 0.1, 2000))
    cols = "name, status, stop_reason, config, created, updated, seconds, batches, epochs, final_loss, " \
           "min_epoch_loss, floor, floor_exact, device, notes, copies"
    with store.db:
        for _ in range(999):
            store.db.execute(f"INSERT INTO runs({cols}) SELECT {cols} FROM runs WHERE run_id=?", (first,))
    store.close()
    pane = ResultsPane(str(tmp_path / "big.sqlite"))
    qtbot.addWidget(pane)
    t0 = time.perf_counter()
    pane.refresh()
    elapsed = time.perf_counter() - t0
    pane.close_store()
    assert pane.proxy.rowCount() == 1000
    print(f"listed 1,000 runs in {elapsed:.3f} s")
    assert elapsed <= 0.5, f"listing 1,000 runs took {elapsed:.3f} s (target 0.5 s)"


def test_refresh_keeps_the_selection_without_signalling_it(pane, store_path):
    ids = store_path[1][:2]
    pane.select_runs(ids)
    seen = []
    pane.sigSelectionChanged.connect(seen.append)
    pane.refresh()                                   # e.g. after a run ends: same runs selected, nothing re-read
    assert seen == [] and set(pane.selected_run_ids()) == set(ids)
    pane.store.delete(ids[0])
    pane.refresh()                                   # a selected run went: the selection did change
    assert seen and set(seen[-1]) == {ids[1]}

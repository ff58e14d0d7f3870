"""The results pane lists the store, sorts, filters, renames, deletes after asking, and feeds comparisons."""

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from aegui.core.store.store import RunStore
from aegui.gui.plots.loss_plot import ComparisonPlot
from aegui.gui.results import COLUMNS, COMPARE_LIMIT, ResultsPane
from aegui.gui.results_model import PAGE
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
    row = next(r for r in range(3) if cell(pane, r, "name") == "bce on uniform")
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
    assert pane.proxy.rowCount() == 1000
    pane.close_store()
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


def _many(tmp_path, n):
    """A store of n runs, copied in SQL from one synthetic run: run ids 1..n, names 'run 1'..'run n'."""
    store = RunStore(tmp_path / "many.sqlite")
    first = synthetic(store, tiny(), np.linspace(1, 0.1, 50))
    cols = "status, stop_reason, config, created, updated, seconds, batches, epochs, final_loss, " \
           "min_epoch_loss, floor, floor_exact, device, notes, copies, floors, eval_loss"
    with store.db:
        store.db.execute("UPDATE runs SET name='run 1' WHERE run_id=?", (first,))
        for i in range(2, n + 1):
            cur = store.db.execute(f"INSERT INTO runs(name, {cols}) SELECT ?, {cols} FROM runs WHERE run_id=?",
                                   (f"run {i}", first))
            store.db.execute("INSERT INTO loss_chunks SELECT ?, start_step, n, data, floors, codec FROM loss_chunks "
                             "WHERE run_id=?", (cur.lastrowid, first))
    store.close()
    return str(tmp_path / "many.sqlite")


@pytest.fixture
def many(qtbot, tmp_path):
    p = ResultsPane(_many(tmp_path, 1000))
    qtbot.addWidget(p)
    p.resize(900, 400)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.close_store()


def test_rows_are_read_lazily_a_page_at_a_time(many):
    assert many.model.rowCount() == 1000
    assert 0 < many.model.parsed <= 2 * PAGE  # the first screenful, not the whole store
    many.view.scrollToBottom()
    QtWidgets.QApplication.processEvents()
    assert cell(many, 999, "name") == "run 1"
    assert many.model.parsed <= 4 * PAGE


def test_filter_and_sort_run_in_sqlite_over_every_run(many):
    many.filter_edit.setText("RUN 99")  # any case; matches run 99 and run 990..999
    assert many.model.rowCount() == 11
    many.filter_edit.setText("100%")  # LIKE's wildcards are taken literally
    assert many.model.rowCount() == 0
    many.filter_edit.setText("loss")  # a config key, not a value: matches no run
    assert many.model.rowCount() == 0
    many.filter_edit.clear()
    many.view.sortByColumn(column("name"), QtCore.Qt.SortOrder.AscendingOrder)
    assert cell(many, 0, "name") == "run 1" and cell(many, 1, "name") == "run 10"
    many.view.sortByColumn(-1, QtCore.Qt.SortOrder.AscendingOrder)
    assert cell(many, 0, "name") == "run 1000"  # the store's order again: newest first


def test_unset_values_sort_last_either_way(pane):
    running = pane.store.create_run(tiny(), device="cpu", floors=[])  # no eval loss yet
    pane.refresh()
    for order in (QtCore.Qt.SortOrder.AscendingOrder, QtCore.Qt.SortOrder.DescendingOrder):
        pane.view.sortByColumn(column("eval loss"), order)
        assert pane.model.ids[-1] == running
    evals = [float(cell(pane, r, "eval loss")) for r in range(3)]
    assert evals == sorted(evals, reverse=True)


def test_a_refresh_rereads_only_the_rows_that_changed_and_keeps_the_selection(qtbot, many):
    many.select_runs(many.model.ids[:5])
    kept = {i: many.model.row(r) for r, i in enumerate(many.model.ids[:PAGE])}
    seen = []
    many.sigSelectionChanged.connect(seen.append)
    changed = many.model.ids[3]
    many.store.finish_run(changed, "cancelled", "cancelled")
    new = many.store.create_run(tiny(), device="cpu", floors=[])  # a run starts: listed first
    many.refresh()
    assert many.model.ids[0] == new and many.model.rowCount() == 1001
    assert seen == [] and many.selected_run_ids() == list(kept)[:5]
    assert many.model.row(4).status == "cancelled"
    assert all(many.model.row(r + 1) is kept[i] for r, i in enumerate(list(kept)[:PAGE - 1]) if i != changed)


def test_selecting_all_reads_only_the_curves_the_comparison_shows(many):
    got = []
    many.sigSelectionChanged.connect(lambda ids: got.append(many.rows_and_losses(ids)))
    many.view.selectAll()
    assert len(many.selected_run_ids()) == 1000
    assert len(got[-1]) == COMPARE_LIMIT and got[-1].total == 1000 and got[-1].left_out == 1000 - COMPARE_LIMIT


def test_a_running_run_cannot_be_deleted(pane, store_path, monkeypatch):
    running = pane.store.create_run(tiny(), device="cpu", floors=[])
    pane.refresh()
    delete = pane.actions_by_name["Delete…"]
    pane.select_runs([running])
    assert not delete.isEnabled() and "training" in delete.toolTip()
    told = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: pytest.fail("asked to delete it"))
    pane.delete_selected()
    assert "training" in told[0] and pane.store.get_run(running).status == "running"
    # With a finished run selected too: that one goes, the running one stays, and the question says so.
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QtWidgets.QMessageBox.StandardButton.Yes)
    pane.select_runs([running, store_path[1][0]])
    assert delete.isEnabled()
    pane.delete_selected()
    assert "is training and is kept" in asked[0] and f"#{running}" in asked[0]
    assert pane.store.get_run(running).status == "running"
    with pytest.raises(KeyError):
        pane.store.get_run(store_path[1][0])
    pane.store.finish_run(running, "cancelled", "cancelled")  # once it ends it can go
    pane.refresh()
    pane.select_runs([running])
    assert delete.isEnabled() and "training" not in delete.toolTip()


def test_a_rename_reaches_the_comparison_legend_at_once(qtbot, pane, store_path):
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    pane.sigSelectionChanged.connect(lambda run_ids: plot.set_runs(pane.rows_and_losses(run_ids)))
    ids = store_path[1][:2]
    pane.select_runs(ids)
    r = pane.model.row_of(ids[0])
    assert pane.model.setData(pane.model.index(r, column("name")), "the renamed run")
    assert any("the renamed run" in label.text for _, label in plot.legend.items)


def test_every_column_header_says_what_it_means(pane):
    tips = [pane.model.headerData(i, QtCore.Qt.Orientation.Horizontal, QtCore.Qt.ItemDataRole.ToolTipRole)
            for i in range(pane.model.columnCount())]
    assert all(tip and len(tip) > 15 for tip in tips)
    assert "floor" in tips[column("gap to floor")] and "optimizer" in tips[column("optimizer gap")]


def test_eval_loss_floors_and_gaps_show_without_scrolling_in_400_px(qtbot, pane):
    pane.resize(418, 300)  # the pane's width in the window at 1280 px
    qtbot.waitUntil(lambda: pane.view.viewport().width() < 420)
    header, width = pane.view.horizontalHeader(), pane.view.viewport().width()
    for title in ("name", "eval loss", "gap to floor", "data floor", "model floor"):
        i = column(title)
        assert header.sectionViewportPosition(i) + header.sectionSize(i) <= width, title


def test_every_column_sorts(pane):
    for i in range(len(COLUMNS)):
        for order in (QtCore.Qt.SortOrder.AscendingOrder, QtCore.Qt.SortOrder.DescendingOrder):
            pane.view.sortByColumn(i, order)
            assert pane.model.rowCount() == 3


def test_the_filter_index_answers_as_sqlite_does_and_follows_new_runs(qtbot, many):
    qtbot.waitUntil(lambda: many.model.index_done, timeout=10_000)
    for text in ("run 99", "MSE", "uniform", "#12", "finished", "zzz"):
        many.filter_edit.setText(text)
        assert many.model.ids == [r[0] for r in many.store.ordered_ids(text)], text
    many.filter_edit.setText("brand new")
    assert many.model.rowCount() == 0
    new = many.store.create_run(tiny(name="brand new run"), device="cpu", floors=[])
    many.refresh()
    assert many.model.ids == [new]
    many.store.delete(new)
    many.refresh()
    assert many.model.ids == [] and new not in many.model.search_text


def test_new_runs_listed_above_a_selection_leave_it_whole(qtbot, tmp_path):
    # A new run is listed first (newest first): every selected run stays selected, contiguous or not, and the
    # comparison is not told of a change that did not happen.
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    ids = [synthetic(store, tiny("mse", "uniform", name=f"run {i}"), decaying(50 + i)) for i in range(5)]
    p = ResultsPane(str(path))
    qtbot.addWidget(p)
    p.resize(1200, 400)
    p.show()
    told = []
    p.sigSelectionChanged.connect(told.append)
    for pick in ([ids[0], ids[1], ids[2], ids[3]], [ids[0], ids[2], ids[4], ids[1]]):
        p.select_runs(pick)
        told.clear()
        for k in range(3):
            synthetic(store, tiny("bce", "uniform", name=f"new {k}"), decaying(40))
            p.refresh()
            assert sorted(p.selected_run_ids()) == sorted(pick)
        assert told == []
    p.close_store()
    store.close()


def test_a_run_stored_by_another_process_shows_without_a_click(qtbot, pane, store_path):
    # The CLI (another connection) stores a run while the window is open: the table lists it by itself.
    before = pane.proxy.rowCount()
    other = RunStore(store_path[0])
    new = synthetic(other, tiny("mse", "uniform", name="from the CLI"), decaying(30))
    other.close()
    qtbot.waitUntil(lambda: pane.proxy.rowCount() == before + 1, timeout=10_000)
    assert new in pane.model.ids


def test_a_selections_paint_waits_for_the_events_already_due(qtbot, tmp_path):
    # A 40-run selection's work and its paint each block the GUI thread ~40 ms; in one turn they made the
    # window deaf for ~100 ms. A timer due while the selection is set must run before the plot paints it.
    store = RunStore(_many(tmp_path, 40))
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    qtbot.waitExposed(plot)
    order: list[str] = []

    def select():
        order.append("set")
        plot.set_runs([(store.get_run(i), store.losses(i)) for i in range(1, 41)])
        plot.plot_widget.paint_s = -1.0  # the next paint sets it (TimedPlotWidget)

    def timer():
        order.append("timer" if plot.plot_widget.paint_s == -1.0 else "timer after the paint")
    QtCore.QTimer.singleShot(0, select)
    QtCore.QTimer.singleShot(1, timer)  # falls due while the runs are set
    qtbot.waitUntil(lambda: plot.plot_widget.paint_s != -1.0 and len(order) == 2)
    assert order == ["set", "timer"]
    assert plot.updatesEnabled() and len(plot.curves) == 40 and all(c.isVisible() for c in plot.curves)
    store.close()


def test_a_plot_not_shown_paints_when_asked(qtbot, tmp_path):
    # A saved figure's panels are never shown: they must grab at once, with nothing to wait for.
    store = RunStore(_many(tmp_path, 3))
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.set_runs([(store.get_run(i), store.losses(i)) for i in (1, 2)])
    assert plot.updatesEnabled()
    store.close()


def test_the_name_column_widens_with_the_table_until_the_user_sizes_it(qtbot, pane):
    from PySide6 import QtGui
    header = pane.view.horizontalHeader()
    name = "sigmoid bce, 4 seeds, lr 0.01"
    assert pane.model.setData(pane.model.index(0, column("name")), name)
    pane.resize(418, 300)  # the pane beside the panels: the numbers first, the name elided
    qtbot.waitUntil(lambda: header.sectionSize(column("name")) == 112)
    pane.resize(1010, 300)  # the Compare tab's table at 1280 × 800
    need = QtGui.QFontMetrics(pane.view.font()).horizontalAdvance(name) + 8
    qtbot.waitUntil(lambda: header.sectionSize(column("name")) >= need)
    width = pane.view.viewport().width()
    for title in ("eval loss", "gap to floor", "data floor", "model floor", "optimizer gap"):
        i = column(title)
        assert header.sectionViewportPosition(i) + header.sectionSize(i) <= width, title
    header.resizeSection(column("name"), 150)  # as a drag of its edge does
    pane.resize(1200, 300)
    qtbot.waitUntil(lambda: pane.view.viewport().width() > 1100)
    assert header.sectionSize(column("name")) == 150


def test_a_negative_gap_and_the_round_off_mark_show_whole(pane):
    from PySide6 import QtGui
    metrics = QtGui.QFontMetrics(pane.view.font())
    header = pane.view.horizontalHeader()
    for title, text in (("gap to floor", "-1.644e-05"), ("optimizer gap", "49.96 (round-off)")):
        assert header.sectionSize(column(title)) >= metrics.horizontalAdvance(text) + 6, (title, text)


def test_the_table_never_reads_a_closed_store(qtbot, pane):
    # A paint after close_store read the closed store, and PySide crashed (SIGSEGV) printing the exception.
    pane.refresh()
    pane.close_store()
    pane.view.viewport().repaint()
    assert pane.model.rowCount() == 0


def test_a_store_failing_under_a_paint_leaves_a_blank_cell(qtbot, pane, monkeypatch):
    import sqlite3

    def fail(*_):
        raise sqlite3.OperationalError("disk I/O error")
    pane.model.cache.clear()
    monkeypatch.setattr(pane.store, "rows_by_id", fail)
    assert pane.model.data(pane.model.index(0, column("eval loss"))) is None
    pane.view.viewport().repaint()

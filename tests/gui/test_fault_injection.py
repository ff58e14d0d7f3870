"""The window under faults (issue 10): a full disk opens the store read-only and says why; damaged cells, a
broken saved config and hostile figures never keep it shut; the memory guard and a figure's data file
are asked about before anything is allocated or read. Nothing stored is lost."""

import json
import sqlite3

import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from aegui.core.config import config as cfg
from aegui.core.config import config_io
from aegui.core.store.store import RunStore
from aegui.gui import app
from aegui.gui.figures.export import FIGURE_SCHEMA
from aegui.gui.figures.open_figure import FigureDialog
from aegui.gui.results import NAME_COLUMN
from tests.gui.fixtures_runs import decaying, synthetic, tiny


@pytest.fixture
def three_runs(data_dir):
    store = RunStore(data_dir / "runs.sqlite")
    for i in range(3):
        synthetic(store, tiny(name=f"run {i}"), decaying(50, 0.0) + 1e-3, floor=0.0)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return (data_dir / "runs.sqlite").read_bytes()


def _full_disk_error() -> sqlite3.Error:
    """SQLite's own 'database or disk is full', as the core fault tests raise it."""
    from tests.core.test_fault_injection import _genuine
    return _genuine("full")


def test_full_disk_opens_read_only_says_why_and_refuses_to_run(qtbot, data_dir, three_runs, monkeypatch):
    error = _full_disk_error()

    def full(self, quick_check=True):
        raise error
    monkeypatch.setattr(RunStore, "_try_connect", full)
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    assert window.results.model.rowCount() == 3  # the history is there
    box = window.store_notice
    assert box.isVisible() and "the disk is full" in box.text() and "read-only" in box.text()
    assert "read-only" in window.statusBar().currentMessage()
    box.close()
    assert not window.launch(tiny())
    assert "read-only" in window.failure_box.text() and window.failure_box.isVisible()
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    model = window.results.model
    assert not model.setData(model.index(0, NAME_COLUMN), "renamed")  # a write: refused in a dialog
    assert len(shown) == 1 and "it is read-only" in shown[0]
    window.close()
    assert (data_dir / "runs.sqlite").read_bytes() == three_runs
    assert not [p for p in data_dir.iterdir() if ".corrupt-" in p.name]


def test_damaged_cells_never_keep_the_window_shut(qtbot, data_dir, three_runs):
    db = sqlite3.connect(data_dir / "runs.sqlite")
    with db:
        db.execute("UPDATE runs SET versions='{broken' WHERE run_id=2")
        db.execute("UPDATE runs SET config='[' WHERE run_id=3")
    db.close()
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    assert window.results.model.rowCount() == 3
    statuses = sorted(r.status for r in window.store.list_runs())
    assert statuses == ["damaged", "damaged", "finished"]
    window.close()


def test_a_broken_saved_config_falls_back_to_the_defaults_with_a_warning(qtbot, data_dir, capsys):
    QSettings().setValue("config", '{"data": {"samples": ' + "[" * 200 + "]" * 200 + "}}")
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    assert window.panels.config() == cfg.RunConfig()
    assert "defaults" in window.settings_warning and "defaults" in window.last_message
    assert "defaults" in capsys.readouterr().err
    window.close()


def _svg_figure(path, configs) -> None:
    runs = [{"run_id": i + 1, "name": f"r{i}", "config": config_io.to_dict(c), "summary": {}} for i, c in enumerate(configs)]
    meta = json.dumps({"aegui_figure": FIGURE_SCHEMA, "runs": runs})
    path.write_text(f'<svg><metadata id="aegui-runs"><![CDATA[{meta}]]></metadata></svg>')


def test_a_nested_json_figure_dropped_is_shown_not_raised(qtbot, tmp_path, capsys):
    f = tmp_path / "nested.svg"
    f.write_bytes(b'<svg><metadata id="aegui-runs"><![CDATA[' + b"[" * 50_000 + b"]]></metadata></svg>")
    d = FigureDialog(f)
    qtbot.addWidget(d)
    assert d.message.isVisibleTo(d) and "nested more than" in d.message.text()
    assert "Traceback" not in capsys.readouterr().err


def test_a_figure_naming_a_data_file_asks_before_reading_it(qtbot, tmp_path, monkeypatch):
    secret = tmp_path / "secret.csv"
    secret.write_text("1,2\n3,4\n")
    f = tmp_path / "fig.svg"
    _svg_figure(f, [cfg.with_changes(tiny(), **{"data.kind": "file", "data.file": str(secret),
                                                "training.batch_size": 1})])
    asked = []

    def no(parent, title, text, *a):
        asked.append(text)
        return QMessageBox.StandardButton.No
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", no)
    d = FigureDialog(f)
    qtbot.addWidget(d)
    emitted = []
    d.sigRerun.connect(emitted.append)
    d.rerun_selected()
    assert len(asked) == 1 and str(secret) in asked[0] and emitted == []  # the path shown, nothing read
    # Load into panels asks too: the panels read the file to describe it (issue 18: it read it unasked)
    loaded = []
    d.sigLoad.connect(lambda *a: loaded.append(a))
    d.load_selected()
    assert len(asked) == 2 and str(secret) in asked[1] and loaded == []


def test_rerun_from_a_figure_goes_through_the_memory_guard(qtbot, data_dir, tmp_path):
    huge = cfg.with_changes(cfg.RunConfig(), **{"model.kind": "mlp", "model.depth": 64, "model.hidden": 10000,
                                                "data.features": 10000, "data.samples": 100,
                                                "training.batch_size": 100})
    f = tmp_path / "huge.svg"
    _svg_figure(f, [huge])
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    window.files.open_figure(str(f))
    window.files.figure_dialog.rerun_selected()
    assert not window.is_running()
    assert "memory" in window.failure_box.text() and "GB" in window.failure_box.text()
    assert "Cannot run" in window.last_message
    window.close()
    assert RunStore(data_dir / "runs.sqlite").list_runs() == []  # nothing stored, nothing allocated

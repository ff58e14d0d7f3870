"""Faults in the app (issue 5 §2): a damaged store, a read-only data folder, a full disk on export, NaN mid-run.

The app starts (or, when it cannot, says why without a traceback) and nothing stored is lost.
"""

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtGui
from PySide6.QtWidgets import QMessageBox

from aegui import cli
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig
from aegui.core.store.store import RunStore
from aegui.gui import app
from aegui.gui.figures import export_csv, render as figure_render
from aegui.gui.figures.export import ExportError, save_comparison, save_csv
from tests.gui.fixtures_runs import decaying, synthetic, tiny

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=3, tol=0.0))


def _full_disk(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_app_starts_over_a_damaged_store_and_says_so(qtbot, data_dir, capsys):
    garbage = b"not a database at all " * 100
    (data_dir / "runs.sqlite").write_bytes(garbage)
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    aside = [p for p in data_dir.iterdir() if p.name.startswith("runs.sqlite.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage  # moved, not overwritten
    box = window.store_notice
    assert box.isVisible() and aside[0].name in box.text() and "damaged" in box.text()
    assert "damaged" in window.statusBar().currentMessage()
    assert "damaged" in capsys.readouterr().err
    assert window.results.model.rowCount() == 0  # a fresh, working store
    box.close()
    window.close()


def test_app_opens_quietly_over_a_sound_store(qtbot, data_dir):
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    assert window.store_notice is None
    window.close()


@pytest.mark.parametrize("how", ["under a file", "not writable"])
def test_app_read_only_data_folder_is_a_message_not_a_crash(qtbot, tmp_path, monkeypatch, capsys, how):
    blocker = tmp_path / "plain_file"
    blocker.write_text("x")
    folder = blocker / "sub" if how == "under a file" else tmp_path / "ro"  # a file's child fails even for root
    if how == "not writable":
        monkeypatch.setattr(os, "access", lambda *a, **k: False)  # we may be root, who can write anywhere
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append((title, text)))
    assert app.main([], data_dir=str(folder)) == 1
    assert len(shown) == 1 and str(folder) in shown[0][1]
    err = capsys.readouterr().err
    assert str(folder) in err and "Traceback" not in err


@pytest.fixture
def stored(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = synthetic(store, tiny("mse", name="mse on uniform"), decaying(300, 0.0) + 1e-3, floor=0.0)
    yield store, run_id, [(store.get_run(run_id), store.losses(run_id))]
    store.close()


def _leftovers(folder: Path) -> list:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def _half_written_png(self, path, *a):
    Path(path).write_bytes(b"\x89PNG half")  # what a full disk leaves behind
    return False  # QImage.save reports a failed write this way


@pytest.mark.parametrize("suffix", ["png", "svg", "csv"])
def test_full_disk_during_export_is_clear_and_leaves_no_partial_file(qapp, stored, tmp_path, monkeypatch, suffix):
    out = tmp_path / "figs"
    out.mkdir()
    target = out / f"cmp.{suffix}"
    target.write_bytes(b"the previous export")
    if suffix == "png":
        monkeypatch.setattr(QtGui.QImage, "save", _half_written_png)
    elif suffix == "svg":
        monkeypatch.setattr(figure_render, "embed_svg_meta", _full_disk)  # after Qt has written the SVG itself
    else:
        monkeypatch.setattr(export_csv.csv, "writer", _full_disk)
    with pytest.raises(ExportError, match=f"cannot write .*cmp.{suffix}"):
        (save_csv if suffix == "csv" else save_comparison)(stored[2], target)
    assert target.read_bytes() == b"the previous export" and _leftovers(out) == []


def test_cli_export_to_a_full_disk_exits_1_with_a_clear_line(qapp, stored, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(export_csv.csv, "writer", _full_disk)
    target = tmp_path / "out.csv"
    code = cli.main(["export", str(stored[1]), "--out", str(target), "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    # A full disk is the environment's fault: exit 1, as README's exit codes say (issue 18, 16).
    assert code == 1 and "No space left on device" in err and str(target) in err and "Traceback" not in err
    assert not target.exists() and _leftovers(tmp_path) == []


def test_nan_mid_run_in_the_window_is_diverged_with_its_curve_kept(qtbot, data_dir, monkeypatch):
    from aegui.core.engine import training
    from tests.training_faults import nan_after_ten_steps
    monkeypatch.setattr(training, "train", nan_after_ten_steps)  # handed to the training process by name
    window = app.open_window(str(data_dir))
    qtbot.addWidget(window)
    window.panels.set_config(TINY)
    with qtbot.waitSignal(window.sigRunEnded, timeout=60_000) as ended:
        assert window.start_run()
    assert ended.args == ["finished"] and "diverged" in window.last_message.lower()
    steps, losses = window.live.data()
    assert len(steps) == 11 and np.isfinite(losses[:10]).all() and np.isnan(losses[10])
    store = RunStore(data_dir / "runs.sqlite")
    row = store.list_runs()[0]
    assert row.stop_reason == "diverged" and row.batches == 11
    np.testing.assert_array_equal(store.losses(row.run_id)[:10], np.float32(losses[:10]))
    store.close()
    window.close()

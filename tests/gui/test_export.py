"""Saved comparisons: PNG at the asked width, SVG with its legend, CSV columns, atomic writes, runs read back."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtGui

from aegui.core.config import config_io
from aegui.core.store.store import RunStore
from aegui.gui.figures import export, export_csv
from aegui.gui.figures.export import ExportError, read_figure, save_comparison, save_csv
from tests.gui.fixtures_runs import decaying, synthetic, tiny

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stored(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    band = np.stack([decaying(200, 0.5, seed) for seed in range(4)], axis=1)
    ids = [synthetic(store, tiny("mse", name="mse on uniform"), decaying(300, 0.0) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce", name="bce on uniform"), decaying(250)),
           synthetic(store, tiny("bce", name="bce seeds"), band)]
    pairs = [(store.get_run(i), store.losses(i)) for i in ids]
    yield store, ids, pairs
    store.close()


def leftovers(folder):
    return [p.name for p in Path(folder).iterdir() if p.name.endswith(".part")]


def test_png_has_the_requested_width_and_carries_its_runs(qapp, stored, tmp_path):
    _, ids, pairs = stored
    out = save_comparison(pairs, tmp_path / "cmp.png", width=1200)
    image = QtGui.QImage(str(out))
    assert image.width() == 1200 and image.height() > 600
    assert len({image.pixel(x, y) for x in range(0, 1200, 7) for y in range(0, image.height(), 7)}) > 20
    runs = read_figure(out)
    assert [r["run_id"] for r in runs] == ids
    assert config_io.from_dict(runs[1]["config"]) == pairs[1][0].config
    assert runs[1]["summary"]["floor"] == pytest.approx(0.5)
    assert export.figure_configs(out)[2].name == "bce seeds"


def test_png_default_width_is_1600(qapp, stored, tmp_path):
    out = save_comparison(stored[2][:1], tmp_path / "one.png")
    assert QtGui.QImage(str(out)).width() == 1600


def test_svg_has_legend_and_caption_text_and_metadata(qapp, stored, tmp_path):
    _, ids, pairs = stored
    out = save_comparison(pairs, tmp_path / "cmp.svg")
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") or "<svg" in text[:400]
    assert ">mse on uniform" in text and f"#{ids[0]}" not in text.split("</desc>")[-1]  # legend in words
    assert "bce seeds (median and min–max of 4 seeds)" in text and "4 seeds (0–3)" in text  # band: legend, caption
    assert "floor 0.500 (exact)" in text and "Why not zero?" in text              # caption / floor label
    assert [r["name"] for r in read_figure(out)] == ["mse on uniform", "bce on uniform", "bce seeds"]
    # All vectors: the on-screen plots' pixmap caches (axes, background) must not reach the file as PNGs.
    assert "<image" not in text


def test_csv_has_a_step_column_and_one_per_curve(stored, tmp_path):
    _, ids, pairs = stored
    out = save_csv(pairs, tmp_path / "curves.csv")
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["step", f"#{ids[0]} mse on uniform", f"#{ids[1]} bce on uniform",
                       f"#{ids[2]} bce seeds median", f"#{ids[2]} bce seeds min", f"#{ids[2]} bce seeds max"]
    assert len(rows) == 1 + 300
    assert float(rows[1][2]) == pytest.approx(float(pairs[1][1][0]), rel=1e-6)
    assert rows[-1][2] == "" and rows[-1][0] == "299"  # the shorter run leaves its cells empty


def test_unwritable_path_gives_a_clear_error_and_no_file(qapp, stored, tmp_path):
    target = tmp_path / "missing" / "cmp.png"
    with pytest.raises(ExportError, match=r"cannot write .*cmp\.png.*does not exist"):
        save_comparison(stored[2], target)
    assert not target.exists()


def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_one(qapp, stored, tmp_path, monkeypatch):
    target = tmp_path / "cmp.png"
    target.write_bytes(b"old figure")
    monkeypatch.setattr(QtGui.QImage, "save", lambda self, *a: False)
    with pytest.raises(ExportError, match="cmp.png"):
        save_comparison(stored[2], target)
    assert target.read_bytes() == b"old figure"
    assert leftovers(tmp_path) == []


def test_a_failed_csv_write_leaves_no_partial_file(stored, tmp_path, monkeypatch):
    def broken(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(export_csv.csv, "writer", broken)
    with pytest.raises(ExportError, match="No space left"):
        save_csv(stored[2], tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists() and leftovers(tmp_path) == []


def test_read_figure_refuses_figures_without_aegui_metadata(qapp, tmp_path):
    plain = tmp_path / "plain.png"
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    image.fill(0)
    image.save(str(plain))
    with pytest.raises(ExportError, match="no aegui metadata"):
        read_figure(plain)
    image.setText("aegui", '{"aegui_figure": 1, "runs": [{"config": {"loss": {"kind": "nope"}}}]}')
    image.save(str(plain))
    with pytest.raises(ExportError, match="invalid"):
        read_figure(plain)
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(ExportError, match="not a PNG or SVG"):
        read_figure(tmp_path / "x.txt")


def test_export_runs_works_with_no_display(stored, tmp_path):
    store, ids, _ = stored
    out = tmp_path / "cli.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    code = ("import sys; from aegui.gui.figures.export import export_runs; "
            "export_runs(sys.argv[1], [int(a) for a in sys.argv[3:]], sys.argv[2], 800)")
    done = subprocess.run([sys.executable, "-c", code, str(store.path), str(out), *map(str, ids)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert QtGui.QImage(str(out)).width() == 800
    assert len(read_figure(out)) == 3


def test_export_runs_names_a_missing_run(stored, tmp_path):
    with pytest.raises(ExportError, match="no run 999"):
        export.export_runs(stored[0], [999], tmp_path / "x.csv")


def _headless_env():
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}


def test_cli_export_prints_no_offscreen_size_hint_notice(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = synthetic(store, tiny("bce", name="cli"), decaying(120))
    store.close()
    out = tmp_path / "cli.png"
    done = subprocess.run([sys.executable, "-m", "aegui", "export", str(run_id), "--out", str(out),
                           "--data-dir", str(tmp_path)], cwd=ROOT, env=_headless_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.exists()
    assert "propagateSizeHints" not in done.stderr and "propagateSizeHints" not in done.stdout
    assert "saved" in done.stderr


def test_headless_app_still_prints_real_qt_warnings():
    code = ("from aegui.gui.figures.headless import ensure_app; from PySide6 import QtCore, QtWidgets; ensure_app(); "
            "w = QtWidgets.QWidget(); w.show(); QtWidgets.QApplication.processEvents(); "
            "QtCore.qWarning('a real warning')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_headless_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "a real warning" in done.stderr and "propagateSizeHints" not in done.stderr


def test_a_figure_entry_keeps_its_keys_in_order(stored):
    """A figure's runs are read back by scripts (`aegui figure --json`): the entry's keys stay as they are."""
    _, _, pairs = stored
    entry = export.run_entry(pairs[0][0])
    assert list(entry) == ["run_id", "name", "status", "stop_reason", "config", "summary"]
    assert list(entry["summary"]) == [
        "final_loss", "min_epoch_loss", "floors", "floor", "floor_exact", "floor_basis", "eval_loss", "gap",
        "data_floor", "model_floor", "model_floor_claim", "optimizer_gap", "why_not_zero", "batches", "epochs",
        "seconds", "device", "copies"]

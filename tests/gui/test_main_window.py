"""The main window end to end, offscreen: runs, stop, pause, close mid-run, failures, toggles, settings."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.core.store.store import RunStore
from aegui.gui.window.main_window import MainWindow

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=3, tol=0.0))
LONG = with_changes(TINY, name="long", **{"training.epochs": 100_000})


def runs(data_dir):
    store = RunStore(data_dir / "runs.sqlite")
    try:
        return {r.run_id: (r, store.losses(r.run_id)) for r in store.list_runs()}
    finally:
        store.close()


def start(qtbot, window, config):
    window.panels.set_config(config)
    assert window.start_run()
    qtbot.waitUntil(lambda: window.live.point_count() > 0, timeout=30_000)


def test_tiny_run_plot_holds_exactly_the_engines_batches(qtbot, window, data_dir):
    window.panels.set_config(TINY)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000) as ended:
        window.acts.run.trigger()
    assert ended.args == ["finished"] and not window.is_running()
    (row, losses), = runs(data_dir).values()
    assert row.status == "finished" and row.batches == 24 == window.live.point_count()
    steps, plotted = window.live.data()
    assert np.array_equal(steps, np.arange(24)) and np.allclose(plotted, losses, rtol=1e-6)
    assert window.results.model.rowCount() == 1
    assert window.status.progress.value() == 24 and "3 epochs" in window.status.progress.text()
    assert window.acts.run.isEnabled() and not window.acts.stop.isEnabled()


def test_stop_stores_the_run_as_cancelled(qtbot, window, data_dir):
    start(qtbot, window, LONG)
    with qtbot.waitSignal(window.sigRunEnded, timeout=10_000) as ended:
        window.acts.stop.trigger()
    assert ended.args == ["cancelled"]
    (row, losses), = runs(data_dir).values()
    assert row.status == "cancelled" and len(losses) == window.live.point_count() == row.batches


def test_pause_and_resume(qtbot, window):
    start(qtbot, window, LONG)
    window.acts.pause.trigger()
    qtbot.waitUntil(lambda: window.last_message.startswith("Paused"), timeout=5_000)
    held = window.live.point_count()
    assert window.acts.pause.text() == "Resume"
    with qtbot.assertNotEmitted(window.sigProgress, wait=300):
        pass
    assert window.live.point_count() == held
    window.acts.pause.trigger()
    qtbot.waitUntil(lambda: window.live.point_count() > held, timeout=5_000)
    with qtbot.waitSignal(window.sigRunEnded, timeout=10_000):
        window.stop_run()


def close_mid_run(qtbot, data_dir, within_s: float):
    """Open a window, start LONG, close it; assert it closed within within_s; the stored (row, losses)."""
    w = MainWindow(data_dir=str(data_dir))
    w.show()
    start(qtbot, w, LONG)
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < within_s and not w.is_running()
    (row, losses), = runs(data_dir).values()
    shown = w.live.point_count()
    w.deleteLater()
    return row, losses, shown


def test_closing_mid_run_stops_within_a_second_and_stores_cancelled(qtbot, data_dir):
    row, _, _ = close_mid_run(qtbot, data_dir, within_s=1.0)
    assert row.status == "cancelled"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only a training process can be ended")
def test_closing_while_the_run_is_stuck_in_a_step_ends_its_process_and_stores_cancelled(qtbot, data_dir,
                                                                                      stuck_training):
    # 0.8 s of waiting for Stop, then the kill and the child's death seen within a 0.1 s poll.
    row, losses, shown = close_mid_run(qtbot, data_dir, within_s=2.0)
    assert row.status == "cancelled" and len(losses) == shown > 0


def test_closing_while_paused_still_stops(qtbot, data_dir):
    w = MainWindow(data_dir=str(data_dir))
    w.show()
    start(qtbot, w, LONG)
    w.acts.pause.trigger()
    w.close()
    assert not w.is_running()
    assert [r.status for r, _ in runs(data_dir).values()] == ["cancelled"]
    w.deleteLater()


def test_worker_error_reaches_the_user_and_is_stored_failed(qtbot, window, data_dir, monkeypatch):
    import aegui.core.engine.training as training
    from tests.training_faults import fails_at_start
    monkeypatch.setattr(training, "train", fails_at_start)  # raises RuntimeError("boom")
    window.panels.set_config(TINY)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000) as ended:
        window.start_run()
    assert ended.args == ["failed"]
    assert "boom" in window.failure_box.text() and window.failure_box.isVisible()
    window.failure_box.close()
    (row, _), = runs(data_dir).values()
    assert row.status == "failed" and "boom" in row.error


def test_loss_toggles_keep_the_output_valid(window):
    window.panels.set_config(TINY)
    window.acts.loss["bce"].trigger()
    c = window.panels.config()
    assert (c.loss.kind, c.model.output) == ("bce", "sigmoid") and window.panels.is_valid()
    window.acts.loss["bce_logits"].trigger()
    c = window.panels.config()
    assert (c.loss.kind, c.model.output) == ("bce_logits", "identity") and window.panels.is_valid()
    window.acts.loss["bce"].trigger()
    window.acts.loss["mse"].trigger()
    assert window.panels.config().model.output == "identity"


def test_toggles_and_grids_share_one_loss_output_rule():
    from aegui.core.config.config import apply_loss
    from aegui.core.config.schema import LOSSES
    from aegui.gui.window.toggles import toggled_config
    for output in ("identity", "sigmoid"):
        start = with_changes(TINY, **{"model.output": output})
        for loss in LOSSES:
            assert toggled_config(start, "loss.kind", loss)[0] == apply_loss(start, loss)


def test_a_toggle_drops_a_preset_name_that_would_mislabel_the_run_but_keeps_the_users(window):
    window.panels.apply_preset("sigmoid-bce-bernoulli")
    window.acts.data["uniform"].trigger()
    c = window.panels.config()
    assert c.data.kind == "uniform" and c.name == "" and c.label() == "linear bce uniform"
    assert window.panels.fields["name"].widget.placeholderText() == "linear bce uniform"  # what it will be called
    window.panels.set_config(with_changes(TINY, name="my run"))
    window.acts.loss["bce"].trigger()
    assert window.panels.config().name == "my run"


def test_invalid_toggle_is_refused_with_the_reason(window):
    window.panels.set_config(TINY)
    window.acts.loss["bce"].trigger()
    window.acts.data["gaussian"].trigger()
    assert window.panels.config().data.kind == "uniform"
    assert window.acts.data["uniform"].isChecked() and not window.acts.data["gaussian"].isChecked()
    assert "Refused data.kind = gaussian" in window.last_message and "[0, 1]" in window.last_message
    window.acts.loss["mse"].trigger()
    window.acts.data["gaussian"].trigger()
    window.acts.loss["bce"].trigger()
    assert window.panels.config().loss.kind == "mse" and window.acts.loss["mse"].isChecked()


def test_toggles_follow_the_panels(window):
    window.panels.fields["data.kind"].widget.setCurrentText("bernoulli")
    assert window.acts.data["bernoulli"].isChecked()
    window.panels.fields["data.kind"].widget.setCurrentText("file")
    assert not any(a.isChecked() for a in window.acts.data.values())


def test_rerun_on_toggle_stops_the_run_and_starts_the_new_one(qtbot, window, data_dir):
    window.acts.rerun.setChecked(True)
    start(qtbot, window, LONG)
    with qtbot.waitSignal(window.sigRunEnded, timeout=10_000) as ended:
        window.acts.data["bernoulli"].trigger()
    assert ended.args == ["cancelled"] and window.is_running()
    qtbot.waitUntil(lambda: window.live.point_count() > 0, timeout=30_000)
    with qtbot.waitSignal(window.sigRunEnded, timeout=10_000):
        window.stop_run()
    stored = sorted((r.run_id, r.config.data.kind, r.status) for r, _ in runs(data_dir).values())
    assert [s[1:] for s in stored] == [("uniform", "cancelled"), ("bernoulli", "cancelled")], [r.error for r, _ in runs(data_dir).values()]


def test_selecting_runs_overlays_them(qtbot, window):
    for kind in ("uniform", "bernoulli"):
        window.panels.set_config(with_changes(TINY, **{"data.kind": kind}))
        with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
            window.start_run()
    window.results.view.selectAll()
    assert len(window.comparison.runs) == 2


def test_settings_remember_config_and_rerun_toggle(qtbot, data_dir):
    first = MainWindow(data_dir=str(data_dir))
    first.panels.set_config(with_changes(TINY, **{"optimizer.lr": 0.0123}))
    first.acts.rerun.setChecked(True)
    first.close()
    second = MainWindow(data_dir=str(data_dir))
    qtbot.addWidget(second)
    assert second.panels.config().optimizer.lr == 0.0123 and second.acts.rerun.isChecked()
    first.deleteLater()


def test_invalid_config_disables_run(window):
    window.panels.fields["optimizer.lr"].widget.setText("-1")
    assert not window.acts.run.isEnabled() and not window.start_run()
    assert "optimizer.lr" in window.last_message


def test_shortcuts_and_about_versions(window):
    from aegui.gui.window.files import versions
    assert window.acts.run.shortcut().toString() == "Ctrl+R"
    assert window.acts.stop.shortcut().toString() == "Esc"
    assert window.acts.save.shortcut().toString() == "Ctrl+S"
    assert set(versions()) >= {"aegui", "torch", "numpy", "PySide6", "pyqtgraph"}


def test_warm_up_reports_cuda_to_the_panels(qtbot, window):
    from aegui.gui.app import WarmUp
    warm = WarmUp()
    warm.sigReady.connect(window.on_warm_up)
    with qtbot.waitSignal(warm.sigReady, timeout=60_000):
        warm.start()
    warm.wait()
    import torch
    combo = window.panels.fields["training.device"].widget
    assert (combo.findText("cuda") >= 0) == torch.cuda.is_available()
    assert window.last_message.startswith("torch ")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(extra)
    return env


def test_no_display_prints_one_line_and_exits_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "aegui"], env=_env(XDG_CONFIG_HOME=str(tmp_path)), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "aegui run" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_window_paints_before_torch_is_imported(tmp_path):
    """The window and everything it imports are torch-free, so it paints before torch loads."""
    code = ("import sys; from aegui.gui.app import make_app; app = make_app([]);"
            "from aegui.gui.window.main_window import MainWindow; w = MainWindow(); w.show(); app.processEvents();"
            "print('torch' in sys.modules); w.close()")
    out = subprocess.run([sys.executable, "-c", code], env=_env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path)),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_app_main_paints_then_warms_torch_up_in_the_background(tmp_path):
    """`aegui` proper: the window is up with torch absent; the warm-up then imports it and reports."""
    code = """
import sys
from PySide6.QtWidgets import QApplication
import aegui.gui.window.main_window as mw
from aegui.gui import app
real = mw.MainWindow.on_warm_up
def on_warm_up(self, info):
    real(self, info)
    print(self.isVisible(), info.get("torch"), info.get("cuda"))
    self.close()
    QApplication.quit()
mw.MainWindow.on_warm_up = on_warm_up
shown = mw.MainWindow.show
def show(self):
    shown(self)
    print("torch before paint:", "torch" in sys.modules)
mw.MainWindow.show = show
sys.exit(app.main([]))
"""
    env = _env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), AEGUI_DATA_DIR=str(tmp_path / "d"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "torch before paint: False"
    visible, torch_version, _cuda = lines[1].split()
    assert visible == "True" and torch_version != "None"


def test_the_store_file_is_checked_once_per_window_not_per_run(qtbot, data_dir, monkeypatch):
    from aegui.core.store.store import RunStore
    from aegui.gui.app import open_window
    checks = []
    real = RunStore._connect
    monkeypatch.setattr(RunStore, "_connect", lambda self: (checks.append(self.path), real(self))[1])
    w = open_window(str(data_dir))
    qtbot.addWidget(w)
    w.panels.set_config(TINY)
    with qtbot.waitSignal(w.sigRunEnded, timeout=30_000):
        w.start_run()
    w.close()
    assert len(checks) == 1  # quick_check's time grows with the file: once at start-up, never per run

"""The window's whole run cycle under spawn, the start method of macOS and Windows, run here on Linux:
a warm standby takes the Run; chunks, pause, resume, stop, a second Run, close."""

import errno
import os
import sys

import pytest

from aegui.core.engine.records import RunFailed
from aegui.core.run import standby
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.core.store.store import RunStore
from aegui.gui.window.main_window import MainWindow

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=3, tol=0.0))
LONG = with_changes(TINY, name="long", **{"training.epochs": 100_000})


@pytest.fixture
def spawn_window(qtbot, data_dir, monkeypatch):
    """A window whose runs are spawned, with the app's standby warm (as warm_up() leaves it)."""
    monkeypatch.setenv("AEGUI_START_METHOD", "spawn")
    standby.start_server()
    qtbot.waitUntil(lambda: standby.STANDBY.ready() is not None, timeout=60_000)
    w = MainWindow(data_dir=str(data_dir))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()
    standby.STANDBY.close()


def test_a_spawned_run_goes_through_its_whole_cycle_on_a_warm_standby(qtbot, spawn_window, data_dir):
    w = spawn_window
    warm = standby.STANDBY.ready()
    w.panels.set_config(LONG)
    assert w.start_run()
    qtbot.waitUntil(lambda: w.live.point_count() > 0, timeout=60_000)
    # The standby took the run (it had imported torch before Run); benchmarks/bench_spawn.py holds the 0.5 s
    # target, measured against a forkserver start in the same minutes: a timed assert here failed on a loaded CI box.
    assert w.runner._worker.child_pid == warm.process.pid
    w.acts.pause.trigger()
    qtbot.waitUntil(lambda: w.last_message.startswith("Paused"), timeout=10_000)
    held = w.live.point_count()
    with qtbot.assertNotEmitted(w.sigProgress, wait=300):
        pass
    w.acts.pause.trigger()
    qtbot.waitUntil(lambda: w.live.point_count() > held, timeout=10_000)
    with qtbot.waitSignal(w.sigRunEnded, timeout=20_000) as ended:
        w.acts.stop.trigger()
    assert ended.args == ["cancelled"]
    # the next standby is already there for the next Run, which trains to its end
    qtbot.waitUntil(lambda: standby.STANDBY.ready() not in (None, warm), timeout=60_000)
    second = standby.STANDBY.ready()
    w.panels.set_config(TINY)
    with qtbot.waitSignal(w.sigRunEnded, timeout=60_000) as ended:
        w.acts.run.trigger()
    assert ended.args == ["finished"]
    store = RunStore(data_dir / "runs.sqlite")
    statuses = sorted(r.status for r in store.list_runs())
    store.close()
    assert statuses == ["cancelled", "finished"]
    qtbot.waitUntil(lambda: standby.STANDBY.ready() not in (None, second), timeout=60_000)
    last = standby.STANDBY.ready()
    w.close()  # closing the window ends the standby
    qtbot.waitUntil(lambda: not last.alive(), timeout=5_000)
    assert standby.STANDBY.ready() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="posix_fallocate")
def test_no_room_for_a_runs_shared_memory_fails_the_run_with_why_and_the_window_stays(qtbot, window, data_dir,
                                                                                     monkeypatch):
    # Before: /dev/shm and $TMPDIR full, Run killed the window with SIGBUS and stored nothing.
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")
    failed = []
    window.runner.sigRecord.connect(lambda r: failed.append(r.message) if isinstance(r, RunFailed) else None)
    window.panels.set_config(TINY)
    with monkeypatch.context() as patch:
        patch.setattr(os, "posix_fallocate", full)
        with qtbot.waitSignal(window.sigRunEnded, timeout=30_000) as ended:
            window.acts.run.trigger()
    assert ended.args == ["failed"] and "/dev/shm" in failed[0] and window.isVisible()
    store = RunStore(data_dir / "runs.sqlite")
    rows = store.list_runs()
    store.close()
    assert [r.status for r in rows] == ["failed"]
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000) as ended:
        window.acts.run.trigger()
    assert ended.args == ["finished"]

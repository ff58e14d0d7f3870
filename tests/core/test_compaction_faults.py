"""The end-of-run compaction, beyond test_compaction.py (issue 18, points 1-3): SQLite's genuine full-disk error
and Ctrl-C raised inside the packing, one transaction per group (resumable), progress, and a true message when
the run's end itself cannot be stored."""

import json

import numpy as np
import pytest

from aegui.cli import main
from aegui.core.store import store_compact
from aegui.core.store.recorder import RunRecorder
from aegui.core.store.store import RunStore
from aegui.core.engine.training import train

from .test_fault_injection import _genuine

TINY = ["--samples", "512", "--epochs", "2", "--device", "cpu", "--batch-size", "16"]


def _row(folder, run_id=1):
    store = RunStore.open(folder)
    try:
        return store.get_run(run_id), store.losses(run_id), store.db.execute(
            "SELECT count(*) FROM loss_chunks WHERE run_id=?", (run_id,)).fetchone()[0]
    finally:
        store.close()


def test_ctrl_c_during_compaction_keeps_the_run_finished_and_prints_its_json(data_dir, capsys, monkeypatch):
    def interrupted(values):
        raise KeyboardInterrupt
    monkeypatch.setattr(store_compact, "pack", interrupted)
    assert main(["run", *TINY, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["status"], out["stop_reason"]) == ("finished", "max_epochs")
    assert "not compacted (stopped by the user)" in captured.err
    row, losses, _ = _row(data_dir, out["run_id"])
    assert (row.status, row.stop_reason, row.batches) == ("finished", "max_epochs", 64)
    assert row.final_loss == pytest.approx(out["final_loss"]) and len(losses) == 64


def test_full_disk_during_compaction_keeps_the_run_finished_and_says_so(data_dir, capsys, monkeypatch):
    full = _genuine("full")

    def no_room(values):
        raise full
    monkeypatch.setattr(store_compact, "pack", no_room)
    assert main(["run", *TINY, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert "the disk is full" in captured.err and "could not be marked" not in captured.err
    row, losses, _ = _row(data_dir, out["run_id"])
    assert (row.status, row.stop_reason) == ("finished", "max_epochs")
    assert row.final_loss == pytest.approx(out["final_loss"]) and len(losses) == 64
    # The next compaction (here, by hand) finishes the job; the curve reads back the same.
    monkeypatch.undo()
    store = RunStore.open(data_dir)
    assert store.compact_run(out["run_id"]) is None
    np.testing.assert_array_equal(store.losses(out["run_id"]), losses)
    assert store.db.execute("SELECT count(*) FROM loss_chunks").fetchone()[0] == 1
    store.close()


def test_a_full_disk_at_the_end_itself_says_how_the_run_is_stored(data_dir, capsys, monkeypatch):
    full = _genuine("full")

    def no_room(self, *args, **kwargs):
        raise full
    monkeypatch.setattr(RunStore, "finish_run", lambda self, *a, **k: self._retry(lambda: no_room(self)))
    assert main(["run", *TINY]) == 1
    err = capsys.readouterr().err
    # The run could not be ended at all: it is still 'running', and the message says exactly that.
    assert "stored as running, and the next aegui to open the store marks it interrupted" in err
    monkeypatch.undo()
    row, _, _ = _row(data_dir)
    assert row.status == "running"  # this process's own run; once it exits, the next open marks it


def test_compaction_is_atomic_per_group_and_resumable(tmp_path, tiny):
    store = RunStore.open(tmp_path)
    rec = RunRecorder(store)
    rec.compact_stop = lambda: True  # stopped before the first group: nothing changes
    for r in train(tiny):
        rec.feed(r)
        rec.flush()
    chunks = store.db.execute("SELECT count(*) FROM loss_chunks").fetchone()[0]
    assert chunks > 1 and rec.compact_note == "stopped by the user"
    before = store.losses(rec.run_id)
    seen = []
    assert store_compact.compact(store, rec.run_id, size=2, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, len(before)) and seen[-1] == (len(before), len(before))
    np.testing.assert_array_equal(store.losses(rec.run_id), before)
    assert store_compact.compact(store, rec.run_id) and store.db.execute(
        "SELECT count(*) FROM loss_chunks").fetchone()[0] == 1
    np.testing.assert_array_equal(store.losses(rec.run_id), before)
    store.close()


def test_a_long_compaction_prints_its_progress(monkeypatch):
    import io
    from aegui.cli import progress as progress_mod
    clock = iter(range(0, 1000, 2))
    monkeypatch.setattr(progress_mod.time, "perf_counter", lambda: float(next(clock)))
    out = io.StringIO()
    p = progress_mod.Progress(2, "x", stream=out)
    for done in (0, 1000, 2000, 3000):
        p.compacting(done, 3000)
    p.compacted()
    assert "packing the stored losses: 1,000 of 3,000 batches (33%)" in out.getvalue()


def test_a_first_ctrl_c_during_compaction_stops_it_and_keeps_the_run_finished(data_dir, capsys, monkeypatch):
    import os
    import signal
    from functools import partial
    from aegui.core.store import recorder, store as store_mod
    monkeypatch.setattr(recorder, "COMMIT_SECONDS", 0.0)  # many small chunks ...
    monkeypatch.setattr(store_mod, "compact", partial(store_compact.compact, size=512))  # ... in several groups
    real_pack, calls = store_compact.pack, []

    def ctrl_c_once(values):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, taken by the CLI's handler
        calls.append(1)
        return real_pack(values)
    monkeypatch.setattr(store_compact, "pack", ctrl_c_once)
    assert main(["run", "--samples", "512", "--epochs", "5", "--batch-size", "1", "--device", "cpu", "--tol", "0",
                 "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["status"], out["stop_reason"], out["batches"]) == ("finished", "max_epochs", 2560)
    assert "not compacted (stopped by the user)" in captured.err
    row, losses, chunks = _row(data_dir, out["run_id"])
    assert (row.status, row.stop_reason) == ("finished", "max_epochs") and len(losses) == 2560 and chunks > 1

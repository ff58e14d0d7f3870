"""Finished stays finished: the end-of-run compaction is an optimisation, and nothing that befalls it (kill -9,
Ctrl-C, a full disk) changes a run that ended, nor leaves it without its summary (issue 18, points 1-3)."""

import json
import os
import sqlite3
import subprocess
import sys

import numpy as np

from aegui.cli import main
from aegui.core.store.store import RunStore

TINY = ["--samples", "512", "--epochs", "2", "--device", "cpu", "--tol", "0"]


def stored_runs(capsys):
    capsys.readouterr()
    assert main(["runs", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ctrl_c_during_compaction_leaves_the_run_finished_and_prints_its_json(capsys, data_dir, monkeypatch):
    from aegui.core.store import store

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # the second Ctrl-C, during the packing of the curve
    monkeypatch.setattr(store, "compact", interrupted)
    assert main(["run", *TINY, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "finished" and out["stop_reason"] == "max_epochs"
    run, = stored_runs(capsys)
    assert (run["status"], run["stop_reason"]) == ("finished", "max_epochs") and run["final_loss"] is not None


def test_a_full_disk_during_compaction_keeps_a_finished_run_finished_with_its_summary(capsys, data_dir,
                                                                                      monkeypatch):
    from aegui.core.store import store

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(store, "compact", full)
    assert main(["run", *TINY, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stop_reason"] == "max_epochs"
    assert "not compacted" in captured.err and "could not be marked failed" not in captured.err
    run, = stored_runs(capsys)
    assert run["status"] == "finished" and run["final_loss"] is not None and run["min_epoch_loss"] is not None


KILLED = """
import os, signal, sys
from aegui.core.store import store
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle of the compaction
store.compact = killed
from aegui.cli import main
sys.exit(main(["run", "--samples", "512", "--epochs", "2", "--device", "cpu", "--tol", "0"]))
"""


def test_kill_9_during_compaction_leaves_the_run_finished_with_its_summary_and_its_curve(data_dir):
    env = dict(os.environ, AEGUI_DATA_DIR=str(data_dir), PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", KILLED], env=env, capture_output=True, timeout=300)
    assert done.returncode == -9
    s = RunStore(data_dir / "runs.sqlite")
    try:
        run, = s.list_runs()
        assert (run.status, run.stop_reason) == ("finished", "max_epochs")
        assert run.final_loss is not None and run.min_epoch_loss is not None and run.batches == 8
        assert len(s.losses(run.run_id)) == 8 and np.isfinite(s.losses(run.run_id)).all()
    finally:
        s.close()


def test_an_ended_run_left_without_its_summary_is_repaired_at_the_next_open(capsys, data_dir):
    assert main(["run", *TINY]) == 0
    path = data_dir / "runs.sqlite"
    db = sqlite3.connect(path)
    with db:  # as an aegui that compacted before it summed up left it when it was killed in between
        db.execute("UPDATE runs SET final_loss=NULL, min_epoch_loss=NULL")
    db.close()
    run, = stored_runs(capsys)
    assert run["status"] == "finished" and run["final_loss"] is not None and run["min_epoch_loss"] is not None

"""Fault injection (issue 10): a full disk, read-only and permission-denied stores, damaged cells, concurrent
openers of a damaged store, PID reuse and PID 1. Each test asserts that nothing was lost: the run count and
the bytes of the old store (or its losses), and that the user got one line, never a traceback."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from aegui import cli
from aegui.core.store import liveness, store_safety
from aegui.core.floors.floors import Floor
from aegui.core.store.recorder import RunRecorder
from aegui.core.store.store import RunStore
from aegui.core.engine.training import train

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _stored(folder, tiny, n: int = 3) -> bytes:
    """A store with n finished runs, closed and checkpointed; its bytes."""
    store = RunStore.open(folder)
    for _ in range(n):
        rec = RunRecorder(store)
        for r in train(tiny):
            rec.feed(r)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return (folder / "runs.sqlite").read_bytes()


def _intact(folder, before: bytes, n: int) -> None:
    """Nothing lost: the same bytes, nothing moved aside, and n runs that pass an integrity check."""
    assert (folder / "runs.sqlite").read_bytes() == before
    assert not [p for p in os.listdir(folder) if ".corrupt-" in p]
    db = sqlite3.connect(f"file:{folder / 'runs.sqlite'}?mode=ro", uri=True)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == n
    db.close()


def _genuine(kind: str) -> sqlite3.Error:
    """A real SQLite error of this kind, raised by SQLite itself (not built by hand)."""
    if kind == "full":
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE t(x)")
        db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
        try:
            db.execute("INSERT INTO t VALUES(zeroblob(100000))")
        except sqlite3.Error as exc:
            return exc
    try:
        sqlite3.connect("/nonexistent-folder/x.sqlite").execute("SELECT 1")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def _failing_open(monkeypatch, exc):
    def connect(self, quick_check=True):
        raise exc
    monkeypatch.setattr(RunStore, "_try_connect", connect)


@pytest.mark.parametrize("kind,reason", [("full", "the disk is full"), ("permission", "permission was denied")])
def test_f1_full_disk_or_permission_at_open_keeps_the_store_and_lists_it_read_only(
        tmp_path, tiny, monkeypatch, capsys, kind, reason):
    d = tmp_path / "d"
    before = _stored(d, tiny)
    _failing_open(monkeypatch, _genuine(kind))
    assert cli.main(["runs", "--json", "--data-dir", str(d)]) == 0
    out = capsys.readouterr()
    assert len(json.loads(out.out)) == 3  # the history is shown, not hidden
    assert reason in out.err and "read-only" in out.err and "Traceback" not in out.err
    assert cli.main(["run", "--samples", "256", "--epochs", "1", "--data-dir", str(d)]) == 1  # environment
    err = capsys.readouterr().err
    assert reason in err and "left as it is" in err and len(err.strip().splitlines()) == 1
    _intact(d, before, 3)


def test_f1_full_disk_mid_run_is_exit_1_one_line_and_earlier_runs_intact(tmp_path, tiny, monkeypatch, capsys):
    d = tmp_path / "d"
    _stored(d, tiny)
    kept = RunStore.open(d).losses(2)
    real = RunStore._try_connect

    def small_disk(self, quick_check=True):
        db = real(self, quick_check)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count={pages + 2}")  # room for the run's row, not for its curve
        return db
    monkeypatch.setattr(RunStore, "_try_connect", small_disk)
    code = cli.main(["run", "--samples", "20000", "--batch-size", "8", "--epochs", "3", "--data-dir", str(d)])
    err = capsys.readouterr().err
    assert code == 1 and "disk is full" in err and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [err.strip().splitlines()[-1]]
    monkeypatch.undo()
    store = RunStore.open(d)
    assert len(store.list_runs()) == 4 and not [p for p in os.listdir(d) if ".corrupt-" in p]
    np.testing.assert_array_equal(store.losses(2), kept)
    assert store.get_run(4).status in ("failed", "running", "interrupted")


def test_read_only_store_during_run_is_exit_1_and_untouched(tmp_path, tiny, monkeypatch, capsys):
    d = tmp_path / "d"
    before = _stored(d, tiny)

    def read_only(self, quick_check=True):  # a read-only mount, as SQLite meets it: the write fails
        return store_safety.connect_read_only(self.path)
    monkeypatch.setattr(RunStore, "_try_connect", read_only)
    code = cli.main(["run", "--samples", "256", "--epochs", "1", "--data-dir", str(d)])
    err = capsys.readouterr().err
    assert code == 1 and "read-only" in err and "Traceback" not in err
    _intact(d, before, 3)


@pytest.mark.skipif(IS_ROOT, reason="root bypasses file permissions; the injected variant above covers it")
def test_permission_denied_store_for_real(tmp_path, tiny, capsys):
    d = tmp_path / "d"
    before = _stored(d, tiny)
    os.chmod(d / "runs.sqlite", 0)
    try:
        assert cli.main(["run", "--samples", "256", "--epochs", "1", "--data-dir", str(d)]) == 1
        assert "permission" in capsys.readouterr().err
    finally:
        os.chmod(d / "runs.sqlite", 0o644)
    _intact(d, before, 3)


def _damage_cells(path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE runs SET versions='{\"torch\": \"2.' WHERE run_id=1")  # one byte short of JSON
        db.execute("UPDATE runs SET config=substr(config, 1, 40) || 'X' || substr(config, 42) WHERE run_id=2")
        db.execute("UPDATE runs SET batches='many', copy_final='[1,' WHERE run_id=3")
        db.execute("UPDATE loss_chunks SET data=substr(data, 1, 5) WHERE run_id=3")
    db.close()


def test_f2_damaged_cells_list_as_damaged_and_nothing_blocks(tmp_path, tiny, capsys):
    d = tmp_path / "d"
    _stored(d, tiny)
    _damage_cells(d / "runs.sqlite")
    before = (d / "runs.sqlite").read_bytes()
    assert cli.main(["runs", "--json", "--data-dir", str(d)]) == 0
    runs = {r["run_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(runs) == {1, 2, 3} and all(r["status"] == "damaged" for r in runs.values())
    assert "versions" in runs[1]["damaged"] and "config" in runs[2]["damaged"]
    assert "batches" in runs[3]["damaged"] and runs[3]["epochs"] == 2  # what could be read still is
    for run_id in (1, 2, 3):
        assert cli.main(["show", str(run_id), "--data-dir", str(d)]) == 0
        assert "damaged:" in capsys.readouterr().out
    assert cli.main(["runs", "--data-dir", str(d)]) == 0 and "damaged" in capsys.readouterr().out
    assert len(RunStore.open(d).losses(3)) == 0  # 5 bytes of a packed chunk: nothing whole survives, nothing raises
    assert (d / "runs.sqlite").read_bytes()[:100] == before[:100] and not [p for p in os.listdir(d) if ".corrupt-" in p]


OPENER = textwrap.dedent("""
    import sys
    from aegui.core.config.config import RunConfig
    from aegui.core.floors.floors import Floor
    from aegui.core.store.store import RunStore
    import aegui.core.store.store as s
    s.versions()  # torch imported before the start line: the openers then race for real
    print("ready", flush=True)
    sys.stdin.readline()
    store = RunStore.open(sys.argv[1])
    run_id = store.create_run(RunConfig(), device="cpu", floors=[Floor("model", 0.0, "exact", "")])
    store.finish_run(run_id, "finished", "max_epochs")
    print(run_id, store.notice != "", flush=True)
""")


def test_f3_concurrent_openers_of_a_damaged_store_agree_on_one_move(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    damaged = b"SQLite format 3\x00" + b"garbage " * 2000
    (d / "runs.sqlite").write_bytes(damaged)
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(d)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    lines = [r[0].split() for r in results]
    assert sorted(int(x[0]) for x in lines) == list(range(1, 7))  # every finished run is in the live store
    assert sum(x[1] == "True" for x in lines) == 1  # exactly one process moved it, and said so
    aside = [p for p in os.listdir(d) if ".corrupt-" in p]
    assert len(aside) == 1 and (d / aside[0]).read_bytes() == damaged  # byte for byte
    assert len(RunStore.open(d).list_runs()) == 6


def test_a_damaged_store_still_open_elsewhere_is_not_moved(tmp_path, tiny):
    d = tmp_path / "d"
    _stored(d, tiny, 1)
    holder = RunStore.open(d)  # a healthy open; the file is damaged behind its back
    damaged = b"not a database " * 300
    (d / "runs.sqlite").write_bytes(damaged)
    with pytest.raises(Exception, match="another aegui still has it open") as err:
        RunStore.open(d)
    assert err.value.environment
    assert (d / "runs.sqlite").read_bytes() == damaged and not [p for p in os.listdir(d) if ".corrupt-" in p]
    holder.close()
    assert "moved to" in RunStore.open(d).notice  # once nobody has it open, it is moved


def _running_row(store, pid: int, identity: str | None, updated: float | None = None) -> int:
    run_id = store.create_run(__import__("aegui.core.config.config", fromlist=["RunConfig"]).RunConfig(), device="cpu",
                              floors=[Floor("model", 0.0, "exact", "")])
    with store.db:
        store.db.execute("UPDATE runs SET pid=?, proc=?, updated=COALESCE(?, updated) WHERE run_id=?",
                         (pid, identity, updated, run_id))
    return run_id


@pytest.mark.skipif(liveness.process_identity() is None, reason="needs /proc")
def test_f6_pid_reuse_and_pid_1_do_not_keep_a_dead_run_running(tmp_path):
    store = RunStore.open(tmp_path)
    ns, start = liveness.process_identity(os.getppid()).split(":")
    reused = _running_row(store, os.getppid(), f"{ns}:{int(start) + 1}:")  # a live PID, another process's start
    pid1 = _running_row(store, 1, f"{ns}:{int(start) + 7}:")  # a container's dead PID 1; ours is alive
    elsewhere = _running_row(store, 1, "4026000000:5:", time.time())  # another namespace, fresh heartbeat
    stale = _running_row(store, 1, "4026000000:5:", time.time() - 3600)
    alive = _running_row(store, os.getppid(), f"{ns}:{start}:")  # our parent, as it is
    store.close()
    statuses = {r.run_id: r.status for r in RunStore.open(tmp_path).list_runs()}
    assert statuses == {reused: "interrupted", pid1: "interrupted", elsewhere: "running", stale: "interrupted",
                        alive: "running"}


KILLED = textwrap.dedent("""
    import sys
    from aegui import cli
    sys.exit(cli.main(["run", "--samples", "4096", "--epochs", "100000", "--tol", "0", "--data-dir", sys.argv[1]]))
""")


def test_f6_a_run_killed_as_pid_1_in_a_pid_namespace_is_interrupted_at_once(tmp_path):
    probe = subprocess.run(["unshare", "-p", "-f", "--kill-child", "--mount-proc", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -p needs privileges this machine lacks")
    proc = subprocess.Popen(["unshare", "-p", "-f", "--kill-child", "--mount-proc", sys.executable, "-c", KILLED,
                             str(tmp_path)], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # one epoch line: the run is stored and training
        if line.startswith("epoch"):
            break
    proc.kill()  # --kill-child: the namespace's PID 1 dies with it, by SIGKILL
    proc.stderr.read()  # EOF once PID 1, the pipe's last writer, is gone
    proc.wait(timeout=30)
    rows = RunStore.open(tmp_path).list_runs()
    assert len(rows) == 1 and rows[0].status == "interrupted" and rows[0].batches > 0

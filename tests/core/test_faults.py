"""Faults (issue 5 §2): kill -9, a damaged store, a read-only folder, NaN mid-run, bad data files.

Each test shows that nothing stored is lost and the user is told what happened, in one clear line.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from aegui import cli
from aegui.core.data import data as data_mod
from aegui.core.config import losses as core_losses
from aegui.core.config.config import with_changes
from aegui.core.store.recorder import RunRecorder
from aegui.core.store.store import RunStore, StoreError
from aegui.core.engine.records import LossBlock
from aegui.core.engine.training import train

# The child reports (step, monotonic time) every 50 batches: CLOCK_MONOTONIC is system-wide on Linux,
from aegui.core.engine.records import RunEnd
# so the parent can place its own kill on the child's timeline.
WRITER = textwrap.dedent("""
    import sys, time
    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.store.store import RunStore
    from aegui.core.store.recorder import RunRecorder
    from aegui.core.engine.training import train
    from aegui.core.engine.records import LossBlock
    store = RunStore.open(sys.argv[1])
    cfg = with_changes(RunConfig(), **{"data.samples": 4096, "training.epochs": 100000, "training.tol": 0.0,
                                       "training.device": "cpu"})
    rec = RunRecorder(store)
    for r in train(cfg):
        rec.feed(r)
        if isinstance(r, LossBlock) and r.start_step // 50 != (r.start_step + len(r)) // 50:
            print(r.start_step + len(r) - 1, time.monotonic(), flush=True)
""")


def _progress(line: str) -> tuple[int, float]:
    step, t = line.split()
    return int(step), float(t)


def test_kill_minus_nine_keeps_losses_to_within_a_second_of_the_kill(tmp_path, tiny):
    store = RunStore.open(tmp_path)
    earlier = RunRecorder(store)
    for r in train(tiny):
        earlier.feed(r)
    kept = store.losses(earlier.run_id)
    store.close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    first = _progress(proc.stdout.readline())  # blocks until the child trains: no sleeping
    line = first
    while line[0] < first[0] + 1500:  # well past a few commits (RunRecorder commits every 0.5 s)
        line = _progress(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    t_kill = time.monotonic()
    rest = [_progress(s) for s in proc.stdout.read().splitlines() if s.strip()]
    proc.wait(timeout=10)
    last = rest[-1] if rest else line  # the child's latest report before it died
    rate = (last[0] - first[0]) / (last[1] - first[1])
    steps_at_kill = last[0] + rate * (t_kill - last[1])
    store = RunStore.open(tmp_path)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    np.testing.assert_array_equal(store.losses(earlier.run_id), kept)
    killed = store.get_run(earlier.run_id + 1)
    assert killed.status == "interrupted" and killed.final_loss is not None
    stored = len(store.losses(killed.run_id))
    assert stored == killed.batches and stored > last[0] - rate * 1.0
    assert stored >= steps_at_kill - rate * 1.0, (stored, steps_at_kill, rate)


def _damage(folder, text: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runs.sqlite").write_bytes(text * 200)


def _aside(folder) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if ".corrupt-" in p.name}


def _aegui(*args: str) -> subprocess.CompletedProcess:
    # A process of its own, as a user runs it: its store connection closes when it exits.
    return subprocess.run([sys.executable, "-m", "aegui", *args], capture_output=True, text=True, timeout=120)


def test_cli_starts_over_a_damaged_store_says_so_and_overwrites_nothing(tmp_path):
    d = tmp_path / "data"
    for text in (b"first damage ", b"second damage "):  # twice in one second: both copies must survive
        _damage(d, text)
        out = _aegui("runs", "--data-dir", str(d))
        assert out.returncode == 0, out.stderr
        assert "warning:" in out.stderr and "damaged" in out.stderr and ".corrupt-" in out.stderr
        assert "Traceback" not in out.stderr
    aside = _aside(d)
    assert sorted(v[:6] for v in aside.values()) == [b"first ", b"second"]
    assert all(name.startswith("runs.sqlite.corrupt-") for name in aside)
    assert _aegui("run", "--samples", "256", "--epochs", "1", "--data-dir", str(d), "--json").returncode == 0
    listed = _aegui("runs", "--json", "--data-dir", str(d))
    assert len(json.loads(listed.stdout)) == 1 and "warning" not in listed.stderr  # the fresh store works


@pytest.mark.parametrize("how", ["under a file", "not writable"])
def test_cli_read_only_data_folder_is_one_clear_line_exit_2(capsys, tmp_path, monkeypatch, how):
    blocker = tmp_path / "plain_file"
    blocker.write_text("x")
    folder = blocker / "sub" if how == "under a file" else tmp_path  # a file's child fails even for root
    if how == "not writable":
        monkeypatch.setattr(os, "access", lambda *a, **k: False)  # we may be root, who can write anywhere
    assert cli.main(["runs", "--data-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(folder) in err
    assert ("cannot create the data folder" if how == "under a file" else "not writable") in err


def test_store_read_only_folder_raises_store_error(tmp_path):
    blocker = tmp_path / "plain_file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the data folder"):
        RunStore.open(blocker / "sub")


@pytest.fixture
def nan_after(monkeypatch):
    """Make the loss NaN from batch `n` on (0-based), through the engine's own loss function."""
    def install(n: int):
        real, calls = core_losses.per_copy, [0]

        def per_copy(kind, out, xb):
            loss = real(kind, out, xb)
            calls[0] += 1
            return loss * float("nan") if calls[0] > n else loss
        monkeypatch.setattr(core_losses, "per_copy", per_copy)
    return install


def test_nan_mid_run_is_diverged_with_its_curve_kept(tmp_path, tiny, nan_after):
    nan_after(5)
    store = RunStore.open(tmp_path)
    rec, losses, end = RunRecorder(store), [], None
    for r in train(with_changes(tiny, **{"training.epochs": 3})):
        rec.feed(r)
        if isinstance(r, LossBlock):
            losses.extend(r.loss)
        elif isinstance(r, RunEnd):
            end = r
    assert end.stop_reason == "diverged" and end.batches == 6
    assert np.isfinite(losses[:5]).all() and np.isnan(losses[5])
    row = store.get_run(rec.run_id)
    assert row.stop_reason == "diverged" and row.batches == 6
    np.testing.assert_array_equal(store.losses(rec.run_id)[:5], np.float32(losses[:5]))
    assert row.final_loss is not None and np.isfinite(row.final_loss)  # the mean of the finite batches


def test_cli_nan_mid_run_reports_diverged(capsys, tmp_path, nan_after):
    nan_after(3)
    code = cli.main(["run", "--samples", "512", "--epochs", "2", "--data-dir", str(tmp_path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["stop_reason"] == "diverged" and out["batches"] == 4


def _bad_file(tmp_path, kind: str):
    f = tmp_path / f"{kind}.csv"
    f.write_text({"ragged": "1,2\n3,4\n5\n", "not numeric": "1,2\n3,banana\n", "too large": "1,2\n3,4\n"}[kind])
    return f


@pytest.mark.parametrize("kind,needle", [("ragged", "line 3 has 1 columns"), ("not numeric", "line 2, column 2 is not a number"),
                                         ("too large", "at most 0 MiB is read")])
def test_cli_bad_data_file_names_the_problem(capsys, tmp_path, monkeypatch, kind, needle):
    if kind == "too large":
        monkeypatch.setattr(data_mod, "MAX_FILE_BYTES", 4)  # a real 512 MiB file would be slow to write
    f = _bad_file(tmp_path, kind)
    assert cli.main(["run", "--data", "file", "--file", str(f), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert needle in err and str(f) in err and "Traceback" not in err and "banana" not in err  # never echoed

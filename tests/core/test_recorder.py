"""The window's recorder stores a run from the stream's messages exactly as the CLI's does from records."""

import threading

import numpy as np

from aegui.core import recorder as recorder_mod
from aegui.core.config import RunConfig, with_changes
from aegui.core.recorder import RunRecorder
from aegui.core.store import RunStore
from aegui.core.stream import RunStream
from aegui.core.training import train

BAND = with_changes(RunConfig(name="band"), **{"data.samples": 512, "training.batch_size": 64, "training.epochs": 3,
                                               "training.tol": 0.0, "loss.kind": "bce", "model.output": "sigmoid"})


def stored(store, run_id):
    return store.get_run(run_id), store.losses(run_id), store.batch_floors(run_id), store.epochs(run_id)


def test_a_seed_band_with_batch_floors_is_stored_the_same_from_messages_and_from_records(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_mod, "COMMIT_SECONDS", 0.0)  # a commit at every chunk: copies and floors pair up
    store = RunStore(tmp_path / "runs.sqlite")
    by_records = RunRecorder(store)
    for record in train(BAND, copies=3, threads=1):
        by_records.feed(record)
    by_messages = RunRecorder(store, config=BAND)
    never = threading.Event()
    running = threading.Event()
    running.set()
    RunStream(BAND, by_messages.take, never, running, threads=1, copies=3).run()
    a, b = stored(store, by_records.run_id), stored(store, by_messages.run_id)
    store.close()
    assert b[0].status == "finished" and b[0].copies == 3 and b[0].batches == a[0].batches == 24
    assert b[1].shape == a[1].shape == (24, 3) and np.array_equal(a[1], b[1])  # same seed, same losses
    # Floors are kept only in blocks whose every batch has one: a commit that split copies and floors from
    # their chunk would leave None here.
    assert b[2] is not None and np.array_equal(a[2], b[2])
    assert [e[:4] for e in a[3]] == [e[:4] for e in b[3]]                        # epochs, bar their clocks


def test_a_failure_before_training_is_stored_failed_in_its_group(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    rec = RunRecorder(store, "grid 1", BAND)
    rec.take("failed", "data.file: no such file")
    row = store.get_run(rec.run_id)
    store.close()
    assert row.status == "failed" and row.error == "data.file: no such file" and row.group_name == "grid 1"


def test_a_store_that_cannot_take_the_curve_still_gets_the_runs_end(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.sqlite")
    rec = RunRecorder(store, config=BAND)
    RunStream(BAND, lambda kind, *p: rec.take(kind, *p) if kind in ("started", "chunk") else None,
              threading.Event(), _set(threading.Event()), threads=1).run()

    def full(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(RunStore, "write_progress", full)
    rec.end_abandoned("the disk is full")
    row = store.get_run(rec.run_id)
    store.close()
    assert row.status == "failed" and "the disk is full" in row.error and "could not be stored" in row.error


def _set(event):
    event.set()
    return event

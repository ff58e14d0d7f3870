"""The window's recorder stores a run from the stream's records (LossChunks, through a training process or
not) exactly as the CLI's does from the engine's own."""

import threading

import numpy as np

from aegui.core.store import recorder as recorder_mod
from aegui.core.config.config import RunConfig, with_changes
from aegui.core.store.recorder import RunRecorder
from aegui.core.engine.records import LossChunk, RunFailed, RunStart
from aegui.core.store.store import RunStore
from aegui.core.run.stream import RunStream
from aegui.core.engine.training import train

BAND = with_changes(RunConfig(name="band"), **{"data.samples": 512, "training.batch_size": 64, "training.epochs": 3,
                                               "training.tol": 0.0, "loss.kind": "bce", "model.output": "sigmoid"})


def stored(store, run_id):
    return store.get_run(run_id), store.losses(run_id), store.batch_floors(run_id), store.epochs(run_id)


def test_a_seed_band_with_batch_floors_is_stored_the_same_from_chunks_and_from_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_mod, "COMMIT_SECONDS", 0.0)  # a commit at every chunk
    store = RunStore(tmp_path / "runs.sqlite")
    by_records = RunRecorder(store)
    for record in train(BAND, copies=3, threads=1):
        by_records.feed(record)
    by_messages = RunRecorder(store, config=BAND)
    never = threading.Event()
    running = threading.Event()
    running.set()
    RunStream(BAND, by_messages.feed, never, running, threads=1, copies=3).run()
    a, b = stored(store, by_records.run_id), stored(store, by_messages.run_id)
    store.close()
    assert b[0].status == "finished" and b[0].copies == 3 and b[0].batches == a[0].batches == 24
    assert b[1].shape == a[1].shape == (24, 3) and np.array_equal(a[1], b[1])  # same seed, same losses
    # Floors are kept only in blocks whose every batch has one: a chunk whose floors went astray would leave
    # None here.
    assert b[2] is not None and np.array_equal(a[2], b[2])
    assert [e[:4] for e in a[3]] == [e[:4] for e in b[3]]                        # epochs, bar their clocks


def test_a_failure_before_training_is_stored_failed_in_its_group(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    rec = RunRecorder(store, "grid 1", BAND)
    rec.feed(RunFailed("data.file: no such file"))
    row = store.get_run(rec.run_id)
    store.close()
    assert row.status == "failed" and row.error == "data.file: no such file" and row.group_name == "grid 1"


def test_a_store_that_cannot_take_the_curve_still_gets_the_runs_end(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.sqlite")
    rec = RunRecorder(store, config=BAND)
    RunStream(BAND, lambda r: rec.feed(r) if isinstance(r, (RunStart, LossChunk)) else None,
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


def summary(row):
    return (row.status, row.stop_reason, row.epochs, row.batches, row.final_loss, row.min_epoch_loss,
            row.eval_loss, row.copies, row.name)


def test_chunks_from_a_real_training_process_are_stored_as_the_cli_stores_the_same_seed(tmp_path):
    """LossChunks pickled through the training process's pipe, fed to the recorder, store the same curve,
    batch floors, epoch means and summary as the engine's own records fed headless (the CLI's path)."""
    from aegui.core.run import child
    config = with_changes(BAND, **{"training.epochs": 2})
    store = RunStore(tmp_path / "runs.sqlite")
    headless = RunRecorder(store)
    for record in train(config, copies=2, threads=1):
        headless.feed(record)
    cancel, running = child.shared_flags()
    proc = child.TrainingProcess(config, cancel, running, threads=1, copies=2)
    proc.start()
    window = RunRecorder(store, config=config)
    fed = [window.feed(record) for record in proc.records()]
    chunks = [r for r in fed if isinstance(r, LossChunk)]
    assert chunks and all(c.copy_losses.shape == (len(c), 2) and len(c.floors) == len(c) for c in chunks)
    start = next(r for r in fed if isinstance(r, RunStart))
    assert start.run_id == window.run_id and start.model is None and start.sample is None
    a, b = stored(store, headless.run_id), stored(store, window.run_id)
    assert start.name == b[0].name == f"{config.label()} (2)"  # the name the store gave it, told, not read back
    store.close()
    assert summary(a[0])[:-1] == summary(b[0])[:-1] and b[0].status == "finished"
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])  # same seed: same curve, same floors
    assert [e[:4] for e in a[3]] == [e[:4] for e in b[3]]              # epochs, bar their clocks

"""A run's final loss has one definition (run_end.final_loss): the engine's RunEnd, the store's summary of a
run without one, and the window's RunEnd for a killed training process agree."""

import threading

import numpy as np
import pytest

from aegui.core.config.config import RunConfig, with_changes
from aegui.core.engine.records import EpochSummary, LossBlock, LossChunk, RunEnd
from aegui.core.store.recorder import RunRecorder
from aegui.core.engine.run_end import Tally, copy_finals, final_loss
from aegui.core.store.store import RunStore
from aegui.core.store.store_compact import summary_values
from aegui.core.run.stream import RunStream
from aegui.core.engine.training import train

SMALL = with_changes(RunConfig(name="small"), **{"data.samples": 500, "training.batch_size": 64,
                                                 "training.epochs": 3, "training.tol": 0.0})


def test_the_last_epochs_mean_else_the_batches_trained_up_to_the_first_bad_one():
    assert final_loss([0.5, 0.25], np.ones(3)) == 0.25
    assert final_loss([], np.array([1.0, 2.0, 3.0])) == 2.0
    assert final_loss([], np.array([1.0, 3.0, np.nan, 100.0])) == 2.0  # a diverged curve ends at its bad batch
    assert final_loss([], np.array([4.0, 1.0]), weights=np.array([1.0, 3.0])) == 1.75  # a short batch counts less
    band = np.array([[1.0, 3.0, 5.0], [3.0, 5.0, 9.0]])
    np.testing.assert_array_equal(copy_finals([], band), [2.0, 4.0, 7.0])
    assert final_loss([], band) == 4.0  # each copy's mean, then the median over copies
    assert np.isnan(final_loss([], np.zeros(0)))


def _first_epoch_cancelled():
    """The engine's records of SMALL, stopped after its third block in the first epoch."""
    cancel, records, blocks = threading.Event(), [], 0
    for record in train(SMALL, cancel, threads=1):
        records.append(record)
        if isinstance(record, LossBlock):
            blocks += 1
            if blocks == 3:
                cancel.set()  # stops before the next batch: no epoch finishes
    return records


@pytest.fixture
def cancelled_early(monkeypatch):
    import aegui.core.engine.training as training
    monkeypatch.setattr(training, "FLUSH_BATCHES", 2)  # several blocks in one epoch
    return _first_epoch_cancelled()


def test_the_engine_the_store_and_the_windows_tally_agree_on_a_run_stopped_in_its_first_epoch(
        cancelled_early, tmp_path):
    end = cancelled_early[-1]
    assert isinstance(end, RunEnd) and end.stop_reason == "cancelled" and end.epochs == 0
    trained = np.concatenate([r.losses for r in cancelled_early if isinstance(r, LossBlock)])
    assert end.final_loss == pytest.approx(final_loss([], trained))
    store = RunStore(tmp_path / "runs.sqlite")
    rec = RunRecorder(store)
    for record in cancelled_early[:-1]:
        rec.feed(record)
    rec.flush()
    from_curve = summary_values(store, rec.run_id)["final_loss"]  # as a run stored without its RunEnd
    store.close()
    assert from_curve == pytest.approx(end.final_loss, rel=1e-6)  # float32 as stored
    tally = Tally()
    for block in (r for r in cancelled_early if isinstance(r, LossBlock)):
        tally.see(LossChunk(block.steps, block.loss, np.zeros(len(block)), np.zeros(len(block), np.int64)))
    killed = tally.end("cancelled")
    assert killed.final_loss == pytest.approx(end.final_loss) and killed.batches == end.batches


def test_after_finished_epochs_every_definition_gives_the_last_epochs_mean():
    records = list(train(SMALL, threads=1))
    summaries = [r for r in records if isinstance(r, EpochSummary)]
    sent = []
    stream_tally = Tally()
    running = threading.Event()
    running.set()
    RunStream(SMALL, sent.append, threading.Event(), running, threads=1).run()
    for record in sent:
        stream_tally.see(record)
    assert records[-1].final_loss == summaries[-1].epoch_mean
    assert stream_tally.end("cancelled").final_loss == summaries[-1].epoch_mean  # same seed, same run

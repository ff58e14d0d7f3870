"""The stream's clock leaves paused time out: batch seconds, epoch seconds and the run's end agree."""

import threading

import numpy as np

from aegui.core.engine.records import EpochSummary, LossBlock, LossChunk, Paused, RunEnd
from aegui.core.run.stream import RunStream

PAUSE_S = 0.4


def block(start: int, m: int = 10) -> LossBlock:
    return LossBlock(start, 0, start, np.full((m, 1), 0.5, dtype=np.float32))


def test_paused_time_is_left_out_of_every_time_sent():
    sent = []
    cancel, running = threading.Event(), threading.Event()
    stream = RunStream(None, sent.append, cancel, running)
    running.set()
    stream._on_block(block(0))
    stream._flush()
    running.clear()  # the viewer pauses; it resumes PAUSE_S later, from another thread
    threading.Timer(PAUSE_S, running.set).start()
    stream._hold_if_paused()
    assert stream.paused_s >= PAUSE_S
    stream._on_block(block(10))
    stream._on_epoch(EpochSummary(0, 0.5, 0.5, 20, seconds=PAUSE_S + 0.05))  # the engine's clock ran on
    stream._flush()
    chunks = [r for r in sent if isinstance(r, LossChunk)]
    seconds = np.concatenate([c.seconds for c in chunks])
    assert len(seconds) == 20 and np.all(np.diff(seconds) >= 0)
    assert seconds[-1] < PAUSE_S / 2  # no straight line across the pause: the curve's time is training time
    summary = [r for r in sent if isinstance(r, EpochSummary)][0]
    assert summary.seconds < PAUSE_S / 2 and sent.index(summary) > sent.index(chunks[-1])  # after its batches
    assert [r for r in sent if isinstance(r, Paused)] == [Paused(True), Paused(False)]
    end = RunEnd("max_epochs", 1, 20, 0.5, 0.5, seconds=PAUSE_S + 0.1, batches_per_s=20 / (PAUSE_S + 0.1))
    stored = stream._without_pauses(end)
    assert stored.seconds < 0.1 + 1e-6 and stored.batches_per_s > 20 / 0.1 - 1

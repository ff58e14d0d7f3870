"""The fault-injection seam: a run's stream drives the train it is given, and no module is rebound for it."""

import threading

from aegui.core.engine import training
from aegui.core.engine.records import RunEnd, RunFailed, RunStart, StreamDone
from aegui.core.run.stream import RunStream
from tests import training_faults


def _drive(train, config):
    sent = []
    cancel, running = threading.Event(), threading.Event()
    running.set()
    RunStream(config, sent.append, cancel, running, threads=1, train=train).run()
    return sent


def test_a_stream_drives_the_train_it_is_given(tiny):
    real = training.train
    sent = _drive(training_faults.fails_after_ten, tiny)
    assert isinstance(sent[0], RunStart) and isinstance(sent[-1], StreamDone)
    failed = [r for r in sent if isinstance(r, RunFailed)]
    assert len(failed) == 1 and "blew up" in failed[0].message
    assert training.train is real  # the engine's own train is left as it is


def test_without_one_it_drives_the_engine(tiny):
    sent = _drive(None, tiny)
    ends = [r for r in sent if isinstance(r, RunEnd)]
    assert len(ends) == 1 and ends[0].stop_reason != "cancelled" and ends[0].batches > 0
    assert not any(isinstance(r, RunFailed) for r in sent) and isinstance(sent[-1], StreamDone)

"""The fault-injection seam: a run's stream drives the train it is given, and no module is rebound for it."""

import threading

from aegui.core import training
from aegui.core.stream import RunStream
from tests import training_faults


def _drive(train, config):
    sent = []
    cancel, running = threading.Event(), threading.Event()
    running.set()
    RunStream(config, lambda kind, *payload: sent.append((kind, payload)), cancel, running, threads=1,
              train=train).run()
    return sent


def test_a_stream_drives_the_train_it_is_given(tiny):
    real = training.train
    sent = _drive(training_faults.fails_after_ten, tiny)
    kinds = [k for k, _ in sent]
    assert kinds[0] == "started" and "failed" in kinds and kinds[-1] == "done"
    assert "blew up" in str(sent[kinds.index("failed")][1])
    assert training.train is real  # the engine's own train is left as it is


def test_without_one_it_drives_the_engine(tiny):
    kinds = [k for k, _ in _drive(None, tiny)]
    assert "finished" in kinds and "failed" not in kinds and kinds[-1] == "done"

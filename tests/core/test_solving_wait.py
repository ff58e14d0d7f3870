"""A run whose model floor is still solving when training ends says so (a Solving record), with the curve so far
sent first, and then waits AFTER_RUN_S at most for the floor; Stop ends that wait."""

import threading

from aegui.core.config.config import RunConfig, with_changes
from aegui.core.engine import training
from aegui.core.engine.records import AFTER_RUN_S, EpochSummary, FloorsUpdate, LossChunk, RunEnd, Solving
from aegui.core.floors import floors as floors_module
from aegui.core.floors.floors import Floor
from aegui.core.run.stream import RunStream

BCE = with_changes(RunConfig(), **{"loss.kind": "bce", "model.output": "sigmoid", "data.samples": 256,
                                   "data.features": 8, "training.epochs": 2, "training.batch_size": 64,
                                   "training.device": "cpu"})


class StillSolving:
    """A background solve that has not finished when training ends; its wait returns a bound at once."""

    made: list = []

    def __init__(self, config, x):
        self.waits: list = []
        StillSolving.made.append(self)

    def done(self) -> bool:
        return False

    def stop(self, after: float = 0.0) -> None:
        pass

    def wait(self, after=AFTER_RUN_S, cancel=None):
        self.waits.append((after, cancel))
        return [Floor("data", 0.5, "lower bound", "test"), Floor("model", 0.52, "lower bound", "test: cut short")]


def _slow(monkeypatch):
    monkeypatch.setattr(floors_module, "LOGISTIC_FLOP_BUDGET", 0.0)  # every solve counts as slow: background
    monkeypatch.setattr(training, "ModelFloorSolve", StillSolving)
    StillSolving.made = []


def test_training_says_it_waits_for_the_floor_before_waiting(monkeypatch):
    _slow(monkeypatch)
    cancel = threading.Event()
    records = list(training.train(BCE, cancel))
    kinds = [type(r) for r in records]
    i = kinds.index(Solving)
    assert records[i].seconds == AFTER_RUN_S
    assert kinds[i + 1:] == [FloorsUpdate, RunEnd]  # the wait comes between them
    assert all(k is not EpochSummary for k in kinds[i:])  # every epoch was said before
    [solve] = StillSolving.made
    assert solve.waits == [(AFTER_RUN_S, cancel)]  # Stop (the cancel flag) can end the wait
    assert records[-1].stop_reason == "max_epochs"


def test_a_window_gets_the_last_batches_and_epoch_before_the_wait(monkeypatch):
    # The stream gathers batches and epochs for 0.1 s; held until the run's end, the last epoch would arrive
    # only after the wait, and the window would look hung at its last chunk.
    _slow(monkeypatch)
    sent: list = []
    cancel, running = threading.Event(), threading.Event()
    running.set()
    RunStream(BCE, sent.append, cancel, running, threads=1).run()
    kinds = [type(r) for r in sent]
    i = kinds.index(Solving)
    assert kinds[:i].count(EpochSummary) == 2 and LossChunk not in kinds[i:] and EpochSummary not in kinds[i:]
    batches = sum(len(r.steps) for r in sent[:i] if isinstance(r, LossChunk))
    assert batches == 2 * 4  # every batch of both epochs

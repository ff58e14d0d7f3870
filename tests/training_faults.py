"""Stand-ins for training.train that fail in set ways, for tests to put in its place.

Module-level functions, because a training process is handed the parent's training.train by name (it
imports this module); a closure could not cross. Qt-free, so that import stays cheap.
"""

import os
import signal
import time

from aegui.core.engine import training
from aegui.core.engine.records import LossBlock

REAL_TRAIN = training.train  # taken at import, before any test puts a stand-in in its place


def fails_at_start(*args, **kwargs):
    """Raises before the first record."""
    raise RuntimeError("boom")


def _first_batches(records, n):
    """The records up to and including the n-th batch (a LossBlock cut short where it crosses n)."""
    import dataclasses
    seen = 0
    for record in records:
        if isinstance(record, LossBlock):
            keep = min(len(record), n - seen)
            if keep < len(record):
                record = dataclasses.replace(record, losses=record.losses[:keep],
                                             floors=None if record.floors is None else record.floors[:keep])
            seen += keep
        yield record
        if seen >= n:
            return


def fails_after_ten(*args, **kwargs):
    """The real run to its 9th batch, then an error: RunStart, 8 batches, 1 epoch, 1 batch at TINY's size."""
    yield from _first_batches(REAL_TRAIN(*args, **kwargs), 9)
    raise FloatingPointError("the model blew up")


def killed_after_a_second(*args, **kwargs):
    """The real run until about 1.2 s of batches, then a SIGKILL of its own process (run it in a child only)."""
    t0 = None
    for record in REAL_TRAIN(*args, **kwargs):
        yield record
        t0 = t0 or time.monotonic()
        if time.monotonic() - t0 > 1.2:
            os.kill(os.getpid(), signal.SIGKILL)


def stuck_after_ten(*args, **kwargs):
    """The real run to its first block of batches, then a step that never returns and never looks at the
    stop flag (not a later block: a Stop between them would let the real run end first)."""
    for record in REAL_TRAIN(*args, **kwargs):
        yield record
        if isinstance(record, LossBlock):
            time.sleep(3600)  # in a training process, which is killed: no test waits on this


def nan_after_ten_steps(*args, **kwargs):
    """The real run with every loss NaN from the 11th loss computed on, patched where the run trains."""
    from aegui.core.config import losses
    real, calls = losses.per_copy, [0]

    def per_copy(kind, out, xb):
        calls[0] += 1
        loss = real(kind, out, xb)
        return loss * float("nan") if calls[0] > 10 else loss
    losses.per_copy = per_copy
    try:
        yield from REAL_TRAIN(*args, **kwargs)
    finally:
        losses.per_copy = real

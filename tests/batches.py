"""The engine's LossBlocks unpacked into one row per batch, for tests that reason batch by batch."""

from typing import NamedTuple
from collections.abc import Iterator

import numpy as np

from aegui.core.engine.records import LossBlock


class Batch(NamedTuple):
    """One optimizer step unpacked from a LossBlock (for readers that want a row per batch)."""

    step: int
    epoch: int
    batch: int
    loss: float
    copy_losses: np.ndarray | None
    floor: float | None


def per_batch(records) -> Iterator[Batch]:
    """The batches of the LossBlocks among records, one Batch each, in order; other records are skipped."""
    for r in records:
        if isinstance(r, LossBlock):
            loss, copies = r.loss, r.copy_losses
            for i in range(len(r)):
                yield Batch(r.start_step + i, r.epoch, r.first_batch + i, float(loss[i]),
                            None if copies is None else copies[i],
                            None if r.floors is None else float(r.floors[i]))

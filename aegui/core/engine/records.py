"""The records train() yields (RunStart, FloorsUpdate, LossBlocks, EpochSummary and one RunEnd), and the
records a RunStream sends to its viewer (the same ones, with LossBlocks gathered into LossChunks, and
Reconstruction, Paused, RunFailed and StreamDone).

Plain data, no torch graph: the CLI, the run stream, the recorder and the window read them. Every record
the stream sends pickles as it is, so the same objects cross the training process's pipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..config.config import RunConfig
from ..floors.floors import Floor, headline

# After training ends, a background floor solve gets this long to finish before the run reports the bracket it
# has: the question preset's solve (~36 s) ends within it on a busy machine; a wide file's would take minutes.
AFTER_RUN_S = 60.0


@dataclass(frozen=True)
class RunStart:
    """First record: what is about to train, where, and its floors (the model's may follow in a FloorsUpdate)."""

    config: RunConfig
    device: str
    device_note: str
    floors: list[Floor]
    samples: int
    batches_per_epoch: int
    copies: int
    # the StackedAutoencoder being trained, and a fixed tensor of up to SAMPLE_ROWS rows: None on the wire
    model: object = field(default=None, repr=False, compare=False)
    sample: object = field(default=None, repr=False, compare=False)
    solving: bool = False  # a model floor is being solved in the background
    step_mode: str = ""    # how each step runs: "hand-written backward", "autograd" or "cuda graph"
    # Set by the recorder that stored the run (RunRecorder.feed returns the record with them): the run's id
    # and its stored name, which the store makes unique ('… (2)'). None and "" where nothing stores it.
    run_id: int | None = None
    name: str = ""

    @property
    def floor(self) -> Floor | None:
        """The tightest exact-or-lower-bound floor known at the start."""
        return headline(self.floors)

    @property
    def label(self) -> str:
        """The stored name, else the config's label."""
        return self.name or self.config.label()

    def wire(self) -> RunStart:
        """This record without its tensors: what crosses to the viewer (torch stays in the training process)."""
        return replace(self, model=None, sample=None)


@dataclass(frozen=True)
class FloorsUpdate:
    """The run's floors again, now with the model floor that was solved in the background."""

    floors: list[Floor]


@dataclass(frozen=True)
class Solving:
    """Training is done and the run's end now waits, `seconds` at most, for its background floor solve (a
    window shows the curve so far and says so; Stop ends the wait with the proven bracket found so far)."""

    seconds: float


@dataclass(frozen=True)
class LossBlock:
    """Consecutive optimizer steps of one epoch, fetched from the device in one transfer.

    losses is (m, K): each step's loss for each of the K copies; floors is (m,) for BCE (each batch's own
    targets' entropy), else None. Arrays, not one object per batch: a record per batch cost ~17 µs of a
    ~55 µs step on the build machine.
    """

    start_step: int   # the 0-based global step of the block's first batch
    epoch: int
    first_batch: int  # the epoch's batch index of the block's first batch
    losses: np.ndarray
    floors: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.losses)

    @property
    def steps(self) -> np.ndarray:
        """The global step of each batch, int64."""
        return np.arange(self.start_step, self.start_step + len(self.losses), dtype=np.int64)

    @property
    def loss(self) -> np.ndarray:
        """Each batch's loss: the median over copies (the loss itself for one copy), float64."""
        return self.losses[:, 0] if self.losses.shape[1] == 1 else np.median(self.losses, axis=1)

    @property
    def copy_losses(self) -> np.ndarray | None:
        """(m, K) per-copy losses of a seed band; None for a single run."""
        return self.losses if self.losses.shape[1] > 1 else None


@dataclass(frozen=True)
class EpochSummary:
    """The seed's fit() printout for one finished epoch: epoch mean and recent mean."""

    epoch: int
    epoch_mean: float
    recent_mean: float
    batches: int
    seconds: float


@dataclass(frozen=True)
class RunEnd:
    """Last record: why training stopped and the figures a report needs.

    final_loss: the last finished epoch's mean (the mean of the batches trained, if none finished),
    whatever ended the run. eval_loss: the final model evaluated once on every row, in float64; the
    number a floor is compared with (NaN when it could not be computed).
    """

    stop_reason: str
    epochs: int
    batches: int
    final_loss: float
    min_epoch_loss: float
    seconds: float
    batches_per_s: float
    copy_final: np.ndarray | None = None
    eval_loss: float = float("nan")
    copy_eval: np.ndarray | None = None
    # sigmoid + BCE: the share of the final model's outputs that float32 rounds to exactly 0 or 1 away from
    # their targets (zero gradient, loss at the log clamp: round-off); NaN where it does not apply
    saturated: float = float("nan")


Record = RunStart | FloorsUpdate | LossBlock | EpochSummary | Solving | RunEnd


# ---- what a RunStream sends besides the engine's own records (stream.py)

@dataclass(frozen=True, eq=False)  # arrays: equal means the same record
class LossChunk:
    """LossBlocks gathered for up to a tenth of a second, as one record: every column of those batches together.

    One record a chunk, not one a block: per-batch emits cost the GUI thread 2.3 s per 200,000 batches
    (NOTES.md). copy_losses (seed bands) and floors (BCE) cover the same batches as steps, or are None.
    """

    steps: np.ndarray    # (m,) int64 global steps
    loss: np.ndarray     # (m,) float64: each batch's loss, the median over copies (as LossBlock.loss)
    seconds: np.ndarray  # (m,) float64: when each batch finished, since the run started, pauses left out
    epochs: np.ndarray   # (m,) int64
    copy_losses: np.ndarray | None = None  # (m, K) each copy's loss, for a seed band
    floors: np.ndarray | None = None       # (m,) float64 each batch's own floor, for BCE

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True, eq=False)  # arrays: equal means the same record
class Reconstruction:
    """x, x̂ and the codes (or None) of copy 0 on the run's fixed sample, now."""

    x: np.ndarray
    xhat: np.ndarray
    codes: np.ndarray | None
    loss: str  # the loss kind, which says how x̂ is read (probabilities for BCE)


@dataclass(frozen=True)
class Paused:
    """The run is held (paused True) or goes on again (False)."""

    paused: bool


@dataclass(frozen=True)
class RunFailed:
    """The run ended with an error, said for the user; no RunEnd follows."""

    message: str


@dataclass(frozen=True)
class StreamDone:
    """Always the last record of a stream, after RunEnd or RunFailed."""


Sent = RunStart | FloorsUpdate | LossChunk | EpochSummary | Solving | RunEnd | Reconstruction | Paused | RunFailed | StreamDone


"""The rule every view that draws losses follows, Qt-free: one unit per axis, whole runs, one floor per run.

- Each loss kind has a unit (MSE: mean squared error; BCE and BCE-on-logits: nats). Runs of different units
  go to separate panels stacked and sharing x (unit_groups); an axis label names exactly one unit.
- The x range covers every run, the longest included (x_cover), never the shortest.
- "Excess over floor" subtracts one floor per run, the same for all its curves (run_floor), and the axis
  says which (axis_label). A BCE run's per-batch floors are raised by one constant (batch_floor_offset) so
  that they average to that same floor: per-batch noise of the targets' entropy is removed, the level is not.
- A loss that reached 0 (BCE-on-logits can underflow) is a point, not a level (first_zero, ZERO_BELOW).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ...core.floors.floors import Floor, find, headline
from ...core.config.vocab import claim_of
from ...core.config.vocab import floor_title as vocab_floor_title
from ...core.config.losses import LOSSES

UNIT_OF = {kind: loss.axis_unit for kind, loss in LOSSES.items()}  # an axis's unit, from the loss registry
SHORT_UNIT = {loss.axis_unit: loss.short_unit for loss in LOSSES.values()}
# A float32 loss this small has underflowed: it reached 0 in all but rounding (seen: 1e-43 pulling the axis down).
ZERO_BELOW = 1e-30


def kind_of(run) -> str:
    """The loss kind of a kind string, a config, a stored row (row.config) or a (row, losses) pair."""
    if isinstance(run, str):
        return run
    if isinstance(run, tuple) and run and not isinstance(run[0], str):
        run = run[0]
    config = getattr(run, "config", run)
    return getattr(getattr(config, "loss", None), "kind", "") or ""


def unit_of(run) -> str:
    """The unit a run's loss is measured in ('loss' for a kind without one)."""
    return UNIT_OF.get(kind_of(run), "loss")


def axis_label(unit: str, excess: bool = False, floor: str | None = None, short: bool = False) -> str:
    """'loss (nats)', or in excess mode 'loss − model floor (nats)': one unit, and which floor is subtracted;
    short: the unit's short name ('MSE'), for a panel too low for 'mean squared error'."""
    name = SHORT_UNIT.get(unit, unit) if short else unit
    paren = "" if unit in ("", "loss") else f" ({name})"
    if not excess:
        return f"loss{paren}"
    return f"loss − {floor or 'floor'}{paren}"


def unit_groups(runs: Iterable) -> list[tuple[str, list[int]]]:
    """(unit, indices of the runs in it), in order of first appearance: one panel each."""
    groups: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(unit_of(run), []).append(i)
    return list(groups.items())


def x_cover(xs: Iterable[Sequence[float] | np.ndarray | None]) -> tuple[float, float] | None:
    """(lowest x, highest x) over every run's finite x values: whole runs, the longest included; None if empty."""
    lo, hi = math.inf, -math.inf
    for x in xs:
        if x is None:
            continue
        a = np.asarray(x, dtype=np.float64)
        a = a[np.isfinite(a)]
        if a.size:
            lo, hi = min(lo, float(a.min())), max(hi, float(a.max()))
    return (lo, hi) if lo <= hi else None


def floor_title(f: Floor | None) -> str:
    """'model floor', 'data floor', 'linear (PCA)': how an axis or label names a floor."""
    return "floor" if f is None else vocab_floor_title(f.name)


def parse_floors(floors) -> list[Floor]:
    """Floors from Floor objects or their dicts (as the stream sends them); malformed entries are skipped."""
    out = []
    for f in floors or []:
        if isinstance(f, Floor):
            out.append(f)
        else:
            try:
                out.append(Floor.from_dict(f))
            except ValueError:
                continue
    return out


def run_floor(floors, fallback: float | None = None) -> tuple[float | None, str]:
    """The one floor a run's excess subtracts from every curve: its headline floor (the tightest exact or
    bound), as (value, title); the fallback value when the run has no floor list (older stores)."""
    top = headline(parse_floors(floors))
    if top is not None:
        return float(top.value), floor_title(top)
    if fallback is not None and math.isfinite(fallback):
        return float(fallback), "floor"
    return None, "floor"


def batch_floor_offset(floors, batch_floors, value: float | None) -> float:
    """What each batch's own floor (its targets' entropy, BCE) is raised by so that they average to the run's
    floor `value`: value − the data floor (value − the batch floors' mean when no data floor is listed)."""
    if value is None or batch_floors is None or not math.isfinite(value):
        return 0.0
    data = find(parse_floors(floors), "data")
    if data is not None and math.isfinite(data.value):
        return float(value - data.value)
    b = np.asarray(batch_floors, dtype=np.float64)
    b = b[np.isfinite(b)]
    return float(value - b.mean()) if b.size else 0.0


def shared_floor_title(titles: Iterable[str]) -> str:
    """The floor an axis of several runs names: theirs when all agree, else 'each run's floor'."""
    distinct = set(titles)
    return distinct.pop() if len(distinct) == 1 else "each run's floor"


def first_zero(y) -> int | None:
    """Index of the first value that reached 0 (≤ ZERO_BELOW, finite), or None."""
    a = np.asarray(y, dtype=np.float64)
    hit = np.flatnonzero(np.isfinite(a) & (a <= ZERO_BELOW))
    return int(hit[0]) if hit.size else None


def zero_note(batch: int) -> str:
    """'reached 0 at batch 1,234': how a run that reached 0 is marked."""
    return f"reached 0 at batch {batch:,}"


def run_floors(row) -> list[tuple[str, float, str]]:
    """(name, value, claim) of each floor a run has, the data's and the model's; one floor from older runs."""
    floors = getattr(row, "floors", None) or []
    if floors:
        return [(f.name, float(f.value), f.claim) for f in floors if f.value is not None and math.isfinite(f.value)]
    if row.floor is None or not math.isfinite(row.floor):
        return []
    return [("", float(row.floor), claim_of(bool(row.floor_exact)))]

"""Reading stored rows: a RunRow from each, and a cell that does not parse never hides the rest of the history."""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
from dataclasses import dataclass, field

from ..config import config as config_mod
from ..config import config_io
from ..config import losses
from ..config.config import RunConfig
from ..floors.floors import Floor, find
from ..config.vocab import Claim, FloorName


@dataclass(frozen=True)
class RunRow:
    """One stored run's summary, without its loss curve."""

    run_id: int
    name: str
    status: str
    stop_reason: str | None
    config: RunConfig
    created: float
    seconds: float
    batches: int
    epochs: int
    final_loss: float | None
    min_epoch_loss: float | None
    floor: float | None
    floor_exact: bool
    device: str
    notes: str
    copies: int
    batches_per_s: float | None = None
    error: str | None = None
    group_name: str | None = None
    copy_final: list | None = None
    versions: dict | None = None
    damaged: str | None = None  # what could not be read, when a cell was damaged
    floors: list = field(default_factory=list)  # [Floor], the run's floors with their claims
    eval_loss: float | None = None  # the final model on every row; None for failed and killed runs
    saturated: float | None = None  # sigmoid + BCE: the share of outputs stuck at 0 or 1 by round-off (RunEnd)

    @property
    def gap(self) -> float | None:
        """eval_loss − floor: how far the final model sits above the tightest exact-or-bound floor."""
        if self.eval_loss is None or self.floor is None:
            return None
        return self.eval_loss - self.floor

    def floor_value(self, name: str) -> float | None:
        """The value of the floor called name ('data', 'model', …), or None."""
        found = find(self.floors, name)
        return found.value if found is not None else None

    @property
    def optimizer_gap(self) -> float | None:
        """eval_loss − model floor: what the optimizer left; None without both."""
        model = self.floor_value("model")
        return None if model is None or self.eval_loss is None else self.eval_loss - model



@functools.lru_cache(maxsize=2048)
def _stored_config(text: str | bytes) -> RunConfig:
    """A stored config's text parsed, once: configs are frozen, and every listing and selection parsed the same
    text again (40 of them were 15 ms of a 40-run selection). A text that does not parse raises each time."""
    return config_io.from_json(text)


def parse_row(r: sqlite3.Row, statuses: tuple) -> RunRow:
    """A RunRow from a stored row (LIST_COLUMNS, read by name); a cell that does not parse, or holds the wrong
    type, makes it 'damaged'."""
    bad: list[str] = []
    cfg = RunConfig()
    try:
        if isinstance(r["config"], (str, bytes)):
            cfg = _stored_config(r["config"])
        else:
            bad.append("config: not text")
    except config_mod.ConfigError as exc:
        bad.append(f"config: {exc.problems[0].field} {exc.problems[0].allowed}"[:200])
    except (ValueError, RecursionError):
        bad.append("config: unreadable")
    cell = _Cells(r, bad)
    status = cell.text("status", "")
    if status not in statuses:
        bad.append(f"status: {_safe(status)} is not one of {', '.join(statuses)}")
    row = RunRow(run_id=r["run_id"], name=cell.text("name", ""), status=status, stop_reason=cell.text("stop_reason"),
                 config=cfg, created=cell.num("created", 0.0), seconds=cell.num("seconds", 0.0),
                 batches=cell.int("batches", 0), epochs=cell.int("epochs", 0),
                 final_loss=cell.num("final_loss"), min_epoch_loss=cell.num("min_epoch_loss"),
                 floor=cell.num("floor"), floor_exact=bool(cell.int("floor_exact", 0)),
                 device=cell.text("device", ""), notes=cell.text("notes", ""), copies=cell.int("copies", 1) or 1,
                 batches_per_s=cell.num("batches_per_s"), error=cell.text("error"),
                 group_name=cell.text("group_name"), copy_final=cell.json("copy_final", list),
                 versions=cell.json("versions", dict), eval_loss=cell.num("eval_loss"),
                 saturated=cell.num("saturated"))
    row = dataclasses.replace(row, floors=_floors(cell, cfg, row.floor, row.floor_exact))
    if bad:
        row = dataclasses.replace(row, status="damaged", damaged="; ".join(bad))
    return row


def _floors(cell, cfg: RunConfig, value: float | None, exact: bool) -> list[Floor]:
    """A row's floors; a run stored before floors had claims gets its one floor named by what it was."""
    raw = cell.json("floors", list)
    if raw is not None:
        try:
            return [Floor.from_dict(d) for d in raw]
        except (ValueError, TypeError):
            cell.bad.append("floors: not a list of floors")
            return []
    if value is None:
        return []
    if losses.LOSSES.get(cfg.loss.kind, losses.UNKNOWN).cross_entropy or value == 0:
        return [Floor(FloorName.DATA, value, Claim.LOWER_BOUND, "stored by an earlier aegui")]
    zero = Floor(FloorName.DATA, 0.0, Claim.LOWER_BOUND, f"{cfg.loss.kind} is never negative")
    if exact:
        return [zero, Floor(FloorName.MODEL, value, Claim.EXACT,
                            "stored by an earlier aegui: the PCA floor of a linear model")]
    return [zero, Floor(FloorName.PCA, value, Claim.REFERENCE, "stored by an earlier aegui")]


def _safe(v) -> str:
    return repr(v)[:40]


class _Cells:
    """Typed reads of one row's cells, by column name; a cell of the wrong type gives the default and notes
    what was wrong (under the column's name)."""

    def __init__(self, r: sqlite3.Row, bad: list):
        self.r, self.bad = r, bad

    def _wrong(self, name: str, what: str, default):
        self.bad.append(f"{name}: {what}")
        return default

    def text(self, name: str, default=None):
        v = self.r[name]
        if v is None:
            return default
        return v if isinstance(v, str) else self._wrong(name, "not text", default)

    def num(self, name: str, default=None):
        v = self.r[name]
        if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            return default if v is None else float(v)
        return self._wrong(name, "not a number", default)

    def int(self, name: str, default: int):
        v = self.r[name]
        if v is None or isinstance(v, int):
            return default if v is None else v
        return self._wrong(name, "not a whole number", default)

    def json(self, name: str, kind: type):
        v = self.r[name]
        if not v:
            return None
        try:
            out = json.loads(v) if isinstance(v, (str, bytes)) and len(v) < 1_000_000 else None
        except (ValueError, RecursionError):
            out = None
        return out if isinstance(out, kind) else self._wrong(name, f"not a JSON {kind.__name__}", None)

"""A run's summary (its losses and its floors), built in one place for the CLI's JSON, `show`, the window and
figures: run_summary for a run that just ended, row_summary for a stored one."""

from __future__ import annotations

import math

from ..config.config import RunConfig
from .explain import why_not_zero
from .floors import Floor, describe_model, find, headline, is_exact, needs_logistic
from ..config.vocab import FloorName


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def floor_fields(config: RunConfig, floors: list[Floor], eval_loss: float | None,
                 saturated: float | None = None) -> dict:
    """floors, floor, floor_exact, floor_basis, eval_loss, gap (= eval_loss − floor) and the why-not-zero line.

    floor is the tightest exact-or-lower-bound floor; floor_exact is true only when that value is exact
    for this run's model. gap and the decomposition are None where eval_loss is unknown (a killed run).
    """
    top = headline(floors)
    ev = _finite(eval_loss)
    floor = _finite(top.value) if top is not None else None
    data, model = find(floors, FloorName.DATA), find(floors, FloorName.MODEL)
    return {
        "floors": [f.to_dict() for f in floors],
        "floor": floor,
        "floor_exact": is_exact(top),
        "floor_basis": top.basis if top is not None else None,
        "eval_loss": ev,
        "gap": ev - floor if ev is not None and floor is not None else None,
        "data_floor": _finite(data.value) if data else None,
        "model_floor": _finite(model.value) if model else None,
        "model_floor_claim": model.claim if model else None,
        "optimizer_gap": ev - model.value if ev is not None and model and math.isfinite(model.value) else None,
        "why_not_zero": why_not_zero(floors, ev, config.loss.kind, describe_model(config), saturated,
                                     unsolved=_unsolved(config, floors)) if ev is not None else "",
    }


def _unsolved(config: RunConfig, floors: list[Floor]) -> bool:
    # The floors would solve a logistic regression for this model, and none came back: it was left out for size.
    return needs_logistic(config) and find(floors, FloorName.MODEL) is None and find(floors, FloorName.REACHED) is None


def run_summary(config: RunConfig, floors: list[Floor], *, final_loss: float | None, min_epoch_loss: float | None,
                eval_loss: float | None, saturated: float | None = None) -> dict:
    """final_loss, min_epoch_loss (None where not finite) and floor_fields: what every view of a run shows.

    The keys keep this order: `aegui run|runs|show --json` and figures' metadata print them as built.
    """
    return {"final_loss": _finite(final_loss), "min_epoch_loss": _finite(min_epoch_loss),
            **floor_fields(config, floors, eval_loss, saturated)}


def row_summary(row) -> dict:
    """run_summary of a stored run (a RunRow)."""
    return run_summary(row.config, row.floors, final_loss=row.final_loss, min_epoch_loss=row.min_epoch_loss,
                       eval_loss=row.eval_loss, saturated=row.saturated)

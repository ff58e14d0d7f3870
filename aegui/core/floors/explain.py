"""Why not zero? A run's loss split into the data's floor, the model's share and the optimizer's share.

loss = data floor + model gap (model floor − data floor) + optimizer gap (eval_loss − model floor)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import losses
from .floors import Floor, contained_words, find, headline
from .logistic_wide import WIDE_MAX_CELLS
from ..config.vocab import Claim, FloorName
ROUND_OFF_SHARE = 0.01  # saturated outputs above this share name round-off as the cause, not the optimizer


def fmt(value: float | None, digits: int = 4) -> str:
    """A loss for people: 4 significant digits, scientific below 1e-4 ('2.986e-05'), '—' for none."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"  # g switches to scientific below 1e-4


@dataclass(frozen=True)
class Decomposition:
    """The parts of a run's loss: data floor, the model's share, the optimizer's share (None where unknown)."""

    loss: float
    data: float
    model_gap: float | None    # model floor − data floor (plus any output-range part), when a model floor is known
    optimizer_gap: float | None  # loss − model floor, or loss − the tightest bound when no model floor is known
    model_claim: str | None     # the model floor's claim: exact or estimate; reachable: the gaps are at most
    #                             (model) and at least (optimizer), from a value the model provably reaches


def decompose(floors: list[Floor], loss: float) -> Decomposition | None:
    """Split loss by the run's floors; None when there is no loss or no data floor."""
    data = find(floors, FloorName.DATA)
    if data is None or loss is None or not math.isfinite(loss):
        return None
    model = find(floors, FloorName.MODEL)
    if model is not None and math.isfinite(model.value):
        return Decomposition(loss, data.value, model.value - data.value, loss - model.value, model.claim)
    bound = headline(floors)
    base = bound.value if bound is not None else data.value
    reached = reachable(floors)
    if reached is not None:  # the model's floor lies in [base, reached]: above reached is the optimizer's
        return Decomposition(loss, data.value, reached.value - base, loss - reached.value, Claim.REACHABLE)
    return Decomposition(loss, data.value, base - data.value if base > data.value else None, None, None)


def reachable(floors: list[Floor]) -> Floor | None:
    """The lowest finite floor the run's model class provably reaches (claim reachable), or None."""
    found = [f for f in floors if f.claim == Claim.REACHABLE and math.isfinite(f.value)]
    return min(found, key=lambda f: f.value) if found else None


def why_not_zero(floors: list[Floor], loss: float | None, loss_kind: str, model_words: str,
                 saturated: float | None = None, unsolved: bool = False) -> str:
    """One plain sentence: of this loss, what the data forces, what the model cannot fit, what the optimizer left
    (or round-off, where saturated, the share of sigmoid outputs stuck at exactly 0 or 1, is large). unsolved:
    the model's floor has a solve, left out at this data size (the sentence says so, not 'no floor is known')."""
    parts = decompose(floors, loss) if loss is not None else None
    if parts is None:
        return ""
    if parts.loss == 0:
        return "It reached 0: nothing is left to explain."
    stuck = saturated is not None and math.isfinite(saturated) and saturated >= ROUND_OFF_SHARE
    clauses = []
    if parts.data > 0:
        clauses.append(f"{fmt(parts.data)} is the data's entropy (no model can do better)")
    out_range = find(floors, FloorName.OUTPUT_RANGE)
    if out_range is not None:
        clauses.append(f"{fmt(out_range.value)} lies outside a sigmoid's reach, [0, 1] (no sigmoid output can do better)")
    if parts.optimizer_gap is not None:
        if parts.model_claim == Claim.REACHABLE and parts.model_gap and parts.model_gap > 0:
            reached = reachable(floors)
            assert reached is not None  # decompose took the model's claim from it
            clauses.append(f"at most {fmt(parts.model_gap)} is what {model_words} cannot fit (it can reach "
                           f"{fmt(reached.value)}: it contains {contained_words(reached)})")
        elif parts.model_gap and parts.model_gap > 0:
            said: dict[str, str] = {
                Claim.EXACT: f"{fmt(parts.model_gap)} is what {model_words} cannot fit",
                Claim.LOWER_BOUND: f"at least {fmt(parts.model_gap)} is what {model_words} cannot fit (a proven bound)"}
            clauses.append(said.get(parts.model_claim or "", f"about {fmt(parts.model_gap)} is what {model_words} "
                                                             "could not fit in the best solve found (an estimate)"))
        elif not clauses and not stuck:
            return f"{_of(parts.loss, loss_kind)}, all is left to the optimizer: {model_words} can reach " \
                   f"{fmt(parts.data)} on this data."
        clauses.append(_round_off(parts.optimizer_gap, saturated) if stuck
                       else _optimizer(parts.optimizer_gap, parts.loss, parts.model_claim))
    else:
        rest = parts.loss - (out_range.value if out_range is not None else parts.data)
        ref = find(floors, FloorName.PCA)
        ref_words = f" (a linear model would stop at {fmt(ref.value)}: a reference, not a bound)" if ref else ""
        unknown = (f" ({model_words} has a floor aegui solves, but not at this data size: over "
                   f"{WIDE_MAX_CELLS:,.0f} values the solve would need more memory than the run)" if unsolved
                   else f": no floor is known for {model_words}{ref_words}")
        clauses.append(_round_off(rest, saturated) if stuck else f"{fmt(rest)} is model plus optimizer{unknown}")
    body = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + ", and " + clauses[-1]
    return f"{_of(parts.loss, loss_kind)}, {body}."


def _of(loss: float, kind: str) -> str:
    record = losses.LOSSES.get(kind, losses.UNKNOWN)
    if record.unit:  # a value in nats names its loss by its unit
        return f"Of {fmt(loss)}{record.unit_suffix}"
    return f"Of {record.words or 'a loss'} of {fmt(loss)}"


def _optimizer(gap: float, loss: float, claim: str | None = Claim.EXACT) -> str:
    # Float rounding lets a run land a hair under an exact floor; that is 'nothing left', not a broken claim.
    if abs(gap) <= 1e-6 * max(abs(loss), 1e-12) or abs(gap) < 1e-12:
        return "nothing is left to the optimizer"
    if claim == Claim.REACHABLE:  # gap is loss − a value the model reaches: a lower end of the optimizer's share
        return f"at least {fmt(gap)} is left to the optimizer" if gap > 0 else \
            f"the run went {fmt(-gap)} under that value, so none is proven left to the optimizer"
    if gap < 0:
        if claim == Claim.ESTIMATE:
            return f"the optimizer beat that estimate by {fmt(-gap)}"
        return f"the run ended {fmt(-gap)} under that floor, float rounding of a proven value"
    return f"at most {fmt(gap)} is left to the optimizer" if claim == Claim.LOWER_BOUND else \
        f"{fmt(gap)} is left to the optimizer"


def _round_off(gap: float, saturated: float | None) -> str:
    """The seed's fourth lesson: a saturated float32 sigmoid has zero gradient, and its loss sits at the clamp."""
    return (f"{fmt(gap)} is round-off, not the optimizer's: {saturated:.0%} of the outputs are saturated (float32's "
            "sigmoid rounds them to exactly 0 or 1, so their gradient is zero and their loss sits at BCE's log "
            "clamp); BCE on logits (bce_logits) computes the same loss without that round-off")

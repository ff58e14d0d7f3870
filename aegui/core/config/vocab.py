"""The words aegui stores and compares: floor claims, floor names and run statuses, each an enum once.

Members are str-valued (str(member) and f-strings give the value), so stored rows, JSON and comparisons
with plain strings read exactly as before.
"""

from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    """A str enum whose str() and format() are its value (enum.StrEnum, which Python 3.10 lacks)."""

    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]  # Enum's would print the member's name


class Claim(_Word):
    """What a floor claims for this run's model (floors.py): the order is the strength of the claim."""

    EXACT = "exact"              # this model class attains it on this data (proven, or solved to tolerance)
    LOWER_BOUND = "lower bound"  # no model of this class can go under it
    ESTIMATE = "estimate"        # the best a solver found on a non-convex problem (neither bound nor attained)
    REFERENCE = "reference"      # a number to compare with, no claim
    REACHABLE = "reachable"      # this model class can reach it (it contains a model that does): its floor is at most this


BOUNDING = (Claim.EXACT, Claim.LOWER_BOUND)  # the claims a run's loss can be measured against (never REACHABLE:
#                                              an upper value of the model's floor, which a run may beat)


class FloorName(_Word):
    """Which floor: the data's, the output range's, this model's, the linear (PCA) reference, or a reachable value."""

    DATA = "data"
    OUTPUT_RANGE = "output range"
    MODEL = "model"
    PCA = "linear (PCA)"
    REACHED = "reachable"  # what a model this model class contains reaches: an upper value of this model's floor


class Status(_Word):
    """A stored run's status."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


def claim_of(exact: bool) -> Claim:
    """The claim of a stored headline floor, which keeps only whether it was exact."""
    return Claim.EXACT if exact else Claim.LOWER_BOUND


def floor_title(name: str) -> str:
    """How a label names a floor: 'model floor', 'data floor'; 'linear (PCA)' and 'reachable' stand alone."""
    if not name:
        return "floor"
    return str(name) if name in (FloorName.PCA, FloorName.REACHED) else f"{name} floor"


def claim_words(name: str, claim: str) -> str:
    """A label's claim in brackets: the claim itself; a reachable value says it is an upper value, not a bound."""
    if claim == Claim.REACHABLE:
        return "an upper value" if name == FloorName.REACHED else "reachable: an upper value"
    return str(claim)

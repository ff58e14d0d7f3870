"""The claim banner above the live plot, built from the config on screen (not frozen at a preset).

Its floor comes from the config alone (population values: no data is generated on the GUI thread), so it
reads at once while the user edits; the run's own floor, measured on its data, is what the plot draws.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace

from ..core.config import config as cfg
from ..core.config import losses
from ..core.floors.expected import Expected, expected_floor  # noqa: F401 - the banner's floor is core's answer
from ..core.config.vocab import Claim


def sig3(value: float | None) -> str:
    """Three significant digits, scientific where a fixed format would hide them (2.99e-05, 0.5, 1.23e+04)."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def describe(c: cfg.RunConfig) -> str:
    """'Linear, BCE, uniform, 2 features' or '…, uniform 4→2': the config in a few words."""
    n = c.data.features
    shape = f"{n}→{c.encoding_dim}" if c.has_bottleneck else f"{n} feature{'s' if n != 1 else ''}"
    model = "linear" if c.model.kind == "linear" else f"{c.model.depth}-layer {c.model.activation} MLP"
    data = (c.data.file or "file").rsplit("/", 1)[-1] if c.data.kind == "file" else c.data.kind
    sep = " " if c.has_bottleneck else ", "  # 'uniform 4→2', 'uniform, 2 features'
    return f"{model.capitalize()}, {losses.LOSSES.get(c.loss.kind, losses.UNKNOWN).label}, {data}{sep}{shape}"


def claim(c: cfg.RunConfig, e: Expected) -> str:
    """What a run of c will show, in one sentence, saying what kind of number the floor is."""
    unit = losses.LOSSES.get(c.loss.kind, losses.UNKNOWN).unit_suffix
    if e.value is None:
        return f"The loss levels off at {e.why}: compare it with the dashed floors once the run starts."
    if e.value == 0:
        lead = "can train to almost zero" if e.exact else "has no known floor above zero"
        return f"The loss {lead}: {e.why}."
    if e.claim == Claim.REFERENCE:
        return f"A linear model would stall near {sig3(e.value)}{unit}: {e.why}."
    if e.claim == Claim.REACHABLE:  # an upper value of the model's floor, not a bound: the run may go under it
        return f"This model can reach {sig3(e.value)}{unit}: {e.why}; what the loss keeps above it is the optimizer's."
    lead = "stalls near" if e.exact else "stays above"
    return f"The loss {lead} {sig3(e.value)}{unit}: {e.why}. Not a bug."


# A preset whose lesson is not 'falls to zero' or 'stalls at its floor' says what to watch itself.
PRESET_WATCH = {
    "stuck": "Watch for: the loss sticks far above its floor; toggle BCE on logits and rerun to see it train.",
    "above": "Watch for: the loss stays above the dashed entropy floor; what it has above the dotted reachable "
             "line (a value this model can reach) is the optimizer's.",
}


def watch_for(c: cfg.RunConfig, e: Expected) -> str:
    """The 'Watch for' line: where to look on the plot."""
    if e.value == 0:
        stop = f"an epoch mean under {c.training.tol:g} ends it" if c.training.tol > 0 else "tol 0: every epoch runs"
        return f"Watch for: the loss falls toward zero ({stop})."
    return ("Watch for: the loss levels off at or above the dashed floors (each labelled with its claim); "
            "'Excess over floor' shows how close it gets, and the line under the plot says why not zero.")


def banner_html(c: cfg.RunConfig, preset=None, card=None) -> str:
    """The banner's rich text for config c; a preset's own title and claim while c is still that preset.

    card: the chosen file's data card, whose width and floors a file run's banner states (the config's
    features field means nothing for a file).
    """
    if card is not None and c.data.kind == "file":
        c = replace(c, data=replace(c.data, features=card.columns, samples=card.rows))
    e = expected_floor(c, card)
    watch = watch_for(c, e)
    if preset is not None and replace(c, name=preset.config.name) == preset.config:
        title, text = preset.title, preset.claim
        watch = PRESET_WATCH.get(preset.expect, watch)
    else:
        title, text = describe(c), claim(c, e)
    return (f"<b>{html.escape(title)}</b> — {html.escape(text)}<br>"
            f"<span style='color:#4a6378'>{html.escape(watch)}</span>")

"""The claim banner above the live plot, built from the config on screen (not frozen at a preset).

Its floor comes from the config alone (population values: no data is generated on the GUI thread), so it
reads at once while the user edits; the run's own floor, measured on its data, is what the plot draws.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, replace

from ..core import config as cfg
from ..core.floors import is_affine

UNIT = {"mse": "", "l1": "", "bce": " nats", "bce_logits": " nats"}
BCE = ("bce", "bce_logits")


@dataclass(frozen=True)
class Expected:
    """The floor a config's loss meets on its kind of data: value (None: depends on a file), claim, why.

    claim has floors.py's meaning, for this config's model: exact, lower bound or reference.
    """

    value: float | None
    claim: str
    why: str

    @property
    def exact(self) -> bool:
        """True when this model class attains the value."""
        return self.claim == "exact"


def sig3(value: float | None) -> str:
    """Three significant digits, scientific where a fixed format would hide them (2.99e-05, 0.5, 1.23e+04)."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def expected_floor(c: cfg.RunConfig, card=None) -> Expected:
    """The floor of c's loss on c's kind of data, from the config alone (population values, no data made);
    for a file, from its data card (datacard.py) once the panels have read it."""
    d, k, kind, loss = c.data.features, c.encoding_dim, c.data.kind, c.loss.kind
    if kind == "file" and card is not None:
        return _file_floor(c, card)
    squeeze, affine = k < d, is_affine(c)
    if loss in BCE:
        if kind == "file":
            return Expected(None, "lower bound", "the mean binary entropy of your file's values")
        if kind == "bernoulli":
            return Expected(0.0, "exact" if affine and not squeeze else "lower bound", "0/1 targets have no entropy")
        h = 0.5 if kind in ("uniform", "redundant") else None
        extra = "; an affine + sigmoid model stays a little above it (the plot draws its exact floor)" \
            if affine and not squeeze else ""
        return Expected(h, "lower bound", "the targets' own entropy, which no model can beat" + extra)
    if c.model.output == "sigmoid" and kind in ("gaussian", "file", "redundant"):
        return Expected(None, "lower bound", "the targets' distance to [0, 1], which a sigmoid output cannot leave")
    if not squeeze:
        if affine and c.model.output == "identity":
            return Expected(0.0, "exact", "no bottleneck: a linear model can copy x exactly")
        return Expected(0.0, "lower bound", "no floor above 0 is known for this model")
    if loss == "l1":
        return Expected(0.0, "lower bound", "0 is only a lower bound for L1 with a bottleneck")
    linear = c.model.kind == "linear" and c.model.output == "identity"  # a linear decoder: PCA bounds it (floors.py)
    claim = "exact" if linear else "reference"
    if kind == "file":
        return Expected(None, claim, "the variance outside your file's top principal components")
    if kind == "redundant":
        if c.data.latent_dim <= k and c.data.noise == 0:
            return Expected(0.0, claim, f"{c.data.latent_dim} factor{'s' if c.data.latent_dim != 1 else ''} "
                                            f"fit in a {k}-wide code")
        return Expected(None, claim, "the variance the code cannot hold (factors beyond the code, and noise)")
    per = {"uniform": 1 / 12, "gaussian": 1.0, "bernoulli": c.data.p * (1 - c.data.p)}.get(kind)
    why = f"iid data won't compress: the variance outside the top {k} of {d} components"
    return Expected(per * (d - k) / d, claim, why + ("" if linear else "; a linear model's floor, which a "
                                                         "nonlinear one may beat"))


def _file_floor(c: cfg.RunConfig, card) -> Expected:
    """A file's floor from its card: the BCE entropy, or a linear model's PCA floor at the code size."""
    if c.loss.kind in BCE:
        return Expected(card.bce_floor, "lower bound", "your file's mean binary entropy, which no model can beat")
    pca = dict(card.pca_floors).get(c.encoding_dim)
    if c.loss.kind == "mse" and c.encoding_dim < card.columns and pca is not None:
        linear = c.model.kind == "linear" and c.model.output == "identity"
        return Expected(pca, "exact" if linear else "reference",
                        f"the variance outside your file's top {c.encoding_dim} principal components")
    return expected_floor(replace(c, data=replace(c.data, kind="uniform")))  # 0 or a bound, as for any data


def describe(c: cfg.RunConfig) -> str:
    """'Linear, BCE, uniform, 2 features' or '…, uniform 4→2': the config in a few words."""
    n = c.data.features
    shape = f"{n}→{c.encoding_dim}" if c.has_bottleneck else f"{n} feature{'s' if n != 1 else ''}"
    model = "linear" if c.model.kind == "linear" else f"{c.model.depth}-layer {c.model.activation} MLP"
    data = (c.data.file or "file").rsplit("/", 1)[-1] if c.data.kind == "file" else c.data.kind
    sep = " " if c.has_bottleneck else ", "  # 'uniform 4→2', 'uniform, 2 features'
    return f"{model.capitalize()}, {c.loss.kind.upper().replace('_LOGITS', ' on logits')}, {data}{sep}{shape}"


def claim(c: cfg.RunConfig, e: Expected) -> str:
    """What a run of c will show, in one sentence, saying what kind of number the floor is."""
    unit = UNIT.get(c.loss.kind, "")
    if e.value is None:
        return f"The loss levels off at {e.why}: compare it with the dashed floors once the run starts."
    if e.value == 0:
        lead = "can train to almost zero" if e.exact else "has no known floor above zero"
        return f"The loss {lead}: {e.why}."
    if e.claim == "reference":
        return f"A linear model would stall near {sig3(e.value)}{unit}: {e.why}."
    lead = "stalls near" if e.exact else "stays above"
    return f"The loss {lead} {sig3(e.value)}{unit}: {e.why}. Not a bug."


# A preset whose lesson is not 'falls to zero' or 'stalls at its floor' says what to watch itself.
PRESET_WATCH = {
    "stuck": "Watch for: the loss sticks far above its floor; toggle BCE on logits and rerun to see it train.",
    "above": "Watch for: the loss stays above the dashed entropy floor; what is left is model plus optimizer.",
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

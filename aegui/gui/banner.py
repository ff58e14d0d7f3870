"""The claim banner above the live plot, built from the config on screen (not frozen at a preset).

Its floor comes from the config alone (population values: no data is generated on the GUI thread), so it
reads at once while the user edits; the run's own floor, measured on its data, is what the plot draws.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, replace

from aegui.core import config as cfg

UNIT = {"mse": "", "l1": "", "bce": " nats", "bce_logits": " nats"}
BCE = ("bce", "bce_logits")


@dataclass(frozen=True)
class Expected:
    """The floor a config's loss should reach on its data: value (None: depends on a file), exact, why."""

    value: float | None
    exact: bool
    why: str


def sig3(value: float | None) -> str:
    """Three significant digits, scientific where a fixed format would hide them (2.99e-05, 0.5, 1.23e+04)."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def _binary_entropy(p: float) -> float:
    return 0.0 if p <= 0 or p >= 1 else -(p * math.log(p) + (1 - p) * math.log1p(-p))


def expected_floor(c: cfg.RunConfig) -> Expected:
    """The lowest loss c's loss allows on c's kind of data, from the config alone."""
    d, k, kind, loss = c.data.features, c.encoding_dim, c.data.kind, c.loss.kind
    squeeze = k < d
    if kind == "file":
        what = "the mean binary entropy of your file's values" if loss in BCE else (
            "the variance outside your file's top principal components" if squeeze else "0: no bottleneck")
        return Expected(None if (loss in BCE or squeeze) else 0.0, not squeeze, what)
    if loss in BCE:
        if kind == "bernoulli":
            return Expected(0.0, not squeeze, "0/1 targets have no entropy")
        h = 0.5 if kind in ("uniform", "redundant") else None
        return Expected(h, not squeeze, "the targets' own entropy" + (" (a bound with a bottleneck)" if squeeze else ""))
    if not squeeze:
        return Expected(0.0, True, "no bottleneck: x̂ = x is reachable")
    if loss == "l1":
        return Expected(0.0, False, "0 is only a lower bound for L1 with a bottleneck")
    per = {"uniform": 1 / 12, "gaussian": 1.0, "bernoulli": c.data.p * (1 - c.data.p)}.get(kind)
    if kind == "redundant":
        if c.data.latent_dim <= k and c.data.noise == 0:
            return Expected(0.0, True, f"{c.data.latent_dim} factor(s) fit in a {k}-wide code")
        return Expected(None, False, "the variance the code cannot hold (factors beyond the code, and noise)")
    return Expected(per * (d - k) / d, c.model.kind == "linear",
                    f"iid data won't compress: the variance outside the top {k} of {d} components")


def describe(c: cfg.RunConfig) -> str:
    """'Linear, BCE, uniform ×2 → 2': the config in a few words."""
    shape = f"{c.data.features}→{c.encoding_dim}" if c.has_bottleneck else f"×{c.data.features}"
    model = "linear" if c.model.kind == "linear" else f"{c.model.depth}-layer {c.model.activation} MLP"
    data = (c.data.file or "file").rsplit("/", 1)[-1] if c.data.kind == "file" else c.data.kind
    return f"{model.capitalize()}, {c.loss.kind.upper().replace('_LOGITS', ' on logits')}, {data} {shape}"


def claim(c: cfg.RunConfig, e: Expected) -> str:
    """What a run of c will show, in one sentence."""
    unit = UNIT.get(c.loss.kind, "")
    if e.value is None:
        return f"The loss levels off at {e.why}: compare it with the dashed floor once the run starts."
    if e.value == 0:
        return f"The loss can train to almost zero: {e.why}."
    lead = "stalls near" if e.exact else "stays above"
    return f"The loss {lead} {sig3(e.value)}{unit}: {e.why}, not a bug."


def watch_for(c: cfg.RunConfig, e: Expected) -> str:
    """The 'Watch for' line: where to look on the plot."""
    if e.value == 0 and e.exact:
        return f"Watch for: the loss falls toward zero (tol {c.training.tol:g} stops the run there)."
    return ("Watch for: the loss levels off at or just above the dashed floor, the lowest loss this data "
            "allows; 'Excess over floor' shows how close it gets.")


def banner_html(c: cfg.RunConfig, preset=None) -> str:
    """The banner's rich text for config c; a preset's own title and claim while c is still that preset."""
    e = expected_floor(c)
    if preset is not None and replace(c, name=preset.config.name) == preset.config:
        title, text = preset.title, preset.claim
    else:
        title, text = describe(c), claim(c, e)
    return (f"<b>{html.escape(title)}</b> — {html.escape(text)}<br>"
            f"<span style='color:#4a6378'>{html.escape(watch_for(c, e))}</span>")

"""The toolbar's one-click loss and data toggles, and the rule that keeps a toggled config valid."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup

from ...core.config import config as cfg
from ...core.config.losses import LOSSES

LOSS_TOGGLES = tuple((kind, LOSSES[kind].label) for kind in ("mse", "bce", "bce_logits"))  # the seed's three
DATA_TOGGLES = (("uniform", "Uniform"), ("bernoulli", "Bernoulli"), ("redundant", "Redundant"),
                ("gaussian", "Gaussian"))
TOGGLE_TIPS = {
    "mse": "Matches continuous data; reaches ~0 on uniform data.",
    "bce": "Sets the sigmoid output; stalls near 0.5 on uniform data, reaches 0 on Bernoulli.",
    "bce_logits": "Sets the identity output; BCE on the logit scale, free of round-off.",
    "uniform": "iid U(0,1): MSE's home; BCE's floor here is the data's entropy.",
    "bernoulli": "0/1 values: BCE reaches zero here.",
    "redundant": "Copied features: a bottleneck can still reach zero.",
    "gaussian": "N(0,1): outside [0, 1], so BCE refuses it.",
}


def toggled_config(config: cfg.RunConfig, path: str, value: str) -> tuple[cfg.RunConfig, list[str]]:
    """config with one toggle applied and the output kept valid; plus the problems the toggle would add.

    A preset's name goes with the toggle: 'sigmoid-bce-bernoulli' on uniform data would mislabel the run
    (its label falls back to 'linear bce uniform'); a name the user typed is kept.
    """
    from ...core.config.presets import PRESETS
    # The loss → output rule lives in the config, shared with the grids: one rule, one place.
    new = cfg.apply_loss(config, value) if path == "loss.kind" else cfg.with_changes(config, **{path: value})
    if config.name in PRESETS and cfg.get(config, path) != value:
        new = cfg.with_changes(new, name="")
    before = {str(p) for p in cfg.validate(config)}
    return new, [str(p) for p in cfg.validate(new) if str(p) not in before]


def toggle_group(parent, items, path: str, what: str, slot) -> dict[str, QAction]:
    """Checkable actions, one per value, in a group whose triggered(action) goes to slot."""
    group = QActionGroup(parent)
    group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)  # 'file' data checks none
    actions = {}
    for value, text in items:
        action = QAction(text, parent, checkable=True)
        action.setData((path, value))
        action.setToolTip(f"{what}: {text}. {TOGGLE_TIPS[value]}")
        group.addAction(action)
        actions[value] = action
    group.triggered.connect(slot)
    return actions


def sync_toggles(actions: dict[str, QAction], current: str) -> None:
    """Check the action for the current value and no other."""
    for value, action in actions.items():
        action.setChecked(value == current)

"""Compare in place: the last few runs stay in the live plot as faint, labelled ghosts under the new one.

Toggling MSE → BCE → Bernoulli then reads without selecting rows in the table: ghosts of the live run's unit
share its axis, a ghost of another unit goes to a panel of its own under it (one unit per axis). A ghost is a
snapshot of a finished (or stopped) run's recent-mean curve, thinned to a few thousand points, on every
x axis the plot offers; the last MAX_GHOSTS stay, and pinned ones stay until unpinned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..banner import sig3
from .plot_base import rolling_mean
from .view_rule import ZERO_BELOW, first_zero, unit_of, zero_note

MAX_GHOSTS = 3
GHOST_POINTS = 2000
# Okabe–Ito colours the live run does not use (its curves are blue and vermillion), drawn faint.
GHOST_COLOURS = ("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999933", "#000000")
GHOST_ALPHA = 150


@dataclass
class Ghost:
    """One earlier run as the live plot keeps it: its name, loss, floor and thinned recent-mean curve."""

    name: str
    loss: str
    floor: float | None
    x: dict            # axis name → x values (batch, epoch, seconds)
    y: np.ndarray      # recent mean of the loss
    y_excess: np.ndarray  # recent mean of loss − the run's one floor (per batch for BCE, raised to average to it)
    run_id: int | None = None
    pinned: bool = False
    value: float | None = None   # the one number the ghost shows: the stored eval loss, else the final loss
    value_kind: str = "final"    # which of them value is ('eval', 'final', or 'recent mean' if neither is known)
    zero_at: int | None = None   # the batch at which the loss reached 0, if it did
    colour: str = GHOST_COLOURS[0]

    @property
    def unit(self) -> str:
        """The unit of the ghost's loss: it is drawn on the panel of that unit."""
        return unit_of(self.loss)

    def label(self, excess: bool) -> str:
        """'#12 linear mse uniform · eval 3.1e-09': name and the run's one number, saying which it is."""
        ident = f"#{self.run_id} " if self.run_id is not None else ""
        if self.zero_at is not None and (self.value is None or self.value <= ZERO_BELOW):
            return f"{ident}{self.name} · {zero_note(self.zero_at)}"
        value = self.value
        if value is None:
            finite = self.y[np.isfinite(self.y)]
            value = float(finite[-1]) if finite.size else None
        if value is None:
            return f"{ident}{self.name} · —"
        if excess and self.floor is not None and math.isfinite(self.floor):
            return f"{ident}{self.name} · {self.value_kind} − floor {sig3(value - self.floor)}"
        return f"{ident}{self.name} · {self.value_kind} {sig3(value)}"


def snapshot(series, info: dict, per_epoch: int) -> Ghost | None:
    """A Ghost of the run held in a LiveSeries (None when it holds no batch)."""
    n = series.n
    if n == 0:
        return None
    window = max(int(series.window), 1)
    losses = series.losses.view().astype(np.float64)
    floor = info.get("floor")
    if series.has_batch_floors():
        shifted = losses - series.floors.view() - series.floor_offset
    elif floor is not None and math.isfinite(floor):
        shifted = losses - floor
    else:
        shifted = losses
    # Thin after smoothing: the recent mean varies slowly, so every k-th point keeps its shape.
    # Not np.unique: numpy 2 imports numpy.ma lazily there, and an import on the GUI thread while the
    # worker forks the training process left the child waiting on that module's lock (seen: a hung run).
    idx = np.linspace(0, n - 1, min(n, GHOST_POINTS)).astype(np.int64)
    steps = series.steps.view()[idx].astype(np.float64)
    x = {"batch": steps, "epoch": (steps + 1) / max(per_epoch, 1),
         "seconds": series.seconds.view()[idx].astype(np.float64)}
    zero = first_zero(losses)
    value, kind = _number(info)
    if value is None:
        recent = rolling_mean(losses, window)
        finite = recent[np.isfinite(recent)]
        value, kind = (float(finite[-1]), "recent mean") if finite.size else (None, "recent mean")
    return Ghost(name=str(info.get("name") or info.get("label") or "run"), loss=str(info.get("loss", "")),
                 floor=floor, x=x, y=rolling_mean(losses, window)[idx], y_excess=rolling_mean(shifted, window)[idx],
                 run_id=info.get("run_id"), value=value, value_kind=kind,
                 zero_at=None if zero is None else int(series.steps.view()[zero]))


def _number(info: dict) -> tuple[float | None, str]:
    """The stored run's one number: its eval loss, else its final loss (the table shows the same)."""
    for key, kind in (("eval_loss", "eval"), ("final_loss", "final")):
        v = info.get(key)
        if v is not None and math.isfinite(float(v)):
            return float(v), kind
    return None, "final"


class GhostLayer:
    """The ghosts drawn in one PlotBase: faint curves with a label at each curve's end, each on the panel of
    its unit (never an MSE ghost on a nats axis), each keeping its colour while it stays."""

    def __init__(self, plot):
        self.plot = plot
        self.ghosts: list[Ghost] = []
        self.visible = True
        self._items: list[tuple[pg.PlotDataItem, pg.TextItem]] = []
        self._drawn_key = None

    def add(self, ghost: Ghost | None) -> None:
        """Keep a new ghost; drop the oldest unpinned ones beyond MAX_GHOSTS."""
        if ghost is None:
            return
        self.ghosts.append(ghost)
        while sum(not g.pinned for g in self.ghosts) > MAX_GHOSTS:
            self.ghosts.remove(next(g for g in self.ghosts if not g.pinned))
        used = {g.colour for g in self.ghosts if g is not ghost}
        # A colour of its own for as long as it stays: toggles and later runs never repaint it.
        ghost.colour = next((c for c in GHOST_COLOURS if c not in used), GHOST_COLOURS[len(self.ghosts) % len(GHOST_COLOURS)])
        self._rebuild()

    def pin(self, index: int, on: bool = True) -> None:
        """Pin (keep past MAX_GHOSTS) or unpin ghost `index`; unpinning may drop the oldest extra ones."""
        self.ghosts[index].pinned = bool(on)
        while sum(not g.pinned for g in self.ghosts) > MAX_GHOSTS:
            self.ghosts.remove(next(g for g in self.ghosts if not g.pinned))
        self._rebuild()

    def clear(self) -> None:
        """Forget every ghost, pinned or not."""
        self.ghosts = []
        self._rebuild()

    def forget_missing(self, exists) -> None:
        """Drop the ghosts of runs that exists(run_id) says are gone (deleted from the store)."""
        keep = [g for g in self.ghosts if g.run_id is None or exists(g.run_id)]
        if len(keep) != len(self.ghosts):
            self.ghosts = keep
            self._rebuild()

    def set_result(self, run_id: int, eval_loss: float | None, final_loss: float | None) -> None:
        """Give the ghost of run_id its stored number (eval, else final) once the store has it."""
        value, kind = _number({"eval_loss": eval_loss, "final_loss": final_loss})
        for ghost in self.ghosts:
            if ghost.run_id == run_id and value is not None:
                ghost.value, ghost.value_kind = value, kind
                self._rebuild()
                return

    def set_visible(self, on: bool) -> None:
        """Show or hide every ghost (they are kept either way)."""
        self.visible = bool(on)
        self._rebuild()

    def _rebuild(self) -> None:
        for curve, text in self._items:
            for item in (curve, text):
                item.panel.removeItem(item)  # before keep_panels below may delete the panel
        self._items = []
        p = self.plot
        # One panel per unit: the ghosts of the live run's unit share its axis, the others get their own.
        p.keep_panels({g.unit for g in self.ghosts if self.visible and g.unit != p.unit})
        for ghost in self.ghosts:
            pi = p.panel(ghost.unit)
            colour = pg.mkColor(ghost.colour)
            colour.setAlpha(GHOST_ALPHA)
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.8 if ghost.pinned else 1.4))
            curve.setZValue(-5)  # under the live run's curves
            # A light fill keeps the label readable where it crosses a floor line or another curve.
            text = pg.TextItem(anchor=(1, 1), color=ghost.colour, fill=pg.mkBrush(255, 255, 255, 190))
            pi.addItem(curve)
            pi.addItem(text, ignoreBounds=True)
            curve.panel = text.panel = pi
            curve.setVisible(self.visible)
            text.setVisible(self.visible)
            self._items.append((curve, text))
        self._drawn_key = None
        self.redraw()
        self.place_labels()

    def redraw(self) -> None:
        """Draw each ghost for the plot's current axis, log and excess settings (only when they change);
        the labels are placed by place_labels, once the view's range has settled on the new data."""
        p = self.plot
        key = (p.x_axis, p.log, p.excess)
        if key == self._drawn_key:
            return
        self._drawn_key = key
        self._placed_key: tuple | None = None
        for ghost, (curve, text) in zip(self.ghosts, self._items):
            y = ghost.y_excess if p.excess else ghost.y
            x = ghost.x[p.x_axis]
            if p.log:
                # On log, a ghost is drawn where it is > 0: a loss that reached 0, or a mean at or under its
                # floor (excess), is a gap, not a dive to an arbitrary clamp level (the label gives the number).
                y = np.where((y <= ZERO_BELOW) | (ghost.y <= ZERO_BELOW), np.nan, y)
            ok = np.isfinite(y)
            curve.setData(x[ok], y[ok])
            text.setText(("pinned · " if ghost.pinned else "") + ghost.label(p.excess))
            if ok.any():
                last = float(y[ok][-1])
                text.end = (float(x[ok][-1]), math.log10(last) if p.log and last > 0 else last)
                text.setPos(*text.end)

    def place_labels(self) -> None:
        """Put each label at its curve's end, on the side that covers the least: other labels (floors' and
        ghosts'), other curves, or the view's edge (only when the view's ranges changed)."""
        if not self._items or not self.visible:
            return
        p = self.plot
        right = max([float(g.x[p.x_axis][-1]) for g in self.ghosts] + [p.x_extent()], default=0.0)
        ranges = tuple(tuple(round(v, 4) for r in text.panel.vb.viewRange() for v in r) for _, text in self._items)
        key = (self._drawn_key, ranges, tuple(text.toPlainText() for _, text in self._items))
        if key == getattr(self, "_placed_key", None):
            return
        self._placed_key = key
        placed: list = []
        for ghost, (curve, text) in zip(self.ghosts, self._items):
            if hasattr(text, "end"):
                text.setPos(*text.end)
            pi = text.panel
            view = pi.vb.sceneBoundingRect()
            floors = [item.label.sceneBoundingRect() for item in pi.items
                      if isinstance(item, pg.InfiniteLine) and item.isVisible()
                      and getattr(item, "label", None) is not None and item.label.isVisible()]
            others = _curve_points(pi, exclude=curve)
            short = float(ghost.x[self.plot.x_axis][-1]) < 0.5 * right
            best: tuple[int, tuple[int, int]] | None = None
            for anchor in ((0 if short else 1, 1), (0 if short else 1, 0), (1 if short else 0, 1), (1 if short else 0, 0)):
                text.setAnchor(anchor)
                rect = text.sceneBoundingRect()
                score = (0 if view.contains(rect) else 100) \
                    + 10 * sum(rect.intersects(r) for r in floors + [r for r, panel in placed if panel is pi]) \
                    + sum(rect.contains(pt) for pt in others)
                if best is None or score < best[0]:
                    best = (score, anchor)
                if score == 0:
                    break
            assert best is not None  # four anchors were scored
            text.setAnchor(best[1])
            rect = text.sceneBoundingRect()
            # Still on another label: step it down (or up) by its height until clear, within the view.
            for _ in range(6):
                hit = [r for r in floors + [r for r, panel in placed if panel is pi] if rect.intersects(r)]
                if not hit:
                    break
                dy = rect.height() + 2
                down = rect.bottom() + dy <= view.bottom()
                target = rect.translated(0, dy if down else -dy)
                pos = pi.vb.mapSceneToView(QtCore.QPointF(text.scenePos().x(), text.scenePos().y() + (dy if down else -dy)))
                text.setPos(pos)
                rect = target
            placed.append((text.sceneBoundingRect(), pi))


def _curve_points(pi, exclude, per_curve: int = 150) -> list:
    """Scene points along the other curves of a panel (thinned): where a label would sit on a line."""
    points = []
    vb = pi.vb
    for item in pi.items:
        if item is exclude or not isinstance(item, pg.PlotDataItem) or not item.isVisible():
            continue
        x, y = item.getData()
        if x is None or len(x) == 0 or item.opts.get("pen") is None:
            continue
        idx = np.linspace(0, len(x) - 1, min(len(x), per_curve)).astype(np.int64)
        for xi, yi in zip(x[idx], y[idx]):
            if np.isfinite(xi) and np.isfinite(yi):
                points.append(vb.mapViewToScene(QtCore.QPointF(float(xi), float(yi))))
    return points


def ghost_button(plot):
    """'Earlier runs ▾': show, pin or clear the ghosts of earlier runs."""
    button = QtWidgets.QToolButton()
    # The arrow in the text: the style's own menu arrow was drawn over the "s" of "runs" (and a push button,
    # which leaves it room, is taller and took the live plot's height at 1280 × 800).
    button.setText("Earlier runs ▾")
    button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
    button.setToolTip("The last runs stay in the plot as faint labelled curves; pin one to keep it.")
    button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QtWidgets.QMenu(button)
    button.setMenu(menu)
    menu.aboutToShow.connect(lambda: fill_ghost_menu(menu, plot.ghosts))
    return button


def fill_ghost_menu(menu, layer) -> None:
    """The ghost menu's actions for the ghosts layer now holds."""
    menu.clear()
    show = menu.addAction("Show earlier runs")
    show.setCheckable(True)
    show.setChecked(layer.visible)
    show.toggled.connect(layer.set_visible)
    menu.addSeparator()
    for i, ghost in enumerate(layer.ghosts):
        act = menu.addAction(f"Pin {ghost.label(False)}")
        act.setCheckable(True)
        act.setChecked(ghost.pinned)
        act.toggled.connect(lambda on, i=i: layer.pin(i, on))
    if not layer.ghosts:
        menu.addAction("(none yet: run, then toggle or rerun)").setEnabled(False)
    menu.addSeparator()
    menu.addAction("Clear earlier runs", layer.clear).setEnabled(bool(layer.ghosts))

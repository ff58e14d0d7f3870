"""Compare in place: the last few runs stay in the live plot as faint, labelled ghosts under the new one.

Toggling MSE → BCE → Bernoulli then reads on one axis without selecting rows in the table. A ghost is a
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
from .plot_base import clamp_for_log, rolling_mean

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
    y_excess: np.ndarray  # recent mean of loss − floor (each batch's own floor for BCE)
    run_id: int | None = None
    pinned: bool = False

    def label(self, excess: bool) -> str:
        """'#12 linear mse uniform · 3.1e-09': name and where the curve ended."""
        ends = self.y_excess if excess else self.y
        finite = ends[np.isfinite(ends)]
        last = sig3(float(finite[-1])) if finite.size else "—"
        ident = f"#{self.run_id} " if self.run_id is not None else ""
        return f"{ident}{self.name} · {last}"


def snapshot(series, info: dict, per_epoch: int) -> Ghost | None:
    """A Ghost of the run held in a LiveSeries (None when it holds no batch)."""
    n = series.n
    if n == 0:
        return None
    window = max(int(series.window), 1)
    losses = series.losses.view().astype(np.float64)
    floor = info.get("floor")
    if series.has_batch_floors():
        shifted = losses - series.floors.view()
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
    return Ghost(name=str(info.get("name") or info.get("label") or "run"), loss=str(info.get("loss", "")),
                 floor=floor, x=x, y=rolling_mean(losses, window)[idx], y_excess=rolling_mean(shifted, window)[idx],
                 run_id=info.get("run_id"))


class GhostLayer:
    """The ghosts drawn in one PlotBase: faint curves with a label at each curve's end."""

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

    def set_visible(self, on: bool) -> None:
        """Show or hide every ghost (they are kept either way)."""
        self.visible = bool(on)
        for curve, text in self._items:
            curve.setVisible(self.visible)
            text.setVisible(self.visible)

    def _rebuild(self) -> None:
        pi = self.plot.plot_item
        for curve, text in self._items:
            pi.removeItem(curve)
            pi.removeItem(text)
        self._items = []
        for i, ghost in enumerate(self.ghosts):
            colour = pg.mkColor(GHOST_COLOURS[i % len(GHOST_COLOURS)])
            colour.setAlpha(GHOST_ALPHA)
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.8 if ghost.pinned else 1.4))
            curve.setZValue(-5)  # under the live run's curves
            # A light fill keeps the label readable where it crosses a floor line or another curve.
            text = pg.TextItem(anchor=(1, 1), color=GHOST_COLOURS[i % len(GHOST_COLOURS)],
                               fill=pg.mkBrush(255, 255, 255, 190))
            pi.addItem(curve)
            pi.addItem(text, ignoreBounds=True)
            curve.setVisible(self.visible)
            text.setVisible(self.visible)
            self._items.append((curve, text))
        self._drawn_key = None
        self.redraw()

    def redraw(self) -> None:
        """Draw each ghost for the plot's current axis, log and excess settings (only when they change)."""
        p = self.plot
        ends = [float(g.x[p.x_axis][-1]) for g in self.ghosts]
        right = max(ends + [p.x_extent()], default=0.0)
        # Label right of an end in the left half (a short run), left of it otherwise: either way in view.
        left_half = tuple(end < 0.5 * right for end in ends)
        y0, y1 = p.plot_item.vb.viewRange()[1]
        top = tuple(self._view_y(g, p) > y1 - 0.2 * (y1 - y0) for g in self.ghosts)  # label below, not off the top
        key = (p.x_axis, p.log, p.excess, left_half, top)
        if key == self._drawn_key:
            self._clear_floor_labels()
            return
        self._drawn_key = key
        for ghost, (curve, text), short, high in zip(self.ghosts, self._items, left_half, top):
            y = ghost.y_excess if p.excess else ghost.y
            if p.log:
                y = clamp_for_log(y)[0]
            x = ghost.x[p.x_axis]
            ok = np.isfinite(y)
            curve.setData(x[ok], y[ok])
            if ok.any():
                last = float(y[ok][-1])
                text.setPos(float(x[ok][-1]), math.log10(last) if p.log and last > 0 else last)
                text.setAnchor((0 if short else 1, 0 if high else 1))
            text.setText(("pinned · " if ghost.pinned else "") + ghost.label(p.excess))
        self._clear_floor_labels()

    def _clear_floor_labels(self) -> None:
        """Flip a ghost's label to the other side of its curve's end where it would cover a floor's label."""
        floors = [item.label.sceneBoundingRect() for item in self.plot.plot_item.items
                  if isinstance(item, pg.InfiniteLine) and item.isVisible() and getattr(item, "label", None) is not None
                  and item.label.isVisible()]
        if not floors:
            return
        view = self.plot.plot_item.vb.sceneBoundingRect()
        for _, text in self._items:
            ax, ay = text.anchor.x(), text.anchor.y()
            fits = []
            for anchor in ((ax, ay), (ax, 1 - ay), (1 - ax, ay), (1 - ax, 1 - ay)):
                if (anchor[0], anchor[1]) != (text.anchor.x(), text.anchor.y()):
                    text.setAnchor(anchor)
                rect = text.sceneBoundingRect()
                if view.contains(rect):
                    fits.append(anchor)
                    if not any(rect.intersects(f) for f in floors):
                        break
            else:  # every side covers a floor's label: keep the curve's side, moved along to clear the label
                text.setAnchor(fits[0] if fits else (ax, ay))
                rect = text.sceneBoundingRect()
                hit = [f for f in floors if rect.intersects(f)]
                if hit and text.anchor.x() == 0:
                    edge = max(f.right() for f in hit) + 6
                    x = self.plot.plot_item.vb.mapSceneToView(QtCore.QPointF(edge, rect.center().y())).x()
                    text.setPos(x, text.pos().y())

    @staticmethod
    def _view_y(ghost: Ghost, plot) -> float:
        """Where the ghost's curve ends, in view coordinates (log10 on a log axis)."""
        y = ghost.y_excess if plot.excess else ghost.y
        y = y[np.isfinite(y)]
        if not y.size:
            return float("nan")
        last = float(clamp_for_log(y)[0][-1]) if plot.log else float(y[-1])
        return math.log10(last) if plot.log and last > 0 else last


def ghost_button(plot):
    """'Earlier runs ▾': show, pin or clear the ghosts of earlier runs."""
    button = QtWidgets.QToolButton()
    button.setText("Earlier runs")
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

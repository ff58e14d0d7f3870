"""The live plot of one training run (the comparison plot of stored runs lives in comparison_plot)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg

from .curves import MAX_MARKERS, thin_markers
from .follow_range import FollowViewBox
from .ghosts import GhostLayer, ghost_button, snapshot
from .live_series import LiveSeries
from .pacing import PacedRedraw
from ...core.floors.floors import headline, is_exact
from ...core.config.vocab import Claim, claim_of
from ..palette import BAND_ALPHA
from .plot_base import CLAIM_STYLES, CLAMP_COLOUR, UNITS, PlotBase, _Growable, floor_text, pen, spread_labels
from .view_rule import batch_floor_offset, first_zero, parse_floors, run_floor, unit_of, zero_note

RAW_COLOUR, RECENT_COLOUR, EPOCH_COLOUR, FLOOR_COLOUR = "#9ecae1", "#0072B2", "#D55E00", "#444444"
BAND_RGBA = (0, 114, 178, BAND_ALPHA)
LIVE_MARKERS = 60  # clamped markers on a decimated (long) run: where clamping happens, not every point
ZERO_COLOUR = "#7a7a7a"


class LivePlot(PlotBase):
    """The running run: per-batch loss, its recent (rolling) mean, epoch means and the floor."""

    view_box_class = FollowViewBox

    def __init__(self, parent=None, controls: bool = True):
        super().__init__(parent, controls=controls, smoothing=50)
        self._info: dict = {}
        self.series = LiveSeries()
        self._epoch_rows = _Growable(np.float64, columns=5)  # epoch, epoch_mean, recent_mean, step, seconds
        pi = self.plot_item
        transparent = pg.mkPen(0, 0, 0, 0)  # not None: FillBetweenItem needs the curves' paths
        self.band_lo, self.band_hi = pg.PlotDataItem(pen=transparent), pg.PlotDataItem(pen=transparent)
        self.band = pg.FillBetweenItem(self.band_lo, self.band_hi, brush=pg.mkBrush(*BAND_RGBA))
        for item in (self.band_lo, self.band_hi, self.band):
            pi.addItem(item)
        self.raw_curve = pi.plot(pen=pen(RAW_COLOUR, 1.0), name="batch loss")
        self.recent_curve = pi.plot(pen=pen(RECENT_COLOUR, 2.2), name="recent mean")
        self.epoch_curve = pi.plot(pen=pen(EPOCH_COLOUR, 1.6), symbol="o", symbolSize=7,
                                   symbolBrush=EPOCH_COLOUR, symbolPen="w", name="epoch mean")
        self.clamped = self.clamp_item(CLAMP_COLOUR, name="≤ 0, clamped")
        self.floor = self.floor_line(FLOOR_COLOUR, " ")  # the tightest exact-or-bound floor
        self.floor.setVisible(False)
        self.zero: Any = None  # made when a run reaches 0: a vertical line there (a point in time, not a level)
        self.zero_at: int | None = None  # index of the first batch whose loss reached 0
        self._zero_checked = 0
        self.other_floors: list[tuple[pg.InfiniteLine, float]] = []  # every other floor, labelled with its claim
        self.decimated = False  # whether the last redraw drew the min/max envelope rather than every point
        self.redraw_s = 0.0     # smoothed cost of one frame: redraw() plus the paint it causes
        self.pacing = PacedRedraw(self, self.redraw, lambda: self.redraw_s + self.plot_widget.paint_s)
        # A zoom or pan by the user needs the points of the new span (full resolution when narrow enough).
        pi.vb.sigXRangeChanged.connect(self._range_changed)
        # Label positions are shares of the view's width, and which labels meet depends on the y range.
        pi.vb.sigResized.connect(self._spread_floor_labels)
        pi.vb.sigRangeChanged.connect(self._spread_floor_labels)
        self.ghosts = GhostLayer(self)
        if controls:
            self.controls_row.insertWidget(4, ghost_button(self))

    def start(self, start) -> None:
        """Clear and set up for the run a RunStart record announces (with its stored name and run_id)."""
        cfg = start.config
        self.start_run({"floors": start.floors, "label": cfg.label(), "name": start.name, "run_id": start.run_id,
                        "loss": cfg.loss.kind, "recent_window": cfg.training.recent_window, "copies": start.copies,
                        "batches_per_epoch": start.batches_per_epoch})

    def start_run(self, info: dict) -> None:
        """Clear and set up for a new run from plain settings: floors (or floor, floor_exact), label, name,
        batches_per_epoch, loss, recent_window, copies, run_id; what the plot keeps of a run (ghosts read it)."""
        # The new run's unit owns the main panel before the last run becomes a ghost: a ghost of another unit
        # goes to a panel of its own (never two units on one axis).
        self.unit = unit_of(str(info.get("loss", "")))
        self.clear()
        self.clear_readout()  # the last run's readout does not describe this one
        # A new run's first points should show at once, not at the last run's slowest paced rate.
        self.pacing.reset_rate()
        self._info = dict(info)
        self.y_unit = UNITS.get(info.get("loss", ""), "loss")
        if info.get("recent_window"):
            self.smoothing = int(info["recent_window"])
        copies = int(info.get("copies", 1) or 1)
        # The run's name heads its legend entry, not a title row: that row's height is plot height at 1280 × 800.
        self.run_name = str(info.get("name") or info.get("label", ""))
        # The shaded band has no legend row of its own: its sample could not hide it. The curve it surrounds says it.
        self.raw_curve.opts["name"] = (f"batch loss: median of {copies} seeds, shaded min–max" if copies > 1
                                       else "batch loss")
        floors = info.get("floors")
        if floors is None and info.get("floor") is not None:  # a bare floor (tests, older callers): one unnamed line
            floors = [{"name": "", "value": info["floor"], "basis": "",
                       "claim": claim_of(bool(info.get("floor_exact")))}]
        self.set_floors(floors or [])

    def set_floors(self, floors: list) -> None:
        """Show the run's floors (Floor records, or their dicts): the tightest exact-or-bound one as the main
        line, each other as its own line, every label naming its claim."""
        parsed = parse_floors(floors)
        top = headline(parsed)
        self._info["floors"] = list(floors)
        self._info["floor"] = top.value if top else None
        self._info["floor_exact"] = is_exact(top)
        # One floor per run for excess, the same for every curve; the axis names it (view_rule.run_floor).
        _, title = run_floor(parsed)
        self.floor_titles = {self.unit: title}
        self._update_floor_offset()
        text = floor_text(top.value, is_exact(top), top.name, top.claim) if top else "no floor"
        self.floor.label.setFormat(text)
        # setFormat only redraws a visible label: a line hidden by the last run (floor 0 on log) kept its old text.
        self.floor.label.setText(text)
        for line, _ in self.other_floors:
            self.plot_item.removeItem(line)
            self.plot_item.removeItem(line.anchor)
        self.other_floors = []
        for f in (f for f in parsed if f is not top):
            colour = CLAIM_STYLES.get(f.claim, CLAIM_STYLES[Claim.EXACT])[0]
            line = self.floor_line(colour, floor_text(f.value, is_exact(f), f.name, f.claim), f.claim)
            self.other_floors.append((line, f.value))
        self._changed()

    def _spread_floor_labels(self, *_) -> None:
        """The floors' labels one after another along the line (plot_base.spread_labels), the headline's first."""
        spread_labels([self.floor] + [line for line, _ in self.other_floors], self.plot_item.vb, 0.03)

    def append_chunk(self, chunk) -> None:
        """Add one LossChunk record: its batches with their floors (BCE) and the seed band's min and max."""
        if chunk.floors is not None:
            self._append_floors(chunk.floors)
        if chunk.copy_losses is not None:
            self._append_band(chunk.copy_losses)
        self.append(chunk.steps, chunk.loss, chunk.seconds, chunk.epochs)

    def append(self, steps, losses, seconds, epochs) -> None:
        """Add per-batch points without floors or band (append_chunk adds a run's); drawn at the next tick."""
        s = self.series
        s.steps.extend(steps)
        s.losses.extend(losses)
        s.seconds.extend(seconds)
        s.epochs.extend(epochs)
        self.pacing.schedule()

    def _append_floors(self, floors) -> None:
        """Add the batch floors of the points about to be appended (BCE runs)."""
        first = self.series.floors.n == 0
        self.series.floors.extend(floors)
        if first:
            self._update_floor_offset()

    def _update_floor_offset(self) -> None:
        """Batch floors raised to average to the run's floor: recent and epoch means then agree in excess."""
        s = self.series
        held = s.floors.view() if s.floors.n else None
        s.set_floor_offset(batch_floor_offset(self._info.get("floors"), held, self._info.get("floor")))

    def set_result(self, eval_loss: float | None, final_loss: float | None, run_id: int | None = None) -> None:
        """A stored run's eval and final loss: the number its ghost shows (eval, else final). The run is the
        live one, or (run_id of an earlier run: a rerun started first) the ghost it already became."""
        if run_id is None or self._info.get("run_id") == run_id:
            self._info["eval_loss"], self._info["final_loss"] = eval_loss, final_loss
        else:
            self.ghosts.set_result(run_id, eval_loss, final_loss)

    def floor_count(self) -> int:
        """How many per-batch floors the plot holds (0 for runs without them)."""
        return self.series.floors.n

    def _append_band(self, block) -> None:
        """Add per-copy losses ((m, copies)) of the points about to be appended: the seed band's min and max."""
        block = np.asarray(block, dtype=np.float64)
        # fmin/fmax skip NaN like nanmin, without its All-NaN warning when every copy has diverged.
        self.series.lo.extend(np.fmin.reduce(block, axis=1))
        self.series.hi.extend(np.fmax.reduce(block, axis=1))

    def band_count(self) -> int:
        """How many per-batch band (min–max over seeds) points the plot holds."""
        return self.series.lo.n

    def add_epoch(self, epoch: int, epoch_mean: float, recent_mean: float, step: int, seconds: float) -> None:
        """Add one finished epoch's mean; step is the number of batches done at its end."""
        self._epoch_rows.extend([[epoch, epoch_mean, recent_mean, step, seconds]])
        self.pacing.schedule()

    def x_extent(self) -> float:
        """The live run's last x on the current axis (0 before its first batch)."""
        return float(self._x_of(np.array([self.series.n - 1]))[0]) if self.series.n else 0.0

    def point_count(self) -> int:
        """How many per-batch points the plot holds."""
        return self.series.n

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the held steps (int64) and losses (float64 of the float32 held), as appended."""
        return self.series.steps.view().astype(np.int64), self.series.losses.view().astype(np.float64)

    def clear(self) -> None:
        """Forget every point; the run they held stays as a ghost (see ghosts.py)."""
        if self.series.n and self._info:
            self.ghosts.add(snapshot(self.series, self._info, self._per_epoch()))
        self.series.clear()
        self._epoch_rows.n = 0
        self.zero_at, self._zero_checked = None, 0
        self.redraw()

    # ---------------------------------------------------------------- when to redraw

    def _range_changed(self, *_args) -> None:
        if not self.plot_item.vb.autoRangeEnabled()[0]:  # auto-range follows our own redraws: no loop
            self.pacing.schedule()

    def flush(self) -> None:
        """Draw what has arrived now, not at the next paced tick: a run's end should show at once."""
        self.pacing.flush()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Catch up on what arrived while hidden."""
        super().showEvent(event)
        self.pacing.shown()

    # ---------------------------------------------------------------- drawing

    def _per_epoch(self) -> int:
        return max(int(self._info.get("batches_per_epoch") or 1), 1)

    def _x_of(self, idx: np.ndarray) -> np.ndarray:
        return self.series.x_of(idx, self.x_axis, self._per_epoch())

    def map_x_range(self, x_range, old: str, new: str):
        """The zoomed stretch of the run on the new x axis (by the batches under it)."""
        s = self.series
        if not s.n:
            return None
        idx = [int(np.clip(s.index_of(x, old, self._per_epoch()), 0, s.n - 1)) for x in x_range]
        lo, hi = s.x_of(np.array(idx), new, self._per_epoch())
        return (float(lo), float(hi)) if hi > lo else None

    def _find_zero(self) -> None:
        """Look for the first batch that reached 0 among the batches not searched yet."""
        s = self.series
        if self.zero_at is None and self._zero_checked < s.n:
            hit = first_zero(s.losses.view()[self._zero_checked:s.n])
            self.zero_at = None if hit is None else self._zero_checked + hit
            self._zero_checked = s.n

    def _place_zero(self) -> None:
        self._find_zero()
        shown = self.zero_at is not None
        if self.zero is None:
            if not shown:
                return
            self.zero = self.zero_line(ZERO_COLOUR)
        self.zero.setVisible(shown)
        if shown:
            self.zero.setPos(float(self._x_of(np.array([self.zero_at]))[0]))
            text = zero_note(int(self.series.steps.view()[self.zero_at]))
            if self.zero.label.format != text:
                self.zero.label.setFormat(text)
                self.zero.label.setText(text)

    def _span(self) -> tuple[int, int]:
        """Batch indices in view: all while x auto-ranges, else those under the zoomed x range (± 1)."""
        n, vb = self.series.n, self.plot_item.vb
        if n == 0 or vb.autoRangeEnabled()[0]:
            return 0, n
        x0, x1 = vb.viewRange()[0]
        at = lambda x: self.series.index_of(x, self.x_axis, self._per_epoch())  # noqa: E731
        return max(0, at(x0) - 1), min(n, at(x1) + 1)

    def redraw(self) -> None:
        """Push the points in view to the curves now: every point, or the min/max envelope of long runs."""
        t0 = time.perf_counter()
        self.pacing.dirty = False
        s = self.series
        s.set_window(self.smoothing)
        per_batch = self.excess and s.has_batch_floors()
        # loss − each batch's own floor is a KL divergence (≥ 0); otherwise transform() subtracts the run's floor.
        tag, const = ("_x", None) if per_batch else ("", self._info.get("floor"))
        span = self._span()
        x, raw, self.decimated = s.series("loss" + tag, span, self._x_of)
        y, low = self.transform(raw, const)
        tiny = float(y[low][0]) if low.any() else None  # smoothed curves clamp to the same level
        self.raw_curve.setData(x, y)
        # Each symbol costs paint time on every frame: a decimated view marks at most LIVE_MARKERS places.
        self.clamped.setData(*thin_markers(x, y, low, LIVE_MARKERS if self.decimated else MAX_MARKERS))
        self._legend_clamped(bool(low.any()))
        rx, recent, _ = s.series("recent" + tag, span, self._x_of)
        self.recent_curve.setData(rx, self.transform(recent, const, tiny)[0])
        self._redraw_band(span, tag, const, tiny)
        name = f"{self.run_name}: " if getattr(self, "run_name", "") else ""
        self.recent_curve.opts["name"] = f"{name}recent mean ({self.smoothing} batches)"
        self._redraw_epochs(self._info.get("floor"), tiny)
        self._place_zero()
        self.place_floor(self.floor, self._info.get("floor"), x)
        for line, value in self.other_floors:
            self.place_floor(line, value, x)
        self._relabel_legend()
        if hasattr(self, "ghosts"):
            self.ghosts.redraw()
            self.refit()
        # Settle auto-range now, not in the scene's paint preparation: a range change there moves the
        # axes and asks for a second paint of the whole plot (seen: ~3 paints per redraw).
        self.plot_item.vb.prepareForPaint()
        self._spread_floor_labels()  # where the settled y range puts the lines
        if hasattr(self, "ghosts"):
            for w in self.extra_panels.values():
                w.getPlotItem().vb.prepareForPaint()
            self.ghosts.place_labels()  # where the settled ranges put the floors' labels and the curves
        self.redraw_s = 0.7 * self.redraw_s + 0.3 * (time.perf_counter() - t0)

    def _legend_clamped(self, shown: bool) -> None:
        # The clamped-marker entry only when something is clamped: an unused entry reads as a warning.
        listed = any(sample.item is self.clamped for sample, _ in self.legend.items)
        if shown and not listed:
            self.legend.addItem(self.clamped, "≤ 0, clamped")
        elif listed and not shown:
            self.legend.removeItem(self.clamped)

    def _redraw_band(self, span, tag: str, const, tiny) -> None:
        s = self.series
        shown = s.available("lo" + tag) > 0
        self.band.setVisible(shown)
        if not shown:
            self.band_lo.setData([], [])
            self.band_hi.setData([], [])
            return
        # The band's edges are the envelope's outer edges: the lowest min and the highest max of each bucket.
        x, lo, _ = s.series("lo" + tag, span, self._x_of, "min")
        xh, hi, _ = s.series("hi" + tag, span, self._x_of, "max")
        self.band_lo.setData(x, self.transform(lo, const, tiny)[0])
        self.band_hi.setData(xh, self.transform(hi, const, tiny)[0])

    def _redraw_epochs(self, floor, tiny) -> None:
        rows = self._epoch_rows.view()
        ex = {"epoch": rows[:, 0] + 1, "seconds": rows[:, 4], "batch": rows[:, 3]}[self.x_axis]
        ey = self.transform(rows[:, 1], floor, tiny)[0]
        # A diverged epoch's NaN mean has no place on the plot; all-NaN symbols made numpy warn "All-NaN slice".
        ok = np.isfinite(ey)
        self.epoch_curve.setData(ex[ok], ey[ok])

    def _relabel_legend(self) -> None:
        # setText relayouts the legend, which costs the whole plot another paint: only when the text changes.
        changed = False
        for sample, label in self.legend.items:
            if sample.item in (self.recent_curve, self.raw_curve):
                text = sample.item.opts["name"]
            elif sample.item is self.clamped:
                text = "≤ floor, clamped" if self.excess else "≤ 0, clamped"
            else:
                continue
            if label.text != text:
                label.setText(text)
                changed = True
        if changed:  # a longer name may need fewer columns and another row: the legend ran off the plot's edge
            self.legend.updateSize()
            self.legend.fit()

    def hover_text(self, x: float, y: float) -> str:
        """Nearest held batch to the mouse: its step, epoch and loss."""
        s = self.series
        if not s.n:
            return super().hover_text(x, y)
        i = int(np.clip(s.index_of(x, self.x_axis, self._per_epoch()), 0, s.n - 1))
        if i > 0:
            before, at = self._x_of(np.array([i - 1, i]))
            i -= int(abs(before - x) < abs(at - x))
        step, loss = int(s.steps.view()[i]), float(s.losses.view()[i])
        floor = f" · batch floor {s.floors.view()[i]:.5g}" if i < s.floors.n else ""
        return f"step {step} · epoch {int(s.epochs.view()[i])} · {s.seconds.view()[i]:.1f} s · loss {loss:.5g}{floor}"


# The comparison plot has its own module; it is still importable from here.
from .comparison_plot import ComparisonPlot, legend_name, run_x  # noqa: E402,F401

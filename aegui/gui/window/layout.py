"""The main window's layout: panels | (live loss, grid and compare tabs, reconstruction) over the results table.

build_layout arranges the parts the window made and hands back what it built around them (tabs, banner
labels, splitters) as a WindowLayout the window keeps. Also its default size and the settings that remember
geometry and splitters.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QFrame, QLabel, QMainWindow, QScrollArea, QSizePolicy, QSplitter, QStackedWidget,
                               QTabWidget,
                               QVBoxLayout, QWidget)

from ..grid.run import GridPanel
from ..plots.loss_plot import ComparisonPlot, LivePlot
from ..panels import ConfigPanels
from ..palette import INK
from ..plots.plot_base import MUTED, hinted_stack
from ..plots.recon_view import ReconstructionView
from ..results import ResultsPane

HINT_MIN = QSize(120, 80)
CLAIM_LINES, WHY_LINES = 4, 3  # the banners' fixed heights: most texts fit at 1280 px, longer ones scroll (the answer
#                                 took 3 lines at 1280 px and was cut at 2: "…is left to / the optimizer")
SPLITTERS = ("main_split", "right_split", "top_split")
MAX_DEFAULT = (1600, 1000)
LIVE_HINT = ("Choose a preset or set the panels, then Run (Ctrl+R).\n\n"
             "Dashed lines will show how low the loss can go: the lowest your data allows, and the "
             "lowest this model can reach, each labelled with what it claims.")  # one paragraph: the label wraps
# Plain words, no x̂: this font draws the combining hat over the wrong letter (seen under Xvfb).
RECON_HINT = ("While a run trains, each input is drawn here joined to its reconstruction, "
              "a few times a second.\n\nWith a bottleneck, the codes show beside it.")
COMPARE_TAB = "Compare"
COMPARE_HINT = "Select runs in the table below to compare them\n(Ctrl- or Shift-click for several)."
WHY_STYLE = ("QLabel { background: #F6F6F2; color: " + INK + "; border: 1px solid #deded5; border-radius: 4px;"
             " padding: 5px 10px; font-size: 10.5pt; }")
CLAIM_STYLE = ("QLabel { background: #EEF5FB; color: #1d3b53; border: 1px solid #c9dff0; border-radius: 4px;"
               " padding: 6px 10px; font-size: 10.5pt; }")


def _panel_scroll(panels: ConfigPanels) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidget(panels)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(panels.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                           + 2 * scroll.frameWidth())
    return scroll


class BannerLabel(QLabel):
    """A banner's label, held in a fixed-height box that shows and hides with it (see _held)."""

    holder: QWidget | None = None

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt API)
        """Show or hide the label and the box that holds it."""
        if self.holder is not None:
            self.holder.setVisible(visible)
        super().setVisible(visible)


def _held(label: BannerLabel, lines: int) -> QScrollArea:
    """label in a box of a fixed height of `lines` lines that scrolls when the text needs more.

    A banner whose height followed its text moved the plot under it with every toggle (layout jitter), and
    in a narrow pane a long claim pushed the plot down to nothing; never cut, it scrolls instead.
    """
    box = QScrollArea()
    box.setWidget(label)
    box.setWidgetResizable(True)
    box.setFrameShape(QFrame.Shape.NoFrame)
    box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    box.setStyleSheet("QScrollArea { background: transparent; }")
    label.ensurePolished()  # the style sheet's 10.5 pt, not the default font, sets the line height
    # padding 6 + border 1 on each side, as the styles above set
    box.setFixedHeight(lines * label.fontMetrics().lineSpacing() + 2 * (6 + 1) + 4)
    parent = label.parentWidget()
    box.setVisible(label.isVisibleTo(parent) if parent is not None else False)
    label.holder = box
    return box


def _banner(style: str) -> BannerLabel:
    label = BannerLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setStyleSheet(style)
    label.setVisible(False)
    return label


def _live_page(claim: BannerLabel, live: LivePlot, why: BannerLabel) -> QWidget:
    """The claim banner (shown once a preset is chosen) above the live plot, "Why not zero?" below it."""
    page = QWidget()
    lay = QVBoxLayout(page)
    lay.setContentsMargins(0, 4, 0, 0)
    lay.setSpacing(4)
    lay.addWidget(_held(claim, CLAIM_LINES))
    lay.addWidget(live, 1)
    lay.addWidget(_held(why, WHY_LINES))
    claim.setVisible(False)
    why.setVisible(False)
    return page


def _splitter(orientation, *widgets) -> QSplitter:
    split = QSplitter(orientation)
    split.setChildrenCollapsible(False)
    for widget in widgets:
        split.addWidget(widget)
    return split


@dataclass
class WindowLayout:
    """What build_layout made around the window's parts; the window keeps it as window.ui."""

    tabs: QTabWidget  # Live loss | Grid | Compare
    recon_tabs: QTabWidget
    recon_stack: QStackedWidget  # the reconstruction, or its hint before the first run
    claim: QLabel  # the claim banner above the live plot
    why: QLabel  # "Why not zero?": the last run's loss split into data, model and optimizer
    idle_label: QLabel  # the status bar's standing line
    main_split: QSplitter
    right_split: QSplitter
    top_split: QSplitter


def build_layout(w: QMainWindow, panels: ConfigPanels, live: LivePlot, recon: ReconstructionView,
                 grid_panel: GridPanel, results: ResultsPane, comparison: ComparisonPlot) -> WindowLayout:
    """Arrange the window's parts in w (its central widget and status bar); return what was built around them."""
    live.set_hint(LIVE_HINT)
    comparison.set_hint(COMPARE_HINT)
    claim = _banner(CLAIM_STYLE)
    why = _banner(WHY_STYLE)
    why.setToolTip("loss = data floor + what this model class cannot fit + what the optimizer left.\n"
                   "Floors marked 'exact' are attained by this model; 'lower bound' no model can beat; "
                   "'reference' is for comparison only.")
    tabs = QTabWidget()
    tabs.setDocumentMode(True)
    tabs.addTab(_live_page(claim, live, why), "Live loss")
    tabs.addTab(grid_panel, "Grid")
    # The comparison has a tab of its own: beside the table at 1280 × 800 it had 500 × 200 px, its second unit's
    # panel and its legend were under a scroll bar, and the table lost its last columns.
    tabs.addTab(comparison, COMPARE_TAB)
    box = comparison.layout()
    assert box is not None  # PlotBase lays itself out
    box.setContentsMargins(0, 4, 8, 0)  # its x axis ended on the window's edge
    tabs.setTabToolTip(tabs.indexOf(comparison), "The runs selected in the table below, overlaid: a panel per "
                                                  "unit, seed bands, each run's floor. Selecting two or more runs "
                                                  "opens it.")
    recon_stack = hinted_stack(recon, RECON_HINT)
    recon_tabs = QTabWidget()
    recon_tabs.setDocumentMode(True)
    recon_tabs.addTab(recon_stack, "Reconstruction")
    top_split = _splitter(Qt.Orientation.Horizontal, tabs, recon_tabs)
    right_split = _splitter(Qt.Orientation.Vertical, top_split, results)
    main_split = _splitter(Qt.Orientation.Horizontal, _panel_scroll(panels), right_split)
    main_split.setStretchFactor(1, 1)
    w.setCentralWidget(main_split)
    for hint in (live.hint_label, comparison.hint_label, recon_stack.hint_label):
        hint.setMinimumSize(HINT_MIN)  # word-wrapped hints: their padded one-line hint set the panes' minimums
    idle_label = QLabel()
    idle_label.setStyleSheet(f"color: {MUTED}; padding-left: 4px;")
    # A long standing line must not set the window's minimum width (it asked for 564 px).
    idle_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    w.statusBar().addWidget(idle_label, 1)  # hidden while a temporary message shows, back after
    return WindowLayout(tabs, recon_tabs, recon_stack, claim, why, idle_label,
                        main_split, right_split, top_split)


def default_geometry(w) -> None:
    """About 90% of the screen (at most 1600 × 1000), centred, with splitters giving each part room."""
    screen = w.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    # Never under the window's minimum (a smaller size is not honoured, and the window would overhang a
    # screen that has room for it: at 2× on 1600 × 1000), never over the screen.
    least = w.minimumSizeHint()
    width = min(max(min(int(area.width() * 0.9), MAX_DEFAULT[0]), least.width()), area.width())
    height = min(max(min(int(area.height() * 0.9), MAX_DEFAULT[1]), least.height()), area.height())
    w.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)
    size_parts(w, width, height)


def size_parts(w, width: int, height: int) -> None:
    """Resize w to width × height and share it out: the live plot first, then reconstruction, table, comparison."""
    w.resize(width, height)
    ui = w.ui
    left = ui.main_split.widget(0).minimumWidth()
    right = width - left
    ui.main_split.setSizes([left, right])
    # The live plot is what a run is watched on: it gets most of the top row and most of the height
    # (at 1280 × 800 it was about 545 × 200 px).
    top = 0.735 if height < 900 else 0.64  # short screens: the banner and "Why not zero?" share the top with it
    ui.right_split.setSizes([int(height * top), int(height * (1 - top))])
    ui.top_split.setSizes([int(right * 0.70), int(right * 0.30)])


def restore_settings(w) -> None:
    """Geometry, splitters and the rerun toggle from QSettings; the default layout when there are none."""
    s = QSettings()
    if s.value("geometry") is not None:
        w.restoreGeometry(s.value("geometry"))
        w.restoreState(s.value("state"))
        for name in SPLITTERS:
            if s.value(name) is not None:
                getattr(w.ui, name).restoreState(s.value(name))
        _onto_screen(w)
    else:
        default_geometry(w)
    w.acts.rerun.setChecked(s.value("rerun_on_toggle", False, type=bool))
    w.acts.seeds.setValue(s.value("seeds", 1, type=int))


def _onto_screen(w) -> None:
    """A geometry saved on a larger screen (or at another scale) is shrunk and moved onto this one."""
    screen = w.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    frame = w.geometry()
    if area.contains(frame):
        return
    width, height = min(frame.width(), area.width()), min(frame.height(), area.height())
    w.resize(width, height)
    w.move(max(area.x(), min(frame.x(), area.right() + 1 - width)),
           max(area.y(), min(frame.y(), area.bottom() + 1 - height)))


def save_settings(w) -> None:
    """Store geometry, splitters, the rerun toggle and the seeds count."""
    s = QSettings()
    s.setValue("geometry", w.saveGeometry())
    s.setValue("state", w.saveState())
    for name in SPLITTERS:
        s.setValue(name, getattr(w.ui, name).saveState())
    s.setValue("rerun_on_toggle", w.acts.rerun.isChecked())
    s.setValue("seeds", w.acts.seeds.value())

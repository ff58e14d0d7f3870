"""The main window's layout: panels | (live plot + grid tabs, reconstruction) over (results, comparison).

Also its default size and the settings that remember geometry and splitters.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ..grid.run import GridPanel
from ..plots.loss_plot import ComparisonPlot, LivePlot
from ..panels import ConfigPanels
from ..plots.plot_base import MUTED, hinted_stack
from ..plots.recon_view import ReconstructionView
from ..results import ResultsPane

SPLITTERS = ("main_split", "right_split", "top_split", "bottom_split")
MAX_DEFAULT = (1600, 1000)
LIVE_HINT = ("Choose a preset or set the panels, then Run (Ctrl+R).\n\n"
             "The dashed line will show the lowest loss your data allows.")
# Plain words, no x̂: this font draws the combining hat over the wrong letter (seen under Xvfb).
RECON_HINT = ("While a run trains, each input is drawn here joined to its reconstruction, "
              "a few times a second.\n\nWith a bottleneck, the codes show beside it.")
COMPARE_HINT = "Select runs in the table to compare them\n(Ctrl- or Shift-click for several)."
WHY_STYLE = ("QLabel { background: #F6F6F2; color: #2b2b2b; border: 1px solid #deded5; border-radius: 4px;"
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


def _live_page(w) -> QWidget:
    """The claim banner (shown once a preset is chosen) above the live plot."""
    page = QWidget()
    lay = QVBoxLayout(page)
    lay.setContentsMargins(0, 4, 0, 0)
    lay.setSpacing(4)
    w.claim = QLabel()
    w.claim.setWordWrap(True)
    w.claim.setTextFormat(Qt.TextFormat.RichText)
    w.claim.setStyleSheet(CLAIM_STYLE)
    w.claim.setVisible(False)
    lay.addWidget(w.claim)
    lay.addWidget(w.live, 1)
    w.why = QLabel()  # "Why not zero?": the last run's loss split into data, model and optimizer
    w.why.setWordWrap(True)
    w.why.setTextFormat(Qt.TextFormat.RichText)
    w.why.setStyleSheet(WHY_STYLE)
    w.why.setToolTip("loss = data floor + what this model class cannot fit + what the optimizer left.\n"
                     "Floors marked 'exact' are attained by this model; 'lower bound' no model can beat; "
                     "'reference' is for comparison only.")
    w.why.setVisible(False)
    lay.addWidget(w.why)
    return page


def _splitter(orientation, *widgets) -> QSplitter:
    split = QSplitter(orientation)
    split.setChildrenCollapsible(False)
    for widget in widgets:
        split.addWidget(widget)
    return split


def build_layout(w) -> None:
    """Create the window's parts as attributes of w (panels, live, recon, grid_panel, results, comparison)."""
    w.panels = ConfigPanels()
    w.live = LivePlot()
    w.live.set_hint(LIVE_HINT)
    w.recon = ReconstructionView()
    w.grid_panel = GridPanel(w.save_grid_action)
    w.tabs = QTabWidget()
    w.tabs.setDocumentMode(True)
    w.tabs.addTab(_live_page(w), "Live loss")
    w.tabs.addTab(w.grid_panel, "Grid")
    w.recon_stack = hinted_stack(w.recon, RECON_HINT)
    w.recon_tabs = QTabWidget()
    w.recon_tabs.setDocumentMode(True)
    w.recon_tabs.addTab(w.recon_stack, "Reconstruction")
    w.results = ResultsPane(w.store)
    w.comparison = ComparisonPlot()
    w.comparison.set_hint(COMPARE_HINT)
    w.top_split = _splitter(Qt.Orientation.Horizontal, w.tabs, w.recon_tabs)
    w.bottom_split = _splitter(Qt.Orientation.Horizontal, w.results, w.comparison)
    w.right_split = _splitter(Qt.Orientation.Vertical, w.top_split, w.bottom_split)
    w.main_split = _splitter(Qt.Orientation.Horizontal, _panel_scroll(w.panels), w.right_split)
    w.main_split.setStretchFactor(1, 1)
    w.setCentralWidget(w.main_split)
    w.idle_label = QLabel()
    w.idle_label.setStyleSheet(f"color: {MUTED}; padding-left: 4px;")
    w.statusBar().addWidget(w.idle_label, 1)  # hidden while a temporary message shows, back after


def default_geometry(w) -> None:
    """About 90% of the screen (at most 1600 × 1000), centred, with splitters giving each part room."""
    screen = w.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    width = min(int(area.width() * 0.9), MAX_DEFAULT[0])
    height = min(int(area.height() * 0.9), MAX_DEFAULT[1])
    w.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)
    size_parts(w, width, height)


def size_parts(w, width: int, height: int) -> None:
    """Resize w to width × height and share it out: the live plot first, then reconstruction, table, comparison."""
    w.resize(width, height)
    left = w.main_split.widget(0).minimumWidth()
    right = width - left
    w.main_split.setSizes([left, right])
    # The live plot is what a run is watched on: it gets most of the top row and most of the height
    # (at 1280 × 800 it was about 545 × 200 px).
    top = 0.68 if height < 900 else 0.62  # short screens: the banner and "Why not zero?" share the top with it
    w.right_split.setSizes([int(height * top), int(height * (1 - top))])
    w.top_split.setSizes([int(right * 0.70), int(right * 0.30)])
    w.bottom_split.setSizes([int(right * 0.56), int(right * 0.44)])


def restore_settings(w) -> None:
    """Geometry, splitters and the rerun toggle from QSettings; the default layout when there are none."""
    s = QSettings()
    if s.value("geometry") is not None:
        w.restoreGeometry(s.value("geometry"))
        w.restoreState(s.value("state"))
        for name in SPLITTERS:
            if s.value(name) is not None:
                getattr(w, name).restoreState(s.value(name))
    else:
        default_geometry(w)
    w.rerun_action.setChecked(s.value("rerun_on_toggle", False, type=bool))
    w.seeds_spin.setValue(s.value("seeds", 1, type=int))


def save_settings(w) -> None:
    """Store geometry, splitters, the rerun toggle and the seeds count."""
    s = QSettings()
    s.setValue("geometry", w.saveGeometry())
    s.setValue("state", w.saveState())
    for name in SPLITTERS:
        s.setValue(name, getattr(w, name).saveState())
    s.setValue("rerun_on_toggle", w.rerun_action.isChecked())
    s.setValue("seeds", w.seeds_spin.value())

"""The Help menu: the answer aegui is built on, the keyboard shortcuts, and a short tour of the experiments."""

from __future__ import annotations

import html

from PySide6 import QtCore, QtGui, QtWidgets

ANSWER_URL = "https://stats.stackexchange.com/a/441767"
TOUR_INTRO = ("Turn on <b>Rerun on toggle</b>, run the first experiment, then toggle one thing at a time: each "
              "run stays in the plot as a faint labelled curve, so the next one reads against it.")


def shortcuts_html(window) -> str:
    """A table of every window action that has a shortcut."""
    rows = [(a.text().replace("&", ""), a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText))
            for a in window.findChildren(QtGui.QAction) if not a.shortcut().isEmpty()]
    cells = "".join(f"<tr><td style='padding-right:16px'>{html.escape(t)}</td><td><b>{html.escape(k)}</b></td></tr>"
                    for t, k in sorted(set(rows)))
    return f"<table>{cells}</table>"


class TourDialog(QtWidgets.QDialog):
    """'What to try': the seed's experiments in order, each with its claim; Load puts one in the panels."""

    sigPreset = QtCore.Signal(str)

    def __init__(self, presets: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle("What to try")
        intro = QtWidgets.QLabel(TOUR_INTRO)
        intro.setWordWrap(True)
        self.list = QtWidgets.QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The preset list's own order (it tells the seed's story): one order, so "the saturated preset" and
        # the numbers here are the ones in the Preset box.
        for n, key in enumerate(presets, 1):
            item = QtWidgets.QListWidgetItem(f"{n}. {presets[key].title}: {presets[key].claim}")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, key)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.load())
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        load = buttons.addButton("Load into panels", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        load.clicked.connect(self.load)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(620, 440)

    def load(self) -> None:
        """Emit sigPreset with the chosen experiment's key."""
        item = self.list.currentItem()
        if item is not None:
            self.sigPreset.emit(item.data(QtCore.Qt.ItemDataRole.UserRole))


class HelpMenu:
    """The Help menu's actions (the answer, the shortcuts, the tour, About) and the boxes it keeps open."""

    def __init__(self, window, menu: QtWidgets.QMenu, about: QtGui.QAction):
        self.window = window
        self.answer = menu.addAction("The answer behind aegui (stats.stackexchange.com)")
        self.answer.triggered.connect(lambda: QtGui.QDesktopServices.openUrl(QtCore.QUrl(ANSWER_URL)))
        self.shortcuts = menu.addAction("Keyboard shortcuts", self.show_shortcuts)
        self.tour = menu.addAction("What to try…", self.show_tour)
        menu.addSeparator()
        menu.addAction(about)
        self.box: QtWidgets.QMessageBox | None = None
        self.tour_dialog: TourDialog | None = None

    def show_shortcuts(self) -> QtWidgets.QMessageBox:
        """The shortcuts box, kept here while it is open."""
        self.box = show_shortcuts(self.window)
        return self.box

    def show_tour(self) -> TourDialog:
        """The tour, kept here while it is open."""
        self.tour_dialog = show_tour(self.window)
        return self.tour_dialog


def show_shortcuts(window) -> QtWidgets.QMessageBox:
    """A non-modal box listing the shortcuts."""
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.NoIcon, "Keyboard shortcuts", shortcuts_html(window),
                                QtWidgets.QMessageBox.StandardButton.Close, window)
    box.setTextFormat(QtCore.Qt.TextFormat.RichText)
    box.setModal(False)
    box.show()
    return box


def show_tour(window) -> TourDialog:
    """The 'What to try' tour, non-modal; Load applies the preset in the panels."""
    dialog = TourDialog(window.panels.presets, window)
    dialog.sigPreset.connect(window.panels.apply_preset)
    dialog.setModal(False)  # its first line says to use the toolbar's Rerun on toggle: the window stays usable
    dialog.show()
    return dialog

"""Config panels: one widget per RunConfig field, flagged inline with the engine's own validate() messages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from ..core.config import config as cfg
from ..core.config import schema
from .data_card import DataCardLabel, WrappedLabel
from .palette import ERROR_RED
from ..core.config import config_io
from ..core.config.config import Problem, RunConfig

INT_MAX = 2**31 - 1
AS_FEATURES = "= features"  # shown for encoding_dim / hidden = None
INVALID_STYLE = f"border: 1px solid {ERROR_RED};"

# {group: [(dotted field, kind, choices)]} in display order, from the schema; kind: choice, int, optint,
# float, text, path. 'cuda' joins the Device choices once torch says it exists.
GROUPS = {g: [(f.path, f.kind, tuple(x for x in f.choices if x != "cuda")) for f in schema.group_fields(g)]
          for g in schema.GROUPS}

# The seed answer's lessons, one line per field.
TIPS = {f.path: f.tip for f in schema.FIELDS}
CHOICE_TIPS = {f.path: dict(f.choice_tips) for f in schema.FIELDS if f.choice_tips}  # each loss's own tooltip


def _relevant(c: RunConfig) -> dict[str, bool]:
    """Fields that matter for this config; the rest are greyed out, not hidden."""
    return {f.path: f.is_relevant(c) for f in schema.FIELDS}


def _spin_value(v) -> int:
    """A config value as a spin box can show it; junk (NaN, text, huge) shows as 0 and is flagged."""
    try:
        n = int(v or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return min(max(n, 0), INT_MAX)


class _Field:
    """One editor with its error label; converts between widget text and config values."""

    def __init__(self, path: str, kind: str, choices):
        self.path, self.kind = path, kind
        # A combo box, spin box or line edit, by kind: its methods are called by kind below.
        widget: Any = self._make(kind, choices)
        self.widget = widget
        widget.setToolTip(TIPS.get(path, ""))
        for i, choice in enumerate(choices):
            if choice in CHOICE_TIPS.get(path, {}):
                widget.setItemData(i, f"{choice}: {CHOICE_TIPS[path][choice]}", Qt.ItemDataRole.ToolTipRole)
        self.error = WrappedLabel()
        self.error.setStyleSheet(f"color: {ERROR_RED};")
        self.error.setWordWrap(True)
        self.error.hide()

    @staticmethod
    def _make(kind: str, choices) -> QWidget:
        if kind == "choice":
            combo = QComboBox()
            combo.addItems(list(choices))
            return combo
        if kind in ("int", "optint"):
            spin = QSpinBox()
            spin.setRange(0, INT_MAX)  # wide on purpose: the engine, not the widget, says what is allowed
            if kind == "optint":
                spin.setSpecialValueText(AS_FEATURES)
            return spin
        return QLineEdit()

    def value(self):
        """The widget's value as the config holds it; unparseable text passes through for validate() to name."""
        w = self.widget
        if self.kind == "choice":
            return w.currentText()
        if self.kind == "int":
            return w.value()
        if self.kind == "optint":
            return w.value() or None
        text = w.text().strip()
        if self.kind in ("text", "path"):
            return text or (None if self.kind == "path" else "")
        try:
            return float(text)
        except ValueError:
            return text

    def set_value(self, v) -> None:
        """Show a config value."""
        w = self.widget
        if self.kind == "choice":
            if w.findText(str(v)) < 0:
                w.addItem(str(v))  # e.g. a loaded 'cuda' config before torch has said CUDA exists
            w.setCurrentText(str(v))
        elif self.kind in ("int", "optint"):
            w.setValue(_spin_value(v))
        elif self.kind == "float":
            w.setText(repr(float(v)) if isinstance(v, (int, float)) else str(v))
        else:
            w.setText("" if v is None else str(v))

    def flag(self, messages: list[str]) -> None:
        """Red border and the engine's messages, or clear them."""
        self.widget.setStyleSheet(INVALID_STYLE if messages else "")
        self.error.setText("\n".join(messages))
        self.error.setVisible(bool(messages))

    def connect(self, slot) -> None:
        """Call slot whenever the user edits this field."""
        w = self.widget
        sig = {"choice": "currentTextChanged", "int": "valueChanged", "optint": "valueChanged"}.get(
            self.kind, "textChanged")
        getattr(w, sig).connect(slot)


class ConfigPanels(QWidget):
    """Every engine field, grouped; config() and set_config() round-trip a RunConfig."""

    sigChanged = Signal(object)       # the current RunConfig (possibly invalid)
    sigValidity = Signal(bool)
    sigPresetChosen = Signal(object)  # the Preset whose config was just loaded

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.fields: dict[str, _Field] = {}
        self._preset_key: str | None = None  # the preset last chosen, while the panels may still match it
        self._cuda: bool | None = None  # unknown until torch has been imported off the GUI thread
        self._quiet = False
        self._problems: list[Problem] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self._preset_box())
        for title, rows in GROUPS.items():
            layout.addWidget(self._group(title, rows))
        layout.addStretch(1)
        self.set_config(RunConfig())

    def _group(self, title: str, rows) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        for path, kind, choices in rows:
            f = _Field(path, kind, choices)
            f.connect(self._edited)
            self.fields[path] = f
            label = QLabel(schema.BY_PATH[path].label)
            label.setToolTip(f.widget.toolTip())
            form.addRow(label, self._with_browse(f.widget) if kind == "path" else f.widget)
            form.addRow("", f.error)
            if path == "data.file":
                self.data_card = DataCardLabel()
                self.data_card.sigCard.connect(self._edited)  # BCE on out-of-range values is refused at pick time
                form.addRow(self.data_card)  # the whole row: a card squeezed into the field column was cut off
        return box

    def _with_browse(self, edit: QWidget) -> QWidget:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        self.browse_button = QToolButton()
        self.browse_button.setText("…")
        self.browse_button.setToolTip("Choose a CSV or .npy data file")
        self.browse_button.clicked.connect(self._browse_data_file)
        lay.addWidget(self.browse_button)
        return row

    def _browse_data_file(self) -> None:
        from .file_dialogs import ask_open
        path = ask_open(self, "Data file", "Data (*.csv *.npy);;All files (*)")
        if path:
            self.fields["data.file"].widget.setText(path)

    def _preset_box(self) -> QGroupBox:
        box = QGroupBox("Preset")
        lay = QVBoxLayout(box)
        self.preset_combo = QComboBox()
        # long preset titles must not widen the whole panel; the full title shows when the list opens
        self.preset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(18)
        self.preset_combo.setToolTip("The seed answer's experiments; each states the claim it tests.")
        self.preset_claim = QLabel("Pick one of the seed answer's experiments; the claim it tests shows here.")
        self.preset_claim.setWordWrap(True)
        self.presets = _load_presets()
        self.preset_combo.addItem("Choose a preset…", None)
        for key, p in self.presets.items():
            self.preset_combo.addItem(p.title, key)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, p.claim, Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.activated.connect(self._preset_chosen)
        lay.addWidget(self.preset_combo)
        lay.addWidget(self.preset_claim)
        box.setVisible(bool(self.presets))
        return box

    def _preset_chosen(self, index: int) -> None:
        key = self.preset_combo.itemData(index)
        if key is not None:
            self.apply_preset(key)

    def apply_preset(self, key: str) -> None:
        """Load a preset's config and show its claim."""
        p = self.presets[key]
        self._preset_key = key
        self.set_config(p.config)  # _sync_preset shows it in the box, with its claim
        self.sigPresetChosen.emit(p)

    def _matching_preset(self, c: RunConfig) -> str | None:
        bare = replace(c, name="")
        return next((k for k, p in self.presets.items() if replace(p.config, name="") == bare), None)

    def _sync_preset(self, c: RunConfig) -> None:
        """The preset box follows the panels: the preset they match, or the one chosen marked 'modified'."""
        match = self._matching_preset(c)
        for i in range(1, self.preset_combo.count()):  # drop an earlier '(modified)' mark
            self.preset_combo.setItemText(i, self.presets[self.preset_combo.itemData(i)].title)
        if match is not None:
            self._preset_key = match
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(match))
            self.preset_claim.setText(self.presets[match].claim)
        elif self._preset_key is not None:
            i = self.preset_combo.findData(self._preset_key)
            self.preset_combo.setItemText(i, self.presets[self._preset_key].title + " (modified)")
            self.preset_combo.setCurrentIndex(i)
            self.preset_claim.setText("Modified: the panels no longer match this preset, so its claim may not "
                                      "hold for them. " + self.presets[self._preset_key].claim)
        self.preset_combo.setToolTip(self.preset_claim.text())

    # ---- config <-> widgets

    def config(self) -> RunConfig:
        """The RunConfig the widgets show; it may be invalid (see problems())."""
        return cfg.with_changes(RunConfig(), **{p: f.value() for p, f in self.fields.items()})

    def set_config(self, config: RunConfig) -> None:
        """Show config in every widget, then validate once."""
        self._quiet = True
        try:
            for path, f in self.fields.items():
                f.set_value(cfg.get(config, path))
        finally:
            self._quiet = False
        self._edited()

    def problems(self) -> list[Problem]:
        """The engine's validate() problems for the shown config, plus CUDA asked for where it is absent."""
        return list(self._problems)

    def is_valid(self) -> bool:
        """True when Run may start."""
        return not self._problems

    def set_cuda_available(self, available: bool) -> None:
        """Offer 'cuda' as a device once torch (imported off the GUI thread) says whether it exists."""
        self._cuda = available
        combo = self.fields["training.device"].widget
        if available and combo.findText("cuda") < 0:
            combo.addItem("cuda")
        self._edited()

    def _edited(self, *_args) -> None:
        if self._quiet:
            return
        c = self.config()
        if c.name in self.presets and self._matching_preset(c) != c.name:
            # A preset's name would mislabel what the panels now hold ('question-relu-bce-uniform (2)' for
            # another model and file): the run takes its automatic label instead. A name the user typed stays.
            self._quiet = True
            try:
                self.fields["name"].set_value("")
            finally:
                self._quiet = False
            c = self.config()
        c = self._shape_from_file(c)
        self._sync_preset(c)
        self._problems = cfg.validate(c)
        if c.training.device == "cuda" and self._cuda is False:
            self._problems.append(Problem("training.device", "cuda", "CUDA is not available here; use cpu or auto"))
        self._check_card(c)
        self._show(c)
        # An empty name stores the run under its automatic label: show which, in the empty field.
        self.fields["name"].widget.setPlaceholderText(replace(c, name="").label())
        self.sigChanged.emit(c)
        self.sigValidity.emit(not self._problems)

    def _shape_from_file(self, c: RunConfig) -> RunConfig:
        """For a file, the greyed samples and features fields show the file's rows and columns (as the run
        will use them: training.prepare takes them from the file), not the generated data's 30000 × 2."""
        card = self.file_card(c)
        if card is None or (c.data.samples, c.data.features) == (card.rows, card.columns) \
                or card.rows > schema.MAX_SAMPLES or card.columns > schema.MAX_FEATURES:
            return c
        self._quiet = True
        try:
            self.fields["data.samples"].set_value(card.rows)
            self.fields["data.features"].set_value(card.columns)
        finally:
            self._quiet = False
        return self.config()

    def file_card(self, c: RunConfig | None = None):
        """The data card of the file the panels show (or config c names), once read; None for generated data."""
        c, card = c or self.config(), self.data_card.card
        return card if c.data.kind == "file" and card is not None and card.path == c.data.file else None

    def _check_card(self, c: RunConfig) -> None:
        """Show the chosen file's card, and refuse a loss its values do not allow, before Run."""
        self.data_card.request(c.data.file if c.data.kind == "file" and c.data.file else None)
        card = self.file_card(c)
        if card is not None and card.losses.get(c.loss.kind):
            self._problems.append(Problem("loss.kind", c.loss.kind, card.losses[c.loss.kind]))

    def _show(self, c: RunConfig) -> None:
        by_field: dict[str, list[str]] = {}
        for p in self._problems:
            by_field.setdefault(p.field, []).append(str(p))
        relevant = _relevant(c)
        for path, f in self.fields.items():
            f.flag(by_field.get(path, []))
            f.widget.setEnabled(relevant.get(path, True) or path in by_field)
        self.browse_button.setEnabled(self.fields["data.file"].widget.isEnabled())

    # ---- JSON files

    def load_file(self, path: str) -> None:
        """Show the config in a JSON file; raises ConfigError with the engine's messages."""
        self.set_config(config_io.load(path))

    def save_file(self, path: str) -> None:
        """Write the shown config as JSON, atomically (temporary file, then rename); ExportError says why not."""
        from .figures.atomic import atomic_write
        text = config_io.to_json(self.config()) + "\n"
        atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _load_presets() -> dict:
    try:
        from ..core.config.presets import PRESETS
    except ImportError:  # presets are optional: the panels work without them
        return {}
    return dict(PRESETS)

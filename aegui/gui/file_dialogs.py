"""Every file chooser of the app: one style, started in the last folder used, with unique default names.

The folder is remembered in QSettings (tests point QSettings at a temporary folder), so two default saves
never clobber each other and no dialog starts again in the home folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

FOLDER_KEY = "last_folder"
MAX_STEM = 60


def last_folder() -> str:
    """The folder the last file was chosen in; the home folder at first (or when it has gone)."""
    folder = str(QSettings().value(FOLDER_KEY, "", type=str) or "")
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def remember_folder(path: str) -> None:
    """Remember the folder of a file just chosen or written."""
    if path:
        QSettings().setValue(FOLDER_KEY, str(Path(path).resolve().parent))


def slug(text: str) -> str:
    """A file-name-safe form of a run's name: 'linear mse uniform (2)' → 'linear-mse-uniform-2'."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.").lower() or "run"


def stem_for(names: list[str], fallback: str = "comparison") -> str:
    """A default file stem built from the runs' names: 'a_vs_b', '+N more' past three, at most MAX_STEM chars."""
    parts = [slug(n) for n in names if n]
    if not parts:
        return fallback
    stem = "_vs_".join(parts[:3]) + (f"_and_{len(parts) - 3}_more" if len(parts) > 3 else "")
    return stem[:MAX_STEM].rstrip("-_")


def unique_path(folder: str, stem: str, suffix: str) -> Path:
    """folder/stem.suffix, or stem-2, stem-3, … when taken: a default never names an existing file."""
    path = Path(folder) / f"{stem}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = Path(folder) / f"{stem}-{n}{suffix}"
    return path


def default_path(names: list[str], suffix: str, fallback: str = "comparison") -> str:
    """The unique default path for a figure of these runs, in the last folder used."""
    return str(unique_path(last_folder(), stem_for(names, fallback), suffix))


def ask_save(parent: QWidget | None, title: str, start: str, filters: str, chosen: str = "") -> tuple[str, str]:
    """The one save chooser: (path, chosen filter), or ('', '') when cancelled; remembers the folder.

    Qt's chooser asks before overwriting an existing file.
    """
    path, picked = QFileDialog.getSaveFileName(parent, title, start, filters, chosen)
    if path:
        remember_folder(path)
    return path, picked


def ask_open(parent: QWidget | None, title: str, filters: str) -> str:
    """The one open chooser, started in the last folder; '' when cancelled; remembers the folder."""
    path, _ = QFileDialog.getOpenFileName(parent, title, last_folder(), filters)
    if path:
        remember_folder(path)
    return path


def overwrite_box(parent: QWidget, path: str) -> QMessageBox:
    """A (not yet shown) question: replace the existing file at path? Yes replaces, No keeps it."""
    box = QMessageBox(QMessageBox.Icon.Question, "Replace file?",
                      f"{Path(path).name} already exists in {Path(path).parent}.\nReplace it?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box

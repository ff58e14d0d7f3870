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
    # Whole names only, cut between words: a cut mid-name left '…_vs_line.png'.
    first = parts[0] if len(parts[0]) <= MAX_STEM else _cut(parts[0], MAX_STEM)
    kept = [first]
    for part in parts[1:3]:
        more = len(parts) - len(kept) - 1
        tail = len(f"_and_{more}_more") if more else 0
        if len("_vs_".join(kept + [part])) + tail > MAX_STEM:
            break
        kept.append(part)
    rest = len(parts) - len(kept)
    return "_vs_".join(kept) + (f"_and_{rest}_more" if rest else "")


def _cut(stem: str, limit: int) -> str:
    """stem cut to at most limit chars at a '-' between words (mid-word only when one word is that long)."""
    head = stem[:limit]
    if len(stem) > limit and stem[limit] != "-" and "-" in head:
        head = head[:head.rindex("-")]
    return head.rstrip("-_.")


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

"""Atomic file writes for everything aegui saves (figures, CSV, configs), and the error they raise."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ExportError(RuntimeError):
    """A figure or CSV could not be written or read; the message names the path and the reason."""


def atomic_write(path, write) -> Path:
    """Call write(tmp_path) on a temporary file beside path, then rename it over path; no partial file on error."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make shared figures unreadable to others
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass

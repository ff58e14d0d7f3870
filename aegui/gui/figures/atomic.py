"""Atomic file writes for everything aegui saves (figures, CSV, configs), and the error they raise."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from pathlib import Path


STALE_PART_SECONDS = 3600  # a .part older than this belongs to an export that was killed
# What atomic_write's mkstemp names look like: `.NAME.aegui-XXXXXXXX.part`. Only such files, owned by this
# user, are swept: a user's own `.notes.txt.Draft_v2.part` matched the old pattern and was deleted.
PART_TAG = ".aegui-"
_PART = re.compile(r"^\..+\.aegui-[A-Za-z0-9_]{8}\.part$")
# A write that failed for these reasons is the machine's fault, not the input's (the CLI exits 1, not 2).
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG}


class ExportError(RuntimeError):
    """A figure or CSV could not be written or read; the message names the path and the reason.

    environment: True when the system is to blame (a full disk, an I/O error, a read-only file system)."""

    def __init__(self, message: str, environment: bool = False):
        super().__init__(message)
        self.environment = environment


def check_out(path, suffixes: tuple[str, ...]) -> Path:
    """ExportError unless path has one of suffixes and its folder exists and takes a new file; run before any
    work. Also removes the folder's stale .part files (exports killed over an hour ago)."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise ExportError(f"cannot write {path}: the name must end in " + ", ".join(suffixes))
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a directory")
    try:  # a real file, not os.access: root passes access() on a read-only mount
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}{PART_TAG}", suffix=".part", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    sweep_parts(folder)
    return path


def sweep_parts(folder, older_than: float = STALE_PART_SECONDS) -> list[str]:
    """Remove atomic_write's leftovers (.NAME.XXXXXXXX.part) older than older_than seconds; their names."""
    gone: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return gone
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False) if _PART.match(entry.name) else None
            if st is not None and entry.is_file(follow_symlinks=False) and st.st_uid == os.getuid() and \
                    time.time() - st.st_mtime > older_than:
                os.unlink(entry.path)
                gone.append(entry.name)
        except OSError:
            pass  # another user's, or already gone
    return gone


def _read_umask() -> int:
    """The process's umask (reading it means setting it: done once, at import, before any thread writes)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


# Read once: the window writes figures from a background thread, and a umask set to 0 there for a moment
# would give any file another thread made meanwhile mode 0666.
_UMASK = _read_umask()


def atomic_write(path, write) -> Path:
    """Call write(tmp_path) on a temporary file beside path, then rename it over path; no partial file on error."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    sweep_parts(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{PART_TAG}", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}", exc.errno in ENVIRONMENT_ERRNOS) from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp's 0600 would make shared figures unreadable to others
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}", exc.errno in ENVIRONMENT_ERRNOS) from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass

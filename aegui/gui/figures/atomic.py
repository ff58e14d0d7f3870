"""Atomic file writes for everything aegui saves (figures, CSV, configs), and the error they raise."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from pathlib import Path


STALE_PART_SECONDS = 3600  # a .part older than this belongs to an export that was killed
# atomic_write's temporary files: .aegui-PID-NAME.XXXXXXXX.part. The aegui prefix and the writer's PID are
# the proof that aegui wrote one: the sweep removes only those whose writer is gone, never a user's own
# `.notes.txt.Draft_v2.part`.
_PREFIX = ".aegui-"
_PART = re.compile(r"^\.aegui-([0-9]{1,10})-.+\.[A-Za-z0-9_]{8}\.part$")


def _part_prefix(name: str) -> str:
    return f"{_PREFIX}{os.getpid()}-{name}."


class ExportError(RuntimeError):
    """A figure or CSV could not be written or read; the message names the path and the reason.

    environment: True when the system failed the write (a full disk, an I/O error: the CLI exits 1), False for
    input (a bad --out, a missing run: exit 2).
    """

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
        fd, probe = tempfile.mkstemp(prefix=_part_prefix(path.name), suffix=".part", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:  # a full disk is the system's fault; a folder the user may not write, the input's
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}",
                          environment=exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO)) from None
    sweep_parts(folder)
    return path


def sweep_parts(folder, older_than: float = STALE_PART_SECONDS) -> list[str]:
    """Remove atomic_write's leftovers (.aegui-PID-NAME.XXXXXXXX.part) older than older_than seconds whose
    writing process is gone; their names. Nothing else is ever removed."""
    gone = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return gone
    for entry in entries:
        m = _PART.match(entry.name)
        try:
            if m and not _alive(int(m.group(1))) and entry.is_file(follow_symlinks=False) and \
                    time.time() - entry.stat(follow_symlinks=False).st_mtime > older_than:
                os.unlink(entry.path)
                gone.append(entry.name)
        except OSError:
            pass  # another user's, or already gone
    return gone


def _alive(pid: int) -> bool:
    """True when a process with this PID exists (it may be writing its .part still)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process: not ours to judge
    return True


def atomic_write(path, write) -> Path:
    """Call write(tmp_path) on a temporary file beside path, then rename it over path; no partial file on error."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    sweep_parts(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_part_prefix(path.name), suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}", environment=True) from None
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make shared figures unreadable to others
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}", environment=True) from None
    except ExportError as exc:  # the writer's own failure (Qt's encoder on a full disk): the system's
        _discard(tmp)
        raise ExportError(str(exc), environment=True) from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass

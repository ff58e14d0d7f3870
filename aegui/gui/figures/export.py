"""Saving comparisons: PNG / SVG figures that carry their runs, CSV curves, atomic writes; shared with the CLI."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Generator
from pathlib import Path

from ...core.floors.summary import row_summary
from ...core.config import config as config_mod
from ...core.config import config_io
from .atomic import ExportError
from .layout import SIZES, figure_steps, run_steps
from .render import DEFAULT_WIDTH, META_KEY, check_width, figure_file_steps
from ...core.config import safe_json

FIGURE_SCHEMA = 1
MAX_FIGURE_BYTES = 64 * 1024 * 1024
MAX_META_BYTES = 2 * 1024 * 1024
MAX_RUNS = 1000
DEFAULT_DPI = 300  # a size preset's PNG: print resolution
SVG_META_OPEN = b'<metadata id="aegui-runs"><![CDATA['
SVG_META_CLOSE = b"]]></metadata>"


# ---------------------------------------------------------------- metadata

def run_entry(row) -> dict:
    """One run's config and summary as JSON-ready data, as embedded in figures."""
    return {"run_id": row.run_id, "name": row.name, "status": row.status, "stop_reason": row.stop_reason,
            "config": config_io.to_dict(row.config),
            "summary": {**row_summary(row), "batches": row.batches, "epochs": row.epochs, "seconds": row.seconds,
                        "device": row.device, "copies": row.copies}}


def figure_json(rows_and_losses) -> str:
    """The JSON a figure carries: schema version and each run's entry."""
    runs = [run_entry(row) for row, _ in rows_and_losses]
    return json.dumps({"aegui_figure": FIGURE_SCHEMA, "runs": runs}, separators=(",", ":"))


def _check_figure(raw, path) -> list[dict]:
    if not isinstance(raw, dict) or raw.get("aegui_figure") != FIGURE_SCHEMA or not isinstance(raw.get("runs"), list):
        raise ExportError(f"{path}: aegui metadata has an unknown layout (expected schema {FIGURE_SCHEMA})")
    runs = raw["runs"]
    if len(runs) > MAX_RUNS:
        raise ExportError(f"{path}: {len(runs)} runs in the metadata; at most {MAX_RUNS} are read")
    for i, run in enumerate(runs):
        if not isinstance(run, dict) or not isinstance(run.get("config"), dict) or \
                not isinstance(run.get("summary", {}), dict) or not isinstance(run.get("name", ""), str):
            raise ExportError(f"{path}: run {i} in the metadata is not an object with a config")
        try:
            config_io.from_dict(run["config"])
        except config_mod.ConfigError as exc:
            raise ExportError(f"{path}: run {i}'s config is invalid:\n{exc}") from None
    return runs


def svg_meta(data: bytes) -> bytes | None:
    """The aegui metadata in an SVG: two linear searches (a regex here was quadratic on unclosed openers)."""
    start = data.find(SVG_META_OPEN)
    if start < 0:
        return None
    start += len(SVG_META_OPEN)
    end = data.find(SVG_META_CLOSE, start)
    return data[start:end] if end >= 0 else None


def _meta_bytes(path: Path, data: bytes) -> bytes | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        from PySide6 import QtCore, QtGui
        buffer = QtCore.QBuffer()
        buffer.setData(QtCore.QByteArray(data))
        reader = QtGui.QImageReader(buffer, b"png")
        text = reader.text(META_KEY)  # reads the header chunks only; the pixels are not decoded
        buffer.close()
        return text.encode("utf-8") if text else None
    if b"<svg" in data[:4096]:
        return svg_meta(data)
    raise ExportError(f"{path}: not a PNG or SVG figure")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most limit bytes; ExportError at once for a FIFO, a device or a socket.

    Opened non-blocking and checked on the open descriptor: a FIFO's open() waits for a writer, and a
    symlink to /dev/zero reports size 0 and never ends.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ExportError(f"{path}: not a regular file (a pipe, device or socket); a figure is a .png or .svg file")
        if info.st_size > limit:
            raise ExportError(f"{path}: larger than {limit // 2**20} MiB; not read")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)  # bounded even if the file grows while it is read
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ExportError(f"{path}: larger than {limit // 2**20} MiB; not read")
    return data


def read_figure(path) -> list[dict]:
    """The runs (config + summary dicts) a saved aegui figure carries; never executes anything."""
    path = Path(path)
    data = read_regular(path, MAX_FIGURE_BYTES)
    text = _meta_bytes(path, data)
    if not text:
        raise ExportError(f"{path}: this figure has no aegui metadata (it was not saved by aegui)")
    if len(text) > MAX_META_BYTES:
        raise ExportError(f"{path}: aegui metadata over {MAX_META_BYTES // 2**20} MiB; not read")
    try:
        raw = safe_json.loads(text)
    except safe_json.JSONError as exc:  # says where, never what: a figure's bytes are not echoed
        raise ExportError(f"{path}: aegui metadata {exc}") from None
    return _check_figure(raw, path)


def figure_configs(path) -> list:
    """The RunConfigs a saved figure carries, ready to rerun."""
    return [config_io.from_dict(run["config"]) for run in read_figure(path)]


# ---------------------------------------------------------------- figures

def save_comparison(rows_and_losses, path, width: int = DEFAULT_WIDTH, view: dict | None = None, size: str | None = None,
                    dpi: int = DEFAULT_DPI) -> Path:
    """Save the comparison as PNG, SVG or PDF (format from the suffix), runs embedded, atomically.

    size: 'column' (3.5 in) or 'two-column' (7.2 in), laid out at that width with 8–9 pt text, a PNG at dpi;
    None: the screen layout, a PNG `width` px wide.
    """
    return run_steps(comparison_steps(rows_and_losses, path, width, view, size, dpi))()


def comparison_steps(rows_and_losses, path, width: int = DEFAULT_WIDTH, view: dict | None = None,
                     size: str | None = None, dpi: int = DEFAULT_DPI) -> Generator[None, None, Callable[[], Path]]:
    """save_comparison in steps for the GUI thread (render.figure_file_steps): its arguments are checked now,
    and the generator returns finish(), which writes the file on any thread."""
    if not rows_and_losses:
        raise ExportError(f"cannot write {path}: no runs to draw")
    if size is not None and size not in SIZES:
        raise ExportError(f"size {size!r}: must be one of {', '.join(SIZES)}")
    png = Path(path).suffix.lower() == ".png"
    if png and size is None:
        check_width(width)  # before the figure is built
    layout_width = width if png and size is None else None
    return figure_file_steps(path, lambda: figure_steps(rows_and_losses, view, size, layout_width),
                             figure_json(rows_and_losses), width if size is None else None, "aegui loss comparison",
                             "; ".join(f"#{r.run_id} {r.name}" for r, _ in rows_and_losses),
                             dpi=dpi if size is not None else None)


class StoredLosses:
    """A stored run's losses read a chunk at a time (RunStore.loss_chunks): what a figure needs of a curve,
    its length and its chunks, without the whole (batches × seeds) array in memory."""

    def __init__(self, store, run_id: int):
        self.store, self.run_id = store, run_id
        self.n = store.batch_count(run_id)

    def __len__(self) -> int:
        return self.n

    def chunks(self):
        """(losses, batch floors) per stored chunk."""
        return self.store.loss_chunks(self.run_id)

    def __array__(self, dtype=None, copy=None):
        """The whole curve, for what needs every value (a CSV): read only then."""
        losses = self.store.losses(self.run_id)
        return losses if dtype is None else losses.astype(dtype)


def chunked_curve(store, run_id: int):
    """A stored run as a RunCurve whose losses are read a chunk at a time when drawn (StoredLosses)."""
    from ..plots.curves import RunCurve
    return RunCurve(store.get_run(run_id), StoredLosses(store, run_id), store.batch_floors(run_id))


def export_runs(store, run_ids, out_path, width: int = DEFAULT_WIDTH, view: dict | None = None, size: str | None = None,
                dpi: int = DEFAULT_DPI) -> Path:
    """Export stored runs (store: RunStore or its file path) to a .png, .svg, .pdf or .csv file; used by
    `aegui export`. A figure reads each curve a chunk at a time: its memory follows the figure, not the curve."""
    from ...core.store.store import RunStore
    from ..plots.curves import stored_curve
    own = not hasattr(store, "losses")
    db = RunStore(store) if own else store
    csv = Path(out_path).suffix.lower() == ".csv"
    try:
        pairs = []
        for run_id in run_ids:
            try:
                row = db.get_run(int(run_id))
            except (KeyError, ValueError):
                raise ExportError(f"no run {run_id!r} in {db.path}") from None
            pairs.append(stored_curve(db, row.run_id) if csv else chunked_curve(db, row.run_id))
        if csv:
            return save_csv(pairs, out_path)
        return save_comparison(pairs, out_path, width, view, size, dpi)
    finally:
        if own:
            db.close()


# The CSV writer lives beside this module; export.save_csv stays its public name.
from .export_csv import csv_columns, save_csv  # noqa: E402,F401

"""Command line: no subcommand opens the window; run, runs, show, presets, grid and export work headless."""

from __future__ import annotations

from typing import Any
import argparse
import sys

from .common import EXIT_ENVIRONMENT, EXIT_INTERRUPTED, EXIT_INVALID, RUN_FLAGS, UsageError, printable, whole


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kw):
        kw.setdefault("allow_abbrev", False)  # --p must never be read as --preset
        super().__init__(**kw)

    def error(self, message: str):
        """Raise instead of printing usage: argparse's errors become one clear line and exit 2."""
        raise UsageError(f"{self.prog}: {message}")


# The CLI's help groups, by config section (name stands alone).
_GROUPS = {"data": "data", "model": "model", "loss": "loss, optimizer and training",
           "optimizer": "loss, optimizer and training", "training": "loss, optimizer and training"}
_GRID_LISTS = ("data.kind", "loss.kind")  # a grid's axes: comma-separated lists, one cell per combination


def add_run_flags(p: argparse.ArgumentParser, grid: bool = False) -> None:
    """The flags shared by `run` and `grid`, one per schema field; they override the preset and the config file."""
    from ..core.config.schema import FIELDS
    p.add_argument("--preset", help="start from a named preset (see `aegui presets`)")
    p.add_argument("--config", help="start from a config JSON file")
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in FIELDS:
        title = _GROUPS.get(f.section)
        if title and title not in groups:
            groups[title] = p.add_argument_group(title)
        target = groups[title] if title else p
        path = RUN_FLAGS[f.dest][0]
        help_text = (f.help or f.tip).replace("%", "%%")  # argparse %-formats help
        kind: dict[str, Any]
        if f.kind == "choice" and not (grid and path in _GRID_LISTS):
            kind = {"choices": f.choices}
        else:  # numbers are read when the config is built (config_from_args), so every bad one is named at once
            kind = {"metavar": f.metavar or f.dest.upper()}
        if grid and path in _GRID_LISTS:
            help_text = "comma-separated, one grid line per value, of: " + ", ".join(f.choices)
        target.add_argument(f.flag, dest=f.dest, help=help_text, **kind)


def _command(module: str, name: str):
    """The subcommand function `name` of the command module `module` (train, history or grid), as argparse's
    func default; the module is imported when the command runs."""
    def command(args: argparse.Namespace) -> int:
        # Imported here, not when the parser is built: up front they cost every start (`aegui --help`, the
        # window) about 45 ms (measured: 43-52 ms on top of aegui.cli's 110 ms).
        from . import grid, history, train
        return getattr({"train": train, "history": history, "grid": grid}[module], name)(args)
    command.__name__ = name
    return command


def build_parser() -> argparse.ArgumentParser:
    """The aegui argument parser."""
    from .. import __version__
    p = _Parser(prog="aegui", description="Why won't my autoencoder's loss go to zero? Run the experiment.")
    p.add_argument("--version", action="version", version=f"aegui {__version__}")
    p.add_argument("--data-dir", help="where runs are stored (default: AEGUI_DATA_DIR or the user data folder)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    run = sub.add_parser("run", help="train one run headless and store it")
    run.set_defaults(func=_command("train", "cmd_run"))
    add_run_flags(run)
    run.add_argument("--seeds", type=whole, default=1, help="train N seeds at once as one batched model (1-64)")
    run.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    fig = sub.add_parser("figure", help="list the runs a saved PNG or SVG figure carries")
    fig.set_defaults(func=_command("history", "cmd_figure"))
    fig.add_argument("file")
    fig.add_argument("--json", action="store_true")
    grid = sub.add_parser("grid", help="train every loss × data combination (--loss mse,bce --data uniform,bernoulli)")
    grid.set_defaults(func=_command("grid", "cmd_grid"))
    add_run_flags(grid, grid=True)
    grid.add_argument("--seeds", type=whole, default=1, help="seeds per cell, trained as one batched model")
    grid.add_argument("--out", help="save the grid of plots as a PNG or SVG")
    grid.add_argument("--excess", action="store_true", help="plot loss − floor in the saved grid")
    grid.add_argument("--json", action="store_true")
    runs = sub.add_parser("runs", help="list stored runs")
    runs.set_defaults(func=_command("history", "cmd_runs"))
    runs.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="show one stored run with its epoch means")
    show.set_defaults(func=_command("history", "cmd_show"))
    show.add_argument("run_id", type=whole)
    show.add_argument("--json", action="store_true")
    sub.add_parser("presets", help="list the presets and the claim each one demonstrates").set_defaults(
        func=_command("train", "cmd_presets"))
    card = sub.add_parser("data", help="describe a data file before training: shape, range, floors, allowed losses")
    card.set_defaults(func=_command("history", "cmd_data"))
    card.add_argument("file", help="a CSV or .npy matrix, rows are samples")
    card.add_argument("--json", action="store_true")
    exp = sub.add_parser("export", help="save runs' curves as PNG, SVG, PDF or CSV")
    exp.set_defaults(func=_command("history", "cmd_export"))
    exp.add_argument("run_ids", type=whole, nargs="+")
    exp.add_argument("--out", required=True)
    exp.add_argument("--width", type=whole, help="PNG width in pixels (screen layout)")
    exp.add_argument("--size", choices=("column", "two-column"),
                     help="lay out for a journal: one column 3.5 in (89 mm) or two columns 7.2 in (183 mm), "
                          "text 8-9 pt; a PNG is then --dpi dots per inch")
    exp.add_argument("--dpi", type=whole, default=300, help="PNG resolution with --size (72-2400)")
    for sp in (run, grid, card):
        sp.add_argument("--max-memory", help="refuse a run (or a data card) estimated to need more (e.g. 8G; "
                                             "default: half the physical memory, or AEGUI_MAX_MEMORY)")
    for sp in (run, grid, runs, show, exp):
        sp.add_argument("--data-dir", default=argparse.SUPPRESS, help="where runs are stored")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `aegui` command."""
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # PYTHONIOENCODING=ascii: `é` printed as \xe9, never a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            from ..gui.app import main as gui_main
            return gui_main(argv, data_dir=args.data_dir)
        return args.func(args)  # each subcommand's set_defaults(func=…)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every path ends in one line, never a traceback
        return fault(exc)


def fault(exc: BaseException) -> int:
    """Print one line for an error that is not the input's fault; exit 1 (2 for a ConfigError)."""
    import os
    import sqlite3

    from ..core.config.config import ConfigError
    from ..core.store.store import StoreError
    from ..core.store.store_safety import explain
    if isinstance(exc, ConfigError):
        print("\n".join(f"error: {p}" for p in exc.problems), file=sys.stderr)
        return EXIT_INVALID
    if isinstance(exc, StoreError):
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT if exc.environment else EXIT_INVALID
    if isinstance(exc, sqlite3.Error):
        text = explain("in use", exc).replace("; it was left as it is", "")
    elif getattr(exc, "environment", None) is True:  # an ExportError the system caused (a full disk)
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = "out of memory: lower --max-memory's estimate by using less data, fewer seeds or a smaller model"
    elif isinstance(exc, OSError):
        text = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    else:
        text = f"{type(exc).__name__}: {exc}"
    print(f"error: {printable(text)[:500]}", file=sys.stderr)
    if os.environ.get("AEGUI_DEBUG"):
        import traceback
        traceback.print_exception(exc)
    return EXIT_ENVIRONMENT

"""`aegui runs|show|export|figure|data`: read what is stored (or saved, or on disk), never train."""

from __future__ import annotations

import sys
import time

from .common import (EXIT_ENVIRONMENT, UsageError, check_run_id, finite, max_memory, num, open_store, print_floors,
                     print_json, printable, usage_errors)
from ..core.config.config_io import to_dict


def cmd_runs(args) -> int:
    """List stored runs."""
    store = open_store(args, read_only_ok=True)
    rows = store.list_runs()
    if args.json:
        print_json([run_json(r) for r in rows])
        return 0
    print(f"{'id':>5}  {'name':28} {'status':11} {'stop':10} {'batches':>8} {'final':>10} {'floor':>10}  created")
    for r in rows:
        print(f"{r.run_id:>5}  {fit_name(printable(r.name), 28):28} {r.status:11} {r.stop_reason or '-':10} {r.batches:>8} "
              f"{num(r.final_loss):>10} {num(r.floor):>10}  {time.strftime('%Y-%m-%d %H:%M', time.localtime(r.created))}")
    return 0


def fit_name(name: str, width: int) -> str:
    """name in width characters, cut in the middle: the end ('… (2)') tells apart runs of one config."""
    if len(name) <= width:
        return name
    tail = (width - 1) // 2
    return name[:width - 1 - tail] + "…" + name[len(name) - tail:]


def run_json(r) -> dict:
    """One stored run as JSON."""
    from ..core.floors.summary import row_summary
    return {"run_id": r.run_id, "name": r.name, "status": r.status, "stop_reason": r.stop_reason,
            "batches": r.batches, "epochs": r.epochs, **row_summary(r), "created": r.created,
            "seconds": r.seconds, "device": r.device, "copies": r.copies, "notes": r.notes,
            "group": r.group_name, "copy_final_loss": r.copy_final, "config": to_dict(r.config),
            "damaged": r.damaged}


def cmd_show(args) -> int:
    """Show one stored run with its epoch means."""
    check_run_id(args.run_id)
    store = open_store(args, read_only_ok=True)
    try:
        r = store.get_run(args.run_id)
    except KeyError:
        raise UsageError(f"error: run_id = {args.run_id}: no such run (see `aegui runs`)") from None
    epochs = store.epochs(r.run_id)
    if args.json:
        print_json({**run_json(r), "epoch_means": [finite(e["epoch_mean"]) for e in epochs],
                    "recent_means": [finite(e["recent_mean"]) for e in epochs]})
        return 0
    print(f"run {r.run_id}: {printable(r.name)}  [{r.status}, {r.stop_reason or '-'}]  device {r.device}")
    summary = run_json(r)
    print(f"  batches {r.batches}, epochs {r.epochs}, {r.seconds:.1f} s; final loss {num(r.final_loss)}, "
          f"eval loss {num(r.eval_loss)}")
    print_floors(summary, sys.stdout, "  ")
    if summary["why_not_zero"]:
        print(f"  why not zero? {summary['why_not_zero']}")
    if r.damaged:
        print(f"  damaged: {printable(r.damaged)}")
    if r.error:
        print(f"  error: {printable(r.error)}")
    for e in epochs:
        epoch = e["epoch"]
        print(f"  epoch {num(epoch + 1 if isinstance(epoch, int) else None):>4}  epoch loss "
              f"{num(e['epoch_mean'], '.6g')}  recent loss {num(e['recent_mean'], '.6g')}")
    return 0


def cmd_data(args) -> int:
    """Print a data file's card: what its values allow before any training."""
    from ..core.engine.datacard import file_card
    with usage_errors():
        card = file_card(args.file, max_memory(args))  # the same memory guard as a run's
    if args.json:
        print_json(card.to_dict())
    else:
        print("\n".join(card.lines()))
    return 0


def cmd_export(args) -> int:
    """Save stored runs' curves as PNG, SVG, PDF or CSV (works with no display)."""
    from ..gui.figures.atomic import ExportError, check_out
    from ..gui.figures.export import export_runs
    from ..gui.figures.render import DEFAULT_WIDTH, check_dpi, check_width
    if args.width is None:  # the renderer's default, read here: the CLI imports no GUI module until it draws
        args.width = DEFAULT_WIDTH
    for i in args.run_ids:
        check_run_id(i)
    try:
        check_out(args.out, (".png", ".svg", ".pdf", ".csv"))  # before any work: a bad --out wastes nothing
    except ExportError as exc:
        raise UsageError(f"error: {exc}") from None
    store = open_store(args, read_only_ok=True)
    missing = [i for i in args.run_ids if not _exists(store, i)]
    if missing:
        raise UsageError("\n".join(f"error: run_id = {i}: no such run (see `aegui runs`)" for i in missing))
    try:
        check_width(args.width)  # the renderer's own limits, checked before any work
    except ExportError as exc:
        raise UsageError(f"error: --{exc}") from None  # "--width 150: must be …"
    try:
        check_dpi(args.dpi)
    except ExportError as exc:
        raise UsageError(f"error: --{exc}") from None
    try:
        export_runs(store, args.run_ids, args.out, args.width, size=args.size, dpi=args.dpi)
    except ExportError as exc:
        if exc.environment:  # a full disk is the machine's fault: exit 1, as README's exit codes say
            print(f"error: {printable(exc)}", file=sys.stderr)
            return EXIT_ENVIRONMENT
        raise UsageError(f"error: {exc}") from None
    print(f"saved {args.out}", file=sys.stderr)
    return 0


def _exists(store, run_id: int) -> bool:
    try:
        store.get_run(run_id)
        return True
    except KeyError:
        return False


def cmd_figure(args) -> int:
    """List the runs a saved PNG or SVG figure carries, without a window and without reading any data file."""
    from ..gui.figures.atomic import ExportError
    from ..gui.figures.export import read_figure
    from ..gui.figures.headless import ensure_app
    ensure_app()  # PNG text chunks are read through Qt's image reader
    try:
        runs = read_figure(args.file)
    except ExportError as exc:
        raise UsageError(f"error: {printable(exc)}") from None
    if args.json:
        print_json({"file": args.file, "runs": runs})
        return 0
    print(f"{'id':>5}  {'name':28} {'loss':10} {'data':14} {'final':>10} {'floor':>10}")
    for run in runs:
        c, summary = run["config"], run.get("summary") or {}
        data = c.get("data", {})
        print(f"{str(run.get('run_id', '?'))[:5]:>5}  {printable(run.get('name', ''))[:28]:28} "
              f"{printable(c.get('loss', {}).get('kind', '?'))[:10]:10} "
              f"{printable(data.get('kind', '?'))[:14]:14} {num(summary.get('final_loss')):>10} "
              f"{num(summary.get('floor')):>10}")
        if data.get("kind") == "file":
            print(f"       reads the data file {printable(data.get('file'))} (not read now)")
    return 0

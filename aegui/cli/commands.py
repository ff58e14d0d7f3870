"""The headless subcommands behind `aegui run|grid|runs|show|presets|export`."""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager

from .common import EXIT_INTERRUPTED, UsageError, config_from_args, finite, print_json, printable
from ..core.config import ConfigError
from ..core.config_io import to_dict

MAX_SEEDS = 64
MAX_RUN_ID = 2**63 - 1


@contextmanager
def _usage_errors():
    """Turn the engine's and the store's input errors into one-line-per-problem usage errors."""
    from ..core.store import StoreError
    try:
        yield
    except ConfigError as exc:
        raise UsageError("\n".join(f"error: {p}" for p in exc.problems)) from None
    except StoreError as exc:
        if exc.environment:
            raise  # cli.main: one line, exit 1
        raise UsageError(f"error: {exc}") from None


def open_store(args, read_only_ok: bool = False):
    """The run store named by --data-dir, AEGUI_DATA_DIR or the default folder.

    read_only_ok: for commands that only read (runs, show, export), a store that cannot be written
    (full disk, permission) is opened read-only with a warning instead of refused.
    """
    from ..core.store import RunStore
    with _usage_errors():
        store = RunStore.open(getattr(args, "data_dir", None), read_only_ok=read_only_ok)
    if store.notice:
        print(f"warning: {printable(store.notice)}", file=sys.stderr)
    return store


def max_memory(args) -> int | None:
    """--max-memory in bytes, or None for the default budget."""
    from ..core.memory import parse_size
    text = getattr(args, "max_memory", None)
    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as exc:
        raise UsageError(f"error: {exc}") from None


def check_run_id(run_id: int) -> None:
    """UsageError for an id no store can hold (SQLite integers are 64-bit)."""
    if not 1 <= run_id <= MAX_RUN_ID:
        raise UsageError(f"error: run_id = {str(run_id)[:30]}: no such run (ids are whole numbers from 1 to "
                         f"{MAX_RUN_ID:,}; see `aegui runs`)")


def _check_seeds(n: int) -> None:
    if not 1 <= n <= MAX_SEEDS:
        raise UsageError(f"error: --seeds = {n}: must be a whole number from 1 to {MAX_SEEDS}")


@contextmanager
def _ctrl_c_cancels(cancel: threading.Event):
    """First Ctrl-C asks the loop to stop after this batch; the run is then stored as cancelled."""
    def handler(signum, frame):
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        old = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


def train_and_store(prep, store, copies: int, group_name: str | None = None) -> dict:
    """Train one prepared config, storing it as it goes; return the run's summary dict."""
    from ..core.recorder import RunRecorder
    from ..core.training import EpochSummary, FloorsUpdate, LossBlock, RunEnd, RunStart, train
    from .progress import Progress
    cancel = threading.Event()
    rec = RunRecorder(store, group_name=group_name)
    progress = Progress(prep.config.training.epochs, prep.config.label())
    start = end = None
    floors = prep.floors
    with _ctrl_c_cancels(cancel):
        try:
            for r in train(prep, cancel, copies=copies):
                rec.feed(r)
                if isinstance(r, LossBlock):
                    progress.batch(r.epoch, r.start_step + len(r) - 1, float(r.loss[-1]))
                elif isinstance(r, EpochSummary):
                    progress.epoch(r.epoch, r.epoch_mean, r.recent_mean)
                elif isinstance(r, RunStart) and r.device_note:
                    progress.note(r.device_note)
                if isinstance(r, RunStart):
                    start = r
                    if r.solving:
                        progress.note("solving this model's floor in the background")
                elif isinstance(r, FloorsUpdate):
                    floors = r.floors
                elif isinstance(r, RunEnd):
                    end = r
        except KeyboardInterrupt:
            rec.cancel()  # a second Ctrl-C while the first one was being honoured: still the user's stop
            raise
        except BaseException as exc:
            _store_failure(rec, exc)
            raise
    return summary_dict(rec.run_id, start, end, copies, floors)


def _store_failure(rec, exc: BaseException) -> None:
    """Store the run as failed with its reason; a store that cannot take even that is named in the error."""
    from ..core.store import StoreError
    try:
        rec.fail(f"{type(exc).__name__}: {exc}"[:2000])
    except Exception as second:  # noqa: BLE001 - the store is what failed: say so, keep the first error
        if isinstance(exc, StoreError) and rec.run_id is not None:
            exc.args = (f"{exc}; run {rec.run_id} could not be marked failed ({type(second).__name__}); "
                        "the next aegui marks it interrupted",)
        return
    if isinstance(exc, StoreError) and rec.run_id is not None:
        exc.args = (f"{exc}; run {rec.run_id} was stored as failed, with the curve up to the fault",)


def summary_dict(run_id, start, end, copies: int, floors=None) -> dict:
    """The --json result of one run: its end, and its floors with their claims (see core.summary)."""
    from ..core.summary import floor_fields
    out = {"run_id": run_id, "config": to_dict(start.config), "status":
           "cancelled" if end.stop_reason == "cancelled" else "finished", "stop_reason": end.stop_reason,
           "epochs": end.epochs, "batches": end.batches, "final_loss": finite(end.final_loss),
           "min_epoch_loss": finite(end.min_epoch_loss),
           **floor_fields(start.config, start.floors if floors is None else floors, end.eval_loss),
           "batches_per_s": end.batches_per_s, "seconds": end.seconds, "device": start.device,
           "device_note": start.device_note, "step_mode": start.step_mode, "copies": copies}
    if copies > 1:
        out["copy_final_loss"] = [finite(float(v)) for v in end.copy_final]
        out["copy_eval_loss"] = [finite(float(v)) for v in end.copy_eval] if end.copy_eval is not None else None
        out["model_steps_per_s"] = end.batches_per_s * copies
    return out


def cmd_run(args) -> int:
    """Train one run (or a seed band) and store it."""
    from ..core.training import prepare
    _check_seeds(args.seeds)
    with _usage_errors():
        # An invalid run, or one over the memory budget, is refused before it is stored or allocated.
        prep = prepare(config_from_args(args), args.seeds, max_memory(args))
    store = open_store(args)
    result = train_and_store(prep, store, args.seeds)
    if args.json:
        print_json(result)
    else:
        print(f"run {result['run_id']}: {result['stop_reason']} after {result['batches']} batches, "
              f"final loss {_num(result['final_loss'])}, eval loss {_num(result['eval_loss'])}", file=sys.stderr)
        _print_floors(result)
        if result["why_not_zero"]:
            print(f"why not zero? {result['why_not_zero']}", file=sys.stderr)
    return EXIT_INTERRUPTED if result["stop_reason"] == "cancelled" else 0


def cmd_runs(args) -> int:
    """List stored runs."""
    store = open_store(args, read_only_ok=True)
    rows = store.list_runs()
    if args.json:
        print_json([run_json(r) for r in rows])
        return 0
    print(f"{'id':>5}  {'name':28} {'status':11} {'stop':10} {'batches':>8} {'final':>10} {'floor':>10}  created")
    for r in rows:
        print(f"{r.run_id:>5}  {printable(r.name)[:28]:28} {r.status:11} {r.stop_reason or '-':10} {r.batches:>8} "
              f"{_num(r.final_loss):>10} {_num(r.floor):>10}  {time.strftime('%Y-%m-%d %H:%M', time.localtime(r.created))}")
    return 0


def _num(v, fmt: str = ".4g") -> str:
    return f"{v:{fmt}}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "-"


def _print_floors(summary: dict, out=None, indent: str = "") -> None:
    """One line per floor: name, value, claim and basis; the one the gap is measured from is marked."""
    out = out or sys.stderr  # looked up now: tests swap sys.stderr
    claim = "exact" if summary["floor_exact"] else "lower bound"
    marked = False
    for f in summary["floors"]:
        mark = not marked and f["value"] is not None and f["value"] == summary["floor"] and f["claim"] == claim
        marked |= mark
        print(f"{indent}{f['name'] + ' floor':20} {_num(f['value']):>10}  {f['claim']:11}  {f['basis']}"
              f"{'  <- the gap is measured from here' if mark else ''}", file=out)


def run_json(r) -> dict:
    """One stored run as JSON."""
    from ..core.summary import floor_fields
    return {"run_id": r.run_id, "name": r.name, "status": r.status, "stop_reason": r.stop_reason,
            "batches": r.batches, "epochs": r.epochs, "final_loss": finite(r.final_loss),
            "min_epoch_loss": finite(r.min_epoch_loss), **floor_fields(r.config, r.floors, r.eval_loss),
            "created": r.created,
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
        print_json({**run_json(r), "epoch_means": [finite(e[1]) for e in epochs],
                    "recent_means": [finite(e[2]) for e in epochs]})
        return 0
    print(f"run {r.run_id}: {printable(r.name)}  [{r.status}, {r.stop_reason or '-'}]  device {r.device}")
    summary = run_json(r)
    print(f"  batches {r.batches}, epochs {r.epochs}, {r.seconds:.1f} s; final loss {_num(r.final_loss)}, "
          f"eval loss {_num(r.eval_loss)}")
    _print_floors(summary, sys.stdout, "  ")
    if summary["why_not_zero"]:
        print(f"  why not zero? {summary['why_not_zero']}")
    if r.damaged:
        print(f"  damaged: {printable(r.damaged)}")
    if r.error:
        print(f"  error: {printable(r.error)}")
    for e in epochs:
        print(f"  epoch {_num(e[0] + 1 if isinstance(e[0], int) else None):>4}  epoch loss {_num(e[1], '.6g')}  "
              f"recent loss {_num(e[2], '.6g')}")
    return 0


def cmd_presets(args) -> int:
    """List the presets and their claims."""
    from ..core.presets import PRESETS
    for p in PRESETS.values():
        print(f"{p.name:28} {p.claim}")
    return 0


def cmd_data(args) -> int:
    """Print a data file's card: what its values allow before any training."""
    from ..core.datacard import file_card
    with _usage_errors():
        card = file_card(args.file)
    if args.json:
        print_json(card.to_dict())
    else:
        print("\n".join(card.lines()))
    return 0


def cmd_export(args) -> int:
    """Save stored runs' curves as PNG, SVG or CSV (works with no display)."""
    from ..gui.figures.export import ExportError, check_out, export_runs
    for i in args.run_ids:
        check_run_id(i)
    try:
        check_out(args.out, (".png", ".svg", ".csv"))  # before any work: a bad --out wastes nothing
    except ExportError as exc:
        raise UsageError(f"error: {exc}") from None
    store = open_store(args, read_only_ok=True)
    missing = [i for i in args.run_ids if not _exists(store, i)]
    if missing:
        raise UsageError("\n".join(f"error: run_id = {i}: no such run (see `aegui runs`)" for i in missing))
    if not 100 <= args.width <= 20000:
        raise UsageError(f"error: --width = {args.width}: must be a whole number from 100 to 20000")
    try:
        export_runs(store, args.run_ids, args.out, args.width)
    except ExportError as exc:
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
    from ..gui.figures.export import ExportError, ensure_app, read_figure
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
              f"{printable(data.get('kind', '?'))[:14]:14} {_num(summary.get('final_loss')):>10} "
              f"{_num(summary.get('floor')):>10}")
        if data.get("kind") == "file":
            print(f"       reads the data file {printable(data.get('file'))} (not read now)")
    return 0

"""`aegui run` and `aegui presets`: train one config (or a seed band) into the store; what the grid trains with."""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager

from .common import (EXIT_INTERRUPTED, check_seeds, config_from_args, finite, max_memory, num, open_store,
                     print_floors, print_json, usage_errors)
from ..core.config.config_io import to_dict


COMPACT_NOTE_BATCHES = 100_000  # packing a curve this long takes seconds: say so (it was 10 s of silence)


@contextmanager
def _ctrl_c_cancels(cancel: threading.Event):
    """First Ctrl-C asks the loop to stop after this batch; the run is then stored as cancelled."""
    def handler(_signum, _frame):
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
    from ..core.store.recorder import RunRecorder
    from ..core.engine.training import train
    from ..core.engine.records import EpochSummary, FloorsUpdate, LossBlock, RunEnd, RunStart, Solving
    from .progress import Progress
    cancel = threading.Event()
    rec = RunRecorder(store, group_name=group_name)
    progress = Progress(prep.config.training.epochs, prep.config.label())
    start = end = None
    floors = prep.floors
    ctrl_c_in_training = False
    rec.compact_progress = progress.compacting
    # Ctrl-C after the run's end stops only the compaction (an optimisation): the run stays as it ended.
    rec.compact_stop = lambda: cancel.is_set() and not ctrl_c_in_training
    with _ctrl_c_cancels(cancel):
        try:
            for r in train(prep, cancel, copies=copies):
                if isinstance(r, RunEnd):
                    # Set before it is stored: a Ctrl-C during the compaction leaves the run as it ended.
                    end, ctrl_c_in_training = r, cancel.is_set()
                    if r.batches >= COMPACT_NOTE_BATCHES:
                        progress.note(f"storing {r.batches:,} batches (packing the curve)…")
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
                elif isinstance(r, Solving):
                    progress.note(f"training done; solving this model's floor, {r.seconds:.0f} s at most "
                                  "(Ctrl-C takes the proven bracket found so far)")
        except KeyboardInterrupt:
            if not (rec.finished and end is not None):  # stored as ended: the compaction was only rolled back
                rec.cancel()  # a second Ctrl-C while the first one was being honoured: still the user's stop
                raise
            rec.compact_note = "stopped by the user"  # Ctrl-C during the compaction: the run is stored already
        except BaseException as exc:
            _store_failure(rec, exc)
            raise
    progress.compacted()
    if rec.compact_note:
        print(f"aegui: warning: run {rec.run_id} is stored with its whole curve; it was not compacted "
              f"({rec.compact_note}), so it takes about 4 bytes a batch instead of 3", file=sys.stderr)
    return summary_dict(rec.run_id, start, end, copies, floors)


def _store_failure(rec, exc: BaseException) -> None:
    """Store the run as failed with its reason; the message then says how the run is stored, as read back."""
    from ..core.store.store import StoreError
    try:
        rec.fail(f"{type(exc).__name__}: {exc}"[:2000])
    except Exception as second:  # noqa: BLE001 - the store is what failed: say so, keep the first error
        if isinstance(exc, StoreError) and rec.run_id is not None:
            status = _stored_status(rec)
            now = (f"it is stored as {status}" if status != "running" else
                   "it is stored as running, and the next aegui to open the store marks it interrupted")
            exc.args = (f"{exc}; run {rec.run_id} could not be marked failed ({type(second).__name__}): {now}",)
        return
    if isinstance(exc, StoreError) and rec.run_id is not None:
        exc.args = (f"{exc}; run {rec.run_id} was stored as failed, with the curve up to the fault",)


def _stored_status(rec) -> str:
    """The run's status as the store holds it now (read back, so that the message is true), or 'unknown'."""
    try:
        return rec.store.get_run(rec.run_id).status
    except Exception:  # noqa: BLE001 - the store is failing: say what is known
        return "unknown"


def summary_dict(run_id, start, end, copies: int, floors=None) -> dict:
    """The --json result of one run: its end, and its floors with their claims (see core.summary)."""
    from ..core.floors.summary import run_summary
    out = {"run_id": run_id, "config": to_dict(start.config), "status":
           "cancelled" if end.stop_reason == "cancelled" else "finished", "stop_reason": end.stop_reason,
           "epochs": end.epochs, "batches": end.batches,
           **run_summary(start.config, start.floors if floors is None else floors, final_loss=end.final_loss,
                         min_epoch_loss=end.min_epoch_loss, eval_loss=end.eval_loss, saturated=end.saturated),
           "batches_per_s": end.batches_per_s, "seconds": end.seconds, "device": start.device,
           "device_note": start.device_note, "step_mode": start.step_mode, "copies": copies}
    if copies > 1:
        out["copy_final_loss"] = [finite(float(v)) for v in end.copy_final]
        out["copy_eval_loss"] = [finite(float(v)) for v in end.copy_eval] if end.copy_eval is not None else None
        out["model_steps_per_s"] = end.batches_per_s * copies
    return out


def cmd_run(args) -> int:
    """Train one run (or a seed band) and store it."""
    from ..core.engine.training import prepare
    check_seeds(args.seeds)
    with usage_errors():
        # An invalid run, or one over the memory budget, is refused before it is stored or allocated.
        prep = prepare(config_from_args(args), args.seeds, max_memory(args))
    store = open_store(args)
    result = train_and_store(prep, store, args.seeds)
    if args.json:
        print_json(result)
    else:
        print(f"run {result['run_id']}: {result['stop_reason']} after {result['batches']} batches, "
              f"final loss {num(result['final_loss'])}, eval loss {num(result['eval_loss'])}", file=sys.stderr)
        print_floors(result)
        if result["why_not_zero"]:
            print(f"why not zero? {result['why_not_zero']}", file=sys.stderr)
    return EXIT_INTERRUPTED if result["stop_reason"] == "cancelled" else 0


def cmd_presets(args) -> int:
    """List the presets and their claims."""
    from ..core.config.presets import PRESETS
    for p in PRESETS.values():
        print(f"{p.name:28} {p.claim}")
    return 0

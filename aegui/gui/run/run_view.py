"""The window's view of a run as the RunController reports it: live plot, reconstruction, status line,
results table, and the "Why not zero?" line under the plot once it ends.

RunView is a part the window owns (window.run_view). It is given what it uses: the parts that show a run
(the layout's why line and reconstruction stack, the live plot, the reconstruction, the run status, the
results pane) and the window's ways of telling the user (say, idle, warn) and its progress signal.
Everything it shows comes from the run's records; it never reads back from the store what the run said.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from ...core.engine.records import (EpochSummary, FloorsUpdate, LossChunk, Paused, Reconstruction, RunEnd,
                                    RunFailed, RunStart, Solving)
from ...core.floors.summary import floor_fields
from .run_status import end_words


COMPARE_IDLE_HINT = " Select runs in the table to compare them; Ctrl+S saves the comparison."

class RunView:
    """Where the RunController's records land (in the GUI thread): each updates the parts that show the run."""

    def __init__(self, ui, live, recon, status, results, *, say: Callable[[str], None],
                 idle: Callable[[str], None], warn: Callable[[str, str], None], progress: Callable[[int], None]):
        self.ui, self.live, self.recon, self.status, self.results = ui, live, recon, status, results
        self.say, self.idle, self.warn, self.progress = say, idle, warn, progress
        self.current_run_id: int | None = None
        self.last_run_id: int | None = None
        self._start: RunStart | None = None  # the running run's RunStart, as stored
        self._floors: list = []               # its floors, with a model floor solved in the background
        self._slots: dict[type, Callable[[Any], None]] = {RunStart: self._on_started, LossChunk: self._on_chunk, EpochSummary: self._on_epoch,
                       FloorsUpdate: self._on_floors, Reconstruction: self._on_reconstruction,
                       Paused: self._on_paused, Solving: self._on_solving, RunEnd: self._on_finished,
                       RunFailed: self._on_failed}

    def connect(self, runner) -> None:
        """Connect the controller's record signal once; it then carries whatever worker is running."""
        runner.sigRecord.connect(self.take)  # a method of a GUI-thread object: the relays arrive queued, in order
        # A deleted run leaves the table's selection: its ghost goes too.
        self.results.sigSelectionChanged.connect(self.forget_deleted_ghosts)

    def take(self, record) -> None:
        """Show one record of the running run."""
        self._slots[type(record)](record)

    def forget_deleted_ghosts(self, *_args) -> None:
        """Drop the live plot's ghosts of runs no longer in the store."""
        store = self.results.store

        def exists(run_id: int) -> bool:
            try:
                store.get_run(int(run_id))
            except Exception:  # noqa: BLE001 - KeyError for a deleted run; a closed store keeps nothing either
                return False
            return True
        self.live.ghosts.forget_missing(exists)

    def _on_started(self, start: RunStart) -> None:
        self._start, self._floors = start, list(start.floors)
        self.last_run_id = self.current_run_id = start.run_id
        self.ui.why.setText("<b>Why not zero?</b> " + ("solving this model's floor in the background…"
                                                    if start.solving else "the answer shows when the run ends."))
        self.ui.why.setVisible(True)
        self.live.set_hint(None)
        self.ui.recon_stack.setCurrentIndex(1)
        self.live.start(start)  # under the stored name: the store makes repeated names unique ('… (2)')
        self.status.start(start.config.training.epochs, start.batches_per_epoch, start.device, start.device_note)
        self.results.refresh()  # the new run is stored as 'running' already: list it while it trains
        label = start.config.label()
        seeds = f" × {start.copies} seeds" if start.copies > 1 else ""
        how = f" ({start.step_mode})" if start.step_mode else ""
        self.say(f"Training {label}{seeds} on {start.device}{how}. {start.device_note}".strip())
        self.idle(f"Training {label}{seeds} — Esc stops, Ctrl+P pauses.")

    def _on_chunk(self, chunk: LossChunk) -> None:
        self.live.append_chunk(chunk)
        self.status.update(int(chunk.steps[-1]) + 1, float(chunk.seconds[-1]))
        self.progress(self.live.point_count())

    def _on_epoch(self, s: EpochSummary) -> None:
        self.live.add_epoch(s.epoch, s.epoch_mean, s.recent_mean, s.batches, s.seconds)

    def _on_solving(self, s: Solving) -> None:
        # The run's end waits for the floor (s.seconds at most): say so, or it looks hung at 100%.
        wait = (f"training done; solving this model's floor, {s.seconds:.0f} s at most "
                "(Stop takes the proven bracket found so far)…")
        self.ui.why.setText("<b>Why not zero?</b> " + wait)
        self.status.solving(s.seconds)
        self.say("Training done; solving this model's floor — Stop (Esc) takes the bracket found so far")

    def _on_floors(self, update: FloorsUpdate) -> None:
        self._floors = list(update.floors)
        self.live.set_floors(update.floors)

    def _on_reconstruction(self, r: Reconstruction) -> None:
        self.recon.show_reconstruction(r.x, r.xhat, r.codes, r.loss)

    def _on_paused(self, p: Paused) -> None:
        self.status.set_paused(p.paused)
        self.results.mark_paused(self.current_run_id, p.paused)
        self.say("Paused: Ctrl+P resumes" if p.paused else "Resumed")

    def _on_finished(self, end: RunEnd) -> None:
        short, sentence = end_words(end)
        self.status.end(short, end.batches)
        text = f"{sentence}; final loss {end.final_loss:.4g}"
        self.say(text)
        # What to do next, only while nothing is compared yet (the window drops it once runs are selected).
        self.idle(text + "." + ("" if self.results.selected_run_ids() else COMPARE_IDLE_HINT))
        self.explain(end)

    def _on_failed(self, failed: RunFailed) -> None:
        message = failed.message
        self.status.end("failed")
        self.say("Run failed: " + message.splitlines()[0])
        self.idle("Last run failed: " + message.splitlines()[0])
        self.warn("Run failed", message)
        self.explain(None)

    def ended(self) -> None:
        """The run's thread has been joined (the window's sigRunEnded follows): show and list it as it ended."""
        self._start = None  # a next run that fails before its RunStart has nothing of this one to explain
        self.results.mark_paused(None, False)
        self.live.flush()
        self.results.refresh()

    def explain(self, end: RunEnd | None) -> None:
        """Under the plot: of the run's loss, what the data forces, what the model cannot fit, what is left;
        from the run's own records (its RunStart, FloorsUpdate and RunEnd)."""
        if self._start is None:
            return
        ev = end.eval_loss if end is not None else None
        fields = floor_fields(self._start.config, self._floors, ev, end.saturated if end is not None else None)
        if end is not None:  # its ghost will show the number the table shows (eval, else final), saying which
            self.live.set_result(fields["eval_loss"], end.final_loss, self._start.run_id)
        why = fields["why_not_zero"] or "the run ended before its final model could be evaluated."
        # Named: the line stays while the panels move on to another config, and must say which run it explains.
        name = self._start.name or self._start.config.label()
        self.ui.why.setText(f"<b>Why not zero?</b> <i>({html.escape(name)})</i> {html.escape(why)}")

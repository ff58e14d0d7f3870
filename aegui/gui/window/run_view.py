"""The window's view of a run as the RunController reports it: live plot, reconstruction, status line,
results table, and the "Why not zero?" line under the plot once it ends.

RunView is a part the window owns (window.run_view). It uses of the window only its parts (ui, live, recon,
status, results, store, queue), its signals, say(), idle(), warn() and set_running().
"""

from __future__ import annotations

import html

from ...core.summary import floor_fields
from .run_status import end_words


class RunView:
    """Where the RunController's signals land (in the GUI thread): each updates the parts that show the run."""

    def __init__(self, window):
        self.window = window
        self.current_run_id = None
        self.last_run_id = None

    def connect(self, runner) -> None:
        """Connect the controller's signals once; they then carry whatever worker is running."""
        w = self.window
        for signal, slot in ((runner.sigStarted, self._on_started), (runner.sigChunk, self._on_chunk),
                             (runner.sigCopies, w.live.append_copies),
                             (runner.sigFloors, w.live.append_floors), (runner.sigEpochs, self._on_epochs),
                             (runner.sigRunFloors, w.live.set_floors),
                             (runner.sigReconstruction, w.recon.show_reconstruction),
                             (runner.sigPaused, self._on_paused),
                             (runner.sigFinished, self._on_finished), (runner.sigFailed, self._on_failed),
                             (runner.sigEnded, self._on_ended)):
            signal.connect(slot)  # methods of GUI-thread objects: the relays arrive queued, in order
        # A deleted run leaves the table's selection: its ghost goes too.
        w.results.sigSelectionChanged.connect(self.forget_deleted_ghosts)

    def forget_deleted_ghosts(self, *_args) -> None:
        """Drop the live plot's ghosts of runs no longer in the store."""
        store = self.window.results.store

        def exists(run_id: int) -> bool:
            try:
                store.get_run(int(run_id))
            except Exception:  # noqa: BLE001 - KeyError for a deleted run; a closed store keeps nothing either
                return False
            return True
        self.window.live.ghosts.forget_missing(exists)

    def _on_started(self, info: dict) -> None:
        w = self.window
        self.last_run_id = info.get("run_id")
        w.ui.why.setText("<b>Why not zero?</b> " + ("solving this model's floor in the background…"
                                                 if info.get("solving") else "the answer shows when the run ends."))
        w.ui.why.setVisible(True)
        info = {**info, "name": self._stored_name(info)}
        self.current_run_id = info.get("run_id")
        w.live.set_hint(None)
        w.ui.recon_stack.setCurrentIndex(1)
        w.live.start_run(info)
        w.status.start(info)
        w.results.refresh()  # the new run is stored as 'running' already: list it while it trains
        seeds = f" × {info['copies']} seeds" if info.get("copies", 1) > 1 else ""
        how = f" ({info['step_mode']})" if info.get("step_mode") else ""
        w.say(f"Training {info['label']}{seeds} on {info['device']}{how}. {info.get('device_note', '')}".strip())
        w.idle(f"Training {info['label']}{seeds} — Esc stops, Ctrl+P pauses.")

    def _stored_name(self, info: dict) -> str:
        # The store makes repeated names unique ('… (2)'): the live plot and its ghosts use that name.
        try:
            return self.window.store.get_run(int(info["run_id"])).name
        except Exception:  # noqa: BLE001 - no stored row (a closed store, a test stub): the label will do
            return info.get("label", "run")

    def _on_chunk(self, steps, losses, seconds, epochs) -> None:
        w = self.window
        w.live.append(steps, losses, seconds, epochs)
        w.status.update(int(steps[-1]) + 1, float(seconds[-1]))
        w.sigProgress.emit(w.live.point_count())

    def _on_epochs(self, rows: list) -> None:
        for row in rows:
            self.window.live.add_epoch(**row)

    def _on_paused(self, paused: bool) -> None:
        w = self.window
        w.status.set_paused(paused)
        w.results.mark_paused(self.current_run_id, paused)
        w.say("Paused: Ctrl+P resumes" if paused else "Resumed")

    def _on_finished(self, end) -> None:
        w = self.window
        short, sentence = end_words(end)
        w.status.end(short, end.batches)
        text = f"{sentence}; final loss {end.final_loss:.4g}"
        w.say(text)
        w.idle(text + ". Select runs in the table to compare them; Ctrl+S saves the comparison.")

    def _on_failed(self, message: str) -> None:
        w = self.window
        w.status.end("failed")
        w.say("Run failed: " + message.splitlines()[0])
        w.idle("Last run failed: " + message.splitlines()[0])
        w.warn("Run failed", message)

    def _on_ended(self, outcome: str) -> None:
        w = self.window
        w.results.mark_paused(None, False)
        w.set_running(w.runner.is_running())  # a rerun may already have started the next one
        if not w.closed:
            w.live.flush()
            w.results.refresh()
            self.explain_last_run()
        w.sigRunEnded.emit(outcome)
        if not w.closed and outcome != "cancelled":
            w.queue.next_queued()
        elif outcome == "cancelled":
            w.queue.clear()  # Stop stops the queue too

    def explain_last_run(self) -> None:
        """Under the plot: of the run's loss, what the data forces, what the model cannot fit, what is left."""
        w = self.window
        run_id = self.last_run_id
        try:
            row = w.results.store.get_run(run_id) if run_id is not None else None
        except KeyError:
            row = None
        if row is None:
            return
        fields = floor_fields(row.config, row.floors, row.eval_loss, row.saturated)
        w.live.set_result(row.eval_loss, row.final_loss, run_id)  # its ghost will show the stored number, saying which
        if w.live._info.get("run_id") in (None, run_id):  # not onto a rerun that has started meanwhile
            w.live.set_floors(fields["floors"])  # a model floor solved in the background is in the store now
        why = fields["why_not_zero"] or "the run ended before its final model could be evaluated."
        w.ui.why.setText(f"<b>Why not zero?</b> {html.escape(why)}")

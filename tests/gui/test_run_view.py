"""RunView shows a run from its records alone: given its parts, never the window, and never the store."""

from types import SimpleNamespace

import numpy as np
from PySide6.QtWidgets import QLabel, QStackedWidget, QStatusBar, QWidget

from aegui.core.config.config import RunConfig, with_changes
from aegui.core.floors.floors import Floor
from aegui.core.engine.records import EpochSummary, FloorsUpdate, LossChunk, RunEnd, RunStart, Solving
from aegui.core.floors.summary import floor_fields
from aegui.gui.plots.loss_plot import LivePlot
from aegui.gui.run.run_status import RunStatus
from aegui.gui.run.run_view import RunView

BCE = with_changes(RunConfig(name="bce"), **{"loss.kind": "bce", "model.output": "sigmoid", "data.kind": "bernoulli"})


def test_a_run_is_shown_and_explained_from_its_records(qtbot):
    live = LivePlot()
    qtbot.addWidget(live)
    host = QWidget()
    qtbot.addWidget(host)
    ui = SimpleNamespace(why=QLabel(host), recon_stack=QStackedWidget(host))
    ui.recon_stack.addWidget(QLabel())
    ui.recon_stack.addWidget(QLabel())
    said = []
    # No store to read back from, and nothing selected.
    results = SimpleNamespace(refresh=lambda: None, mark_paused=lambda *a: None, selected_run_ids=lambda: [])
    view = RunView(ui, live, SimpleNamespace(), RunStatus(QStatusBar(host)), results, say=said.append,
                   idle=said.append, warn=lambda *a: said.append(a), progress=lambda n: None)
    data = Floor("data", 0.5, "exact", "the targets' entropy")
    model = Floor("model", 0.6, "lower bound", "solved")
    view.take(RunStart(BCE, "cpu", "", [data], 256, 4, 1, solving=True, run_id=7, name="bce (2)"))
    assert live.run_name == "bce (2)" and "solving" in ui.why.text()
    steps = np.arange(4)
    view.take(LossChunk(steps, np.full(4, 0.7), steps / 10, np.zeros(4, np.int64), floors=np.full(4, 0.5)))
    view.take(EpochSummary(0, 0.7, 0.7, 4, 0.4))
    view.take(Solving(60.0))  # training done, the floor still solving: the run's end waits, and says so
    assert "training done; solving this model's floor, 60 s at most" in ui.why.text()
    assert view.status.progress.format() == "solving the floor…" and view.status.eta.text() == "≤ 1:00 more"
    assert any("Stop (Esc) takes the bracket" in s for s in said if isinstance(s, str))
    view.take(FloorsUpdate([data, model]))
    view.take(RunEnd("max_epochs", 1, 4, 0.7, 0.7, 0.4, 10.0, eval_loss=0.65))
    expected = floor_fields(BCE, [data, model], 0.65)["why_not_zero"]
    assert expected and expected.replace("'", "&#x27;") in ui.why.text()
    assert live.point_count() == live.floor_count() == 4 and live._info["eval_loss"] == 0.65
    assert any("final loss 0.7" in s for s in said if isinstance(s, str))

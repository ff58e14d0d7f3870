"""Stored runs for the results, comparison and export tests: real tiny trainings and synthetic curves."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from aegui.core.config.config import with_changes, RunConfig
from aegui.core.floors.floors import Floor
from aegui.core.store.store import RunStore


def tiny(loss: str = "mse", data: str = "uniform", **changes) -> RunConfig:
    """A config that trains in well under a second."""
    output = "sigmoid" if loss == "bce" else "identity"
    return with_changes(RunConfig(), **{"data.samples": 512, "data.kind": data, "loss.kind": loss,
                                        "model.output": output, "training.epochs": 2, "training.tol": 0.0,
                                        "training.batch_size": 64, **changes})


def trained(store: RunStore, config: RunConfig) -> int:
    """Train config through the engine into the store; its run id."""
    from aegui.core.store.recorder import RunRecorder
    from aegui.core.engine.training import train
    rec = RunRecorder(store)
    for record in train(config, threads=1):
        rec.feed(record)
    return rec.run_id


def synthetic(store: RunStore, config: RunConfig, losses: np.ndarray, floor: float = 0.5, exact: bool = True) -> int:
    """Store a finished run with the given curve ((n,) or (n, copies)), without training."""
    losses = np.asarray(losses, dtype=np.float32)
    copies = 1 if losses.ndim == 1 else losses.shape[1]
    floors = ([Floor("data", 0.0, "lower bound", "test"), Floor("model", floor, "exact", "test")] if exact
              else [Floor("data", floor, "lower bound", "test")])
    run_id = store.create_run(config, device="cpu", floors=floors, copies=copies)
    store.write_progress(run_id, 0, losses, [(0, float(np.mean(losses)), float(np.mean(losses[-5:])), len(losses), 1.0)], 1.0)
    end = SimpleNamespace(seconds=1.0, batches=len(losses), epochs=1, batches_per_s=len(losses),
                          final_loss=float(np.median(losses[-1])), copy_final=losses[-1] if copies > 1 else None,
                          eval_loss=float(np.median(losses[-1])))
    store.finish_run(run_id, "finished", "max_epochs", end)
    return run_id


def decaying(n: int = 400, floor: float = 0.5, seed: int = 0) -> np.ndarray:
    """A noisy loss curve decaying to floor."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n)
    return floor + 0.4 * np.exp(-steps / (n / 5)) + rng.normal(0, 0.004, n)


def shown_comparison(qtbot, store: RunStore, run_ids, width: int = 900, height: int = 600):
    """A shown ComparisonPlot of these stored runs, once the selection's deferred paint has run."""
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.plots.curves import stored_curve
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_runs([stored_curve(store, i) for i in run_ids])
    qtbot.waitUntil(lambda: plot.updatesEnabled() and plot.plot_item.vb.width() > width // 2)
    plot.grab()  # a real paint: pyqtgraph settles auto-range as it prepares one, and the labels follow
    return plot

"""The CLI's JSON keys, in order: scripts read them, so a refactor of how the dicts are built must keep them."""

import json

from aegui.cli import main

TINY = ["--samples", "512", "--epochs", "2", "--device", "cpu"]

SUMMARY = ["final_loss", "min_epoch_loss", "floors", "floor", "floor_exact", "floor_basis", "eval_loss", "gap",
           "data_floor", "model_floor", "model_floor_claim", "optimizer_gap", "why_not_zero"]
RUN = ["run_id", "config", "status", "stop_reason", "epochs", "batches", *SUMMARY, "batches_per_s", "seconds",
       "device", "device_note", "step_mode", "copies"]
BAND = [*RUN, "copy_final_loss", "copy_eval_loss", "model_steps_per_s"]
STORED = ["run_id", "name", "status", "stop_reason", "batches", "epochs", *SUMMARY, "created", "seconds", "device",
          "copies", "notes", "group", "copy_final_loss", "config", "damaged"]
SHOWN = [*STORED, "epoch_means", "recent_means"]


def _json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_runs_and_show_keep_their_keys_in_order(capsys, data_dir):
    one = _json(capsys, "run", *TINY)
    assert list(one) == RUN
    band = _json(capsys, "run", *TINY, "--seeds", "2")
    assert list(band) == BAND
    listed = _json(capsys, "runs")
    assert [list(r) for r in listed] == [STORED, STORED]
    assert list(_json(capsys, "show", str(one["run_id"]))) == SHOWN


def test_grid_keeps_its_keys_in_order(capsys, data_dir):
    out = _json(capsys, "grid", *TINY, "--loss", "mse", "--data", "uniform")
    assert list(out) == ["group", "losses", "data", "cells"]
    assert [list(c) for c in out["cells"]] == [["loss", "data", "run_id", "final_loss", "eval_loss", "floor",
                                                "floor_exact", "gap", "stop_reason", "batches"]]


def test_one_builder_gives_the_summary_of_an_ended_run_and_of_its_stored_row(capsys, data_dir):
    """What `run --json` printed at the end is what `show --json` reads back, through the same builder."""
    from aegui.core.store.store import RunStore
    from aegui.core.floors.summary import row_summary, run_summary
    ran = _json(capsys, "run", *TINY)
    row = RunStore.open(data_dir).get_run(ran["run_id"])
    stored = row_summary(row)
    assert list(stored) == SUMMARY and {k: ran[k] for k in SUMMARY} == stored
    nan = run_summary(row.config, row.floors, final_loss=float("nan"), min_epoch_loss=float("inf"), eval_loss=None)
    assert nan["final_loss"] is None and nan["min_epoch_loss"] is None and nan["gap"] is None

"""The headless CLI: exit codes, JSON keys, listing, and Ctrl-C."""

import json
import os
import signal
import subprocess
import sys

import pytest

from aegui.cli import main

TINY = ["--samples", "512", "--epochs", "2", "--device", "cpu"]
RUN_KEYS = {"run_id", "config", "stop_reason", "epochs", "batches", "final_loss", "min_epoch_loss", "floor",
            "floor_exact", "batches_per_s", "seconds", "floors", "eval_loss", "gap"}


def run_json(capsys, *argv):
    assert main(["run", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_has_every_key(capsys, data_dir):
    out = run_json(capsys, *TINY)
    assert RUN_KEYS <= set(out)
    assert out["stop_reason"] == "max_epochs" and out["batches"] == 8 and out["config"]["data"]["samples"] == 512


def test_flags_override_preset(capsys, data_dir):
    out = run_json(capsys, "--preset", "sigmoid-bce-uniform", *TINY, "--lr", "0.05")
    assert out["config"]["loss"]["kind"] == "bce" and out["config"]["optimizer"]["lr"] == 0.05
    assert out["floor"] == pytest.approx(0.5, abs=0.05)


def test_config_file_then_flags(capsys, data_dir, tmp_path):
    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.config.config_io import to_json
    f = tmp_path / "c.json"
    f.write_text(to_json(with_changes(RunConfig(), **{"model.kind": "mlp", "data.samples": 256})))
    out = run_json(capsys, "--config", str(f), "--epochs", "1")
    assert out["config"]["model"]["kind"] == "mlp" and out["epochs"] == 1


@pytest.mark.parametrize("argv,needle", [
    (["--samples", "0"], "data.samples = 0"),
    (["--lr", "-1"], "optimizer.lr = -1.0"),
    (["--loss", "bce", "--output", "sigmoid", "--data", "gaussian"], "data.kind = 'gaussian'"),
    (["--loss", "bce"], "model.output = 'identity'"),
    (["--preset", "nope"], "--preset = 'nope'"),
    (["--loss", "hinge"], "invalid choice"),
    (["--epochs", "many"], "training.epochs = 'many': must be a whole number"),
    (["--config", "/nonexistent.json"], "cannot be read"),
    (["--data", "file", "--file", "/nonexistent.csv"], "no such file"),
    (["--seeds", "0"], "--seeds = 0"),
])
def test_invalid_input_exits_2_with_a_clear_line(capsys, data_dir, argv, needle):
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not (data_dir / "runs.sqlite").exists() or main(["runs", "--json"]) == 0 and \
        json.loads(capsys.readouterr().out) == []


def test_every_bad_number_is_named_at_once(capsys, data_dir):
    """Numbers that do not read as numbers are named beside every other bad value (argparse stopped at the
    first: `--epochs abc` hid that --batch-size and --lr were wrong too)."""
    assert main(["run", "--epochs", "abc", "--batch-size", "x", "--lr", "-1", "--encoding-dim", "1_0"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    for needle in ("training.epochs = 'abc'", "training.batch_size = 'x'", "optimizer.lr = -1.0",
                   "model.encoding_dim = '1_0'"):
        assert sum(needle in line for line in lines) == 1, (needle, err)
    assert len(lines) == 4 and "Traceback" not in err


def test_every_problem_gets_its_own_line(capsys, data_dir):
    assert main(["run", "--samples", "0", "--lr", "0", "--epochs", "0"]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 3


def test_runs_and_show(capsys, data_dir):
    first = run_json(capsys, *TINY)
    assert main(["runs", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs[0]["run_id"] == first["run_id"]
    assert {"run_id", "name", "status", "stop_reason", "batches", "final_loss", "floor", "created"} <= set(runs[0])
    assert runs[0]["status"] == "finished"
    assert main(["show", str(first["run_id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["epoch_means"]) == 2
    assert main(["show", "999"]) == 2 and "no such run" in capsys.readouterr().err
    assert main(["runs"]) == 0 and "finished" in capsys.readouterr().out


def test_presets_lists_claims(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "sigmoid-bce-uniform" in out and "0.5" in out


def test_seed_band_reports_each_copy(capsys, data_dir):
    out = run_json(capsys, *TINY, "--seeds", "4")
    assert len(out["copy_final_loss"]) == 4 and out["model_steps_per_s"] > out["batches_per_s"]
    assert len(set(out["copy_final_loss"])) == 4


def test_data_dir_flag(capsys, tmp_path):
    d = tmp_path / "elsewhere"
    assert main(["--data-dir", str(d), "run", *TINY]) == 0
    assert (d / "runs.sqlite").exists()


def test_ctrl_c_exits_130_and_stores_cancelled(tmp_path):
    env = {**os.environ, "AEGUI_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "aegui", "run", "--samples", "4096", "--epochs", "100000",
                             "--tol", "0", "--device", "cpu"], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr.readline().startswith(("epoch", "CUDA"))  # training has started
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    out = subprocess.run([sys.executable, "-m", "aegui", "runs", "--json"], capture_output=True, text=True, env=env)
    runs = json.loads(out.stdout)
    assert runs[0]["status"] == "cancelled" and runs[0]["stop_reason"] == "cancelled" and runs[0]["batches"] > 0


def test_grid_json(capsys, data_dir):
    assert main(["grid", *TINY, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cells = {(c["loss"], c["data"]): c for c in out["cells"]}
    assert set(cells) == {("mse", "uniform"), ("mse", "bernoulli"), ("bce", "uniform"), ("bce", "bernoulli")}
    assert cells[("bce", "uniform")]["floor"] == pytest.approx(0.5, abs=0.05)
    assert all("final_loss" in c for c in cells.values())
    for c in cells.values():  # gap is eval_loss − floor, and both are there to check it
        assert c["gap"] == pytest.approx(c["eval_loss"] - c["floor"])


def test_grid_refuses_invalid_cells_before_training(capsys, data_dir):
    assert main(["grid", *TINY, "--loss", "bce", "--data", "uniform,gaussian"]) == 2
    assert "cell bce × gaussian" in capsys.readouterr().err


def test_divergence_at_the_first_batch_is_reported_without_json(capsys, data_dir, monkeypatch):
    from aegui.core.config import losses
    real = losses.per_copy
    monkeypatch.setattr(losses, "per_copy", lambda kind, out, t: real(kind, out, t) * float("nan"))
    assert main(["run", *TINY]) == 0
    err = capsys.readouterr().err
    assert "diverged after 1 batches, final loss -" in err and "Traceback" not in err


def test_interrupt_outside_the_loop_still_stores_cancelled(capsys, data_dir, monkeypatch):
    from aegui.core.engine import training
    from aegui.core.engine.records import LossBlock
    real = training.train

    def interrupted(*args, **kwargs):
        for r in real(*args, **kwargs):
            yield r
            if isinstance(r, LossBlock):
                raise KeyboardInterrupt  # a second Ctrl-C arrives while the first is being honoured
    monkeypatch.setattr(training, "train", interrupted)
    assert main(["run", *TINY]) == 130
    capsys.readouterr()
    assert main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "cancelled"


def test_run_json_carries_floors_with_claims_and_the_gap_from_eval_loss(capsys, data_dir):
    out = run_json(capsys, "--preset", "sigmoid-bce-uniform", *TINY)
    names = {f["name"]: f for f in out["floors"]}
    assert names["data"]["claim"] == "lower bound" and names["model"]["claim"] == "exact"
    assert out["floor"] == names["model"]["value"] and out["floor_exact"] is True
    assert out["gap"] == pytest.approx(out["eval_loss"] - out["floor"])
    assert "nats" in out["why_not_zero"] and "left to the optimizer" in out["why_not_zero"]
    assert main(["show", str(out["run_id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["floors"] == out["floors"] and shown["eval_loss"] == pytest.approx(out["eval_loss"])


def test_a_nonlinear_bottleneck_gets_pca_as_a_reachable_value_not_a_bound(capsys, data_dir):
    # Hidden layers as wide as x contain the rank-2 affine map: PCA is reachable (an upper value), and the
    # run's floor and gap still measure from a bound only.
    out = run_json(capsys, "--model", "mlp", "--features", "4", "--encoding-dim", "2", *TINY)
    claims = {f["name"]: f["claim"] for f in out["floors"]}
    assert claims == {"data": "lower bound", "linear (PCA)": "reachable"}
    assert out["floor"] == 0.0 and out["floor_exact"] is False and out["gap"] == out["eval_loss"]


def test_run_prints_why_not_zero(capsys, data_dir):
    assert main(["run", "--preset", "sigmoid-bce-uniform", *TINY]) == 0
    err = capsys.readouterr().err
    assert "why not zero? Of " in err and "model floor" in err and "exact" in err


def test_data_card_of_a_file(capsys, tmp_path):
    import numpy as np
    path = tmp_path / "g.csv"
    np.savetxt(path, np.random.default_rng(0).standard_normal((50, 3)), delimiter=",")
    assert main(["data", str(path), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert (card["rows"], card["columns"]) == (50, 3) and card["bce_floor"] is None
    assert card["losses"]["mse"] == "" and "[0, 1]" in card["losses"]["bce"]
    assert [p["k"] for p in card["pca_floors"]] == [1, 2, 3] and card["pca_floors"][-1]["floor"] == 0.0
    assert main(["data", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def strict_json(text: str):
    """Parse text as JSON proper: the bare NaN / Infinity that Python's json writes are refused."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_safe_nulls_every_non_finite_number():
    import numpy as np

    from aegui.cli.common import json_text
    obj = {"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": np.float32("nan"),
           "d": np.array([1.0, np.nan]), "e": (np.int64(3), "NaN"), "f": None}
    assert strict_json(json_text(obj)) == {"a": None, "b": [None, None, 1.5], "c": None, "d": [1.0, None],
                                           "e": [3, "NaN"], "f": None}


def _store_nan_run(data_dir) -> int:
    """A stored seed-band run whose floor, final loss and one copy's loss are all NaN."""
    import numpy as np

    from aegui.core.config.config import RunConfig
    from aegui.core.floors.floors import Floor
    from aegui.core.store.store import RunStore
    from aegui.core.engine.records import RunEnd
    store = RunStore.open(str(data_dir))
    run_id = store.create_run(RunConfig(), device="cpu", floors=[Floor("data", float("nan"), "lower bound", "none")], copies=2)
    store.write_progress(run_id, 0, np.array([[0.5, np.nan], [np.inf, np.nan]], np.float32),
                         [(0, float("nan"), float("inf"), 2, 0.1)], 0.1)
    store.finish_run(run_id, "finished", "diverged",
                     RunEnd("diverged", 1, 2, float("nan"), float("nan"), 0.1, float("inf"), np.array([np.nan, 0.5])))
    store.close()
    return run_id


def test_runs_and_show_json_write_null_for_a_stored_nan(capsys, data_dir):
    run_id = _store_nan_run(data_dir)
    assert main(["runs", "--json"]) == 0
    (row,) = strict_json(capsys.readouterr().out)
    assert row["run_id"] == run_id and row["floor"] is None and row["final_loss"] is None
    assert row["copy_final_loss"] == [None, 0.5]
    assert main(["show", str(run_id), "--json"]) == 0
    shown = strict_json(capsys.readouterr().out)
    assert shown["epoch_means"] == [None] and shown["recent_means"] == [None] and shown["floor"] is None


def test_run_and_grid_json_write_null_for_a_diverged_loss(capsys, data_dir, monkeypatch):
    from aegui.core.config import losses
    real = losses.per_copy
    monkeypatch.setattr(losses, "per_copy", lambda kind, out, t: real(kind, out, t) * float("inf"))
    assert main(["run", *TINY, "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["stop_reason"] == "diverged" and out["final_loss"] is None
    assert main(["grid", *TINY, "--loss", "mse", "--data", "uniform", "--json"]) == 0
    (cell,) = strict_json(capsys.readouterr().out)["cells"]
    assert cell["final_loss"] is None


def test_runs_cuts_a_long_name_in_the_middle_keeping_its_end():
    from aegui.cli.history import fit_name
    cut = fit_name("question-relu-bce-uniform-long (2)", 28)
    assert len(cut) == 28 and cut.endswith("long (2)") and cut.startswith("question-relu") and "…" in cut
    assert fit_name("short", 28) == "short"

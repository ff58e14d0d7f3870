"""Hostile inputs (issue 10, F4, F5, F7, F8 and the small ones): absurd sizes are refused before any allocation,
every error is one line with exit 2 (input) or 1 (environment), and nothing stored is lost."""

import json
import os
import sqlite3
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from aegui import cli
from aegui.core.data import data as data_mod
from aegui.core.engine import memory
from aegui.core.config.config import ConfigError, RunConfig, with_changes
from aegui.core.config.config_io import from_json
from aegui.core.engine.training import prepare


def _one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line]
    assert "Traceback" not in err and lines and lines[-1].startswith("error:"), err
    return lines[-1]


@pytest.fixture
def no_allocation(monkeypatch):
    """Fail the test if data is generated or read: the guard must refuse first."""
    def refuse(*a, **k):
        raise AssertionError("data was built before the memory guard refused")
    monkeypatch.setattr(data_mod, "generate", refuse)
    monkeypatch.setattr(data_mod, "_load_csv", refuse)
    monkeypatch.setattr(data_mod, "_load_npy", refuse)


@pytest.mark.parametrize("flags", [
    ["--seeds", "64", "--features", "10000", "--samples", "100", "--batch-size", "100"],
    ["--model", "mlp", "--depth", "64", "--hidden", "10000", "--features", "10000", "--samples", "100",
     "--batch-size", "100"]])
def test_f4_runs_needing_more_than_the_budget_are_refused_with_the_estimate(tmp_path, capsys, no_allocation, flags):
    code = cli.main(["run", *flags, "--max-memory", "16G", "--data-dir", str(tmp_path)])
    line = _one_error_line(capsys.readouterr().err)
    assert code == 2 and "model" in line and "over the budget of 17.2 GB (--max-memory)" in line
    assert not (tmp_path / "runs.sqlite").exists() or sqlite3.connect(tmp_path / "runs.sqlite").execute(
        "SELECT count(*) FROM runs").fetchone()[0] == 0  # nothing stored


def test_f4_the_default_budget_is_half_the_physical_memory_and_the_estimate_counts_copies():
    assert memory.default_budget() == memory.physical_memory() // 2
    cfg = with_changes(RunConfig(), **{"data.features": 10000, "data.samples": 100, "training.batch_size": 100})
    one, many = memory.estimate(cfg, 1), memory.estimate(cfg, 64)
    assert one.model == 2 * (10000 * 10000 + 10000) * 4 * 4 + 2 * 0  # weights, grads, Adam's two states
    assert many.model == 64 * one.model and many.total > 200e9


def test_f4_wide_csv_is_refused_like_features_and_before_it_is_read(tmp_path, no_allocation):
    f = tmp_path / "wide.csv"
    f.write_text(",".join(["1"] * 10_001) + "\n")
    with pytest.raises(ConfigError, match="at most 10,000 features"):
        prepare(with_changes(RunConfig(), **{"data.kind": "file", "data.file": str(f)}))
    huge = tmp_path / "huge.csv"
    with open(huge, "w") as fh:  # 40 MB, 20 M columns on one line
        fh.write("1," * 20_000_000 + "1\n")
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="more than 10,000 columns"):
        data_mod.file_shape(str(huge))
    assert time.perf_counter() - t0 < 1.0  # the first megabyte decides


def test_f4_npy_header_claiming_100000_squared_is_refused_from_its_228_bytes(tmp_path, no_allocation):
    f = tmp_path / "claims.npy"
    with open(f, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (100000, 100000)})
        fh.write(b"\0" * 100)
    with pytest.raises(ConfigError, match="truncated or damaged"):
        prepare(with_changes(RunConfig(), **{"data.kind": "file", "data.file": str(f)}))


def test_f4_csv_parsing_costs_at_most_16_bytes_per_value(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((20_000, 50))
    f = tmp_path / "m.csv"
    np.savetxt(f, x, delimiter=",", fmt="%.7f", header="a," * 49 + "b", comments="")
    tracemalloc.start()
    try:
        got = data_mod.load_file(str(f))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, x, atol=1e-6)
    assert peak / x.size <= 16, f"{peak / x.size:.1f} bytes per value"


@pytest.mark.parametrize("make,needle", [
    (lambda p: os.mkfifo(p), "a FIFO (named pipe)"), (lambda p: os.mkdir(p), "a directory"),
    (None, "a character device")])
def test_a_fifo_a_directory_or_a_device_is_named_as_what_it_is(tmp_path, capsys, make, needle):
    path = str(tmp_path / "x.csv")
    if make is None:
        path = "/dev/zero"
    else:
        make(path)
    assert cli.main(["run", "--file", path, "--data-dir", str(tmp_path / "d")]) == 2  # a FIFO is never opened
    assert needle in _one_error_line(capsys.readouterr().err)


def test_a_file_that_is_not_data_is_never_echoed(tmp_path, capsys):
    f = tmp_path / "passwd"
    f.write_text("root:x:0:0:root:/root:/bin/bash\nsecret-line:x:1:1::/:/bin/sh\n")
    assert cli.main(["run", "--file", str(f), "--data-dir", str(tmp_path / "d")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "line 2, column 1 is not a number" in line and "secret" not in line


@pytest.mark.parametrize("text,needle", [
    ('{"data": {"samples": ' + "9" * 5000 + "}}", "a number of 5,000 characters"),
    ('{"data": {"samples": ' + "[" * 100 + "]" * 100 + "}}", "nested more than 32 levels"),
    ('{"data": {"samples": [[[[1]]]]}}', "data.samples = [[[[1]]]]: must be a whole number")])
def test_f5_hostile_configs_are_one_line_exit_2(tmp_path, capsys, text, needle):
    f = tmp_path / "c.json"
    f.write_text(text)
    assert cli.main(["run", "--config", str(f), "--data-dir", str(tmp_path / "d")]) == 2
    assert needle in _one_error_line(capsys.readouterr().err)


def test_f5_a_csv_of_nul_bytes_and_an_absurd_run_id_are_one_line_exit_2(tmp_path, capsys):
    f = tmp_path / "nul.csv"
    f.write_bytes(b"\0" * 4096)
    assert cli.main(["run", "--file", str(f), "--data-dir", str(tmp_path / "d")]) == 2
    assert "holds no numeric rows" in _one_error_line(capsys.readouterr().err)
    assert cli.main(["show", "99999999999999999999999", "--data-dir", str(tmp_path / "d")]) == 2
    assert "no such run" in _one_error_line(capsys.readouterr().err)
    assert cli.main(["export", "99999999999999999999999", "--out", str(tmp_path / "x.png"),
                     "--data-dir", str(tmp_path / "d")]) == 2
    assert "no such run" in _one_error_line(capsys.readouterr().err)


HOLD = "import sqlite3,sys; db=sqlite3.connect(sys.argv[1], isolation_level=None); db.execute('BEGIN IMMEDIATE'); " \
       "print('held', flush=True); sys.stdin.readline()"


def test_f5_a_write_lock_held_elsewhere_says_waiting_then_gives_up_with_exit_1(tmp_path, tiny):
    from aegui.core.store.store import RunStore
    store = RunStore.open(tmp_path)
    store.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "runs.sqlite")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"  # held for as long as the test wants: 25 s or more
        env = {**os.environ, "AEGUI_LOCK_TIMEOUT": "2"}
        out = subprocess.run([sys.executable, "-m", "aegui", "run", "--samples", "256", "--epochs", "1",
                              "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120, env=env)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert out.returncode == 1 and "waiting for the store (held by another aegui)" in out.stderr
    assert "gave up after 2 s" in _one_error_line(out.stderr)
    assert len(RunStore.open(tmp_path).list_runs()) == 0  # nothing half-stored


def test_f8_grid_out_is_checked_before_any_training(tmp_path, capsys, monkeypatch):
    import aegui.cli.train as train
    monkeypatch.setattr(train, "train_and_store", lambda *a, **k: pytest.fail("trained before --out was checked"))
    for out, needle in ((tmp_path / "nowhere" / "g.png", "does not exist"), (tmp_path / "g.txt", "must end in")):
        assert cli.main(["grid", "--samples", "256", "--epochs", "1", "--out", str(out),
                         "--data-dir", str(tmp_path / "d")]) == 2
        assert needle in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "d" / "runs.sqlite").exists()  # exit 2: nothing stored, the store not even opened


def test_export_out_is_checked_before_the_store_is_read_and_stale_parts_are_swept(tmp_path, capsys):
    from aegui.gui.figures.atomic import check_out
    old, fresh, other = (tmp_path / ".g.png.aegui-abcd1234.part", tmp_path / ".g.png.aegui-efgh5678.part",
                         tmp_path / "keep.part")
    users = tmp_path / ".notes.txt.Draft_v2.part"  # a user's draft, two hours old: issue 18 saw it deleted
    for p in (old, fresh, other, users):
        p.write_bytes(b"x" * 100)
    for p in (old, other, users):
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    check_out(tmp_path / "g.png", (".png",))
    assert not old.exists() and fresh.exists() and other.exists()  # only atomic_write's own, and only stale ones
    assert users.exists()
    assert cli.main(["export", "1", "--out", str(tmp_path / "no" / "x.png"), "--data-dir", str(tmp_path / "d")]) == 2
    assert "does not exist" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "d").exists()


def _store_one_run(folder, config) -> None:
    """Train config and store it in the store in folder, as `aegui run` would."""
    from aegui.core.store.recorder import RunRecorder
    from aegui.core.store.store import RunStore
    from aegui.core.engine.training import train
    store = RunStore.open(folder)
    rec = RunRecorder(store)
    for r in train(config):
        rec.feed(r)
    store.close()


def test_names_with_control_characters_are_printed_escaped(tmp_path, capsys, tiny):
    _store_one_run(tmp_path, with_changes(tiny, name="evil\x1b[2J\nsecond line\x07"))
    for args in (["runs"], ["show", "1"]):
        assert cli.main([*args, "--data-dir", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "evil\\x1b[2J\\nsecond" in out


def test_f7_a_crafted_svg_is_parsed_in_linear_time(tmp_path):
    from aegui.gui.figures.export import ExportError, read_figure
    f = tmp_path / "crafted.svg"
    opener = b'<metadata id="aegui-runs"><![CDATA['
    f.write_bytes(b"<svg>" + opener * (64 * 2**20 // len(opener) - 1))  # 64 MB of unterminated openers
    t0 = time.perf_counter()
    with pytest.raises(ExportError, match="no aegui metadata"):
        read_figure(f)
    assert time.perf_counter() - t0 < 1.0


def test_figure_json_is_depth_limited_and_never_echoed(tmp_path):
    from aegui.gui.figures.export import ExportError, read_figure
    f = tmp_path / "nested.svg"
    f.write_bytes(b'<svg><metadata id="aegui-runs"><![CDATA[' + b"[" * 100_000 + b"]]></metadata></svg>")
    with pytest.raises(ExportError, match="nested more than") as err:
        read_figure(f)
    assert "[[" not in str(err.value)


def test_aegui_figure_lists_the_runs_a_figure_carries(tmp_path, capsys, tiny):
    _store_one_run(tmp_path, with_changes(tiny, name="for the figure"))
    svg = tmp_path / "f.svg"
    assert cli.main(["export", "1", "--out", str(svg), "--data-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert cli.main(["figure", str(svg), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["name"] for r in runs] == ["for the figure"] and from_json(json.dumps(runs[0]["config"]))
    assert cli.main(["figure", str(svg)]) == 0 and "for the figure" in capsys.readouterr().out
    assert cli.main(["figure", str(tmp_path / "missing.svg")]) == 2
    _one_error_line(capsys.readouterr().err)

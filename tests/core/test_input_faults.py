"""Input read wrong, or refused with the wrong exit code (issue 18, points 8, 15, 16): every data row is read
or refused by line; hostile paths, headers and files whose size lies exit 2 in one line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from aegui import cli
from aegui.core import data as data_mod
from aegui.core.datacard import file_card


def _csv(tmp_path, raw: bytes, name="d.csv"):
    p = tmp_path / name
    p.write_bytes(raw)
    return str(p)


def _error(capsys, argv) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_a_utf8_bom_is_read_as_encoding_and_every_row_kept(tmp_path):
    path = _csv(tmp_path, b"\xef\xbb\xbf0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    np.testing.assert_allclose(data_mod.load_file(path), [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], rtol=1e-6)


def test_an_unparsable_first_row_is_refused_with_its_line_not_dropped(tmp_path, capsys):
    path = _csv(tmp_path, b"0.1,0.2x\n0.3,0.4\n")
    err = _error(capsys, ["data", path])
    assert "line 1, column 2 is not a number" in err


def test_a_text_header_is_skipped_and_named_as_one(tmp_path, capsys):
    path = _csv(tmp_path, b"width,height\n0.3,0.4\n0.5,0.6\n")
    card = file_card(path)
    assert card.rows == 2 and any("line 1 is a header" in line for line in card.lines())
    assert cli.main(["data", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == [
        "line 1 is a header (no cell is a number): it was not read as data"]


@pytest.mark.parametrize("raw", [b"1,2\r3,4\r5,6\r", b"1,2\r3,4\r5,6", b"1,2\r\n3,4\r\n5,6\r\n", b"1,2\n3,4\r5,6"])
def test_cr_only_and_mixed_line_endings_are_read_as_rows(tmp_path, raw):
    np.testing.assert_array_equal(data_mod.load_file(_csv(tmp_path, raw)), [[1, 2], [3, 4], [5, 6]])


def test_an_npy_header_with_a_boolean_shape_is_exit_2(tmp_path, capsys):
    import io
    buf = io.BytesIO()
    np.save(buf, np.zeros((3, 2), np.float32))
    (tmp_path / "b.npy").write_bytes(buf.getvalue().replace(b"(3, 2), ", b"(True, 2),"))
    assert "damaged .npy header" in _error(capsys, ["data", str(tmp_path / "b.npy")])


def test_a_nul_byte_in_data_file_is_exit_2(tmp_path, capsys, data_dir):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"data": {"kind": "file", "file": "/tmp/a\x00b.csv"}}))
    assert "contains a NUL byte" in _error(capsys, ["run", "--config", str(cfg)])


def test_proc_pagemap_is_refused_at_once():
    # Size 0, yet endless: before the fix `aegui data` read it forever.
    proc = subprocess.run([sys.executable, "-m", "aegui", "data", "/proc/self/pagemap"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.returncode == 2 and "pseudo-file" in proc.stderr, proc.stderr


def test_a_file_holding_more_than_its_size_is_refused_unread(tmp_path):
    path = _csv(tmp_path, b"1,2\n" * 1000)
    with pytest.raises(data_mod.DataError, match="holds more than the 40 bytes its size says"):
        data_mod._csv_shape(path, 40)  # what a pseudo-file whose stat size lies looks like


def test_the_part_sweep_removes_only_what_aegui_provably_wrote(tmp_path):
    import time
    from aegui.gui.figures.atomic import check_out
    from .test_hostile_inputs import _dead_pid
    mine = tmp_path / f".aegui-{_dead_pid()}-g.png.abcd1234.part"  # a killed aegui's leftover
    alive = tmp_path / f".aegui-{os.getpid()}-g.png.abcd1234.part"  # a writer still running
    users = [tmp_path / ".notes.txt.Draft_v2.part", tmp_path / ".g.png.abcd1234.part"]
    for p in (mine, alive, *users):
        p.write_bytes(b"x")
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    check_out(tmp_path / "g.png", (".png",))
    assert not mine.exists() and alive.exists() and all(p.exists() for p in users)


def test_export_onto_a_full_disk_is_exit_1_in_one_line(tmp_path, capsys, monkeypatch, tiny):
    import errno
    from aegui.gui.figures import export_csv
    from .test_hostile_inputs import _store_one_run
    _store_one_run(tmp_path / "d", tiny)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(export_csv.csv, "writer", full)
    assert cli.main(["export", "1", "--out", str(tmp_path / "c.csv"), "--data-dir", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot write") and "No space left" in err and len(err.splitlines()) == 1
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]


def test_a_lone_surrogate_in_a_name_is_exit_2(capsys, data_dir):
    err = _error(capsys, ["run", "--name", "a\udcffb", "--epochs", "1"])  # `--name $'a\xffb'` in a UTF-8 shell
    assert err.startswith("error: name = ") and "not valid Unicode" in err
    assert not (data_dir / "runs.sqlite").exists()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_runs_show_and_presets_print_under_any_output_encoding(tmp_path, tiny, encoding):
    from aegui.core.config import with_changes
    from .test_hostile_inputs import _store_one_run
    _store_one_run(tmp_path, with_changes(tiny, name="π ≥ ü"))
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "PYTHONIOENCODING": encoding}
    for argv in (["runs", "--data-dir", str(tmp_path)], ["show", "1", "--data-dir", str(tmp_path)], ["presets"]):
        proc = subprocess.run([sys.executable, "-m", "aegui", *argv], capture_output=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert (b"\\u2192" if argv == ["presets"] else b"\\u03c0") in proc.stdout  # escaped, never a stop


@pytest.mark.parametrize("name,raw", [("over.csv", b"1e39,2\n3,4\n"), ("over.npy", None)])
def test_values_beyond_float32_are_a_message_not_a_warning(tmp_path, name, raw):
    path = tmp_path / name
    if raw is None:
        np.save(path, np.array([[1e300, 2.0], [3.0, 4.0]]))
    else:
        path.write_bytes(raw)
    proc = subprocess.run([sys.executable, "-W", "default", "-m", "aegui", "data", str(path)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=120)
    assert proc.returncode == 2 and "RuntimeWarning" not in proc.stderr
    assert proc.stderr.strip().endswith("row 1, column 1 is infinite, or beyond float32's range (±3.4e38); "
                                        "every value must be finite")


@pytest.mark.parametrize("argv,needle", [
    (["--epochs", "1_0"], "--epochs: invalid int value: '1_0'"),
    (["--lr", "1_0.5"], "--lr: invalid float value: '1_0.5'"),
    (["--seeds", "1_0"], "--seeds: invalid int value: '1_0'"),
])
def test_digit_separators_are_not_numbers(capsys, data_dir, argv, needle):
    assert needle in _error(capsys, ["run", *argv])


@pytest.mark.parametrize("text,needle", [
    ('{"schema": true}', "schema = True: this aegui reads schema 1"),
    ('{"schema": 1.0}', "schema = 1.0: this aegui reads schema 1"),
    ('{"training": {"epochs": 3, "epochs": 5}}', "repeats the key 'epochs' in one object"),
    ('{"name": "a", "name": "b"}', "repeats the key 'name' in one object"),
])
def test_config_files_refuse_a_boolean_schema_and_repeated_keys(tmp_path, capsys, data_dir, text, needle):
    cfg = tmp_path / "c.json"
    cfg.write_text(text)
    assert needle in _error(capsys, ["run", "--config", str(cfg)])

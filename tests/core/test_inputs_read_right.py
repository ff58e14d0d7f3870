"""Input read right, or refused with exit 2 and the field named (issue 18, points 8, 14-16)."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from aegui import cli
from aegui.core.data.data import load_file
from aegui.core.engine.datacard import file_card


def _err(capsys) -> str:
    return capsys.readouterr().err


def test_a_utf8_bom_is_encoding_not_a_dropped_first_row(tmp_path):
    f = tmp_path / "excel.csv"
    f.write_bytes(b"\xef\xbb\xbf0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    x = load_file(str(f))
    assert x.shape == (3, 2) and np.allclose(x[0], [0.1, 0.2])


def test_an_unparsable_first_row_is_named_not_dropped_and_a_header_is_named_as_one(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("0.1,0.2x\n0.3,0.4\n0.5,0.6\n")
    assert cli.main(["data", str(bad)]) == 2
    assert "line 1, column 2 is not a number" in _err(capsys)
    named = tmp_path / "named.csv"
    named.write_text("a,b\n0.3,0.4\n0.5,0.6\n")
    card = file_card(str(named))
    assert card.rows == 2 and card.header == "a,b"
    assert any("header" in line and "a,b" in line for line in card.lines())


def test_cr_only_line_ends_are_rows(tmp_path):
    f = tmp_path / "mac.csv"
    f.write_bytes(b"0.1,0.2\r0.3,0.4\r0.5,0.6\r")
    assert load_file(str(f)).shape == (3, 2)


def test_digit_separators_and_overflow_are_refused_by_name_without_a_warning(tmp_path, capsys):
    us = tmp_path / "us.csv"
    us.write_text("0.3,0.4\n1_0,0.6\n")
    assert cli.main(["data", str(us)]) == 2
    assert "line 2, column 1 is not a number" in _err(capsys)
    big = tmp_path / "big.csv"
    big.write_text("0.3,0.4\n1e39,0.6\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was: a RuntimeWarning with its source line
        assert cli.main(["data", str(big)]) == 2
    assert "row 2, column 1 is inf" in _err(capsys)


def test_an_npy_header_with_a_bool_in_its_shape_exits_2(tmp_path, capsys):
    good = tmp_path / "t.npy"
    np.save(good, np.zeros((3, 2), np.float32))
    bad = tmp_path / "tb.npy"
    bad.write_bytes(good.read_bytes().replace(b"(3, 2)", b"(True, 2)"))
    assert cli.main(["data", str(bad)]) == 2
    assert "whole-number sizes" in _err(capsys)


@pytest.mark.parametrize("doc, needle", [
    ({"schema": True}, "schema = True"),
    ({"data": {"kind": "file", "file": "a\u0000b"}}, "NUL byte"),
    ({"name": "x\udc80y"}, "lone surrogate"),
])
def test_config_values_no_store_can_take_exit_2(tmp_path, capsys, data_dir, doc, needle):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    assert cli.main(["run", "--config", str(f), "--epochs", "1"]) == 2
    assert needle in _err(capsys)


def test_duplicate_json_keys_are_an_input_error(tmp_path, capsys, data_dir):
    f = tmp_path / "c.json"
    f.write_text('{"name": "a", "name": "b"}')
    assert cli.main(["run", "--config", str(f), "--epochs", "1"]) == 2
    assert "'name' twice" in _err(capsys)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_runs_show_and_presets_print_under_a_narrow_encoding(tmp_path, encoding):
    env = dict(os.environ, AEGUI_DATA_DIR=str(tmp_path / "d"), PYTHONPATH=os.pathsep.join(sys.path))
    run = [sys.executable, "-m", "aegui"]
    subprocess.run(run + ["run", "--samples", "256", "--epochs", "1", "--device", "cpu", "--name", "café ☕"],
                   env=env, check=True, capture_output=True, timeout=300)
    env["PYTHONIOENCODING"] = encoding
    for argv in (["runs"], ["show", "1"], ["presets"]):
        out = subprocess.run(run + argv, env=env, capture_output=True, timeout=120)
        assert out.returncode == 0 and b"caf" in out.stdout + (b"caf" if argv == ["presets"] else b""), out.stderr
        assert b"Traceback" not in out.stderr


@pytest.mark.skipif(not os.path.exists("/proc/self/pagemap"), reason="Linux's /proc")
def test_a_pseudo_file_that_says_it_is_empty_is_refused_at_once(capsys):
    assert cli.main(["data", "/proc/self/pagemap"]) == 2  # it never ended
    assert "empty" in _err(capsys)


def test_export_onto_a_full_disk_is_the_environments_fault_exit_1(tmp_path, capsys, data_dir, monkeypatch):
    import errno

    from aegui.gui.figures import atomic
    assert cli.main(["run", "--samples", "256", "--epochs", "1", "--device", "cpu"]) == 0

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(atomic.os, "replace", full)
    assert cli.main(["export", "1", "--out", str(tmp_path / "f.csv")]) == 1
    assert "No space left" in _err(capsys) and not (tmp_path / "f.csv").exists()

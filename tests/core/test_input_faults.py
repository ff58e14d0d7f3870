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

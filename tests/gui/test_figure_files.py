"""Issues 16 and 18.7: figure files that are not regular files are refused at once, one PNG width limit,
and a rerun from a figure keeps the runs' names."""

import os
import threading
import time

import pytest

from aegui.cli import main
from aegui.core.store.store import RunStore
from aegui.gui.figures import export
from aegui.gui.figures.open_figure import FigureDialog
from aegui.gui.figures.render import MAX_WIDTH, MIN_WIDTH
from tests.gui.fixtures_runs import decaying, synthetic, tiny


def _unblock_later(path):
    """Open the FIFO for writing after 5 s, so a reader that blocked is freed and the test fails, not hangs."""
    def later():
        time.sleep(5)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
    threading.Thread(target=later, daemon=True).start()


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fig.png"
    os.mkfifo(path)
    _unblock_later(path)
    return path


def test_cli_figure_refuses_a_fifo_at_once(fifo, capsys):
    t0 = time.perf_counter()
    assert main(["figure", str(fifo)]) == 2
    assert time.perf_counter() - t0 < 2.0
    assert "not a regular file" in capsys.readouterr().err


def test_cli_figure_refuses_a_symlink_to_dev_zero(tmp_path, capsys):
    link = tmp_path / "zero.svg"
    link.symlink_to("/dev/zero")
    t0 = time.perf_counter()
    assert main(["figure", str(link)]) == 2
    err = capsys.readouterr().err
    assert time.perf_counter() - t0 < 2.0 and "not a regular file" in err and "--max-memory" not in err


def test_open_figure_dialog_refuses_a_fifo_without_blocking(qtbot, fifo):
    t0 = time.perf_counter()
    d = FigureDialog(fifo)
    qtbot.addWidget(d)
    assert time.perf_counter() - t0 < 2.0
    assert "not a regular file" in d.message.text() and d.table.rowCount() == 0


@pytest.mark.parametrize("width", [MIN_WIDTH - 50, MAX_WIDTH + 1])
def test_export_width_has_one_limit_checked_before_any_work(tmp_path, capsys, width, data_dir):
    store = RunStore(data_dir / "runs.sqlite")
    run_id = synthetic(store, tiny("mse"), decaying(50, 0.0) + 1e-3, 0.0)
    store.close()
    out = tmp_path / "f.png"
    assert main(["export", str(run_id), "--out", str(out), "--width", str(width)]) == 2
    err = capsys.readouterr().err
    assert f"from {MIN_WIDTH} to {MAX_WIDTH}" in err and not out.exists()


def test_export_at_the_smallest_width_renders(tmp_path, data_dir):
    store = RunStore(data_dir / "runs.sqlite")
    run_id = synthetic(store, tiny("mse"), decaying(50, 0.0) + 1e-3, 0.0)
    store.close()
    out = tmp_path / "f.png"
    assert main(["export", str(run_id), "--out", str(out), "--width", str(MIN_WIDTH)]) == 0 and out.stat().st_size


def test_rerun_from_a_figure_keeps_the_runs_names(qtbot, tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = synthetic(store, tiny("mse"), decaying(50, 0.0) + 1e-3, 0.0)
    store.rename(run_id, "my renamed run")  # the row's name, not the config's
    row = store.get_run(run_id)
    path = export.save_comparison([(row, store.losses(run_id))], tmp_path / "f.svg")
    store.close()
    d = FigureDialog(path)
    qtbot.addWidget(d)
    with qtbot.waitSignal(d.sigRerun, timeout=2000) as blocker:
        d.rerun_button.click()
    assert blocker.args[0].name == row.name and row.name


def test_default_file_names_are_cut_between_whole_names():
    from aegui.gui.file_dialogs import MAX_STEM, stem_for
    names = ["question relu bce uniform", "linear mse bernoulli stall", "linear bce uniform line"]
    stem = stem_for(names)
    assert len(stem) <= MAX_STEM and not stem.endswith("_vs_line")
    for piece in stem.replace("_and_", "_vs_").split("_vs_"):
        assert piece in {"question-relu-bce-uniform", "linear-mse-bernoulli-stall", "linear-bce-uniform-line"} \
            or piece.endswith("_more") or piece[:1].isdigit()
    assert stem_for(["a", "b", "c", "d", "e"]) == "a_vs_b_vs_c_and_2_more"

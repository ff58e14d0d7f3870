"""Issue 16: saved comparisons show whole runs, at journal sizes (8–9 pt text), as PNG, SVG and PDF, with
both floors labelled, one precision rule, no duplicated ticks and lines that other SVG renderers draw alike."""

import re

import numpy as np
import pytest
from PySide6 import QtGui

from aegui.core.store import RunStore
from aegui.gui.figures import export
from aegui.gui.figures.layout import build_figure
from aegui.gui.figures.render import with_widget
from tests.gui.fixtures_runs import decaying, synthetic, tiny


@pytest.fixture
def short_long(tmp_path):
    """An MSE run of 705 batches and two BCE runs of 4,700: the short one in a panel of its own."""
    store = RunStore(tmp_path / "runs.sqlite")
    ids = [synthetic(store, tiny("mse", name="short mse"), decaying(705, 0.0) + 1e-3, 0.0),
           synthetic(store, tiny("bce", name="long bce"), decaying(4700), 0.5),
           synthetic(store, tiny("bce", "bernoulli", name="long bernoulli"), np.geomspace(0.7, 3e-5, 4700), 0.0)]
    yield [(store.get_run(i), store.losses(i)) for i in ids]
    store.close()


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 2, 0)])
def test_every_panel_shows_the_longest_run_whole(qapp, short_long, order):
    pairs = [short_long[i] for i in order]

    def check(fig):
        for plot in fig.panels:
            lo, hi = plot.plot_item.vb.viewRange()[0]
            assert lo <= 0 and 4699 <= hi < 4699 * 1.1
    with_widget(lambda: build_figure(pairs, None), check)


def _x_ticks(svg: str) -> set[str]:
    return set(re.findall(r">(\d{3,4})</text>", svg))


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 2, 0)])
def test_saved_svg_and_png_reach_the_end_of_the_longest_run(short_long, tmp_path, order):
    pairs = [short_long[i] for i in order]
    svg = export.save_comparison(pairs, tmp_path / "f.svg").read_text(encoding="utf-8")
    assert "4000" in _x_ticks(svg) and "4500" in _x_ticks(svg)
    png = export.save_comparison(pairs, tmp_path / "f.png", width=800)
    image = QtGui.QImage(str(png))
    assert image.width() == 800

"""Issue 12: saved figures fit for a paper: 3 significant digits, a title, legends outside the data, a panel per
loss unit sharing x, a y range that shows a flat stall, and a small SVG with one path per curve and CSS fonts."""

import re

import numpy as np
import pytest
from PySide6 import QtWidgets

from aegui.core.store.store import RunStore
from aegui.gui.figures import export
from aegui.gui.figures.layout import MIN_LOG_SPAN, build_figure, caption_html
from aegui.gui.figures.render import FONT_STACK, with_widget
from tests.gui.fixtures_runs import synthetic, tiny

N = 5000


@pytest.fixture
def mixed(tmp_path):
    """MSE to 1e-12, a flat BCE stall at 0.5 and BCE on Bernoulli to 1e-5: 5,000 batches each."""
    store = RunStore(tmp_path / "runs.sqlite")
    rng = np.random.default_rng(0)
    ids = [synthetic(store, tiny("mse", name="mse"), np.geomspace(0.1, 1e-12, N) * (1 + 0.05 * rng.random(N)), 0.0),
           synthetic(store, tiny("bce", name="bce stall"), 0.5 + 3e-5 + 1e-6 * rng.random(N), 0.5),
           synthetic(store, tiny("bce", "bernoulli", name="bce bern"), np.geomspace(0.7, 1e-5, N), 0.0)]
    yield [(store.get_run(i), store.losses(i)) for i in ids]
    store.close()


def test_caption_prints_three_significant_digits(mixed):
    row = mixed[1][0]
    row = type(row)(**{**row.__dict__, "final_loss": 2.986e-05})
    text = caption_html([(row, None)], 20)
    assert "final loss 2.99e-05" in text and "0.0000" not in text and "floor 0.500 (exact)" in text


def test_mixed_units_get_a_panel_each_sharing_x_with_a_title_and_legends_outside(qapp, mixed):
    def check(fig):
        top, bottom = fig.panels
        assert top.plot_item.getAxis("left").labelText == "loss (mean squared error)"
        assert bottom.plot_item.getAxis("left").labelText == "loss (nats)"
        # Shared x: the same range on every panel, axes of one width so the scales line up.
        assert top.plot_item.vb.viewRange()[0] == bottom.plot_item.vb.viewRange()[0]
        assert top.plot_item.vb.sceneBoundingRect().left() == bottom.plot_item.vb.sceneBoundingRect().left()
        for plot in fig.panels:
            data = plot.plot_item.vb.sceneBoundingRect()
            assert not plot.legend.sceneBoundingRect().intersects(data) and plot.legend.items
        titles = [w.text() for w in fig.findChildren(QtWidgets.QLabel) if w.text().startswith("Training loss")]
        assert titles and titles[0] == "Training loss: mse, bce stall and bce bern"  # in words, no ids
    with_widget(lambda: build_figure(mixed, None), check)


def test_a_flat_stall_keeps_room_above_and_below(qapp, mixed):
    def check(fig):
        plot, = fig.panels
        lo, hi = plot.plot_item.vb.viewRange()[1]
        y = np.log10(0.5)
        assert hi - lo >= MIN_LOG_SPAN and lo + 0.05 * (hi - lo) < y < hi - 0.05 * (hi - lo)
    with_widget(lambda: build_figure(mixed[1:2], None), check)


def test_svg_is_small_with_one_path_per_curve_css_fonts_and_text(mixed, tmp_path):
    out = export.save_comparison(mixed, tmp_path / "fig.svg")
    text = out.read_text(encoding="utf-8")
    assert len(text.encode()) < 300_000
    assert text.count("<polyline") < 1000 and text.count("<path") <= 3 * len(mixed)
    fonts = set(re.findall(r'font-family="([^"]*)"', text))
    assert fonts == {FONT_STACK} and "sans-serif" in FONT_STACK
    assert "Training loss" in text and "bce stall" in text  # text stays text

"""Issue 16: saved comparisons show whole runs, at journal sizes (8–9 pt text), as PNG, SVG and PDF, with
both floors labelled, one precision rule, no duplicated ticks and lines that other SVG renderers draw alike."""

import re

import numpy as np
import pytest
from PySide6 import QtGui

from aegui.core.store.store import RunStore
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


# ---------------------------------------------------------------- journal sizes, PDF, SVG renderers

import shutil  # noqa: E402
import subprocess  # noqa: E402

from PySide6 import QtCore, QtWidgets  # noqa: E402

from aegui.cli import main  # noqa: E402
from aegui.core.floors.floors import Floor  # noqa: E402


@pytest.fixture
def lesson(tmp_path):
    """BCE on uniform data with both floors (data entropy 0.5004, model 0.5054) and an 8-seed MSE band."""
    store = RunStore(tmp_path / "runs.sqlite")
    bce = synthetic(store, tiny("bce", name="bce uniform"), decaying(3000, 0.5054), 0.5054)
    store.set_floors(bce, [Floor("data", 0.5004, "lower bound", "entropy"), Floor("model", 0.5054, "exact", "t")])
    rng = np.random.default_rng(1)
    band = synthetic(store, tiny("mse", name="mse band", **{"training.seed": 3}),
                     np.geomspace(0.2, 1e-6, 3000)[:, None] * (1 + 0.2 * rng.random((3000, 8))), 0.0)
    yield [(store.get_run(i), store.losses(i)) for i in (bce, band)]
    store.close()


def _pt(widget) -> float:
    return widget.font().pointSizeF()


def test_a_column_figure_is_3_5_inches_with_8_to_9_pt_text(qapp, lesson):
    def check(fig):
        dpi = fig.logicalDpiX()
        assert fig.width() == round(3.5 * dpi)
        labels = fig.findChildren(QtWidgets.QLabel)
        title = next(w for w in labels if w.text().startswith("Training loss"))
        caption = labels[-1]
        for w in (title, caption):
            size = w.fontInfo().pointSizeF()
            assert 8 <= size <= 9, (w.text()[:30], size)
            assert w.width() >= fig.width() - 2 * fig.paper_style.margin - 1  # wraps at the full width
        for plot in fig.panels:
            assert 8 <= plot.plot_item.getAxis("left").style["tickFont"].pointSizeF() <= 9
            assert all(8 <= float(label.opts["size"].rstrip("pt")) <= 9 for _, label in plot.legend.items)
    with_widget(lambda: build_figure(lesson, None, "column"), check)


def test_a_column_png_is_written_at_its_dpi(lesson, tmp_path):
    out = export.save_comparison(lesson, tmp_path / "c.png", size="column", dpi=300)
    image = QtGui.QImage(str(out))
    assert image.width() == 1050 and abs(image.dotsPerMeterX() * 0.0254 - 300) < 1
    two = QtGui.QImage(str(export.save_comparison(lesson, tmp_path / "t.png", size="two-column", dpi=300)))
    assert two.width() == 2160


def test_pdf_is_vector_with_embedded_fonts_at_column_width(lesson, tmp_path):
    out = export.save_comparison(lesson, tmp_path / "c.pdf", size="column")
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/FontFile2" in data or b"/FontFile3" in data or b"/FontFile " in data  # fonts embedded
    width = float(re.search(rb"/MediaBox \[0 0 ([0-9.]+) ", data).group(1))
    assert abs(width - 252) < 1  # 3.5 in
    assert b"/Subtype /Image" not in data  # vectors, not a picture


def test_a_narrow_png_keeps_its_text_size(lesson, tmp_path):
    """'PNG width' at 800 px lays the figure out 800 px wide: the caption keeps its size, not scaled to 7 px."""
    def check(fig):
        assert fig.width() == 800
    with_widget(lambda: build_figure(lesson, None, None, 800), check)


def test_both_floors_drawn_and_labelled_without_a_box(qapp, lesson):
    def check(fig):
        nats = next(p for p in fig.panels if "nats" in p.plot_item.getAxis("left").labelText)
        texts = {line.label.toPlainText() for line in nats.floor_lines}
        assert texts == {"data floor 0.500 (lower bound)", "model floor 0.505 (exact)"}
        for line in nats.floor_lines:
            assert line.label.fill.style() == QtCore.Qt.BrushStyle.NoBrush  # no pale box over the curve
    with_widget(lambda: build_figure(lesson, None), check)


def test_caption_says_8_seeds_and_uses_three_significant_digits(lesson, tmp_path):
    from aegui.gui.figures.layout import caption_html
    text = caption_html(lesson, 20)
    assert "8 seeds (3–10)" in text and "seed 3 " not in text
    long_numbers = [n for n in re.findall(r"\d*\.\d+(?:e-?\d+)?", text) if len(n.split("e")[0].strip("0.").replace(".", "")) > 3]
    assert not long_numbers


def test_svg_has_no_duplicated_ticks_and_no_non_scaling_strokes(lesson, tmp_path):
    text = export.save_comparison(lesson, tmp_path / "c.svg", size="column").read_text(encoding="utf-8")
    assert 'width="88.9mm"' in text and "non-scaling-stroke" not in text
    for body in re.findall(r"<g [^>]*>(.*?)</g>", text, re.S):
        placed = re.findall(r'x="([^"]*)" y="([^"]*)"[^>]*>\s*([^<]*)</text>', body)
        assert len(placed) == len(set(placed)), [p for p in placed if placed.count(p) > 1]


def _ink(image: QtGui.QImage) -> int:
    """How many pixels are not near-white: a measure of how thick the lines are drawn."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    buf = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return int((buf[:, :image.width()] < 200).sum())


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="librsvg2-bin not installed")
def test_svg_draws_alike_in_qt_and_rsvg_convert(lesson, tmp_path):
    svg = export.save_comparison(lesson, tmp_path / "c.svg", size="column")
    png = export.save_comparison(lesson, tmp_path / "c.png", size="column", dpi=150)
    subprocess.run(["rsvg-convert", "-d", "150", "-p", "150", str(svg), "-o", str(tmp_path / "r.png")], check=True)
    qt, rsvg = QtGui.QImage(str(png)), QtGui.QImage(str(tmp_path / "r.png"))
    assert abs(qt.width() - rsvg.width()) <= 2
    ratio = _ink(rsvg) / _ink(qt)
    assert 0.7 < ratio < 1.4, ratio  # before: lines hundreds of px thick in rsvg-convert


def test_cli_export_size_and_pdf(data_dir, tmp_path, capsys):
    store = RunStore(data_dir / "runs.sqlite")
    run_id = synthetic(store, tiny("mse"), decaying(300, 0.0) + 1e-3, 0.0)
    store.close()
    out = tmp_path / "f.pdf"
    assert main(["export", str(run_id), "--out", str(out), "--size", "column"]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    png = tmp_path / "f.png"
    assert main(["export", str(run_id), "--out", str(png), "--size", "two-column", "--dpi", "200"]) == 0
    assert QtGui.QImage(str(png)).width() == 1440
    assert main(["export", str(run_id), "--out", str(png), "--size", "column", "--dpi", "5"]) == 2


def test_a_column_figure_with_a_long_named_seed_band_stays_on_its_page(qapp, tmp_path):
    # A band's long legend entry widened its panel past the 3.5 in page: the x axis was cut and the two panels'
    # scales differed. Each panel is the page's width and shows 0 to the longest run.
    store = RunStore(tmp_path / "runs.sqlite")
    band = np.stack([decaying(300) * (1 + 0.01 * k) for k in range(4)], axis=1)
    ids = [synthetic(store, tiny("mse", name="a long mse run that sets the x range"), decaying(1600, 0.0) + 1e-3, 0.0),
           synthetic(store, tiny("bce", name="a seed band with a rather long descriptive name"), band, 0.5),
           synthetic(store, tiny("bce", "bernoulli", name="bernoulli"), decaying(900), 0.0)]
    pairs = [(store.get_run(i), store.losses(i)) for i in ids]

    def check(fig):
        assert len(fig.panels) == 2
        for plot in fig.panels:
            assert plot.width() <= fig.width()
            lo, hi = plot.plot_item.vb.viewRange()[0]
            assert lo <= 0 and 1599 <= hi < 1599 * 1.1
            right = plot.plot_item.vb.mapRectToScene(plot.plot_item.vb.boundingRect()).right()
            assert right <= plot.width() + 1  # the view box ends on the page
            for _, label in plot.legend.items:
                assert label.boundingRect().width() <= fig.width()
        texts = [label.text for plot in fig.panels for _, label in plot.legend.items]
        assert any("4 seeds" in t for t in texts)  # shortened, never losing what the band shows
    with_widget(lambda: build_figure(pairs, None, size="column"), check)
    store.close()


# ---------------------------------------------------------------- a column figure of a band and long names

from aegui.gui.figures.layout import fig3, wrap_text  # noqa: E402
from aegui.gui.figures.render import widget_image  # noqa: E402
from aegui.gui.plots.log_axis import log_labels  # noqa: E402

LONGEST = 9380


@pytest.fixture
def band_and_long_names(tmp_path):
    """Five runs as the new user's review had them: two units, a seed band, hyphenated names, 1,000 to 9,380 batches."""
    store = RunStore(tmp_path / "runs.sqlite")
    band = np.stack([np.geomspace(0.7, 3e-5 * (1 + k), 4720) for k in range(8)], axis=1)
    ids = [synthetic(store, tiny("bce", name="question-relu-bce-uniform"), decaying(LONGEST), 0.5),
           synthetic(store, tiny("bce", name="sigmoid-bce-uniform"), decaying(4800, 0.505), 0.505),
           synthetic(store, tiny("bce", "bernoulli", name="sigmoid-bce-bernoulli"), band, 0.0),
           synthetic(store, tiny("mse", name="deep-leaky-mse-uniform"), decaying(2800, 0.0) + 1e-5, 0.0),
           synthetic(store, tiny("mse", name="linear mse file"), decaying(1000, 0.0) + 1e-4, 0.0)]
    yield [(store.get_run(i), store.losses(i)) for i in ids]
    store.close()


def _tick_texts(axis) -> list[str]:
    image = QtGui.QImage(50, 50, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        return [spec[2] for spec in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


@pytest.mark.parametrize("size", ["column", "two-column"])
def test_a_band_and_long_names_stay_on_the_page_with_one_x_scale(qapp, band_and_long_names, size):
    def check(fig):
        assert len(fig.panels) == 2
        views = [plot.plot_item.vb.sceneBoundingRect() for plot in fig.panels]
        ranges = [plot.plot_item.vb.viewRange()[0] for plot in fig.panels]
        assert ranges[0] == ranges[1]  # one x scale...
        assert {round(v.left(), 3) for v in views} == {round(views[0].left(), 3)}  # ...on the same left edge
        assert {round(v.right(), 3) for v in views} == {round(views[0].right(), 3)}  # and the same right edge
        lo, hi = ranges[0]
        assert lo < 0 and LONGEST - 1 <= hi < LONGEST * 1.05  # 0 to the end of the longest run
        for plot in fig.panels:
            assert plot.width() <= fig.width()
            assert views[0].right() <= plot.width()  # the view box ends on the page
            assert plot.legend.sceneBoundingRect().right() <= plot.width() + 1
            for _, label in plot.legend.items:
                assert label.boundingRect().width() <= views[0].width()  # no entry wider than the page
            assert "0" in _tick_texts(plot.plot_item.getAxis("bottom"))  # the x axis shows its 0
        texts = [label.text for plot in fig.panels for _, label in plot.legend.items]
        assert any("8 seeds" in t for t in texts)  # wrapped or shortened, the band still says what it shows
        # The PNG at 300 dpi is exactly the page's width.
        inches = 3.5 if size == "column" else 7.2
        assert widget_image(fig, dpi=300).width() == round(inches * 300)
    with_widget(lambda: build_figure(band_and_long_names, None, size=size), check)


def test_a_title_breaks_at_spaces_never_inside_a_name(qapp, band_and_long_names):
    pairs = band_and_long_names[:4]  # four runs: the title names each one

    def check(fig):
        title = next(w for w in fig.findChildren(QtWidgets.QLabel) if w.text().startswith("Training loss"))
        lines = title.text().split("\n")
        assert len(lines) > 1 and not any(line.endswith("-") for line in lines)
        assert "question-relu-bce-uniform" in title.text()
        metrics = QtGui.QFontMetricsF(title.font())
        assert all(metrics.horizontalAdvance(line) <= title.width() for line in lines)
    with_widget(lambda: build_figure(pairs, None, size="column"), check)


def test_wrap_text_breaks_at_spaces_and_elides_what_cannot_fit(qapp):
    metrics = QtGui.QFontMetricsF(QtGui.QFont("DejaVu Sans", 8))
    width = metrics.horizontalAdvance("question-relu-bce-uniform") + 1
    assert wrap_text("a question-relu-bce-uniform run", metrics, width) == ["a", "question-relu-bce-uniform", "run"]
    long = wrap_text("x" * 200, metrics, 60)
    assert len(long) == 1 and long[0].endswith("…") and metrics.horizontalAdvance(long[0]) <= 60
    lines = wrap_text(" ".join(["word"] * 60), metrics, 60, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…")


def test_figure_numbers_keep_three_significant_digits():
    assert fig3(0.5004) == "0.500" and fig3(0.5) == "0.500" and fig3(2.986e-05) == "2.99e-05"
    assert fig3(100) == "100" and fig3(1234) == "1.23e+03" and fig3(0.0) == "0" and fig3(None) == "—"


def test_the_compact_caption_prints_trailing_zeros(band_and_long_names):
    from aegui.gui.figures.layout import caption_html
    row = band_and_long_names[1][0]
    row = type(row)(**{**row.__dict__, "final_loss": 0.5004})
    text = caption_html([(row, None)], 20, compact=True)
    assert "final 0.500;" in text and "floor 0.505 (" in text


def test_log_tick_labels_use_one_format_per_axis():
    decades = [-6.0, -5.0, -4.0, -2.0, 0.0]
    labels = log_labels(decades, 1.0, (-6.2, 0.1))
    assert labels == ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻²", "10⁰"]  # not 0.0001 beside 10⁻⁶
    assert log_labels([-4.0, -2.0, 0.0, np.log10(0.5)], 1.0, (-4.05, 0.2)) == ["0.0001", "0.01", "1", "0.5"]


def test_a_plot_left_wider_than_its_panel_is_fitted_back_to_the_page(qapp, tmp_path):
    """Saved from the window after toggling the Compare tab (under X), the column figure's top plot kept the
    width it had before its legend wrapped: 374 px on a 328 px panel, and its last 90 of 705 batches were cut
    off. The figure fits each plot to its view again before it aligns them; here a stale width is forced."""
    from PySide6 import QtCore
    from aegui.gui.figures.layout import figure_steps, run_steps
    store = RunStore(tmp_path / "runs.sqlite")
    band = np.stack([decaying(705) * (1 + 0.01 * k) for k in range(4)], axis=1)
    ids = [synthetic(store, tiny("bce", name="bce 4 seeds"), band, 0.5054),
           synthetic(store, tiny("mse", name="linear mse uniform"), decaying(705, 0.0) + 1e-9, 0.0)]
    pairs = [(store.get_run(i), store.losses(i)) for i in ids]
    steps = figure_steps(pairs, None, size="column")
    next(steps)  # the first panel is made
    fig = next(w for w in QtWidgets.QApplication.topLevelWidgets() if hasattr(w, "paper_style"))
    for _ in range(3):
        next(steps)
        for plot in fig.findChildren(QtWidgets.QWidget):
            if hasattr(plot, "plot_item") and plot.plot_widget.width() > 0:
                geometry = plot.plot_item.geometry()
                plot.plot_item.setGeometry(QtCore.QRectF(0, 0, plot.plot_widget.width() + 46, geometry.height()))

    def check(fig):
        for plot in fig.panels:
            vb = plot.plot_item.vb
            assert plot.plot_item.geometry().width() <= plot.plot_widget.width() + 0.5
            assert vb.mapRectToScene(vb.boundingRect()).right() <= plot.width() + 1
    with_widget(lambda: run_steps(steps), check)
    store.close()


@pytest.mark.parametrize("size", [None, "column"])
def test_an_excess_figure_names_each_panels_unit(qapp, tmp_path, size):
    """In excess mode 'loss − model floor (mean squared error)' did not fit the MSE panel, which then had no y
    label at all: a shorter form keeps the unit."""
    store = RunStore(tmp_path / "runs.sqlite")
    ids = [synthetic(store, tiny("bce", name="bce"), decaying(705), 0.5054),
           synthetic(store, tiny("mse", name="mse"), decaying(705, 0.0) + 1e-9, 0.0)]
    pairs = [(store.get_run(i), store.losses(i)) for i in ids]

    def check(fig):
        for plot, units in zip(fig.panels, (("(nats)",), ("(MSE)", "(mean squared error)"))):
            axis = plot.plot_item.getAxis("left")
            assert axis.label.isVisible() and axis.labelText.endswith(units), axis.labelText
    with_widget(lambda: build_figure(pairs, {"log": True, "excess": True, "x_axis": "batch", "smoothing": 1}, size),
                check)
    store.close()

"""A run keeps its colour in the comparison and in saved figures, whatever the table's order or selection."""

from types import SimpleNamespace

from aegui.gui.plots.plot_base import PALETTE, run_colours


def _rows(*ids):
    return [SimpleNamespace(run_id=i) for i in ids]


def test_a_runs_colour_does_not_depend_on_the_tables_order():
    ids = [5, 6, 4, 1, 2, 3]
    forward = dict(zip(ids, run_colours(_rows(*ids))))
    backward = dict(zip(reversed(ids), run_colours(_rows(*reversed(ids)))))
    assert forward == backward
    assert forward[1] == PALETTE[0] and len(set(forward.values())) == len(ids)


def test_a_run_keeps_its_colour_when_others_join_the_selection():
    alone = dict(zip([3, 7], run_colours(_rows(3, 7))))
    more = dict(zip([12, 3, 7, 2], run_colours(_rows(12, 3, 7, 2))))
    assert more[3] == alone[3] and more[7] == alone[7]


def test_two_runs_never_share_a_colour_while_the_palette_lasts():
    ids = [1, 1 + len(PALETTE), 1 + 2 * len(PALETTE), 2]  # all but one want the first colour
    colours = run_colours(_rows(*ids))
    assert len(set(colours)) == len(ids)
    assert colours[0] == PALETTE[0]  # the lowest id keeps the colour it wants
    assert len(run_colours(_rows(*range(1, 3 * len(PALETTE))))) == 3 * len(PALETTE) - 1  # past it, they repeat


def test_the_window_and_a_saved_figure_colour_a_run_alike(qtbot, tmp_path):
    from aegui.core.store.store import RunStore
    from aegui.gui.figures.layout import caption_html
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.plots.curves import stored_curve
    from tests.gui.fixtures_runs import decaying, synthetic, tiny
    store = RunStore.open(tmp_path / "colours")
    ids = [synthetic(store, tiny("mse", name=f"run {k}"), decaying(100, 0.0, k) + 1e-3, floor=0.0) for k in range(3)]
    pairs = [stored_curve(store, i) for i in reversed(ids)]  # newest first, as the table lists them
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.set_runs(pairs)
    drawn = {row.run_id: items.colour for (row, _), items in zip(plot.runs, plot._runs_items)}
    caption = caption_html(pairs, 20)
    for run_id, colour in drawn.items():
        name = f"run {ids.index(run_id)}"
        assert f"<span style='color:{colour}'>■</span> {name}" in caption, (name, colour)
    plot.set_runs(list(reversed(pairs)))  # the table sorted the other way
    assert {row.run_id: items.colour for (row, _), items in zip(plot.runs, plot._runs_items)} == drawn
    store.close()

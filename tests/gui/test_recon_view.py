"""Reconstruction view: x→x̂ segments for 2 features, x̂ᵢ against xᵢ for more, bottleneck codes beside."""

import numpy as np
import pytest

from aegui.gui.plots.recon_view import ReconstructionView


@pytest.fixture
def view(qtbot):
    v = ReconstructionView()
    qtbot.addWidget(v)
    v.resize(900, 400)
    v.show()
    return v


def arrays(n=300, d=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    return x, 0.5 * x + 0.1 * rng.normal(size=(n, d))


def test_two_features_draw_one_segment_per_point_from_x_to_xhat(view):
    x, xhat = arrays(300, 2)
    view.show_reconstruction(x, xhat)
    sx, sy = view.segments.getData()
    assert len(sx) == 2 * 300 and view.segments.opts["connect"] == "pairs"
    np.testing.assert_allclose(np.c_[sx[0::2], sy[0::2]], x)
    np.testing.assert_allclose(np.c_[sx[1::2], sy[1::2]], xhat)
    px, py = view.xhat_points.getData()
    np.testing.assert_allclose(np.c_[px, py], xhat)
    assert not view.feature_spin.isVisibleTo(view)


def test_more_features_plot_xhat_i_against_x_i_and_switching_changes_the_data(view, qtbot):
    x, xhat = arrays(200, 5)
    view.show_reconstruction(x, xhat)
    assert view.feature_spin.isVisibleTo(view) and view.feature_spin.maximum() == 5
    px, py = view.xhat_points.getData()
    np.testing.assert_allclose(px, x[:, 0])
    np.testing.assert_allclose(py, xhat[:, 0])
    with qtbot.waitSignal(view.sigFeatureChanged) as blocker:
        view.feature_spin.setValue(4)
    assert blocker.args == [3] and view.feature == 3
    px, py = view.xhat_points.getData()
    np.testing.assert_allclose(px, x[:, 3])
    np.testing.assert_allclose(py, xhat[:, 3])
    ix, iy = view.identity.getData()
    np.testing.assert_allclose(ix, iy)                   # the identity line x̂ = x
    assert not view.segments.isVisible()


def test_a_new_snapshot_keeps_the_chosen_feature(view):
    x, xhat = arrays(100, 3)
    view.show_reconstruction(x, xhat)
    view.set_feature(2)
    view.show_reconstruction(x, xhat * 0.9)
    np.testing.assert_allclose(view.xhat_points.getData()[1], 0.9 * xhat[:, 2])


def test_codes_histogram_for_k1_scatter_for_k2_hidden_otherwise(view):
    x, xhat = arrays(400, 4)
    z1 = np.linspace(-1, 1, 400)[:, None]
    view.show_reconstruction(x, xhat, z1)
    assert view.code_kind() == "histogram"
    edges, counts = view.code_hist.getData()
    assert counts.sum() == 400 and len(edges) == len(counts) + 1
    z2 = np.c_[z1[:, 0], -z1[:, 0]]
    view.show_reconstruction(x, xhat, z2)
    assert view.code_kind() == "scatter"
    np.testing.assert_allclose(np.column_stack(view.code_points.getData()), z2)
    view.show_reconstruction(x, xhat, None)
    assert view.code_kind() is None
    view.show_reconstruction(x, xhat, np.zeros((400, 3)))   # a 3-D code has no picture here
    assert view.code_kind() is None


def test_a_code_as_wide_as_the_input_is_no_bottleneck(view):
    x, xhat = arrays(100, 2)
    view.show_reconstruction(x, xhat, x.copy())
    assert view.code_kind() is None


def test_mismatched_shapes_are_refused_and_clear_empties(view):
    x, xhat = arrays(50, 2)
    with pytest.raises(ValueError, match="same N × d shape"):
        view.show_reconstruction(x, xhat[:10])
    view.show_reconstruction(x, xhat)
    view.clear()
    assert len(view.xhat_points.getData()[0]) == 0 and view.code_kind() is None


def test_real_snapshot_from_the_engine(view):
    from aegui.core.engine.reconstruct import reconstruct
    from aegui.core.engine.training import train
    from tests.gui.fixtures_runs import tiny
    cfg = tiny("bce_logits", "bernoulli", **{"data.features": 4, "model.encoding_dim": 1, "training.device": "cpu"})
    gen = train(cfg, threads=1)
    start = next(gen)
    for _ in gen:
        pass
    x, xhat, codes = reconstruct(start.model, start.sample, "bce_logits")
    view.show_reconstruction(x, xhat, codes, "bce_logits")
    assert view.code_kind() == "histogram" and "sigmoid" in view.readout.text()
    assert len(view.xhat_points.getData()[0]) == len(x) == 512

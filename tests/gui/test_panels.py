"""Config panels: round trip with RunConfig, inline engine messages, presets, JSON files."""

import json

import pytest

from aegui.core.config import config as cfg
from aegui.core.config import config_io
from aegui.core.config.config import DataConfig, ModelConfig, OptimizerConfig, RunConfig, TrainingConfig
from aegui.gui.palette import ERROR_RED
from aegui.gui.panels import TIPS, ConfigPanels


@pytest.fixture
def panels(qtbot):
    w = ConfigPanels()
    qtbot.addWidget(w)
    return w


ODD = RunConfig(name="odd one", data=DataConfig(kind="redundant", samples=777, features=5, p=0.25,
                                                latent_dim=2, noise=0.125),
                model=ModelConfig(kind="mlp", encoding_dim=2, depth=3, hidden=11, activation="tanh",
                                  slope=0.2, output="identity"),
                optimizer=OptimizerConfig(kind="sgd", lr=3.3e-5, momentum=0.9),
                training=TrainingConfig(batch_size=32, epochs=7, tol=1e-7, seed=42, device="cpu",
                                        recent_window=25))


def test_round_trip_default_and_odd_configs(panels):
    assert panels.config() == RunConfig()
    panels.set_config(ODD)
    assert panels.config() == ODD
    assert panels.is_valid()


def test_none_widths_mean_as_many_as_features(panels):
    panels.set_config(cfg.with_changes(ODD, **{"model.encoding_dim": None, "model.hidden": None}))
    assert panels.config().model.encoding_dim is None and panels.config().model.hidden is None
    assert panels.fields["model.encoding_dim"].widget.text() == "= features"


def test_every_field_is_editable_and_explained(panels):
    paths = set(panels.fields)
    engine = {"name"} | {f"{s}.{f.name}" for s, c in cfg.SECTIONS.items() for f in cfg.fields(c)}
    assert paths == engine
    for path, field in panels.fields.items():
        assert field.widget.toolTip() == TIPS[path] and len(TIPS[path]) > 20


def test_invalid_values_are_flagged_with_the_engines_messages(panels, qtbot):
    with qtbot.waitSignal(panels.sigValidity, check_params_cb=lambda ok: ok is False):
        panels.fields["optimizer.lr"].widget.setText("fast")
    lr = panels.fields["optimizer.lr"]
    assert lr.error.isVisibleTo(panels) and "optimizer.lr = 'fast'" in lr.error.text()
    assert ERROR_RED in lr.widget.styleSheet()
    assert [p.field for p in panels.problems()] == ["optimizer.lr"]
    lr.widget.setText("1e-4")
    assert panels.is_valid() and not lr.error.isVisibleTo(panels) and lr.widget.styleSheet() == ""
    assert panels.config().optimizer.lr == 1e-4


def test_cross_field_problem_names_the_reason(panels):
    panels.set_config(cfg.with_changes(RunConfig(), **{"loss.kind": "bce", "model.output": "sigmoid",
                                                       "data.kind": "gaussian"}))
    msgs = panels.fields["data.kind"].error.text()
    assert not panels.is_valid() and "gaussian" in msgs and "[0, 1]" in msgs
    panels.set_config(cfg.with_changes(RunConfig(), **{"data.samples": 100}))
    assert "training.batch_size = 128: must be at most data.samples (100)" in \
        panels.fields["training.batch_size"].error.text()


def test_irrelevant_fields_are_greyed(panels):
    assert not panels.fields["model.depth"].widget.isEnabled()
    panels.fields["model.kind"].widget.setCurrentText("mlp")
    assert panels.fields["model.depth"].widget.isEnabled()
    assert not panels.browse_button.isEnabled()
    panels.fields["data.kind"].widget.setCurrentText("file")
    assert panels.browse_button.isEnabled() and not panels.fields["data.samples"].widget.isEnabled()
    assert "data.file is not set" in panels.fields["data.file"].error.text()
    panels.fields["data.file"].widget.setText("/tmp/x.csv")
    assert panels.config().data.file == "/tmp/x.csv" and panels.is_valid()


def test_cuda_offered_only_when_available(panels):
    combo = panels.fields["training.device"].widget
    assert combo.findText("cuda") < 0
    panels.set_cuda_available(False)
    assert combo.findText("cuda") < 0
    panels.set_cuda_available(True)
    assert combo.findText("cuda") >= 0


def test_rows_and_device_choices_come_from_the_schema(panels):
    from aegui.core.config import schema
    combo = panels.fields["training.device"].widget
    assert [combo.itemText(i) for i in range(combo.count())] == [d for d in schema.DEVICES if d != "cuda"]
    assert list(panels.fields) == [f.path for g in schema.GROUPS for f in schema.group_fields(g)]


def test_cuda_config_where_there_is_none_is_flagged(panels):
    panels.set_cuda_available(False)
    panels.set_config(cfg.with_changes(RunConfig(), **{"training.device": "cuda"}))
    assert not panels.is_valid() and "CUDA is not available" in panels.fields["training.device"].error.text()


def test_preset_picker_loads_config_and_shows_claim(panels):
    from aegui.core.config.presets import PRESETS
    key, preset = next(iter(PRESETS.items()))
    combo = panels.preset_combo
    assert combo.count() == len(PRESETS) + 1
    panels.apply_preset(key)
    assert panels.config() == preset.config and panels.preset_claim.text() == preset.claim
    assert combo.itemData(combo.currentIndex(), 3) == preset.claim  # the claim is the item's tooltip


def test_json_export_and_import(panels, tmp_path):
    panels.set_config(ODD)
    path = tmp_path / "odd.json"
    panels.save_file(str(path))
    assert config_io.from_json(path.read_text()) == ODD
    assert not list(tmp_path.glob(".aegui-*"))  # the temporary file was renamed, not left behind
    panels.set_config(RunConfig())
    panels.load_file(str(path))
    assert panels.config() == ODD


def test_import_of_a_bad_file_raises_the_engines_error(panels, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"loss": {"kind": "hinge"}}))
    with pytest.raises(cfg.ConfigError, match="loss.kind"):
        panels.load_file(str(path))
    assert panels.config() == RunConfig()


def test_a_preset_name_follows_the_config_and_the_preset_box_says_when_the_panels_left_it(panels, tmp_path):
    # Before: load the question's preset, change model and file, Ctrl+R: "question-relu-bce-uniform (2)".
    panels.apply_preset("question-relu-bce-uniform")
    assert panels.config().name == "question-relu-bce-uniform"
    assert "(modified)" not in panels.preset_combo.currentText()
    f = tmp_path / "d.csv"
    f.write_text("0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    panels.fields["model.kind"].set_value("linear")
    panels._edited()
    assert panels.config().name == "" and panels.config().label().startswith("linear bce")
    assert panels.preset_combo.currentText().endswith("(modified)")
    assert panels.preset_claim.text().startswith("Modified")
    # the panels back on a preset's config (a rerun from a figure): the box names that preset, unmodified
    from aegui.core.config.presets import PRESETS
    panels.set_config(PRESETS["sigmoid-bce-bernoulli"].config)
    assert panels.preset_combo.currentData() == "sigmoid-bce-bernoulli"
    assert "(modified)" not in panels.preset_combo.currentText()
    # a name the user typed is kept whatever changes
    panels.set_config(cfg.with_changes(RunConfig(), name="my run"))
    panels.fields["loss.kind"].set_value("l1")
    panels._edited()
    assert panels.config().name == "my run"


def test_a_files_rows_and_columns_show_in_the_greyed_samples_and_features(panels, qtbot, tmp_path):
    import numpy as np
    f = tmp_path / "d.csv"
    np.savetxt(f, np.random.default_rng(0).random((200, 16)), delimiter=",")
    panels.set_config(cfg.with_changes(RunConfig(), **{"data.kind": "file", "data.file": str(f)}))
    qtbot.waitUntil(lambda: panels.file_card() is not None, timeout=10_000)
    qtbot.waitUntil(lambda: panels.fields["data.samples"].widget.value() == 200)
    assert panels.fields["data.features"].widget.value() == 16  # was 30000 and 2, the generated data's
    assert not panels.fields["data.samples"].widget.isEnabled() and panels.is_valid()


def test_the_loss_chooser_offers_every_registered_loss_with_its_own_tooltip(panels):
    from PySide6.QtCore import Qt

    from aegui.core.config.losses import LOSSES
    combo = panels.fields["loss.kind"].widget
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered == list(LOSSES)
    tips = [combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())]
    assert all(t.startswith(f"{name}: ") and len(t) > 20 for name, t in zip(offered, tips))
    for name in LOSSES:
        panels.set_config(cfg.apply_loss(RunConfig(), name))
        assert panels.config().loss.kind == name and panels.is_valid()

"""Property-based: the panels take any generated config, valid or not, without raising."""

from hypothesis import HealthCheck, given, settings

from aegui.core.config import config as c
from aegui.core.config import config_io
from aegui.gui.panels import ConfigPanels
from tests.core.test_properties import raw_configs


def config_from_raw(raw) -> c.RunConfig:
    """Build the config without validation, junk included, as a bad file or a bug might."""
    return c.with_changes(c.RunConfig(), **{f"{s}.{k}": v for s, part in raw.items() for k, v in part.items()})


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=raw_configs())
def test_panels_take_any_generated_config(qtbot, raw):
    panels = ConfigPanels()
    qtbot.addWidget(panels)
    config = config_from_raw(raw)
    panels.set_config(config)
    shown = panels.config()
    if not c.validate(config):
        assert panels.is_valid() and c.validate(shown) == []
        assert config_io.to_dict(shown) == config_io.to_dict(config)
    else:
        assert panels.problems() or not c.validate(shown)

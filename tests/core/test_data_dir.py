"""Where runs are stored by default: the same folder as before platformdirs, so existing users' runs are found."""

import sys

import pytest

from aegui.core.store.store import RunStore, default_data_dir

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG folders are Linux's")


@linux_only
def test_xdg_data_home_is_honoured(tmp_path, monkeypatch):
    monkeypatch.delenv("AEGUI_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "aegui"


@linux_only
def test_without_xdg_data_home_it_is_under_home(tmp_path, monkeypatch):
    monkeypatch.delenv("AEGUI_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / ".local" / "share" / "aegui"


def test_aegui_data_dir_overrides_the_platform_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("AEGUI_DATA_DIR", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"
    store = RunStore.open()
    assert store.path == tmp_path / "mine" / "runs.sqlite" and not (tmp_path / "xdg").exists()
    store.close()


@linux_only
def test_runs_stored_before_are_found_in_the_same_folder(tmp_path, monkeypatch):
    """A store where aegui kept it (~/.local/share/aegui/runs.sqlite) is the one opened by default."""
    monkeypatch.delenv("AEGUI_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    old = tmp_path / ".local" / "share" / "aegui"
    RunStore.open(old).close()
    store = RunStore.open()
    assert store.path == old / "runs.sqlite"
    store.close()

"""Shared fixtures for the engine's tests (no Qt here)."""

import pytest

from aegui.core.config.config import RunConfig, with_changes


@pytest.fixture
def tiny():
    """A fast config: 512 samples, 2 features, 2 epochs."""
    return with_changes(RunConfig(), **{"data.samples": 512, "training.epochs": 2, "training.tol": 0.0,
                                        "training.device": "cpu"})


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A private store folder for each test."""
    d = tmp_path / "data"
    monkeypatch.setenv("AEGUI_DATA_DIR", str(d))
    return d

"""Data: seeded generators and loading files with messages that say what is wrong."""

import numpy as np
import pytest

from aegui.core.data import data
from aegui.core.config.config import ConfigError, DataConfig


def test_generators_are_seeded_and_shaped():
    for kind in ("uniform", "bernoulli", "redundant", "gaussian"):
        cfg = DataConfig(kind=kind, samples=300, features=4, latent_dim=2)
        a, b = data.generate(cfg, 3), data.generate(cfg, 3)
        assert a.shape == (300, 4) and a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, data.generate(cfg, 4))


def test_bernoulli_is_binary_with_rate_p():
    x = data.generate(DataConfig(kind="bernoulli", samples=20_000, features=2, p=0.2), 0)
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - 0.2) < 0.01


def test_redundant_rows_repeat_their_factors():
    x = data.generate(DataConfig(kind="redundant", samples=100, features=6, latent_dim=2), 0)
    np.testing.assert_array_equal(x[:, 0], x[:, 2])
    np.testing.assert_array_equal(x[:, 1], x[:, 5])
    assert np.linalg.matrix_rank(x - x.mean(0)) == 2


def test_csv_with_header(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("a,b\n0.1,0.2\n0.3,0.4\n")
    np.testing.assert_allclose(data.load_file(str(f)), [[0.1, 0.2], [0.3, 0.4]], rtol=1e-6)


def test_ragged_csv_names_the_line(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("1,2\n3,4\n5\n")
    with pytest.raises(ConfigError, match="line 3 has 1 columns"):
        data.load_file(str(f))


def test_non_numeric_csv_names_line_and_column(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("1,2\n3,x\n")
    with pytest.raises(ConfigError, match=r"line 2, column 2 is not a number") as err:
        data.load_file(str(f))
    assert "'x'" not in str(err.value)  # a data file's contents are never echoed


def test_npy_never_unpickles(tmp_path):
    f = tmp_path / "d.npy"
    np.save(f, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ConfigError, match="object arrays are never unpickled"):
        data.load_file(str(f))


def test_npy_numeric_and_nan(tmp_path):
    f = tmp_path / "d.npy"
    np.save(f, np.arange(6, dtype=np.int64).reshape(3, 2))
    assert data.load_file(str(f)).shape == (3, 2)
    np.save(f, np.array([[0.0, np.nan]]))
    with pytest.raises(ConfigError, match="row 1, column 2"):
        data.load_file(str(f))


def test_too_large_file(tmp_path, monkeypatch):
    f = tmp_path / "d.csv"
    f.write_text("1,2\n" * 100)
    monkeypatch.setattr(data, "MAX_FILE_BYTES", 50)
    with pytest.raises(ConfigError, match="at most"):
        data.load_file(str(f))


def test_missing_file():
    with pytest.raises(ConfigError, match="no such file"):
        data.load_file("/nonexistent/x.csv")


def test_bce_target_check_names_the_range():
    with pytest.raises(ConfigError, match=r"spans \[-1, 2\]"):
        data.check_targets(np.array([[-1.0, 2.0]]), "bce", "file")
    data.check_targets(np.array([[-1.0, 2.0]]), "mse", "file")

"""Seeded data generators and safe loading of numeric CSV / .npy matrices (rows are samples)."""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from .config import MAX_ELEMENTS, DataConfig, Problem, ConfigError

MAX_FILE_BYTES = 512 * 1024 * 1024


class DataError(ConfigError):
    """A data file that cannot be used; the message names the file and the problem."""


def _fail(path: str, allowed: str) -> DataError:
    return DataError([Problem("data.file", path, allowed)])


def generate(cfg: DataConfig, seed: int) -> np.ndarray:
    """The data matrix (samples × features, float32) that cfg describes, reproducible from seed."""
    if cfg.kind == "file":
        return load_file(cfg.file or "")
    rng = np.random.default_rng(seed)
    n, d = cfg.samples, cfg.features
    if cfg.kind == "uniform":
        x = rng.random((n, d))
    elif cfg.kind == "bernoulli":
        x = (rng.random((n, d)) < cfg.p).astype(np.float64)
    elif cfg.kind == "gaussian":
        x = rng.standard_normal((n, d))
    elif cfg.kind == "redundant":
        x = redundant(rng, n, d, cfg.latent_dim, cfg.noise)
    else:
        raise ValueError(f"unknown data kind {cfg.kind!r}")
    return np.ascontiguousarray(x, dtype=np.float32)


def redundant(rng: np.random.Generator, n: int, d: int, k: int, noise: float) -> np.ndarray:
    """k U(0,1) latent factors, each copied into every k-th feature, plus optional Gaussian noise.

    With k = 1 a row is [a, a, a, a]: the seed answer's example of data a bottleneck can compress.
    """
    z = rng.random((n, k))
    x = z[:, np.arange(d) % k]
    if noise > 0:
        x = x + noise * rng.standard_normal((n, d))
    return x


def load_file(path: str) -> np.ndarray:
    """Load a numeric matrix from .npy (never unpickled) or CSV, with messages that say what is wrong."""
    if not path or not os.path.isfile(path):
        raise _fail(path, "no such file")
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise _fail(path, f"is {size / 2**20:,.0f} MiB; at most {MAX_FILE_BYTES // 2**20} MiB is read")
    if path.lower().endswith(".npy"):
        x = _load_npy(path)
    else:
        x = _load_csv(path)
    return _finish(path, x)


def _load_npy(path: str) -> np.ndarray:
    try:
        x = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise _fail(path, f"is not a plain numeric .npy array ({exc})") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read as .npy ({exc})") from None
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
        raise _fail(path, f"holds {getattr(x, 'dtype', type(x))} values; a numeric matrix is needed")
    return x


def _load_csv(path: str) -> np.ndarray:
    try:
        with open(path, "r", encoding="utf-8", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read as UTF-8 text ({exc})") from None
    rows: list[list[float]] = []
    width = None
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not c.strip() for c in row):
            continue
        try:
            values = [float(c) for c in row]
        except ValueError:
            if not rows and width is None and lineno == 1:
                width = len(row)  # a header line: skip it, but keep its width
                continue
            bad = next(c for c in row if not _is_float(c))
            raise _fail(path, f"line {lineno}, column {row.index(bad) + 1}: {bad!r} is not a number") from None
        if width is None:
            width = len(values)
        if len(values) != width:
            raise _fail(path, f"line {lineno} has {len(values)} columns; earlier lines have {width} (ragged rows)")
        rows.append(values)
    if not rows:
        raise _fail(path, "holds no numeric rows")
    return np.asarray(rows, dtype=np.float64)


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _finish(path: str, x: np.ndarray) -> np.ndarray:
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise _fail(path, f"has shape {x.shape}; a 2-D matrix (samples × features) is needed")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise _fail(path, f"has shape {x.shape}; at least one row and one column are needed")
    if x.size > MAX_ELEMENTS:
        raise _fail(path, f"holds {x.size:,} values; at most {MAX_ELEMENTS:,} are allowed")
    x = np.ascontiguousarray(x, dtype=np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = map(int, np.argwhere(bad)[0])
        raise _fail(path, f"row {r + 1}, column {c + 1} is {x[r, c]}; every value must be finite")
    return x


def value_range(x: np.ndarray) -> tuple[float, float]:
    """The smallest and largest value in x."""
    return float(x.min()), float(x.max())


def check_targets(x: np.ndarray, loss: str, source: str) -> None:
    """Raise ConfigError when a BCE loss meets targets outside [0, 1], naming the range found."""
    if loss not in ("bce", "bce_logits"):
        return
    lo, hi = value_range(x)
    if lo < 0.0 or hi > 1.0:
        raise ConfigError([Problem("loss.kind", loss,
                                   f"needs targets in [0, 1], but the {source} data spans [{lo:.4g}, {hi:.4g}]; "
                                   "use mse or l1, or rescale the data")])

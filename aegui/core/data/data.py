"""Seeded data generators and safe loading of numeric CSV / .npy matrices (rows are samples)."""

from __future__ import annotations

import errno
import os
import stat

import numpy as np

from ..config.config import MAX_ELEMENTS, MAX_FEATURES, DataConfig, Problem, ConfigError
from ..config.losses import LOSSES

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


def shape_of(cfg: DataConfig) -> tuple[int, int]:
    """(rows, columns) that cfg will produce, without generating or reading the data."""
    return file_shape(cfg.file or "") if cfg.kind == "file" else (cfg.samples, cfg.features)


def load_file(path: str) -> np.ndarray:
    """Load a numeric matrix from .npy (never unpickled) or CSV, with messages that say what is wrong.

    The shape is read first (the .npy header, the CSV's first line and its line count) and checked
    against the limits, so a file that claims too much is refused before anything is allocated.
    """
    rows, cols = file_shape(path)
    x = _load_npy(path) if path.lower().endswith(".npy") else _load_csv(path, rows, cols)
    return _finish(path, x)


def _check_kind(path: str) -> int:
    """The file's size; DataError for a missing path, a FIFO, a directory, a device or an oversized file."""
    if "\x00" in path:
        raise _fail(path.replace("\x00", "\\x00"), "holds a NUL byte; no file name can")
    try:
        st = os.stat(path) if path else None
    except OSError as exc:
        st = None
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if st is None:
        raise _fail(path, "no such file")
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(st.st_mode):
            raise _fail(path, f"is {what}, not a file; a CSV or .npy file is needed")
    if st.st_size == 0:  # also /proc's and /sys's files, which say 0 and never end (/proc/self/pagemap)
        raise _fail(path, "is empty (0 bytes); a CSV or .npy file is needed")
    if st.st_size > MAX_FILE_BYTES:
        raise _fail(path, f"is {st.st_size / 2**20:,.0f} MiB; at most {MAX_FILE_BYTES // 2**20} MiB is read")
    return st.st_size


def file_shape(path: str) -> tuple[int, int]:
    """(rows, columns) of a data file, read from its header alone; rows is an upper bound for a CSV."""
    size = _check_kind(path)
    rows, cols = _npy_shape(path, size) if path.lower().endswith(".npy") else _csv_shape(path, size=size)
    if cols > MAX_FEATURES:
        raise _fail(path, f"has {cols:,} columns; at most {MAX_FEATURES:,} features are allowed (as for --features)")
    if rows * cols > MAX_ELEMENTS:
        raise _fail(path, f"holds up to {rows:,} × {cols:,} values; at most {MAX_ELEMENTS:,} are allowed")
    return rows, cols


def _npy_shape(path: str, size: int) -> tuple[int, int]:
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _fortran, dtype = read(fh, max_header_size=10_000)
            start = fh.tell()
    except (ValueError, OSError, SyntaxError) as exc:
        raise _fail(path, f"is not a plain numeric .npy array ({type(exc).__name__})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise _fail(path, f"holds {dtype} values; a numeric matrix is needed (object arrays are never unpickled)")
    if len(shape) not in (1, 2) or not all(type(s) is int and s >= 0 for s in shape):
        raise _fail(path, f"has shape {shape}; a 2-D matrix (samples × features) of whole-number sizes is needed")
    rows, cols = (shape[0], 1) if len(shape) == 1 else shape
    need = start + rows * cols * dtype.itemsize
    if need > size:
        raise _fail(path, f"claims shape {tuple(shape)} ({need:,} bytes) but holds {size:,} bytes: truncated or damaged")
    return int(rows), int(cols)


def npy_itemsize(path: str) -> int | None:
    """Bytes per value of an .npy file's dtype, from its header (for the memory guard); None where unreadable."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            return int(read(fh, max_header_size=10_000)[2].itemsize)
    except (ValueError, OSError, SyntaxError, TypeError):
        return None


def _csv_shape(path: str, chunk: int = 1 << 20, size: int | None = None) -> tuple[int, int]:
    """Columns from the first non-blank line, counted as it streams in; rows as the file's line count."""
    cols, commas, text = None, 0, False
    try:
        with open(path, "rb") as fh:
            while cols is None:
                part = fh.readline(chunk)  # bounded: a 40 MB first line is counted, never held whole
                if not part:
                    break
                if b"\r" in part:  # CR-only (old Mac) or CRLF line ends: the first line ends at the CR
                    part = part[:part.index(b"\r")] + b"\n"
                commas += part.count(b",")
                text = text or bool(part.strip())
                if commas >= MAX_FEATURES:  # refused before the rest of the line is read
                    raise _fail(path, f"has more than {MAX_FEATURES:,} columns in its first line; at most "
                                      f"{MAX_FEATURES:,} features are allowed (as for --features)")
                if part.endswith(b"\n"):
                    cols, commas = (commas + 1 if text else None), 0
            fh.seek(0)
            newlines = returns = 0
            read = 0
            for block in iter(lambda: fh.read(chunk), b""):
                newlines, returns = newlines + block.count(b"\n"), returns + block.count(b"\r")
                read += len(block)
                if size is not None and read > size:  # a pseudo-file that says less than it holds
                    raise _fail(path, f"holds more than the {size:,} bytes its size says; a regular file is needed")
            lines = max(newlines, returns)  # CR-only files end their lines with \r alone
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    return lines + 1, cols or commas + 1


def _load_npy(path: str) -> np.ndarray:
    try:  # mapped, not read: only the float32 copy below takes memory
        x = np.load(path, allow_pickle=False, mmap_mode="r")
        return np.ascontiguousarray(x, dtype=np.float32)
    except (ValueError, OSError) as exc:
        raise _fail(path, f"cannot be read as a numeric .npy array ({type(exc).__name__})") from None


def _load_csv(path: str, rows: int, cols: int) -> np.ndarray:
    """Parse into a preallocated float32 matrix, one line at a time: about 5 bytes per value at the peak."""
    x = np.empty((rows, cols), dtype=np.float32)
    n, header = 0, False
    try:  # utf-8-sig: Excel's CSV starts with a byte-order mark, which is encoding, not a cell
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                cells = line.split(",")
                if len(cells) != cols:
                    raise _fail(path, f"line {lineno} has {len(cells)} columns; earlier lines have {cols} (ragged rows)")
                if not _parse_into(x[n], cells):
                    if n == 0 and not header and not any(_is_float(c.strip().strip('"')) for c in cells):
                        header = True  # a header line, all text (column names): skip it; a row with a number
                        continue       # in it is data, and a cell that is not a number is named below
                    bad = next(i for i, c in enumerate(cells) if not _is_float(c.strip().strip('"')))
                    # The value itself is never echoed: the file may not be data at all (/etc/passwd).
                    raise _fail(path, f"line {lineno}, column {bad + 1} is not a number")
                n += 1
    except UnicodeDecodeError as exc:
        raise _fail(path, f"is not UTF-8 text (byte {exc.start:,} of a line)") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if n == 0:
        raise _fail(path, "holds no numeric rows")
    return x[:n]


def csv_header(path: str) -> str | None:
    """The CSV's first line when load_file skips it as a header (every cell text, none a number); else None."""
    if path.lower().endswith(".npy"):
        return None
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for line in fh:
                if line.strip():
                    cells = line.rstrip("\r\n").split(",")
                    return None if any(_is_float(c.strip().strip('"')) for c in cells) else line.strip()[:200]
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _parse_into(row: np.ndarray, cells: list[str]) -> bool:
    """Fill row from the cells (quoted numbers too); False when one is not a number."""
    try:
        values = list(map(float, cells))  # float() takes surrounding whitespace; the fast path
    except ValueError:
        try:
            values = [float(c.strip().strip('"')) for c in cells]
        except ValueError:
            return False
    if any("_" in c for c in cells):
        return False  # float("1_0") is 10: Python's digit separator, never a CSV number
    with np.errstate(over="ignore"):  # 1e39 becomes inf in float32; _finish names it (no RuntimeWarning)
        row[:] = values
    return True


def _is_float(s: str) -> bool:
    if "_" in s:
        return False
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
    with np.errstate(over="ignore", invalid="ignore"):  # overflowing values are named below, not warned about
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
    """Raise ConfigError when a loss that needs targets in [0, 1] (BCE) meets others, naming the range found."""
    if loss not in LOSSES or not LOSSES[loss].unit_targets:
        return
    lo, hi = value_range(x)
    if lo < 0.0 or hi > 1.0:
        raise ConfigError([Problem("loss.kind", loss,
                                   f"needs targets in [0, 1], but the {source} data spans [{lo:.4g}, {hi:.4g}]; "
                                   "use mse or l1, or rescale the data")])

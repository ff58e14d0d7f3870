"""Seeded data generators and safe loading of numeric CSV / .npy matrices (rows are samples)."""

from __future__ import annotations

import errno
import os
import stat

import numpy as np

from .config import MAX_ELEMENTS, MAX_FEATURES, DataConfig, Problem, ConfigError

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
    return load_file_noting(path)[0]


def load_file_noting(path: str) -> tuple[np.ndarray, list[str]]:
    """load_file, with what a reader should be told about how the file was read (a header line skipped)."""
    rows, cols = file_shape(path)
    notes: list[str] = []
    x = _load_npy(path) if path.lower().endswith(".npy") else _load_csv(path, rows, cols, notes)
    return _finish(path, x), notes


def _check_kind(path: str) -> int:
    """The file's size; DataError for a missing path, a FIFO, a directory, a device, a pseudo-file or an
    oversized file."""
    if "\x00" in path:
        raise _fail(path, "contains a NUL byte; no file name can")
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        real = path
    if real.startswith(("/proc/", "/sys/")) or real in ("/proc", "/sys"):
        # Their sizes lie (0 bytes, or 4,096, whatever they hold) and some never end (/proc/self/pagemap).
        raise _fail(path, "is a kernel pseudo-file (/proc, /sys) whose size says nothing of its contents; "
                          "copy what you need into a CSV or .npy file")
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
    if st.st_size > MAX_FILE_BYTES:
        raise _fail(path, f"is {st.st_size / 2**20:,.0f} MiB; at most {MAX_FILE_BYTES // 2**20} MiB is read")
    return st.st_size


def file_shape(path: str) -> tuple[int, int]:
    """(rows, columns) of a data file, read from its header alone; rows is an upper bound for a CSV."""
    size = _check_kind(path)
    rows, cols = _npy_shape(path, size) if path.lower().endswith(".npy") else _csv_shape(path, size)
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
    if not all(type(n) is int and n >= 0 for n in shape):  # a crafted header: (True, 2), (-1, 2), (2.5,)
        raise _fail(path, "has a damaged .npy header (its shape is not whole numbers)")
    if len(shape) not in (1, 2):
        raise _fail(path, f"has shape {shape}; a 2-D matrix (samples × features) is needed")
    rows, cols = (shape[0], 1) if len(shape) == 1 else shape
    need = start + rows * cols * dtype.itemsize
    if need > size:
        raise _fail(path, f"claims shape {tuple(shape)} ({need:,} bytes) but holds {size:,} bytes: truncated or damaged")
    return int(rows), int(cols)


BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which Excel writes at the start of a CSV


def npy_itemsize(path: str) -> int | None:
    """Bytes per value of an .npy file's dtype, from its header; None where the header cannot be read."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            return int(read(fh, max_header_size=10_000)[2].itemsize)
    except (ValueError, OSError, SyntaxError, TypeError):
        return None


def _csv_shape(path: str, size: int, chunk: int = 1 << 20) -> tuple[int, int]:
    """Columns from the first non-blank line, counted as it streams in; rows as the file's line count.

    Lines end in LF, CRLF or a lone CR (old Mac files). At most `size` bytes (the file's stat size) are
    read: a file that holds more than its size says is refused, never read to its end.
    """
    cols, commas, text, left = None, 0, False, size
    try:
        with open(path, "rb") as fh:
            first = True
            while cols is None and left > 0:
                part = fh.readline(min(chunk, left))  # bounded: a 40 MB first line is counted, never held whole
                if not part:
                    break
                left -= len(part)
                if first and part.startswith(BOM):
                    part = part[len(BOM):]
                first = False
                cr = part.find(b"\r")
                if cr != -1:  # a CR ends the line (CRLF, or a lone CR)
                    part = part[:cr] + b"\n"
                commas += part.count(b",")
                text = text or bool(part.strip())
                if commas >= MAX_FEATURES:  # refused before the rest of the line is read
                    raise _fail(path, f"has more than {MAX_FEATURES:,} columns in its first line; at most "
                                      f"{MAX_FEATURES:,} features are allowed (as for --features)")
                if part.endswith(b"\n"):
                    cols, commas = (commas + 1 if text else None), 0
            fh.seek(0)
            lines, left = 0, size
            while left > 0:
                block = fh.read(min(chunk, left))
                if not block:
                    break
                left -= len(block)
                # Each LF, and each CR not followed by LF, ends a row; a CRLF split across blocks counts
                # twice, which only over-allocates a row.
                lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if fh.read(1):
                raise _fail(path, f"holds more than the {size:,} bytes its size says (a pseudo-file, or one "
                                  "still being written); copy it into a regular file")
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    return lines + 1, cols or commas + 1


def _load_npy(path: str) -> np.ndarray:
    try:  # mapped, not read: only the float32 copy below takes memory
        x = np.load(path, allow_pickle=False, mmap_mode="r")
        with np.errstate(over="ignore", invalid="ignore"):  # values past float32 become inf: _finish names them
            return np.ascontiguousarray(x, dtype=np.float32)
    except (ValueError, OSError) as exc:
        raise _fail(path, f"cannot be read as a numeric .npy array ({type(exc).__name__})") from None


def _lines(fh, size: int):
    """The text file's lines, split at LF, CRLF or a lone CR, stopping after `size` bytes' worth."""
    # newline=None splits at all three; a BOM read as encoding (utf-8-sig) counts 3 bytes but yields none.
    read = 0
    for line in fh:
        read += len(line)
        if read > size:  # characters ≤ bytes: more characters than the stat size means more bytes
            raise OverflowError
        yield line


def _load_csv(path: str, rows: int, cols: int, notes: list[str] | None = None) -> np.ndarray:
    """Parse into a preallocated float32 matrix, one line at a time: about 5 bytes per value at the peak.

    A first line none of whose cells is a number is a header, skipped and named in notes; any other line
    that does not parse is refused with its line and column. No data line is ever dropped.
    """
    x = np.empty((rows, cols), dtype=np.float32)
    n, seen = 0, False
    try:
        size = os.stat(path).st_size
        with open(path, "r", encoding="utf-8-sig", newline=None) as fh:
            for lineno, line in enumerate(_lines(fh, size), start=1):
                if not line.strip():
                    continue
                cells = line.rstrip("\n").split(",")
                if len(cells) != cols:
                    raise _fail(path, f"line {lineno} has {len(cells)} columns; earlier lines have {cols} (ragged rows)")
                if n >= rows:
                    raise _fail(path, "grew while it was read; copy it into a file that is not being written")
                first, seen = not seen, True
                if not _parse_into(x[n], cells):
                    numeric = [_is_float(c.strip().strip('"')) for c in cells]
                    if first and not any(numeric):
                        if notes is not None:
                            notes.append(f"line {lineno} is a header (no cell is a number): it was not read as data")
                        continue
                    bad = numeric.index(False)
                    # The value itself is never echoed: the file may not be data at all (/etc/passwd).
                    raise _fail(path, f"line {lineno}, column {bad + 1} is not a number"
                                + ("; a header line holds no numbers at all" if first else ""))
                n += 1
    except UnicodeDecodeError as exc:
        raise _fail(path, f"is not UTF-8 text (byte {exc.start:,} of a line)") from None
    except OverflowError:
        raise _fail(path, f"holds more than the {size:,} bytes its size says (a pseudo-file, or one still being "
                          "written); copy it into a regular file") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if n == 0:
        raise _fail(path, "holds no numeric rows")
    return x[:n]


def _parse_into(row: np.ndarray, cells: list[str]) -> bool:
    """Fill row from the cells (quoted numbers too); False when one is not a number."""
    # Values past float32's range become inf, named by _finish: numpy's RuntimeWarning is no message.
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            row[:] = list(map(float, cells))  # float() takes surrounding whitespace; the fast path
            return True
        except ValueError:
            pass
        try:
            row[:] = [float(c.strip().strip('"')) for c in cells]
            return True
        except ValueError:
            return False


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
        what = "NaN" if np.isnan(x[r, c]) else "infinite, or beyond float32's range (±3.4e38)"
        raise _fail(path, f"row {r + 1}, column {c + 1} is {what}; every value must be finite")
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

"""How a run's per-batch floats are stored: raw float32 while it trains, byte-shuffled zlib once it is done.

A loss curve's float32s share their sign and exponent bytes from batch to batch; grouping each byte
position together (the shuffle HDF5 and Blosc use) lets zlib find that: measured on a 9,400-batch MSE
curve, 3.07 bytes a batch instead of 4 (zlib alone: 3.69). It is lossless: the curve reads back bit for bit.
"""

from __future__ import annotations

import zlib

import numpy as np

SHUFFLED_ZLIB = 1  # loss_chunks.codec: NULL is raw float32 (stores before packing), 1 this packing


def blob(values) -> bytes | None:
    """Raw float32 bytes (None stays None): what a training run appends, cheaply, twice a second."""
    return None if values is None else np.ascontiguousarray(values, dtype=np.float32).tobytes()


def pack(values) -> bytes | None:
    """Byte-shuffled, zlib-compressed float32 bytes, for a finished run's compacted chunks."""
    if values is None:
        return None
    raw = np.ascontiguousarray(values, dtype=np.float32).view(np.uint8).reshape(-1, 4)
    return zlib.compress(raw.T.tobytes(), 6)


def unpack(data, codec) -> bytes:
    """A stored blob back to raw float32 bytes; a damaged one gives what can be read (possibly nothing)."""
    if not isinstance(data, bytes):
        return b""
    if codec != SHUFFLED_ZLIB:
        return data
    try:
        shuffled = zlib.decompress(data)
    except zlib.error:
        return b""
    if len(shuffled) % 4:
        return b""
    planes = np.frombuffer(shuffled, dtype=np.uint8).reshape(4, -1)
    out = np.empty((planes.shape[1], 4), dtype=np.uint8)
    for j in range(4):  # one byte plane at a time: 4× faster than copying the transposed view
        out[:, j] = planes[j]
    return out.tobytes()


def floats(rows) -> np.ndarray:
    """float32 values from stored (blob, codec) rows; a damaged blob is cut to whole values, or skipped."""
    data = b"".join(unpack(b, c) for b, c in rows)
    return np.frombuffer(data[:len(data) - len(data) % 4], dtype=np.float32).copy()

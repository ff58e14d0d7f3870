"""A training pace in words, for the window's status bar and the CLI's progress line (no torch: the window
imports it before torch is warm)."""

from __future__ import annotations

import math


def rate_text(rate: float) -> str:
    """A training pace for people: "4,431 batches/s", "2.5 batches/s", or "3.2 s/batch" under one a second
    (a slow run read "1 batches/s", or "0 batches/s"); "" when there is none yet."""
    if not math.isfinite(rate) or rate <= 0:
        return ""
    if rate >= 10:
        return f"{rate:,.0f} batches/s"
    if rate >= 1:
        return f"{rate:.1f} batches/s"
    return f"{1 / rate:.1f} s/batch"

"""Shared by the benchmarks: one result row, RSS from /proc, and the table printer."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # every benchmark that touches Qt runs headless


@dataclass(frozen=True)
class Row:
    """One figure: what was measured, what it is held against, and whether it met the target."""

    figure: str
    measured: float
    reference: float
    unit: str
    target: str       # e.g. "≥ 0.95× reference", "≤ 50 ms"
    ratio: float
    passed: bool

    def line(self) -> str:
        """The row as one printed line."""
        verdict = "PASS" if self.passed else "FAIL"
        return (f"{self.figure}: {fmt(self.measured)} {self.unit} · reference {fmt(self.reference)} "
                f"· ratio {self.ratio:.3g} · target {self.target} · {verdict}")


def fmt(v: float) -> str:
    """A figure with sensible digits for a table."""
    if v != v:
        return "nan"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def at_most(figure: str, measured: float, limit: float, unit: str, reference: float | None = None,
            ref_note: str = "") -> Row:
    """A row whose target is measured ≤ limit; the ratio is measured / limit."""
    ref = limit if reference is None else reference
    return Row(figure, measured, ref, unit, f"≤ {fmt(limit)} {unit}{ref_note}", measured / limit if limit else 0.0,
               measured <= limit)


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident set size in MB (this one's by default), from /proc/PID/status (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def print_rows(rows) -> None:
    """Print each row on its own line."""
    for r in rows:
        print(r.line())
    sys.stdout.flush()


def rounds_main(doc: str, rows) -> int:
    """A benchmark script's main: --rounds N, print rows(N), exit 1 when a target fails."""
    import argparse
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--rounds", type=int, default=5)
    result = rows(ap.parse_args().rounds)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1

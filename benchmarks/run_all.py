"""Run every benchmark and print one table: figure, measured, reference/target, ratio, PASS/FAIL.

Only `--write` puts the table, with the machine and date, into benchmarks/RESULTS.md (which holds
nothing else: hand-written notes live in benchmarks/NOTES.md); `--out PATH` writes it elsewhere.
Each figure's reference is measured in the same run. `--batches` sets the long runs' length (default
100,000; `--long` runs the full 1,000,000 of issue 5); `--skip-long` leaves them out.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the benchmarks import each other as plain modules

from _rows import Row, fmt  # noqa: E402

HEADER = ("figure", "measured", "reference / target", "ratio", "result")


def machine() -> dict:
    """CPU model, cores, and the versions the figures depend on."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or "unknown")
    import numpy
    import PySide6
    import pyqtgraph
    import torch
    return {"CPU": cpu, "cores": os.cpu_count(), "Python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "Qt (PySide6)": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__,
            "OS": platform.platform()}


def cells(r: Row) -> tuple[str, ...]:
    """One row's table cells."""
    return (r.figure, f"{fmt(r.measured)} {r.unit}", f"{fmt(r.reference)} {r.unit} ({r.target})",
            f"{r.ratio:.3g}", "PASS" if r.passed else "FAIL")


def table(rows: list[Row]) -> str:
    """The rows as a plain-text table with aligned columns."""
    lines = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown(rows: list[Row], info: dict, command: str) -> str:
    """RESULTS.md: the table, the machine and the date."""
    md = ["# Benchmark results", "", f"`{command}` on {time.strftime('%Y-%m-%d %H:%M %Z')}.", "",
          "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |" for r in rows]
    md += ["", "Machine:", ""] + [f"- {k}: {v}" for k, v in info.items()]
    md += ["", "Each reference was measured in the same run, alternating with its figure where both are "
           "rates; a ratio is measured / reference (or / target where the reference is a fixed target). "
           "Rates are timed from the first batch requested.", "",
           "Written by `run_all.py --write` (or `--out`); notes on these figures, by hand, are in [NOTES.md](NOTES.md).", ""]
    return "\n".join(md)


def collect(args) -> list[Row]:
    """Every benchmark's rows, in the order the issues list them."""
    import bench_bands
    import bench_engine
    import bench_figures
    import bench_gui
    import bench_long
    import bench_results
    import bench_spawn
    rows = bench_engine.rows(args.rounds)
    rows += bench_gui.rows(args.rounds)
    rows += bench_spawn.rows(args.rounds)
    rows += bench_bands.rows(max(1, args.rounds - 2))
    rows += bench_results.rows(rounds=args.rounds)  # the results pane at 10,000 runs (issue 18 §12)
    if args.skip_long:
        return rows + bench_long.results_listing()
    batches = 1_000_000 if args.long else args.batches
    rows += bench_figures.rows(batches, 64)  # a seed band's figure: memory and SVG size vs a single run's
    gui_batches = args.gui_batches or batches
    return rows + bench_long.headless(batches) + bench_long.in_window(gui_batches) + bench_long.results_listing()


def main() -> int:
    """Run and print the table (and write it, with --write or --out); exit 1 when any target fails."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per rate comparison")
    ap.add_argument("--batches", type=int, default=100_000, help="batches per long run (default 100,000)")
    ap.add_argument("--gui-batches", type=int, default=0, help="batches of the long run in the window, if not --batches")
    ap.add_argument("--long", action="store_true", help="the full 1,000,000-batch long runs")
    ap.add_argument("--skip-long", action="store_true", help="leave the long runs out")
    ap.add_argument("--write", action="store_true", help="write the table to benchmarks/RESULTS.md")
    ap.add_argument("--out", help="write the table to this file instead (default: print only)")
    args = ap.parse_args()
    rows = collect(args)
    text = table(rows)
    print(text)
    out = args.out or (str(HERE / "RESULTS.md") if args.write else None)
    if out:
        Path(out).write_text(markdown(rows, machine(), "python benchmarks/run_all.py " + " ".join(sys.argv[1:])),
                             encoding="utf-8")
        print(f"\nwritten to {out}")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

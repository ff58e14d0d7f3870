"""Figures of long seed bands (issue 18 §11): `aegui export` of a 1,000,000-batch × 64-seed run against a
single run of as many batches, measured in the same run, each export in a fresh process.

Peak memory is the export process' peak RSS (VmHWM), Qt and imports included; the file is the SVG written.
Targets: the band's peak memory over the single run's ≤ EXTRA_MB, a constant (memory follows the figure, not the
curve: the 1,000,000 × 64 curve alone is 244 MB of float32), and its SVG ≤ 300 KB and ≤ 5× the single run's
(median, min and max are three curves and the band's fill one more).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from _rows import Row, at_most, print_rows

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 16384  # batches per stored chunk, about what a live run writes at a time
# What a band may cost over a single run: one stored chunk (65,536 batches × 64 seeds, 16 MB of float32)
# decoded, and its slices' float64 work; a constant, whatever the number of batches.
EXTRA_MB = 128


def make_store(path: Path, batches: int, seeds: int) -> tuple[int, int]:
    """A store with a finished `seeds`-copy run and a single run, `batches` batches each: (band id, single id)."""
    sys.path.insert(0, str(ROOT))
    from types import SimpleNamespace

    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.floors.floors import Floor
    from aegui.core.store.store import RunStore
    store = RunStore(path)
    rng = np.random.default_rng(0)
    ids = []
    for copies in (seeds, 1):
        config = with_changes(RunConfig(), **{"name": f"{copies} seeds", "training.epochs": 1})
        run_id = store.create_run(config, device="cpu", floors=[Floor("model", 0.0, "exact", "bench")], copies=copies)
        for start in range(0, batches, CHUNK):
            n = min(CHUNK, batches - start)
            steps = np.arange(start, start + n, dtype=np.float64)[:, None]
            block = 0.5 * np.exp(-steps / (batches / 6)) * (1 + 0.3 * rng.random((n, copies)))
            store.write_progress(run_id, start, block.astype(np.float32) if copies > 1 else block[:, 0].astype(np.float32),
                                 [], 1.0)
        end = SimpleNamespace(seconds=1.0, batches=batches, epochs=1, batches_per_s=batches, final_loss=1e-3,
                              copy_final=np.full(copies, 1e-3) if copies > 1 else None, eval_loss=1e-3)
        store.finish_run(run_id, "finished", "max_epochs", end)
        ids.append(run_id)
    store.close()
    return ids[0], ids[1]


# VmHWM, the peak RSS of this process image: ru_maxrss would count the parent's RSS at fork time.
CHILD = """
import sys
sys.path.insert(0, {root!r})
from aegui.gui.figures.export import export_runs
export_runs({db!r}, [{run_id}], {out!r})
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024)
"""


def export_peak(db: Path, run_id: int, out: Path) -> tuple[float, int]:
    """(peak RSS in MB, file bytes) of `aegui export` of one run, in a fresh process."""
    code = CHILD.format(root=str(ROOT), db=str(db), run_id=run_id, out=str(out))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    return float(done.stdout.strip().splitlines()[-1]), out.stat().st_size


def rows(batches: int = 1_000_000, seeds: int = 64) -> list[Row]:
    """Peak memory and SVG size of a band's export against a single run's."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "runs.sqlite"
        band, single = make_store(db, batches, seeds)
        single_mb, single_svg = export_peak(db, single, Path(tmp) / "single.svg")
        band_mb, band_svg = export_peak(db, band, Path(tmp) / "band.svg")
        band_png_mb, _ = export_peak(db, band, Path(tmp) / "band.png")
    label = f"{batches:,}-batch × {seeds}-seed band"
    curve_mb = batches * seeds * 4 / 2**20
    note = f" (the curve: {curve_mb:,.0f} MB of float32; issue 18 measured 2,570 MB at 1,000,000 × 64)"
    return [at_most(f"export SVG of a {label}: peak memory over a single run's", band_mb - single_mb, EXTRA_MB,
                    "MB", ref_note=note),
            at_most(f"export PNG of a {label}: peak memory over a single run's SVG export", band_png_mb - single_mb,
                    EXTRA_MB, "MB"),
            Row(f"SVG of a {label} vs a single run's", band_svg / 1024, single_svg / 1024, "KB",
                "≤ 5× reference", band_svg / single_svg, band_svg <= 5 * single_svg),
            at_most(f"SVG of a {label}", band_svg / 1024, 300, "KB")]


def main() -> int:
    """Print the rows; exit 1 when a target fails."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batches", type=int, default=1_000_000)
    ap.add_argument("--seeds", type=int, default=64)
    args = ap.parse_args()
    result = rows(args.batches, args.seeds)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Render a saved comparison in every format, at both journal column widths, through two renderers, into PNGs.

    python benchmarks/render_figures.py [--out DIR] [--store RUNS.sqlite --runs 3 4 5] [--readme]

Without --store it trains the seed's lesson first (presets linear-mse-uniform, sigmoid-bce-uniform and
sigmoid-bce-bernoulli: MSE stops at tol after about 705 batches, the BCE runs go 4,700) into a temporary store.
For each size (column, two-column) it writes the figure as PNG (Qt, 300 dpi), SVG and PDF, then rasterises:

    SIZE-qt.png      the PNG Qt wrote
    SIZE-svg-qt.png  the SVG through Qt's own SVG renderer (QSvgRenderer)
    SIZE-svg-rsvg.png  the SVG through rsvg-convert (librsvg2-bin), when installed
    SIZE-pdf-gs.png  the PDF through Ghostscript, when installed
    SIZE-sheet.png   the renderings side by side, to compare at a glance (ImageMagick's convert, when installed)

--readme also copies the column PNG to resources/figure-column.png (the figure README shows).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LESSON = ("linear-mse-uniform", "sigmoid-bce-uniform", "sigmoid-bce-bernoulli")
DPI = 300


def train_lesson(db: Path) -> list[int]:
    """Train the lesson's three presets into the store at db; their run ids."""
    from aegui.core.config.presets import PRESETS
    from aegui.core.store.recorder import RunRecorder
    from aegui.core.store.store import RunStore
    from aegui.core.engine.training import train
    store = RunStore(db)
    ids = []
    try:
        for name in LESSON:
            rec = RunRecorder(store)
            for record in train(PRESETS[name].config, threads=1):
                rec.feed(record)
            ids.append(rec.run_id)
    finally:
        store.close()
    return ids


def svg_through_qt(svg: Path, out: Path, dpi: int) -> None:
    """Rasterise an SVG with Qt's QSvgRenderer at dpi (its width in mm sets the size)."""
    from PySide6 import QtGui, QtSvg
    renderer = QtSvg.QSvgRenderer(str(svg))
    box = renderer.viewBoxF()
    text = svg.read_text(encoding="utf-8")[:600]
    mm = float(text.split('width="', 1)[1].split("mm", 1)[0])
    width = round(mm / 25.4 * dpi)
    height = round(width * box.height() / box.width())
    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter)
    painter.end()
    image.save(str(out))


def render(pairs, out: Path, size: str) -> list[Path]:
    """Write size's PNG, SVG and PDF and their renderings into out; the PNGs to look at."""
    from aegui.gui.figures.export import save_comparison
    made = []
    png = save_comparison(pairs, out / f"{size}.png", size=size, dpi=DPI)
    svg = save_comparison(pairs, out / f"{size}.svg", size=size)
    pdf = save_comparison(pairs, out / f"{size}.pdf", size=size)
    shutil.copyfile(png, out / f"{size}-qt.png")
    made.append(out / f"{size}-qt.png")
    svg_through_qt(svg, out / f"{size}-svg-qt.png", DPI)
    made.append(out / f"{size}-svg-qt.png")
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", "-d", str(DPI), "-p", str(DPI), "-b", "white", str(svg),
                        "-o", str(out / f"{size}-svg-rsvg.png")], check=True)
        made.append(out / f"{size}-svg-rsvg.png")
    else:
        print("rsvg-convert not found (apt-get install librsvg2-bin): SVG rendered by Qt only", file=sys.stderr)
    if shutil.which("gs"):
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=png16m", f"-r{DPI}",
                        "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4", f"-sOutputFile={out / f'{size}-pdf-gs.png'}",
                        str(pdf)], check=True)
        made.append(out / f"{size}-pdf-gs.png")
    if shutil.which("convert"):
        subprocess.run(["convert", *map(str, made), "-bordercolor", "#dddddd", "-border", "4", "+append",
                        str(out / f"{size}-sheet.png")], check=True)
    return made


def main() -> int:
    """Render every format at both sizes; print what was written."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "aegui-figures"))
    ap.add_argument("--store", help="a runs.sqlite to read (default: train the lesson into a temporary one)")
    ap.add_argument("--runs", type=int, nargs="*", help="run ids in --store (default: every run)")
    ap.add_argument("--readme", action="store_true", help="copy the column PNG to resources/figure-column.png")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from aegui.core.store.store import RunStore
    from aegui.gui.figures.headless import ensure_app
    from aegui.gui.plots.curves import stored_curve
    ensure_app()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.store) if args.store else Path(tmp) / "runs.sqlite"
        ids = args.runs or (train_lesson(db) if not args.store else None)
        store = RunStore(db)
        try:
            ids = ids or [r.run_id for r in reversed(store.list_runs())]
            pairs = [stored_curve(store, i) for i in ids]
            for size in ("column", "two-column"):
                for path in render(pairs, out, size):
                    print(path)
        finally:
            store.close()
    if args.readme:
        shutil.copyfile(out / "column.png", ROOT / "resources" / "figure-column.png")
        print(ROOT / "resources" / "figure-column.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

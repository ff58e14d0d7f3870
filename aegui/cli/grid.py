"""`aegui grid`: the seed answer's experimental design, every loss × data cell trained and compared."""

from __future__ import annotations

import sys
import time

from .common import (EXIT_INTERRUPTED, UsageError, check_seeds, config_from_args, finite, max_memory, open_store,
                     print_json, usage_errors)
from ..core.config.config import ConfigError, apply_data, apply_loss, with_changes
from ..core.config.presets import GRID_DATA, GRID_LOSSES
from ..core.config.schema import DATA_KINDS, LOSSES


def _split(text: str | None, default: str, allowed: tuple, flag: str) -> list[str]:
    items = [s.strip() for s in (text or default).split(",") if s.strip()]
    bad = [s for s in items if s not in allowed]
    if bad or not items:
        raise UsageError(f"error: {flag} = {text!r}: a comma-separated list of " + ", ".join(allowed))
    return list(dict.fromkeys(items))


def grid_configs(base, losses: list[str], datas: list[str], copies: int = 1, max_memory: int | None = None):
    """The cells' configs, row by row (loss) and column by column (data); ConfigError lists every bad cell."""
    from ..core.engine.training import prepare
    cells: list = []
    problems: list = []
    for loss in losses:
        for data in datas:
            cfg = with_changes(apply_data(apply_loss(base, loss), data), name=f"{loss} · {data}")
            try:
                cells.append((loss, data, prepare(cfg, copies, max_memory)))
            except ConfigError as exc:
                problems.extend(f"error: cell {loss} × {data}: {p}" for p in exc.problems)
    if problems:
        raise UsageError("\n".join(problems))
    return cells


def cmd_grid(args) -> int:
    """Train each loss × data cell and report its final loss beside its floor."""
    check_seeds(args.seeds)
    return run_grid(args)


def run_grid(args) -> int:
    """Validate every cell, then train them one after another into one stored group."""
    from .train import train_and_store
    from ..gui.figures.atomic import ExportError, check_out
    losses = _split(args.loss, ",".join(GRID_LOSSES), LOSSES, "--loss")
    datas = _split(args.data, ",".join(GRID_DATA), DATA_KINDS, "--data")
    args.loss = args.data = None  # the lists are not single-run overrides
    with usage_errors():
        base = config_from_args(args)
    if args.out:
        try:
            check_out(args.out, (".png", ".svg"))  # before any training: exit 2 promises nothing stored
        except ExportError as exc:
            if exc.environment:
                raise
            raise UsageError(f"error: {exc}") from None
    cells = grid_configs(base, losses, datas, args.seeds, max_memory(args))
    store = open_store(args)
    group = f"grid {time.strftime('%Y-%m-%d %H:%M:%S')}"
    results = []
    for loss, data, prep in cells:
        print(f"cell {loss} × {data}", file=sys.stderr)
        res = train_and_store(prep, store, args.seeds, group_name=group)
        results.append({"loss": loss, "data": data, "run_id": res["run_id"], "final_loss": res["final_loss"],
                        "eval_loss": res["eval_loss"],  # what gap is measured from (was missing beside it)
                        "floor": res["floor"], "floor_exact": res["floor_exact"], "gap": res["gap"],
                        "stop_reason": res["stop_reason"], "batches": res["batches"]})
        if res["stop_reason"] == "cancelled":
            break
    if args.out:
        _save(store, results, args.out, args.excess)
    if args.json:
        print_json({"group": group, "losses": losses, "data": datas, "cells": results})
    else:
        for c in results:
            print(f"{c['loss']:>10} × {c['data']:<10} final {finite(c['final_loss'])}  floor {c['floor']:.4g}")
    return EXIT_INTERRUPTED if results and results[-1]["stop_reason"] == "cancelled" else 0


def _save(store, results, out: str, excess: bool) -> None:
    from ..gui.figures.export import ExportError
    from ..gui.grid.figure import save_grid
    try:
        save_grid(store, results, out, excess=excess)
    except ExportError as exc:
        if exc.environment:
            raise  # a full disk: cli.main prints one line, exit 1
        raise UsageError(f"error: {exc}") from None
    print(f"saved {out}", file=sys.stderr)

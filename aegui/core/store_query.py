"""Ordered, filtered run ids and pages of run rows, computed by SQLite: a 10,000-run store never parses in full.

The results pane shows a page of rows at a time; what it needs of the whole store (which runs match a
filter, in which order) is answered here in SQL, without parsing a single config in Python.
"""

from __future__ import annotations

import sqlite3

from .store_rows import RunRow, parse_row
from .store_schema import LIST_COLUMNS, STATUSES


def _cfg(path: str) -> str:
    # A damaged config (not JSON) must not make the whole query fail: json_extract raises on it.
    return f"(CASE WHEN json_valid(config) THEN json_extract(config, '$.{path}') END)"


def _floor(name: str) -> str:
    return ("(CASE WHEN json_valid(floors) AND json_type(floors) = 'array' THEN "
            "(SELECT json_extract(f.value, '$.value') FROM json_each(floors) AS f "
            f"WHERE json_extract(f.value, '$.name') = '{name}' LIMIT 1) END)")


_FILE = _cfg("data.file")
# The file's name without its folders: strip everything up to the last '/' (SQLite has no basename()).
_BASENAME = f"substr({_FILE}, length(rtrim({_FILE}, replace({_FILE}, '/', ''))) + 1)"
_DATA = (f"(CASE WHEN {_cfg('data.kind')} = 'file' AND {_FILE} IS NOT NULL THEN {_BASENAME} "
         f"ELSE {_cfg('data.kind')} END || ' ×' || {_cfg('data.features')})")

# The SQL that orders runs by each column the pane can sort; NULLs go last in either direction (order_sql).
SORT_SQL = {
    "run_id": "run_id",
    "name": "lower(name)",
    "status": "status",
    "loss": _cfg("loss.kind"),
    "data": _DATA,
    "final_loss": "final_loss",
    "eval_loss": "eval_loss",
    "data_floor": _floor("data"),
    "model_floor": _floor("model"),
    "optimizer_gap": f"(eval_loss - {_floor('model')})",
    "gap": "(eval_loss - floor)",
    "copies": "copies",
    "model": (f"({_cfg('model.kind')} || ' ' || {_cfg('data.features')} || ' ' || "
              f"coalesce({_cfg('model.encoding_dim')}, {_cfg('data.features')}) || ' ' || {_cfg('model.depth')} || "
              f"' ' || {_cfg('model.activation')} || ' ' || {_cfg('model.output')})"),
    "lr": _cfg("optimizer.lr"),
    "batches": "batches",
    "min_epoch_loss": "min_epoch_loss",
    "stop_reason": "coalesce(stop_reason, '')",
    "seconds": "coalesce(seconds, 0)",
    "device": "device",
    "group_name": "coalesce(group_name, '')",
    "created": "coalesce(created, 0)",
    "notes": "coalesce(notes, '')",
}

# What a filter's text is looked for in: the cells the pane shows as words, and the numbers it shows
# (printf's %.4g is the pane's own format). The config's values, never its JSON keys: 'loss' must not
# match every run because each config has a "loss" key.
_HAYSTACK = " || ' ' || ".join(f"coalesce({e}, '')" for e in (
    "name", "status", "stop_reason", "device", "notes", "group_name", "'#' || run_id",
    _cfg("loss.kind"), _DATA, _cfg("model.kind"), _cfg("model.activation"), _cfg("model.output"),
    "printf('%.4g', final_loss)", "printf('%.4g', eval_loss)"))

# What tells a refresh that a listed row changed and must be read again.
_STAMP = "updated || '|' || status || '|' || length(name) || name || '|' || coalesce(length(notes), 0)"


def _like(text: str) -> str:
    """A LIKE pattern matching text anywhere, with LIKE's own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def order_sql(sort: str, descending: bool) -> str:
    """ORDER BY for a SORT_SQL key: NULLs last either way, ties broken by newest first."""
    expr = SORT_SQL[sort]
    way = "DESC" if descending else "ASC"
    return f"({expr}) IS NULL, {expr} {way}, run_id DESC"


def ordered_ids(db: sqlite3.Connection, text: str = "", sort: str | None = None,
                descending: bool = False) -> list[tuple[int, str]]:
    """(run_id, stamp) of the runs matching text (case-insensitive, any shown cell), in the asked order.

    sort None: the store's order, newest first. The stamp changes whenever the row's shown facts do.
    """
    where, args = "", ()
    if text.strip():
        # LIKE is case-insensitive for ASCII only; lower() both sides for the same reason.
        where, args = f"WHERE lower({_HAYSTACK}) LIKE lower(?) ESCAPE '\\'", (_like(text.strip()),)
    order = "run_id DESC" if sort is None else order_sql(sort, descending)
    return db.execute(f"SELECT run_id, {_STAMP} FROM runs {where} ORDER BY {order}", args).fetchall()


def rows_by_id(db: sqlite3.Connection, run_ids) -> dict[int, RunRow]:
    """The RunRows of these runs (those still stored), parsed; one query per 500 ids."""
    ids = [int(i) for i in run_ids]
    out: dict[int, RunRow] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ",".join("?" * len(part))
        for r in db.execute(f"SELECT {LIST_COLUMNS} FROM runs WHERE run_id IN ({marks})", part):
            out[r[0]] = parse_row(r, STATUSES)
    return out


def running_ids(db: sqlite3.Connection) -> set[int]:
    """The runs the store says are training now (status 'running'): a handful, whatever the store's size."""
    return {r[0] for r in db.execute("SELECT run_id FROM runs WHERE status='running'")}

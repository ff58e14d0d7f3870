"""Ordered, filtered run ids and pages of run rows, computed by SQLite: a 10,000-run store never parses in full.

The results pane shows a page of rows at a time; what it needs of the whole store (which runs match a
filter, in which order) is answered here in SQL, without parsing a single config in Python.
"""

from __future__ import annotations

import sqlite3

from .store_rows import RunRow, parse_row
from .store_schema import LIST_COLUMNS, STATUSES


def _tuples(db: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor yielding plain tuples, not the connection's sqlite3.Rows: the id lists below are values the
    results pane keeps and compares as tuples, and at 10,000 runs Rows cost more (measured: fetch +20 %,
    comparing two lists 4x)."""
    cur = db.cursor()
    cur.row_factory = None
    return cur


def _cfg(path: str, guard: bool) -> str:
    # A damaged config (not JSON) makes json_extract raise; guarding costs a second parse of every row, so
    # queries run unguarded and only a store with a damaged row is asked again with guards (ordered_ids).
    get = f"json_extract(config, '$.{path}')"
    return f"(CASE WHEN json_valid(config) THEN {get} END)" if guard else get


def _floor(name: str) -> str:
    return ("(CASE WHEN json_valid(floors) AND json_type(floors) = 'array' THEN "
            "(SELECT json_extract(f.value, '$.value') FROM json_each(floors) AS f "
            f"WHERE json_extract(f.value, '$.name') = '{name}' LIMIT 1) END)")


def _data(guard: bool) -> str:
    file, kind, features = _cfg("data.file", guard), _cfg("data.kind", guard), _cfg("data.features", guard)
    # The file's name without its folders: strip everything up to the last '/' (SQLite has no basename()).
    base = f"substr({file}, length(rtrim({file}, replace({file}, '/', ''))) + 1)"
    return f"(CASE WHEN {kind} = 'file' AND {file} IS NOT NULL THEN {base} ELSE {kind} END || ' ×' || {features})"


def sort_sql(key: str, guard: bool = False) -> str:
    """The SQL expression that orders runs by a column of the results pane (its Column.sort key)."""
    def cfg(path):
        return _cfg(path, guard)
    exprs = {
        "run_id": "run_id", "name": "lower(name)", "status": "status", "loss": cfg("loss.kind"),
        "data": _data(guard), "final_loss": "final_loss", "eval_loss": "eval_loss",
        "data_floor": _floor("data"), "model_floor": _floor("model"),
        "optimizer_gap": f"(eval_loss - {_floor('model')})", "gap": "(eval_loss - floor)", "copies": "copies",
        # One parse a row: the model's facts as one JSON array, ordered as text (as the column's text was).
        "model": ("json_extract(config, '$.model.kind', '$.data.features', '$.model.encoding_dim', '$.model.depth', "
                  "'$.model.activation', '$.model.output')" if not guard else "(CASE WHEN json_valid(config) THEN "
                  "json_extract(config, '$.model.kind', '$.data.features', '$.model.encoding_dim', "
                  "'$.model.depth', '$.model.activation', '$.model.output') END)"),
        "lr": cfg("optimizer.lr"), "batches": "batches", "min_epoch_loss": "min_epoch_loss",
        "stop_reason": "coalesce(stop_reason, '')", "seconds": "coalesce(seconds, 0)", "device": "device",
        "group_name": "coalesce(group_name, '')", "created": "coalesce(created, 0)", "notes": "coalesce(notes, '')",
    }
    return exprs[key]


def _haystack(guard: bool) -> str:
    """What a filter's text is looked for in: the cells the pane shows as words, and its numbers.

    printf's %.4g is the pane's own format. The config's values only, never its JSON keys ('loss' must
    not match every run because each config has a "loss" key), read with one json_extract: one parse a row.
    """
    values = ("json_extract(config, '$.loss.kind', '$.data.kind', '$.data.file', '$.model.kind', "
              "'$.model.activation', '$.model.output')")
    if guard:
        values = f"(CASE WHEN json_valid(config) THEN {values} END)"
    return " || ' ' || ".join(f"coalesce({e}, '')" for e in (
        "name", "status", "stop_reason", "device", "notes", "group_name", "'#' || run_id", values,
        "printf('%.4g', final_loss)", "printf('%.4g', eval_loss)"))


def _like(text: str) -> str:
    """A LIKE pattern matching text anywhere, with LIKE's own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def order_sql(sort: str, descending: bool, guard: bool = False) -> str:
    """ORDER BY for a sort key: NULLs last either way, ties broken by newest first."""
    expr = sort_sql(sort, guard)
    way = "DESC" if descending else "ASC"
    return f"({expr}) IS NULL, {expr} {way}, run_id DESC"


def ordered_ids(db: sqlite3.Connection, text: str = "", sort: str | None = None,
                descending: bool = False) -> list[tuple]:
    """(run_id, updated, status, name, notes' length) of the runs matching text, in the asked order.

    text: case-insensitive, found in any shown cell; sort None: the store's order, newest first. The
    fields after the id change whenever the row's shown facts do: a refresh re-reads only those rows.
    """
    try:
        return _ordered(db, text, sort, descending, guard=False)
    except sqlite3.OperationalError as exc:
        if "JSON" not in str(exc).upper():
            raise
        return _ordered(db, text, sort, descending, guard=True)  # a damaged config: ask again, guarded


def _ordered(db, text: str, sort: str | None, descending: bool, guard: bool) -> list[tuple]:
    where = ""
    args: tuple[str, ...] = ()
    if text.strip():
        # LIKE is case-insensitive for ASCII only; lower() both sides for the same reason.
        where, args = f"WHERE lower({_haystack(guard)}) LIKE lower(?) ESCAPE '\\'", (_like(text.strip()),)
    order = "run_id DESC" if sort is None else order_sql(sort, descending, guard)
    return _tuples(db).execute(f"SELECT run_id, updated, status, name, length(notes) FROM runs {where} "
                               f"ORDER BY {order}", args).fetchall()


def haystacks(db: sqlite3.Connection, below: int | None = None, limit: int = 500,
              run_ids=None) -> list[tuple[int, str]]:
    """(run_id, the text a filter searches) for up to `limit` runs with ids under `below`, newest first;
    or for the given run_ids. The pane builds its filter index from these in slices, off its busy moments."""
    def query(guard: bool):
        sql = f"SELECT run_id, {_haystack(guard)} FROM runs"
        if run_ids is not None:
            ids = [int(i) for i in run_ids]
            return [r for start in range(0, len(ids), 500)
                    for r in _tuples(db).execute(f"{sql} WHERE run_id IN ({','.join('?' * len(ids[start:start + 500]))})",
                                        ids[start:start + 500])]
        where, args = ("WHERE run_id < ?", (int(below),)) if below is not None else ("", ())
        return _tuples(db).execute(f"{sql} {where} ORDER BY run_id DESC LIMIT {int(limit)}", args).fetchall()
    try:
        return query(guard=False)
    except sqlite3.OperationalError as exc:
        if "JSON" not in str(exc).upper():
            raise
        return query(guard=True)


def rows_by_id(db: sqlite3.Connection, run_ids, cache: dict | None = None) -> dict[int, RunRow]:
    """The RunRows of these runs (those still stored), parsed; one query per 500 ids.

    cache: stored row → RunRow, kept by the caller: a row stored unchanged is not parsed again (~2 ms a run)."""
    ids = [int(i) for i in run_ids]
    out: dict[int, RunRow] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ",".join("?" * len(part))
        for r in db.execute(f"SELECT {LIST_COLUMNS} FROM runs WHERE run_id IN ({marks})", part):
            if cache is None:
                out[r["run_id"]] = parse_row(r, STATUSES)
                continue
            row = cache.get(r)  # a sqlite3.Row hashes and compares by its values
            if row is None:
                if len(cache) > 400:
                    cache.clear()
                row = cache[r] = parse_row(r, STATUSES)
            out[r["run_id"]] = row
    return out


def running_ids(db: sqlite3.Connection) -> set[int]:
    """The runs the store says are training now (status 'running'): a handful, whatever the store's size."""
    return {r["run_id"] for r in db.execute("SELECT run_id FROM runs WHERE status='running'")}

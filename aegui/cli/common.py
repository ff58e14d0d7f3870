"""What the CLI's modules share: exit codes, usage errors, the run flags and the config they build, opening
the store, checking ids and seeds, printing numbers, floors and JSON.

Its own module so that the parser (and dispatch) and the command groups (train, grid, history) all import it
and never each other in a circle.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from contextlib import contextmanager

from ..core.config.schema import FIELDS, MAX_SEEDS
from ..core.config.vocab import claim_of

EXIT_INVALID = 2
EXIT_ENVIRONMENT = 1  # a full disk, a permission, a lock held too long: not the input's fault
EXIT_INTERRUPTED = 130
MAX_RUN_ID = 2**63 - 1

def _strict(kind, pattern: str, name: str):
    """A flag type like kind() that refuses what Python's own parser takes but people do not write as a number:
    digit separators (`1_0` read as 10), and spaces inside."""
    import re
    form = re.compile(pattern)

    def parse(text: str):
        if not form.fullmatch(text.strip()):
            raise ValueError(text)
        return kind(text)
    parse.__name__ = name  # argparse's message: "invalid int value: '1_0'"
    return parse


whole = _strict(int, r"[+-]?[0-9]+", "int")
number = _strict(float, r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)", "float")

# Every config field's flag, from the schema: {dest: (dotted path, type)}; None means "not given, keep the
# preset's value".
_TYPES = {"int": whole, "optint": whole, "float": number}
RUN_FLAGS = {f.dest: (f.path, _TYPES.get(f.kind, str)) for f in FIELDS}


class UsageError(Exception):
    """Invalid input: each line of the message is one problem, printed without a traceback."""


def flag_value(text, typ):
    """A config flag's text as typ (its number), or the text itself when it is not one (the check names it)."""
    try:
        return typ(text)
    except ValueError:
        return text


def config_from_args(args: argparse.Namespace):
    """The run config: defaults, then the preset, then the config file, then explicit flags."""
    from ..core.config import config as c
    from ..core.config.config_io import load
    from ..core.config.presets import PRESETS
    base = c.RunConfig()
    if args.preset:
        if args.preset not in PRESETS:
            raise UsageError(f"--preset = {args.preset!r}: must be one of " + ", ".join(PRESETS))
        base = PRESETS[args.preset].config
    if args.config:
        base = load(args.config)
    # A number that does not read as one goes in as the text typed: the config's check names it beside every
    # other bad value (argparse stopped at the first, so `--epochs abc --lr -1` never mentioned the rate).
    changes = {path: flag_value(getattr(args, flag), typ) for flag, (path, typ) in RUN_FLAGS.items()
               if getattr(args, flag, None) is not None}
    if changes.get("data.file") and "data.kind" not in changes:
        changes["data.kind"] = "file"
    return c.check(c.with_changes(base, **changes))


def json_safe(obj):
    """obj with every NaN or infinite number (Python or numpy) replaced by None, and numpy values made plain."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy arrays and scalars
        return json_safe(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def finite(v):
    """JSON-safe number: NaN and infinities become null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def json_text(obj, indent: int | None = 2) -> str:
    """obj as strict JSON: NaN and infinities written as null, never as the bare NaN that JSON lacks."""
    # json.dumps never calls default= for floats, so non-finite ones must be replaced before it sees them.
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False)


def print_json(obj) -> None:
    """One JSON document on stdout."""
    print(json_text(obj))


def printable(text) -> str:
    """text with control characters (ESC, newline, …) escaped, so a stored name cannot drive the terminal."""
    import unicodedata
    return "".join(c if unicodedata.category(c)[0] != "C" else repr(c)[1:-1]
                   for c in str(text))


@contextmanager
def usage_errors():
    """Turn the engine's and the store's input errors into one-line-per-problem usage errors."""
    from ..core.config.config import ConfigError  # here: `aegui --help` loads only the schema
    from ..core.store.store import StoreError
    try:
        yield
    except ConfigError as exc:
        raise UsageError("\n".join(f"error: {p}" for p in exc.problems)) from None
    except StoreError as exc:
        if exc.environment:
            raise  # cli.main: one line, exit 1
        raise UsageError(f"error: {exc}") from None


def open_store(args, read_only_ok: bool = False):
    """The run store named by --data-dir, AEGUI_DATA_DIR or the default folder.

    read_only_ok: for commands that only read (runs, show, export), a store that cannot be written
    (full disk, permission) is opened read-only with a warning instead of refused.
    """
    from ..core.store.store import RunStore
    with usage_errors():
        store = RunStore.open(getattr(args, "data_dir", None), read_only_ok=read_only_ok)
    if store.notice:
        print(f"warning: {printable(store.notice)}", file=sys.stderr)
    return store


def max_memory(args) -> int | None:
    """--max-memory in bytes, or None for the default budget."""
    from ..core.engine.memory import parse_size
    text = getattr(args, "max_memory", None)
    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as exc:
        raise UsageError(f"error: {exc}") from None


def check_run_id(run_id: int) -> None:
    """UsageError for an id no store can hold (SQLite integers are 64-bit)."""
    if not 1 <= run_id <= MAX_RUN_ID:
        raise UsageError(f"error: run_id = {str(run_id)[:30]}: no such run (ids are whole numbers from 1 to "
                         f"{MAX_RUN_ID:,}; see `aegui runs`)")


def check_seeds(n: int) -> None:
    """UsageError unless n is a seeds count the CLI allows (1 to MAX_SEEDS)."""
    if not 1 <= n <= MAX_SEEDS:
        raise UsageError(f"error: --seeds = {n}: must be a whole number from 1 to {MAX_SEEDS}")


def num(v, fmt: str = ".4g") -> str:
    """v formatted for a table, or '-' when it is not a number."""
    return f"{v:{fmt}}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "-"


def print_floors(summary: dict, out=None, indent: str = "") -> None:
    """One line per floor: name, value, claim and basis; the one the gap is measured from is marked."""
    out = out or sys.stderr  # looked up now: tests swap sys.stderr
    claim = claim_of(bool(summary["floor_exact"]))
    marked = False
    for f in summary["floors"]:
        mark = not marked and f["value"] is not None and f["value"] == summary["floor"] and f["claim"] == claim
        marked |= mark
        print(f"{indent}{f['name'] + ' floor':20} {num(f['value']):>10}  {f['claim']:11}  {f['basis']}"
              f"{'  <- the gap is measured from here' if mark else ''}", file=out)

"""What the CLI's modules share: exit codes, usage errors, the run flags and the config they build, JSON out.

Its own module so that cli (the parser and dispatch), commands and grid all import it and never each other
in a circle.
"""

from __future__ import annotations

import json
import math

from ..core.schema import FIELDS

EXIT_INVALID = 2
EXIT_ENVIRONMENT = 1  # a full disk, a permission, a lock held too long: not the input's fault
EXIT_INTERRUPTED = 130

# Every config field's flag, from the schema: {dest: (dotted path, type)}; None means "not given, keep the
# preset's value".
_TYPES = {"int": int, "optint": int, "float": float}
RUN_FLAGS = {f.dest: (f.path, _TYPES.get(f.kind, str)) for f in FIELDS}


class UsageError(Exception):
    """Invalid input: each line of the message is one problem, printed without a traceback."""


def config_from_args(args: argparse.Namespace):
    """The run config: defaults, then the preset, then the config file, then explicit flags."""
    from ..core import config as c
    from ..core.config_io import load
    from ..core.presets import PRESETS
    base = c.RunConfig()
    if args.preset:
        if args.preset not in PRESETS:
            raise UsageError(f"--preset = {args.preset!r}: must be one of " + ", ".join(PRESETS))
        base = PRESETS[args.preset].config
    if args.config:
        base = load(args.config)
    changes = {path: getattr(args, flag) for flag, (path, _) in RUN_FLAGS.items()
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

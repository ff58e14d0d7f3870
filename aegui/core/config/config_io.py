"""The run config's JSON round trip: schema version, unknown keys refused by name, size-limited reads."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import fields, replace
from typing import Any

from . import safe_json
from .config import (MAX_CONFIG_BYTES, SCHEMA_VERSION, SECTIONS, ConfigError, Problem, RunConfig, _is_int,
                     validate)


def to_dict(config: RunConfig) -> dict:
    """A plain dict with the schema version, ready for json.dumps."""
    out = {"schema": SCHEMA_VERSION, "name": config.name}
    for key in SECTIONS:
        out[key] = dataclasses.asdict(getattr(config, key))
    return out


def to_json(config: RunConfig, indent: int | None = 2) -> str:
    """The config as JSON text."""
    return json.dumps(to_dict(config), indent=indent, sort_keys=False)


def _coerce(value: Any, default: Any) -> Any:
    # JSON has one number type: accept 2.0 where an int is expected, and ints where floats are.
    if isinstance(default, float) and _is_int(value):
        return float(value)
    if _is_int(default) and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _section_from(name: str, cls: type, raw: Any, problems: list[Problem]) -> Any:
    if not isinstance(raw, dict):
        problems.append(Problem(name, raw, "must be a JSON object"))
        return cls()
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            problems.append(Problem(f"{name}.{key}", raw[key], "unknown key; allowed: " + ", ".join(known)))
    defaults = cls()
    kwargs = {k: _coerce(v, getattr(defaults, k)) for k, v in raw.items() if k in known}
    return replace(defaults, **kwargs)


def from_dict(raw: Any) -> RunConfig:
    """Build a config from a dict; raise ConfigError for unknown keys, a wrong schema or bad values."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise ConfigError([Problem("config", type(raw).__name__, "must be a JSON object")])
    schema = raw.get("schema", SCHEMA_VERSION)
    if type(schema) is not int or schema != SCHEMA_VERSION:  # true == 1 in Python: not a schema number
        problems.append(Problem("schema", schema, f"this aegui reads schema {SCHEMA_VERSION}"))
    allowed = {"schema", "name", *SECTIONS}
    for key in raw:
        if key not in allowed:
            problems.append(Problem(key, raw[key], "unknown key; allowed: " + ", ".join(sorted(allowed))))
    parts = {k: _section_from(k, cls, raw.get(k, {}), problems) for k, cls in SECTIONS.items()}
    config = RunConfig(name=raw.get("name", "") if raw.get("name") is not None else "", **parts)
    problems.extend(validate(config))
    if problems:
        raise ConfigError(problems)
    return config


def from_json(text: str | bytes) -> RunConfig:
    """Parse JSON text (size- and depth-limited, never executed) into a validated config."""
    if not isinstance(text, (str, bytes)):
        raise ConfigError([Problem("config", type(text).__name__, "must be JSON text")])
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError([Problem("config", f"{len(text):,} bytes", f"must be at most {MAX_CONFIG_BYTES:,} bytes")])
    try:
        raw = safe_json.loads(text)
    except safe_json.JSONError as exc:
        raise ConfigError([Problem("config", "JSON", str(exc))]) from None
    return from_dict(raw)


def load(path: str) -> RunConfig:
    """Read a config JSON file."""
    try:
        with open(path, "rb") as fh:
            text = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError([Problem("config", path, f"cannot be read ({exc.strerror or exc})")]) from None
    return from_json(text)

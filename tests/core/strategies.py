"""Hypothesis strategies for configs, generated from the schema: a field added there is drawn here untouched."""

from __future__ import annotations

from hypothesis import strategies as st

from aegui.core.config import schema


def field_values(f: schema.Field) -> st.SearchStrategy:
    """Valid values of one field, kept small (a few units above its lower bound) so that a run trains fast."""
    if f.kind == "choice":
        return st.sampled_from(f.choices)
    if f.kind == "path":
        return st.none()
    if f.kind == "text":
        return st.text(max_size=f.bounds[1])
    lo, hi = f.bounds[:2]
    if f.kind == "float":
        return st.floats(lo, min(hi, lo + 1.0), exclude_min="open" in f.bounds[2:])
    values = st.integers(lo, min(hi, lo + 16))
    return st.one_of(st.none(), values) if f.kind == "optint" else values


def sections(overrides: dict[str, st.SearchStrategy] | None = None) -> st.SearchStrategy:
    """{section: {field: value}} for every section field in the schema; overrides replace a field's draw by path."""
    overrides = overrides or {}
    return st.fixed_dictionaries({
        section: st.fixed_dictionaries({f.attr: overrides[f.path] if f.path in overrides else field_values(f)
                                        for f in schema.section_fields(section)})
        for section in schema.SECTION_DOCS})


def choices(path: str, leave_out: tuple = ()) -> st.SearchStrategy:
    """One of a choice field's values from the schema, less those left out."""
    return st.sampled_from([v for v in schema.BY_PATH[path].choices if v not in leave_out])

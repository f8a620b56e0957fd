"""`appliance data ingest FILE`: look at a source file and propose a `data:` config, writing nothing.

The analysis streams the file once (row count, per-column presence and JSON types over the first rows) and
shows the inferred format and column mapping for the operator to confirm; `--write-config` saves the
proposal as YAML. Values are never shown: only column names, types and counts.

A CSV file's first row is taken for its header, but a file exported without one has a record there, so its
"column names" would be the first record's values. What is printed (`for_output`) therefore names a CSV
column only when the name is a known field name (a canonical field or one of its synonyms) or a column the
mapping uses (given with `--field`/`data.fields`, or found among the synonyms); other columns are shown by
position. JSONL keys and Parquet column names are names by construction and are shown as they are. The
in-process result (`analyze_source`, used by the TUI on the operator's screen) keeps every name.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from appliance.data.readers import analyze, count_rows, iter_rows, sample_columns
from appliance.data.schemas import FORMATS, SYNONYMS, guess_format, infer_mapping

PROFILE_ROWS = 1000


def analyze_source(
    path: Path, fmt: str | None = None, fields: Any = None, input_cfg: Any = None
) -> dict[str, Any]:
    from appliance.config import FieldsConfig, InputConfig

    input_cfg = input_cfg or InputConfig()
    fields = fields or FieldsConfig()
    info = analyze(Path(path), input_cfg.type, input_cfg.encoding, input_cfg.delimiter)
    columns = sample_columns(info, input_cfg.max_record_bytes)
    guessed = guess_format(columns)
    chosen = fmt or guessed or "instruction"
    mapping = infer_mapping(chosen, columns, fields)
    spec = FORMATS[chosen]
    unmapped = [f for f in spec.required if not _present(mapping.get(f), columns)]
    profile: dict[str, Counter[str]] = {}
    bad: Counter[str] = Counter()
    seen = 0
    for row in iter_rows(info, input_cfg.max_record_bytes):
        if seen >= PROFILE_ROWS:
            break
        seen += 1
        if row.error:
            bad[row.error.reason] += 1
            continue
        for k, v in (row.data or {}).items():
            profile.setdefault(str(k), Counter())[_kind(v)] += 1
    return {
        "source": info.as_dict(),
        "rows": count_rows(info, input_cfg.max_record_bytes),
        "rows_counted_as": "rows (Parquet footer)"
        if info.type == "parquet"
        else ("lines" if info.type == "jsonl" else "records"),
        "columns": columns,
        "column_types": {c: dict(profile.get(c, Counter())) for c in columns},
        "profiled_rows": seen,
        "profile_problems": dict(bad),
        "guessed_format": guessed,
        "format": chosen,
        "mapping": mapping,
        "unmapped_required": unmapped,
        "config": proposed_config(path, info, chosen, mapping),
    }


_KNOWN_NAMES = frozenset(
    n.casefold() for f, names in SYNONYMS.items() for n in (f, *names)
) | frozenset(f.casefold() for spec in FORMATS.values() for f in spec.fields)
_RANKED = re.compile(r"(response|completion|rank)_?\d+", re.IGNORECASE)


def shown_columns(source_type: str, columns: list[str], mapping: dict[str, Any]) -> list[str | None]:
    """The column names that may be printed or stored in a report, None where a CSV header cell is neither a
    known field name nor a column the mapping uses (in a headerless file it would be a record's value).
    Entries already None stay None."""
    if source_type != "csv":
        return list(columns)
    used = {c for v in mapping.values() for c in (v if isinstance(v, list) else [v]) if isinstance(c, str)}
    return [
        c if (c is not None and (c in used or c.casefold() in _KNOWN_NAMES or _RANKED.fullmatch(c))) else None
        for c in columns
    ]


def for_output(res: dict[str, Any]) -> dict[str, Any]:
    """`analyze_source`'s result as the CLI prints it (table or --json): CSV header cells that may be record
    content are replaced by None, their types listed by position under `hidden_columns` (1-based)."""
    shown = shown_columns(res["source"]["type"], res["columns"], res["mapping"])
    if all(s is not None for s in shown):
        return res
    hidden = [
        {"position": i, "types": res["column_types"].get(c, {})}
        for i, (c, s) in enumerate(zip(res["columns"], shown, strict=True), start=1)
        if s is None
    ]
    return {
        **res,
        "source": {**res["source"], "columns": shown},
        "columns": shown,
        "column_types": {s: res["column_types"].get(s, {}) for s in shown if s is not None},
        "hidden_columns": hidden,
    }


def _present(col: Any, columns: list[str]) -> bool:
    if isinstance(col, list):
        return all(c in columns for c in col)
    return col is not None and col in columns


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        return "empty" if not v.strip() else "text"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def proposed_config(path: Path, info: Any, fmt: str, mapping: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in mapping.items() if v is not None}
    data: dict[str, Any] = {"source": str(path), "format": fmt, "fields": fields}
    inp: dict[str, Any] = {}
    if info.type == "csv":
        inp = {"type": "csv", "encoding": info.encoding, "delimiter": info.delimiter}
    elif info.type != ("jsonl" if Path(path).suffix.lower() in (".jsonl", ".ndjson", ".json") else "parquet"):
        inp = {"type": info.type}
    if inp:
        data["input"] = inp
    data["split"] = {"validation": 0.1, "test": 0.1, "seed": 7}
    return {"data": data}


__all__ = ["analyze_source", "for_output", "proposed_config", "shown_columns"]

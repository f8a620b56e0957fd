"""`appliance data ingest FILE`: look at a source file and propose a `data:` config, writing nothing.

The analysis streams the file once (row count, per-column presence and JSON types over the first rows) and
shows the inferred format and column mapping for the operator to confirm; `--write-config` saves the
proposal as YAML. Values are never shown: only column names, types and counts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from appliance.data.readers import analyze, count_rows, iter_rows, sample_columns
from appliance.data.schemas import FORMATS, guess_format, infer_mapping

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


__all__ = ["analyze_source", "proposed_config"]

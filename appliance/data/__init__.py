"""Data preparation (foundation: JSONL instruction/response → canonical records → seeded splits).

Canonical instruction record: {"id": str, "prompt": str, "response": str, "system": str (optional)}.
The data-preparation issue adds CSV/Parquet, more task formats, cleaning, dedupe and augmentation behind
`ingest()`/`prepare()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import BadInput

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class FieldMap:
    prompt: str = "prompt"
    response: str = "response"
    system: str | None = None
    id: str = "id"


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; BadInput naming the line on any problem."""
    if not path.is_file():
        raise BadInput(f"dataset file not found: {path}")
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise BadInput(f"{path}:{lineno}: not valid UTF-8; re-export the file as UTF-8") from None
            except json.JSONDecodeError as exc:
                raise BadInput(f"{path}:{lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise BadInput(
                    f"{path}:{lineno}: expected one JSON object per line, got {type(obj).__name__}"
                )
            yield lineno, obj


def to_canonical(path: Path, lineno: int, obj: dict[str, Any], fields: FieldMap) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    rid = obj.get(fields.id)
    rec["id"] = str(rid) if rid is not None else f"line-{lineno}"
    for key, src in (("prompt", fields.prompt), ("response", fields.response), ("system", fields.system)):
        if src is None:
            continue
        value = obj.get(src)
        if value is None or (isinstance(value, str) and not value.strip()):
            if key == "system":
                continue
            raise BadInput(f"{path}:{lineno}: required field '{src}' is missing or empty (mapped to {key})")
        if not isinstance(value, str):
            raise BadInput(f"{path}:{lineno}: field '{src}' must be text, got {type(value).__name__}")
        rec[key] = value
    return rec


def split_of(record_id: str, seed: int, validation: float, test: float) -> str:
    """Deterministic split from a seeded hash of the record id: stable when records are added or reordered."""
    h = hashlib.sha256(f"{seed}:{record_id}".encode()).digest()
    u = int.from_bytes(h[:8], "big") / 2**64
    if u < test:
        return "test"
    if u < test + validation:
        return "validation"
    return "train"


def read_canonical(path: Path) -> list[dict[str, Any]]:
    return [obj for _, obj in iter_jsonl(path)]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def prepare_instruction_jsonl(
    source: Path, out_dir: Path, fields: FieldMap, validation: float, test: float, seed: int
) -> dict[str, Any]:
    """Read `source`, map fields, split, and write train/validation/test JSONL into `out_dir`.

    Returns counts per split. Duplicate ids are refused: downstream stages key records by id.
    """
    splits: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    seen: dict[str, int] = {}
    for lineno, obj in iter_jsonl(source):
        rec = to_canonical(source, lineno, obj, fields)
        if rec["id"] in seen:
            raise BadInput(f"{source}:{lineno}: duplicate id {rec['id']!r} (first at line {seen[rec['id']]})")
        seen[rec["id"]] = lineno
        splits[split_of(rec["id"], seed, validation, test)].append(rec)
    if not seen:
        raise BadInput(f"{source}: no records found")
    if not splits["train"]:
        raise BadInput(f"{source}: the split left no training records; lower validation/test fractions")
    for name, recs in splits.items():
        write_jsonl(out_dir / f"{name}.jsonl", recs)
    return {name: len(recs) for name, recs in splits.items()}


from appliance.data.formatting import (  # noqa: E402  (entry points re-exported for other stages)
    IGNORE_INDEX,
    EncodedExample,
    encode_chat_example,
    render_prompt,
)

__all__ = [
    "IGNORE_INDEX",
    "SPLITS",
    "EncodedExample",
    "FieldMap",
    "encode_chat_example",
    "iter_jsonl",
    "prepare_instruction_jsonl",
    "read_canonical",
    "render_prompt",
    "split_of",
]


def prepare_dataset(ws: Any, section: Any, base_dir: Path, sink: Any = None) -> Any:
    """Ingest the configured source into a prepared dataset artifact (train/validation/test JSONL)."""
    from appliance.audit import audit_artifact
    from appliance.events import NullSink, StageProgress
    from appliance.workspace import InputRef, sha256_file

    sink = sink or NullSink()
    source = Path(section.source)
    if not source.is_absolute():
        source = (base_dir / source).resolve()
    if not source.is_file():
        raise BadInput(f"dataset file not found: {source}")
    if source.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        raise BadInput(
            f"{source}: the foundation reads JSONL (one JSON object per line); convert the file first"
        )
    fm = FieldMap(**section.fields.model_dump())
    src_hash = sha256_file(source)
    cfg = {
        "source": source.name,
        "format": section.format,
        "fields": section.fields.model_dump(),
        "split": section.split.model_dump(),
    }
    with StageProgress(sink, "data.prepare", None, source.name):
        with ws.new_artifact("dataset", inputs=[InputRef("file", source.name, src_hash)], config=cfg) as b:
            counts = prepare_instruction_jsonl(
                source, b.path, fm, section.split.validation, section.split.test, section.split.seed
            )
            b.summary = {"stage": "prepared", "splits": counts, "records": sum(counts.values())}
    art = ws.get("dataset", b.id)
    audit_artifact(
        ws, "data.prepare", art, {"splits": counts, "format": section.format}, extra={"source": src_hash}
    )
    return art

"""Data preparation: ingest JSONL/CSV/Parquet (streaming), map columns, validate per task format, clean,
apply missing-value policies, dedupe (exact + MinHash/LSH near-duplicates across all splits), split
(seeded; stratified for labels), and write a quality report. See docs/data.md.

Entry points: `ingest()` (analyze a file, write nothing), `prepare_dataset()` (a prepared dataset artifact
with train/validation/test JSONL + report.json), `augment_dataset()` (entity-swap/template augmentation of a
scrubbed dataset's train split). Canonical instruction record: {"id", "prompt", "response", "system"?};
the other formats' records are listed in `appliance.data.schemas`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.data.splits import SPLITS, split_of  # noqa: F401  (re-exported)
from appliance.errors import BadInput


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


def read_canonical(path: Path) -> list[dict[str, Any]]:
    return [obj for _, obj in iter_jsonl(path)]


def read_instruction_view(path: Path, labels: list[str] | None = None) -> list[dict[str, Any]]:
    """Records of any supervised format as prompt/response dicts (see formatting.as_instruction)."""
    out = (as_instruction(r, labels) for r in read_canonical(path))
    return [r for r in out if r is not None]


from appliance.data.formatting import (  # noqa: E402  (entry points re-exported for other stages)
    IGNORE_INDEX,
    EncodedExample,
    as_instruction,
    encode_chat_example,
    encode_record,
    render_prompt,
    to_messages,
)


def __getattr__(name: str) -> Any:  # FORMATS / text_fields without importing pydantic at CLI start-up
    if name in ("FORMATS", "text_fields"):
        from appliance.data import schemas

        return getattr(schemas, name)
    raise AttributeError(name)


__all__ = [
    "FORMATS",
    "IGNORE_INDEX",
    "SPLITS",
    "EncodedExample",
    "approve_dataset",
    "augment_dataset",
    "dataset_format",
    "encode_chat_example",
    "encode_record",
    "ingest",
    "iter_jsonl",
    "prepare_dataset",
    "as_instruction",
    "read_canonical",
    "read_instruction_view",
    "render_prompt",
    "split_of",
    "text_fields",
    "to_messages",
]


def ingest(path: Path, fmt: str | None = None, fields: Any = None, input_cfg: Any = None) -> dict[str, Any]:
    """Analyze a source file for confirmation (writes nothing): type, encoding, delimiter, columns,
    guessed format, inferred column mapping, row count. See `appliance.data.survey.analyze_source`."""
    from appliance.data.survey import analyze_source

    return analyze_source(path, fmt, fields, input_cfg)


def dataset_format(ws: Any, dataset: Any) -> str:
    """The task format of a dataset artifact, following scrub/augment inputs back to the prepared dataset.

    Datasets made before formats existed (no `format` anywhere in the lineage) are 'instruction'.
    """
    seen: set[str] = set()
    art = dataset
    while art is not None and art.id not in seen:
        seen.add(art.id)
        fmt = art.manifest.get("summary", {}).get("format")
        if fmt:
            return str(fmt)
        parents = [i for i in art.manifest.get("inputs", []) if i.get("kind") == "dataset"]
        art = ws.get("dataset", parents[0]["id"]) if parents else None
    return "instruction"


RECORD_ID_KEY = "record-id"  # keys/record-id.key: keys the ids of records without one (prepare.record_id)


def prepare_dataset(ws: Any, section: Any, base_dir: Path, sink: Any = None, tokenizer: Any = None) -> Any:
    """Prepare the configured source into a dataset artifact: {train,validation,test}.jsonl + report.json.

    Records without an id get a keyed one (`appliance.data.prepare.record_id`, key `keys/record-id.key`).

    `tokenizer`: the base model's tokenizer (object) or a local model folder, for token counts and
    `clean.max_tokens`; None uses `data.clean.tokenizer`, else whitespace-separated words.
    """
    from appliance.audit import AuditLog, audit_artifact
    from appliance.data.prepare import prepare_records, resolve_source
    from appliance.workspace import InputRef, write_json_atomic

    source = resolve_source(section, base_dir)
    # raw data: a keyed HMAC, never its plain SHA-256 (which the manifest, the audit log, a bundle's lineage and
    # the model card would carry: whoever holds a scrubbed copy could test guesses for its placeholders)
    src_hash = AuditLog(ws.audit_dir, ws.keys_dir).file_pseudonym(source)
    cfg = section.model_dump(mode="json")
    cfg["source"] = source.name
    with ws.new_artifact("dataset", inputs=[InputRef("file", source.name, src_hash)], config=cfg) as b:
        report = prepare_records(section, source, b.path, sink, tokenizer, id_key=ws.secret(RECORD_ID_KEY))
        report["source"]["hmac"] = src_hash
        write_json_atomic(b.path / "report.json", report)
        counts = report["counts"]
        b.summary = {
            "stage": "prepared",
            "format": report["format"],
            "schema": report["schema"],
            "text_fields": report["text_fields"],
            "splits": counts["splits"],
            "records": counts["kept"],
            "read": counts["read"],
            "dropped_by_reason": counts["dropped_by_reason"],
            "truncated": counts["truncated"],
            "mapping": report["mapping"],
            "token_counter": report["tokens"]["counter"],
            "source_type": report["source"]["type"],
        }
    art = ws.get("dataset", b.id)
    audit_artifact(
        ws,
        "data.prepare",
        art,
        {
            "format": report["format"],
            "splits": counts["splits"],
            "read": counts["read"],
            "dropped_by_reason": counts["dropped_by_reason"],
            "source_type": report["source"]["type"],
            "source": src_hash,
        },
    )
    return art


def augment_dataset(ws: Any, dataset: Any, cfg: Any, sink: Any = None) -> Any:
    """Entity-swap / template augmentation of a (scrubbed) dataset's train split; see `appliance.data.augment`."""
    from appliance.data.augment import augment_dataset as _augment

    return _augment(ws, dataset, cfg, sink)


def approve_dataset(
    ws: Any, dataset: Any, decision: str = "approve", reviewed: int = 0, rules_added: int = 0
) -> Any:
    """The operator's audited sign-off of a scrubbed dataset; see `appliance.data.signoff`."""
    from appliance.data.signoff import approve_dataset as _approve

    return _approve(ws, dataset, decision, reviewed, rules_added)

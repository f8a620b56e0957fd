"""The preparation pipeline: read → map/validate → clean → missing values → length → dedupe → split.

Streaming: one row at a time from the reader; kept records go to a staging file, and a second streaming
pass writes them into train/validation/test. In memory: per kept record a digest, a MinHash signature, the
LSH band entries, a token length, a split code and (stratified) a label code; nothing grows with record size.

Every dropped row is counted under a reason; nothing is lost silently. The report holds counts, line
numbers, field names and label names, never record text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

from appliance.data.clean import Cleaner, TokenCounter
from appliance.data.dedupe import Deduper
from appliance.data.readers import SourceInfo, analyze, count_rows, iter_rows, sample_columns
from appliance.data.schemas import FORMATS, MISSING, Problem, coerce, infer_mapping, text_fields, validate
from appliance.data.splits import SPLITS, split_of
from appliance.data.splits import unit_of as _unit
from appliance.errors import BadInput

_CODE = {"train": 0, "validation": 1, "test": 2}
MAX_EXAMPLES = 20
MAX_CLUSTERS = 20
HIST_BINS = 20
STEP_OF_REASON = {
    "too_large": "parse",
    "invalid_json": "parse",
    "invalid_utf8": "parse",
    "invalid_encoding": "parse",
    "not_object": "parse",
    "csv_error": "parse",
    "wrong_type": "validate",
    "invalid_value": "validate",
    "invalid_unicode": "validate",
    "invalid_json_field": "validate",
    "schema": "validate",
    "missing": "missing",
    "too_long": "length",
    "too_short": "length",
    "exact_duplicate": "dedupe_exact",
    "near_duplicate": "dedupe_near",
    "duplicate_id": "ids",
}
STEPS = ("read", "parse", "validate", "missing", "length", "dedupe_exact", "dedupe_near", "ids")


def resolve_source(section: Any, base_dir: Path) -> Path:
    source = Path(section.source).expanduser()
    if not source.is_absolute():
        source = (base_dir / source).resolve()
    if not source.is_file():
        raise BadInput(f"dataset file not found: {source}")
    return source


def resolve_mapping(section: Any, info: SourceInfo) -> dict[str, Any]:
    fmt = section.format
    spec = FORMATS[fmt]
    columns = sample_columns(info, section.input.max_record_bytes)
    mapping = infer_mapping(fmt, columns, section.fields)
    if info.type in ("csv", "parquet") and columns:
        for f in spec.fields:
            cols = mapping.get(f)
            for col in cols if isinstance(cols, list) else [cols]:
                if col is not None and col not in columns and (f in spec.required or f == "system"):
                    raise BadInput(
                        f"{info.path}: no column {col!r} for {fmt} field '{f}' (data.fields.{f}); "
                        f"the header row has {len(columns)} columns (see them with `appliance data ingest FILE`)"
                    )
    return mapping


class _Stats:
    def __init__(self, spec: Any) -> None:
        self.read = 0
        self.dropped: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []
        self.missing: dict[str, Counter[str]] = {f: Counter() for f in ("id", *spec.fields)}
        self.truncated = 0
        self.clusters: dict[int, dict[str, Any]] = {}
        self.cross_split = 0
        self.cleaning: Counter[str] = Counter()
        self.dedupe_s = 0.0

    def drop(self, reason: str, pos: int, field: str | None, unit: str) -> None:
        self.dropped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append({unit: pos, "reason": reason, "field": field})


def _policy(section: Any, field: str, required: bool) -> Any:
    p = section.missing.get(field)
    if p is None and required:
        p = section.missing.get("default", "fail")
    return p


def check_missing_config(section: Any) -> None:
    spec = FORMATS[section.format]
    allowed = {"default", *spec.fields}
    for key, pol in section.missing.items():
        if key not in allowed:
            raise BadInput(
                f"data.missing: '{key}' is not a field of the {section.format} format "
                f"(fields: {', '.join(spec.fields)}, or 'default')"
            )
        if not isinstance(pol, str) and key in ("messages", "responses"):
            raise BadInput(f"data.missing.{key}: fill is only possible for text fields; use drop or fail")
        if not isinstance(pol, str) and key == "label" and spec.label == "bool":
            from appliance.data.schemas import _label

            try:
                _label(pol.fill, "missing.label.fill", "bool")
            except Problem as exc:
                raise BadInput(f"data.missing.label: {exc.message}") from None
    if section.dedupe.fields:
        bad = [f for f in section.dedupe.fields if f not in spec.fields]
        if bad:
            raise BadInput(f"data.dedupe.fields: not fields of the {section.format} format: {', '.join(bad)}")


def _texts(rec: dict[str, Any], fields: tuple[str, ...] | list[str]) -> list[str]:
    out: list[str] = []
    for f in fields:
        v = rec.get(f)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out.extend(m["content"] if isinstance(m, dict) else m for m in v)
    return out


def _clean_record(rec: dict[str, Any], clean: Cleaner) -> None:
    for f, v in rec.items():
        if f in ("id", "label"):
            continue
        if isinstance(v, str):
            v = clean(v)
            rec[f] = v if v else MISSING
        elif isinstance(v, list):
            if v and isinstance(v[0], dict):
                for m in v:
                    m["content"] = clean(m["content"]) if m["content"] else m["content"]
            else:
                rec[f] = [clean(x) for x in v]


def record_id(key: bytes, rec: dict[str, Any]) -> str:
    """The id of a record that has none: "h-" + 16 hex of an HMAC-SHA256, keyed with the workspace secret
    `keys/record-id.key`, of the record's canonical content.

    Keyed, because ids pass unchanged through scrubbing: an unkeyed hash of the raw record would let anyone
    holding the scrubbed dataset guess the removed values and check each guess against the id. Content-based,
    so that within one workspace a record keeps its id (and so its split) when the source is reordered or
    prepared again, and two identical records get one id. Another workspace (another key) gives other ids.
    """
    content = {k: v for k, v in rec.items() if k != "id"}
    data = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return "h-" + hmac.new(key, data, hashlib.sha256).hexdigest()[:16]


def prepare_records(
    section: Any,
    source: Path,
    out_dir: Path,
    sink: Any = None,
    tokenizer: Any = None,
    id_key: bytes | None = None,
) -> dict[str, Any]:
    """Run the pipeline on `source`, write `{split}.jsonl` into `out_dir`, return the quality report.

    `id_key` keys the ids of records that have none (`record_id`); `prepare_dataset` passes the workspace's.
    Without one, a random key is used: the ids are then new on every call (and so are the splits of such
    records).
    """
    from appliance.events import NullSink, StageProgress

    sink = sink or NullSink()
    id_key = id_key if id_key is not None else secrets.token_bytes(32)
    fmt = section.format
    spec = FORMATS[fmt]
    check_missing_config(section)
    info = analyze(source, section.input.type, section.input.encoding, section.input.delimiter)
    mapping = resolve_mapping(section, info)
    unit = info.unit
    counter = TokenCounter.load(tokenizer if tokenizer is not None else section.clean.tokenizer)
    clean = Cleaner(section.clean)
    dd = section.dedupe
    deduper = Deduper(dd.exact, dd.near, dd.shingle, dd.num_perm)
    dedupe_fields = tuple(dd.fields or [f for f in spec.fields if f not in ("system", "label")])
    split = section.split
    stratify = split.stratify if split.stratify is not None else spec.label is not None
    max_tokens, min_tokens = section.clean.max_tokens, section.clean.min_tokens
    stats = _Stats(spec)
    stats.cleaning = clean.changed
    ids: dict[int, int] = {}
    lengths = array("I")
    codes = bytearray()
    units = array("d")  # stratified: the seeded hash position of each kept record
    label_codes = array("H")
    label_names: dict[Any, int] = {}
    positions = array("Q")  # source line/row of each kept record (cluster report)
    read_cols = None
    if info.type == "parquet":
        read_cols = [c for v in mapping.values() for c in (v if isinstance(v, list) else [v]) if c]

    def invalid(p: Problem, pos: int) -> None:
        if section.invalid == "fail":
            raise BadInput(f"{info.where(pos)}: {p.message} (or set data.invalid: drop to skip such rows)")
        stats.drop(p.reason, pos, p.field, unit)

    columns_of = {f: (v if not isinstance(v, list) else ",".join(v)) for f, v in mapping.items()}
    total = count_rows(info, section.input.max_record_bytes) if info.type != "csv" else None
    staging = out_dir / ".kept.jsonl"
    kept = 0
    with (
        StageProgress(sink, "data.prepare", total, source.name) as prog,
        open(staging, "w", encoding="utf-8") as out,
    ):
        for row in iter_rows(info, section.input.max_record_bytes, read_cols):
            stats.read += 1
            if stats.read % 2000 == 0:
                prog.advance(2000, kept=kept)
            pos = row.pos
            if row.error is not None:
                invalid(Problem(row.error.reason, row.error.field, row.error.message), pos)
                continue
            try:
                rec = coerce(fmt, mapping, row.data or {})
                _clean_record(rec, clean)
                # ---- missing values
                drop_field = None
                for f in spec.fields:
                    if rec.get(f) is not MISSING:
                        continue
                    required = f in spec.required
                    if mapping.get(f) is None and not required and f not in section.missing:
                        del rec[f]
                        continue
                    stats.missing[f]["missing"] += 1
                    pol = _policy(section, f, required)
                    if pol is None:
                        del rec[f]
                    elif pol == "fail":
                        col = columns_of.get(f) or f
                        raise BadInput(
                            f"{info.where(pos)}: required field '{col}' is missing or empty (mapped to {f}); "
                            f"set data.missing.{f}: drop, or {{fill: VALUE}}"
                        )
                    elif pol == "drop":
                        stats.missing[f]["dropped"] += 1
                        drop_field = drop_field or f
                    else:
                        stats.missing[f]["filled"] += 1
                        rec[f] = _fill_label(pol.fill, spec.label) if f == "label" else pol.fill
                if drop_field is not None:
                    stats.drop("missing", pos, drop_field, unit)
                    continue
                if rec["id"] is MISSING:
                    stats.missing["id"]["missing"] += 1
                    rec["id"] = record_id(id_key, rec)
                rec = validate(fmt, rec)
            except Problem as p:
                invalid(p, pos)
                continue
            # ---- length in tokens
            texts = _texts(rec, spec.fields)
            n = sum(counter.count(t) for t in texts)
            if max_tokens is not None and n > max_tokens:
                tf = spec.truncate if section.clean.too_long == "truncate" else None
                if tf is None:
                    stats.drop("too_long", pos, None, unit)
                    continue
                budget = max_tokens - (n - counter.count(rec[tf]))
                if budget < 1:
                    stats.drop("too_long", pos, tf, unit)
                    continue
                rec[tf] = counter.truncate(rec[tf], budget)
                stats.truncated += 1
                n = sum(counter.count(t) for t in _texts(rec, spec.fields))
            if n < min_tokens:
                stats.drop("too_short", pos, None, unit)
                continue
            # ---- dedupe (one index over the whole corpus: no copy across splits)
            t0 = time.perf_counter()
            match = deduper.check(_texts(rec, dedupe_fields))
            stats.dedupe_s += time.perf_counter() - t0
            if match is not None:
                reason = f"{match.kind}_duplicate"
                stats.dropped[reason] += 1
                c = stats.clusters.setdefault(
                    match.kept,
                    {
                        f"kept_{unit}": int(positions[match.kept]),
                        "kind": match.kind,
                        "size": 1,
                        f"dropped_{unit}s": [],
                        "min_similarity": 1.0,
                    },
                )
                c["size"] += 1
                if match.kind == "near":
                    c["kind"] = "near"
                c["min_similarity"] = round(min(c["min_similarity"], match.similarity), 3)
                if len(c[f"dropped_{unit}s"]) < 10:
                    c[f"dropped_{unit}s"].append(pos)
                if (
                    not stratify
                    and codes[match.kept]
                    != _CODE[split_of(rec["id"], split.seed, split.validation, split.test)]
                ):
                    stats.cross_split += 1
                continue
            # ---- ids must be unique: downstream stages key records by id
            hid = int.from_bytes(
                hashlib.blake2b(rec["id"].encode("utf-8", "surrogatepass"), digest_size=8).digest()
            )
            if hid in ids:
                invalid(Problem("duplicate_id", "id", f"duplicate id (first at {unit} {ids[hid]})"), pos)
                continue
            ids[hid] = pos
            t0 = time.perf_counter()
            deduper.commit(kept)
            stats.dedupe_s += time.perf_counter() - t0
            kept += 1
            lengths.append(n)
            positions.append(pos)
            if stratify:
                lab = rec.get("label")
                if lab not in label_names:
                    if len(label_names) >= section.max_labels:
                        raise BadInput(
                            f"{info.where(pos)}: more than {section.max_labels} distinct labels in "
                            f"'{columns_of.get('label')}'; is it really the label column? (data.max_labels)"
                        )
                    label_names[lab] = len(label_names)
                label_codes.append(label_names[lab])
                units.append(_unit(rec["id"], split.seed))
                codes.append(0)
            else:
                codes.append(_CODE[split_of(rec["id"], split.seed, split.validation, split.test)])
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        prog.advance(stats.read % 2000, kept=kept)
    if stats.read == 0:
        os.unlink(staging)
        raise BadInput(f"{source}: no records found")
    if kept == 0:
        os.unlink(staging)
        raise BadInput(
            f"{source}: every record was dropped ({_reasons(stats.dropped)}); see data.missing / data.invalid"
        )
    if stratify:
        _stratified(codes, units, label_codes, split.validation, split.test)
    split_counts = Counter(codes)
    if split_counts[0] == 0:
        os.unlink(staging)
        raise BadInput(f"{source}: the split left no training records; lower validation/test fractions")
    labels = _write_splits(staging, out_dir, codes, spec)
    return _report(section, info, mapping, counter, deduper, stats, lengths, codes, labels, stratify, source)


def _fill_label(value: str, kind: str | None) -> Any:
    from appliance.data.schemas import _label

    return _label(value, "missing.label.fill", kind)


def _reasons(c: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in c.most_common()) or "none"


def _stratified(codes: bytearray, units: array, label_codes: array, val: float, test: float) -> None:
    """Per label, the records in seeded-hash order: the first round(n*test) to test, then validation."""
    by_label: dict[int, list[int]] = {}
    for i, lab in enumerate(label_codes):
        by_label.setdefault(lab, []).append(i)
    for idx in by_label.values():
        idx.sort(key=lambda i: units[i])
        n = len(idx)
        n_test = round(n * test)
        n_val = round(n * val)
        if n_test + n_val >= n:  # keep at least one training record per label
            n_val = max(0, n - 1 - n_test)
            n_test = min(n_test, n - 1)
        for j, i in enumerate(idx):
            codes[i] = 2 if j < n_test else 1 if j < n_test + n_val else 0


def _write_splits(staging: Path, out_dir: Path, codes: bytearray, spec: Any) -> dict[str, Counter[str]]:
    files = {c: open(out_dir / f"{name}.jsonl", "w", encoding="utf-8") for name, c in _CODE.items()}
    labels: dict[str, Counter[str]] = {s: Counter() for s in SPLITS}
    try:
        with open(staging, encoding="utf-8") as f:
            for i, line in enumerate(f):
                files[codes[i]].write(line)
                if spec.label is not None:
                    lab = json.loads(line)["label"]
                    labels[SPLITS[codes[i]]][str(lab).lower() if isinstance(lab, bool) else lab] += 1
    finally:
        for fh in files.values():
            fh.close()
        os.unlink(staging)
    return labels


def _histogram(lengths: array) -> dict[str, Any]:
    import numpy as np

    a = np.frombuffer(lengths, dtype=np.uint32) if len(lengths) else np.zeros(1, dtype=np.uint32)
    hi = int(a.max())
    lo = int(a.min())
    edges = np.unique(np.linspace(lo, max(hi, lo + 1), HIST_BINS + 1).round().astype(int))
    counts, edges = np.histogram(a, bins=edges)
    return {
        "edges": [int(e) for e in edges],
        "counts": [int(c) for c in counts],
        "min": int(a.min()),
        "max": hi,
        "mean": round(float(a.mean()), 1),
        "p50": int(np.percentile(a, 50)),
        "p90": int(np.percentile(a, 90)),
        "p99": int(np.percentile(a, 99)),
    }


def _report(
    section, info, mapping, counter, deduper, stats, lengths, codes, labels, stratify, source
) -> dict:
    from appliance.data.survey import shown_columns  # a headerless CSV's "header" is its first record

    spec = FORMATS[section.format]
    split_counts = {name: codes.count(c) for name, c in _CODE.items()}
    kept = sum(split_counts.values())
    steps = []
    remaining = stats.read
    steps.append({"step": "read", "in": stats.read, "out": stats.read, "dropped": {}})
    for step in STEPS[1:]:
        dropped = {
            r: n for r, n in sorted(stats.dropped.items()) if STEP_OF_REASON.get(r, "validate") == step
        }
        out = remaining - sum(dropped.values())
        steps.append({"step": step, "in": remaining, "out": out, "dropped": dropped})
        remaining = out
    assert remaining == kept, (remaining, kept)  # every row is accounted for
    missing = {}
    for f, c in stats.missing.items():
        required = f in spec.required
        pol = _policy(section, f, required) if f != "id" else "generate keyed id"
        missing[f] = {
            "column": mapping.get(f),
            "required": required,
            "missing": c["missing"],
            "policy": (pol if isinstance(pol, str) or pol is None else "fill") or "omit",
            "dropped": c["dropped"],
            "filled": c["filled"],
        }
    clusters = sorted(stats.clusters.values(), key=lambda c: -c["size"])[:MAX_CLUSTERS]
    report = {
        "format": section.format,
        "schema": spec.schema_id,
        "text_fields": text_fields(section.format),
        "source": {**info.as_dict(), "columns": shown_columns(info.type, info.columns, mapping)},
        "mapping": mapping,
        "counts": {
            "read": stats.read,
            "kept": kept,
            "dropped": sum(stats.dropped.values()),
            "dropped_by_reason": dict(sorted(stats.dropped.items())),
            "truncated": stats.truncated,
            "splits": split_counts,
        },
        "steps": steps,
        "invalid_examples": stats.examples,
        "cleaning": {"fields_changed": dict(sorted(stats.cleaning.items()))},
        "missing": missing,
        "tokens": {"counter": counter.name, "max_tokens": section.clean.max_tokens, **_histogram(lengths)},
        "duplicates": {
            "exact": stats.dropped.get("exact_duplicate", 0),
            "near": stats.dropped.get("near_duplicate", 0),
            "near_threshold": section.dedupe.near,
            "lsh": deduper.lsh_params,
            "cross_split": None if stratify else stats.cross_split,
            "seconds": round(stats.dedupe_s, 2),
            "clusters": len(stats.clusters),
            "largest_clusters": clusters,
        },
        "split": {**section.split.model_dump(), "stratified": stratify},
    }
    if spec.label is not None:
        report["labels"] = {s: dict(sorted(labels[s].items())) for s in SPLITS}
    return report


__all__ = ["SPLITS", "prepare_records", "record_id", "resolve_mapping", "resolve_source", "split_of"]

"""PII scrubbing with Presidio under a policy pack.

`Scrubber` builds a Presidio analyzer (spaCy NER + predefined and policy-defined pattern recognizers) and an
anonymizer from a `Policy`; `scrub_jsonl()` streams a JSONL file through it in batches (spaCy `pipe`).
Findings are counted by entity type; raw values never leave this module (not in reports, logs or errors).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, StageProgress
from appliance.policy import LoadedPolicy, Policy

BATCH_SIZE = 64


@dataclass
class ScrubStats:
    records_in: int = 0
    records_out: int = 0
    records_dropped: int = 0
    fields_scrubbed: int = 0
    fields_missing: int = 0
    entities: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_in": self.records_in,
            "records_out": self.records_out,
            "records_dropped": self.records_dropped,
            "fields_scrubbed": self.fields_scrubbed,
            "fields_missing": self.fields_missing,
            "entities_found": sum(self.entities.values()),
            "entities_by_type": dict(sorted(self.entities.items())),
            "seconds": round(self.seconds, 3),
        }


def _check_nlp_model(policy: Policy) -> None:
    """Presidio would try to *download* a missing spaCy pipeline; refuse clearly instead."""
    import spacy

    name = policy.nlp.model
    if not (spacy.util.is_package(name) or Path(name).exists()):
        raise ApplianceError(
            f"the policy's NLP pipeline {name!r} is not installed; install its wheel from the offline bundle "
            "(see README: packaging/requirements-models.txt) or point nlp.model at a local pipeline folder"
        )


class Scrubber:
    """Presidio analyzer + anonymizer configured by one policy."""

    def __init__(self, loaded: LoadedPolicy):
        from appliance.offline import enforce_offline

        enforce_offline(guard_sockets=False)  # tldextract snapshot before presidio's e-mail recognizer runs
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, Pattern, PatternRecognizer
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine

        self.loaded = loaded
        policy = self.policy = loaded.policy
        _check_nlp_model(policy)
        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": policy.nlp.engine,
                "models": [{"lang_code": policy.language, "model_name": policy.nlp.model}],
            }
        ).create_engine()
        analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=[policy.language])
        for rc in policy.recognizers:
            analyzer.registry.add_recognizer(
                PatternRecognizer(
                    supported_entity=rc.entity,
                    name=rc.name,
                    patterns=[Pattern(p.name, p.regex, p.score) for p in rc.patterns],
                    context=rc.context or None,
                    supported_language=policy.language,
                )
            )
        self.analyzer = analyzer
        self.batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
        self.anonymizer = AnonymizerEngine()
        self.entities = sorted(policy.entities)
        self.min_threshold = min(policy.threshold(e) for e in self.entities)
        self.allow_list = [f"^(?:{p})$" for p in policy.allow_list]
        self._operators = self._build_operators()

    def _build_operators(self) -> dict[str, Any]:
        from presidio_anonymizer.entities import OperatorConfig

        ops = {}
        for ent in self.entities:
            op = self.policy.operator(ent)
            if op.type == "placeholder":
                ops[ent] = OperatorConfig("replace", {"new_value": f"<{ent}>"})
            elif op.type == "redact":
                ops[ent] = OperatorConfig("redact", {})
            else:
                ops[ent] = OperatorConfig(
                    "mask", {"masking_char": op.masking_char, "chars_to_mask": 10_000, "from_end": False}
                )
        return ops

    def _analyze_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"entities": self.entities, "score_threshold": self.min_threshold}
        if self.allow_list:
            kw.update(allow_list=self.allow_list, allow_list_match="regex", regex_flags=re.IGNORECASE)
        return kw

    def _keep(self, results: list[Any]) -> list[Any]:
        return [r for r in results if r.score >= self.policy.threshold(r.entity_type)]

    def scrub_text(self, text: str) -> tuple[str, list[Any]]:
        results = self._keep(
            self.analyzer.analyze(text=text, language=self.policy.language, **self._analyze_kwargs())
        )
        return self._anonymize(text, results), results

    def scrub_texts(self, texts: list[str]) -> list[tuple[str, list[Any]]]:
        """Batch path: spaCy processes the texts with `pipe`; same results as `scrub_text` one by one."""
        batches = self.batch.analyze_iterator(
            texts, language=self.policy.language, batch_size=BATCH_SIZE, **self._analyze_kwargs()
        )
        out = []
        for text, results in zip(texts, batches, strict=True):
            kept = self._keep(results)
            out.append((self._anonymize(text, kept), kept))
        return out

    def _anonymize(self, text: str, results: list[Any]) -> str:
        if not results:
            return text
        return self.anonymizer.anonymize(text=text, analyzer_results=results, operators=self._operators).text


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise BadInput(f"input file not found: {path}") from None
    with f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise BadInput(f"{path}:{lineno}: not valid UTF-8; re-export the file as UTF-8") from None
            except json.JSONDecodeError as exc:
                raise BadInput(f"{path}:{lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(rec, dict):
                raise BadInput(f"{path}:{lineno}: expected a JSON object per line, got {type(rec).__name__}")
            yield lineno, rec


def _batched(it: Iterable[Any], n: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for x in it:
        batch.append(x)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def scrub_records(
    scrubber: Scrubber,
    records: Iterable[tuple[int, dict[str, Any]]],
    fields: list[str],
    stats: ScrubStats,
    source: Path,
) -> Iterator[dict[str, Any]]:
    """Scrub `fields` of each record; other fields pass through untouched."""
    for batch in _batched(records, BATCH_SIZE):
        texts: list[str] = []
        where: list[tuple[int, str]] = []
        for i, (lineno, rec) in enumerate(batch):
            stats.records_in += 1
            for f in fields:
                if f not in rec or rec[f] is None:
                    stats.fields_missing += 1
                    continue
                if not isinstance(rec[f], str):
                    raise BadInput(
                        f"{source}:{lineno}: field '{f}' is {type(rec[f]).__name__}, expected text; "
                        "fix the record or choose other --field names"
                    )
                texts.append(rec[f])
                where.append((i, f))
        scrubbed = scrubber.scrub_texts(texts) if texts else []
        out = [dict(rec) for _, rec in batch]
        for (i, f), (new_text, findings) in zip(where, scrubbed, strict=True):
            out[i][f] = new_text
            stats.fields_scrubbed += 1
            stats.entities.update(r.entity_type for r in findings)
        for rec in out:
            stats.records_out += 1
            yield rec


def scrub_jsonl(
    scrubber: Scrubber,
    src: Path,
    dst: Path,
    fields: list[str],
    sink: EventSink | None = None,
    stats: ScrubStats | None = None,
    stage: str = "scrub",
) -> ScrubStats:
    """Scrub one JSONL file into `dst` (written via a temp file; the caller renames or commits it)."""
    sink = sink or NullSink()
    stats = stats or ScrubStats()
    total = count_lines(src)
    t0 = time.monotonic()
    tmp = dst.with_name(f".{dst.name}.partial")
    try:
        with open(tmp, "w", encoding="utf-8") as out, StageProgress(sink, stage, total, src.name) as prog:
            for rec in scrub_records(scrubber, _read_jsonl(src), fields, stats, src):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                prog.advance(entities=sum(stats.entities.values()))
            out.flush()
            import os

            os.fsync(out.fileno())
        tmp.replace(dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stats.seconds += time.monotonic() - t0
    return stats


CANONICAL_TEXT_FIELDS = ["prompt", "response", "system"]


def scrub_dataset(ws: Any, dataset: Any, policy_name: str, sink: EventSink | None = None) -> Any:
    """Scrub every split of a prepared dataset into a new dataset artifact with `scrub_report.json`."""
    from appliance.audit import audit_artifact
    from appliance.policy import load_policy
    from appliance.workspace import write_json_atomic

    sink = sink or NullSink()
    loaded = load_policy(policy_name)
    scrubber = Scrubber(loaded)
    stats = ScrubStats()
    config = {
        "policy": loaded.policy.name,
        "policy_version": loaded.policy.version,
        "policy_sha256": loaded.sha256,
        "fields": CANONICAL_TEXT_FIELDS,
        "nlp_model": loaded.policy.nlp.model,
    }
    with ws.new_artifact("dataset", inputs=[dataset.ref()], config=config) as b:
        for split in ("train", "validation", "test"):
            src = dataset.file(f"{split}.jsonl")
            if src.exists():
                scrub_jsonl(
                    scrubber,
                    src,
                    b.path / f"{split}.jsonl",
                    CANONICAL_TEXT_FIELDS,
                    sink,
                    stats,
                    f"scrub {split}",
                )
        report = {"policy": config, "source_dataset": dataset.id, **stats.as_dict()}
        write_json_atomic(b.path / "scrub_report.json", report)
        b.summary = {
            "stage": "scrubbed",
            "splits": dataset.manifest["summary"].get("splits", {}),
            **stats.as_dict(),
        }
    art = ws.get("dataset", b.id)
    audit_artifact(
        ws,
        "scrub.dataset",
        art,
        {"policy": loaded.policy.name, "policy_sha256": loaded.sha256, **stats.as_dict()},
        extra={dataset.id: dataset.manifest_sha256},
    )
    return art


def scrub_file(
    src: Path,
    dst: Path,
    policy_name: str,
    fields: list[str] | None,
    report: Path | None,
    sink: EventSink | None = None,
    ws: Any = None,
) -> dict[str, Any]:
    """`appliance scrub INPUT --out OUT`: one JSONL file to another, atomically, with an optional report."""
    from appliance.audit import AuditLog
    from appliance.policy import load_policy
    from appliance.workspace import sha256_file, write_json_atomic

    loaded = load_policy(policy_name)
    if not src.is_file():
        raise BadInput(f"input file not found: {src}")
    fields = fields or loaded.policy.fields
    dst.parent.mkdir(parents=True, exist_ok=True)
    stats = scrub_jsonl(Scrubber(loaded), src, dst, fields, sink)
    result = {
        "policy": {"name": loaded.policy.name, "version": loaded.policy.version, "sha256": loaded.sha256},
        "fields": fields,
        **stats.as_dict(),
    }
    if report is not None:
        write_json_atomic(report, result)
    if ws is not None:
        try:
            AuditLog(ws.audit_dir).record(
                "scrub.file",
                artifacts={"input": sha256_file(src), "output": sha256_file(dst)},
                details={"policy": loaded.policy.name, "policy_sha256": loaded.sha256, **stats.as_dict()},
            )
        except Exception:
            dst.unlink(missing_ok=True)
            raise
    return result

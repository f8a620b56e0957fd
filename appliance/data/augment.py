"""Augmentation of a scrubbed dataset's train split (opt-in; recorded in the manifest).

Entity swap: the scrub stage leaves typed placeholders (`<PERSON>`, `<PERSON_3fa2c1>` pseudonyms,
`<DATE_TIME 2019>` with a kept year). A model trained on them learns to emit `<PERSON>`; so each train record
with placeholders gets `entity_swap` variants where every placeholder is replaced by a varied, realistic,
obviously fake value (own small lists; reserved ranges: 555-01xx phones, example.org, TEST-NET IPs, SSNs in
the never-issued 9xx area). The same placeholder within one record maps to the same fake value. Values are
deterministic by (seed, record id, variant). Template variation rewords the prompt of instruction-like
records. Validation and test are copied unchanged: augmented records never enter them.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.data.splits import SPLITS

PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*?)(?:_([0-9a-f]{4,64})|\s((?:19|20)\d{2}))?>")

GIVEN = (
    "Amara Bilal Carmen Dmitri Elena Farid Grace Hiroshi Ines Jamal Katarina Liam Mei Nikolai Olga Pedro Quentin "
    "Rosa Sanjay Tamsin Umar Valentina Wen Ximena Yusuf Zofia Aiden Beatriz Chidi Daniela Emeka Fiona Gustavo "
    "Hana Ivan Jorge Kaito Leila Mateo Nadia Oscar Priya Rafael Sofia Tomas Uma Victor Wanjiru Yara Zane"
).split()
FAMILY = (
    "Abernathy Baptiste Castellanos Delacroix Eriksen Fitzgerald Gallagher Haddad Iwasaki Jablonski Kowalczyk "
    "Lindqvist Moreau Nakamura Okonkwo Petrov Quintero Rasmussen Santangelo Takahashi Ulrich Valdivia Whitaker "
    "Xiong Yilmaz Zimmermann Achterberg Bhattacharya Cardenas Dubois Esposito Fonseca Grünewald Hakimi Ibarra"
).split()
CITIES = (
    "Brookhaven Cedar Falls Millbrook Oak Harbor Fairview Glenwood Lakeside Maplewood Pinecrest Ridgeview "
    "Springdale Westbury Ashford Clearwater Elmhurst Greenfield Hollis Kingsport Lynnwood Northfield"
).split(" ")
STREETS = (
    "Alder Beacon Chestnut Dogwood Evergreen Foxglove Garnet Hawthorne Ivy Jasmine Kingfisher Laurel".split()
)
STREET_TYPES = "Street Avenue Road Lane Drive Court Way Boulevard Terrace Place".split()
MONTHS = "January February March April May June July August September October November December".split()
TEMPLATES = (
    "{p}",
    "Instruction: {p}",
    "Task:\n{p}",
    "Request: {p}",
    "Please help with the following.\n\n{p}",
    "{p}\n\nAnswer carefully.",
)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _luhn(prefix: str) -> str:
    total = 0
    for i, c in enumerate(reversed(prefix + "0")):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


def _date(rng: random.Random, year: str | None) -> str:
    y = int(year) if year else rng.randint(1950, 2024)
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    style = rng.randrange(4)
    if style == 0:
        return f"{MONTHS[m - 1]} {d}, {y}"
    if style == 1:
        return f"{m:02d}/{d:02d}/{y}"
    if style == 2:
        return f"{y}-{m:02d}-{d:02d}"
    return f"{d} {MONTHS[m - 1][:3]} {y}"


FAKERS: dict[str, Callable[[random.Random, str | None], str]] = {
    "PERSON": lambda r, _: f"{r.choice(GIVEN)} {r.choice(FAMILY)}",
    "LOCATION": lambda r, _: r.choice(CITIES),
    "STREET_ADDRESS": lambda r, _: f"{r.randint(10, 9899)} {r.choice(STREETS)} {r.choice(STREET_TYPES)}",
    "PHONE_NUMBER": lambda r, _: f"(555) 01{r.randrange(10)}-{_digits(r, 4)}",
    "EMAIL_ADDRESS": lambda r, _: f"{r.choice(GIVEN).lower()}.{r.choice(FAMILY).lower()}@example.org",
    "DATE_TIME": _date,
    "AGE": lambda r, _: str(r.randint(18, 89)),
    "US_SSN": lambda r, _: f"9{_digits(r, 2)}-{_digits(r, 2)}-{_digits(r, 4)}",
    "NATIONAL_ID": lambda r, _: f"9{_digits(r, 8)}",
    "MEDICAL_RECORD_NUMBER": lambda r, _: _digits(r, 8),
    "HEALTH_PLAN_ID": lambda r, _: f"HP{_digits(r, 9)}",
    "ACCOUNT_NUMBER": lambda r, _: _digits(r, 10),
    "LICENSE_NUMBER": lambda r, _: f"{chr(65 + r.randrange(26))}{_digits(r, 7)}",
    "DEVICE_ID": lambda r, _: f"SN-{_digits(r, 4)}-{_digits(r, 4)}",
    "VEHICLE_ID": lambda r, _: f"1FAKE{_digits(r, 12)}",
    "ZIP_CODE": lambda r, _: f"99{_digits(r, 3)}",
    "CREDIT_CARD": lambda r, _: _luhn("4000" + _digits(r, 11)),
    "CVV": lambda r, _: _digits(r, 3),
    "CARD_EXPIRY": lambda r, _: f"{r.randint(1, 12):02d}/{r.randint(27, 35)}",
    "IBAN_CODE": lambda r, _: f"XX{_digits(r, 2)}TEST{_digits(r, 14)}",
    "IP_ADDRESS": lambda r, _: f"{r.choice(('192.0.2', '198.51.100', '203.0.113'))}.{r.randint(1, 254)}",
    "URL": lambda r, _: f"https://{r.choice(FAMILY).lower()}.example.org/{_digits(r, 4)}",
    "ORGANIZATION": lambda r, _: f"{r.choice(FAMILY)} {r.choice(('Clinic', 'Health', 'Group', 'Partners'))}",
    "NRP": lambda r, _: r.choice(("Canadian", "Brazilian", "Kenyan", "Norwegian", "Vietnamese")),
}


def swap_entities(text: str, rng: random.Random, memo: dict[str, str], counts: Counter[str]) -> str:
    def repl(m: re.Match[str]) -> str:
        entity, year = m.group(1), m.group(3)
        faker = FAKERS.get(entity)
        if faker is None:
            counts["unknown"] += 1
            return m.group(0)
        token = m.group(0)
        if token not in memo:
            memo[token] = faker(rng, year)
        counts[entity] += 1
        return memo[token]

    return PLACEHOLDER.sub(repl, text)


def has_placeholder(rec: dict[str, Any]) -> bool:
    return any(m.group(1) in FAKERS for t in _strings(rec) for m in PLACEHOLDER.finditer(t))


def _strings(rec: dict[str, Any]) -> list[str]:
    out = []
    for k, v in rec.items():
        if k in ("id", "label"):
            continue
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out.extend(m["content"] if isinstance(m, dict) else m for m in v)
    return out


def variant(
    rec: dict[str, Any], rng: random.Random, counts: Counter[str], prompt_field: str | None, templates: bool
) -> dict[str, Any]:
    memo: dict[str, str] = {}
    out: dict[str, Any] = {}
    for k, v in rec.items():
        if k in ("id", "label"):
            out[k] = v
        elif isinstance(v, str):
            out[k] = swap_entities(v, rng, memo, counts)
        elif isinstance(v, list):
            out[k] = [
                {**m, "content": swap_entities(m["content"], rng, memo, counts)}
                if isinstance(m, dict)
                else swap_entities(m, rng, memo, counts)
                for m in v
            ]
        else:
            out[k] = v
    if templates and prompt_field and isinstance(out.get(prompt_field), str):
        out[prompt_field] = rng.choice(TEMPLATES).format(p=out[prompt_field])
    return out


def augment_file(src: Path, dst: Path, fmt: str, cfg: Any, progress: Any = None) -> dict[str, Any]:
    from appliance.data.schemas import FORMATS

    prompt_field = FORMATS[fmt].prompt_field if fmt in FORMATS else "prompt"
    counts: Counter[str] = Counter()
    n_in = n_out = n_with = 0
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            n_in += 1
            rid = str(rec.get("id"))
            with_ph = has_placeholder(rec)
            n_with += with_ph
            copies = cfg.entity_swap if with_ph else (1 if cfg.templates and prompt_field in rec else 0)
            keep = (not with_ph) or cfg.keep_placeholders or copies == 0
            if keep:
                out.write(line if line.endswith("\n") else line + "\n")
                n_out += 1
            for k in range(1, copies + 1):
                rng = random.Random(f"{cfg.seed}:{rid}:{k}")
                v = variant(rec, rng, counts, prompt_field, cfg.templates)
                v["id"] = f"{rid}~aug{k}"
                out.write(json.dumps(v, ensure_ascii=False) + "\n")
                n_out += 1
            if progress is not None and n_in % 1000 == 0:
                progress.advance(1000)
    return {
        "train_records": n_in,
        "records_with_placeholders": n_with,
        "train_records_out": n_out,
        "records_added": n_out - n_in,
        "placeholders_replaced": dict(sorted((k, v) for k, v in counts.items() if k != "unknown")),
        "unknown_placeholders": counts.get("unknown", 0),
    }


def augment_dataset(ws: Any, dataset: Any, cfg: Any, sink: Any = None) -> Any:
    """A new dataset artifact: the train split augmented, validation/test copied byte for byte."""
    from appliance.audit import audit_artifact
    from appliance.data import dataset_format
    from appliance.events import NullSink, StageProgress

    sink = sink or NullSink()
    fmt = dataset_format(ws, dataset)
    src_summary = dataset.manifest.get("summary", {})
    config = {"augment": cfg.model_dump(mode="json"), "source_dataset": dataset.id, "format": fmt}
    with ws.new_artifact("dataset", inputs=[dataset.ref()], config=config) as b:
        with StageProgress(sink, "data.augment", None, dataset.id) as prog:
            stats = augment_file(dataset.file("train.jsonl"), b.path / "train.jsonl", fmt, cfg, prog)
        splits = {"train": stats["train_records_out"]}
        for s in SPLITS[1:]:
            if dataset.file(f"{s}.jsonl").exists():
                shutil.copyfile(dataset.file(f"{s}.jsonl"), b.path / f"{s}.jsonl")
                with open(b.path / f"{s}.jsonl", "rb") as f:
                    splits[s] = sum(1 for line in f if line.strip())
        b.summary = {
            **src_summary,
            "format": fmt,
            "splits": splits,
            "augmented_from": dataset.id,
            "augmentation": {**cfg.model_dump(mode="json"), **stats},
        }
    art = ws.get("dataset", b.id)
    audit_artifact(
        ws,
        "data.augment",
        art,
        {
            "format": fmt,
            "splits": splits,
            **{k: v for k, v in stats.items() if k != "placeholders_replaced"},
            "placeholders_replaced": stats["placeholders_replaced"],
        },
        extra={dataset.id: dataset.manifest_sha256},
    )
    return art


__all__ = ["FAKERS", "PLACEHOLDER", "augment_dataset", "augment_file", "swap_entities"]

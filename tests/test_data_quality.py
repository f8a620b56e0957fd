"""Malformed rows, missing values, cleaning, length limits, dedupe across splits, deterministic splits."""

import json
import random

import pytest

from appliance.config import DataSection
from appliance.data.dedupe import shingles
from appliance.data.prepare import prepare_records
from appliance.errors import BadInput


def section(src, **kw):
    base = {"source": str(src), "split": {"validation": 0.0, "test": 0.0, "seed": 7}}
    return DataSection.model_validate({**base, **kw})


def prepare(tmp_path, src, name="out", **kw):
    out = tmp_path / name
    out.mkdir()
    rep = prepare_records(section(src, **kw), src, out)
    recs = {
        s: [json.loads(x) for x in (out / f"{s}.jsonl").read_text("utf-8").splitlines()]
        for s in ("train", "validation", "test")
    }
    return rep, recs


def good(i, words=None):
    return json.dumps({"id": f"r{i}", "prompt": words or f"question {i}", "response": f"answer {i}"}).encode()


@pytest.fixture
def malformed(tmp_path):
    lines = [
        good(1),
        b'{"id": "r2", "prompt": "unterminated',  # bad JSON
        json.dumps({"id": "r3", "prompt": "q", "response": 5}).encode(),  # wrong type
        json.dumps({"id": "r4", "prompt": "q only"}).encode(),  # missing required field
        b'{"id": "r5", "prompt": "caf\xe9", "response": "x"}',  # invalid UTF-8 (latin-1 byte)
        json.dumps(
            {"id": "r6", "prompt": "big", "response": "x" * (10 * 1024 * 1024)}
        ).encode(),  # 10 MB line
        b"[1, 2]",  # not an object
        good(8),
        json.dumps({"id": "r1", "prompt": "other", "response": "content"}).encode(),  # duplicate id
        good(10),
    ]
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    return src


@pytest.mark.parametrize(
    ("invalid", "missing", "needle"),
    [
        ("fail", {"response": "drop"}, "bad.jsonl:2: malformed JSON"),
        ("fail", {}, "bad.jsonl:2: malformed JSON"),
    ],
)
def test_first_malformed_row_fails_with_its_line(tmp_path, malformed, invalid, missing, needle):
    with pytest.raises(BadInput, match=needle):
        prepare(tmp_path, malformed, invalid=invalid, missing=missing)


@pytest.mark.parametrize(
    ("lineno", "fragment"),
    [
        (3, "field 'response' must be text, got int"),
        (4, "required field 'response' is missing or empty"),
        (5, "not valid UTF-8"),
        (6, "over the limit of 4194304"),
        (7, "expected one JSON object per line"),
        (9, "duplicate id (first at line 1)"),
    ],
)
def test_each_malformed_kind_names_line_and_never_the_value(tmp_path, lineno, fragment):
    lines = [good(1)]
    body = {
        3: json.dumps({"id": "r3", "prompt": "secret-prompt", "response": 5}).encode(),
        4: json.dumps({"id": "r4", "prompt": "secret-prompt"}).encode(),
        5: b'{"id": "r5", "prompt": "secret-caf\xe9", "response": "x"}',
        6: json.dumps({"id": "r6", "prompt": "secret-prompt", "response": "x" * (5 * 1024 * 1024)}).encode(),
        7: b'["secret-prompt"]',
        9: json.dumps({"id": "r1", "prompt": "secret-prompt", "response": "y"}).encode(),
    }[lineno]
    lines += [good(i) for i in range(2, lineno)] + [body]
    src = tmp_path / "one.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(BadInput) as exc:
        prepare(tmp_path, src)
    msg = str(exc.value)
    assert f"one.jsonl:{lineno}:" in msg and fragment in msg, msg
    assert "secret" not in msg


def test_drop_policy_counts_every_row(tmp_path, malformed):
    rep, recs = prepare(tmp_path, malformed, invalid="drop", missing={"response": "drop"})
    assert [r["id"] for r in recs["train"]] == ["r1", "r8", "r10"]
    c = rep["counts"]
    assert c["read"] == 10 and c["kept"] == 3 and c["dropped"] == 7
    assert c["dropped_by_reason"] == {
        "duplicate_id": 1,
        "invalid_json": 1,
        "invalid_utf8": 1,
        "missing": 1,
        "not_object": 1,
        "too_large": 1,
        "wrong_type": 1,
    }
    assert rep["steps"][-1]["out"] == 3 and rep["steps"][0]["in"] == 10
    lines = sorted(e["line"] for e in rep["invalid_examples"])
    assert lines == [2, 3, 4, 5, 6, 7, 9]
    assert rep["missing"]["response"] == {
        "column": "response",
        "required": True,
        "missing": 1,
        "policy": "drop",
        "dropped": 1,
        "filled": 0,
    }
    text = json.dumps(rep)
    assert "unterminated" not in text and "q only" not in text


def test_csv_bad_rows(tmp_path):
    src = tmp_path / "t.csv"
    src.write_bytes(
        b'id,prompt,response\n1,ok,fine\n2,"caf\xe9",x\n3,a,b,EXTRA\n4,,empty prompt\n5,ok2,fine2\n'
    )
    with pytest.raises(BadInput, match=r"t.csv:3: not valid utf-8"):
        prepare(tmp_path, src, input={"encoding": "utf-8"})
    rep, recs = prepare(
        tmp_path, src, name="o2", invalid="drop", missing={"default": "drop"}, input={"encoding": "utf-8"}
    )
    assert [r["id"] for r in recs["train"]] == ["1", "5"]
    assert rep["counts"]["dropped_by_reason"] == {"csv_error": 1, "invalid_utf8": 1, "missing": 1}
    assert {e["line"] for e in rep["invalid_examples"]} == {3, 4, 5}


def test_missing_fill_and_optional_fields(tmp_path):
    rows = [
        {"id": "a", "text": "fine day", "label": None},
        {"id": "b", "text": "bad day", "label": "neg"},
        {"id": "c", "text": "", "label": "pos"},
    ]
    src = tmp_path / "m.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rep, recs = prepare(
        tmp_path, src, format="classification", missing={"label": {"fill": "unknown"}, "text": "drop"}
    )
    assert recs["train"] == [
        {"id": "a", "text": "fine day", "label": "unknown"},
        {"id": "b", "text": "bad day", "label": "neg"},
    ]
    assert rep["missing"]["label"]["filled"] == 1 and rep["missing"]["text"]["dropped"] == 1
    with pytest.raises(BadInput, match="not a field of the classification format"):
        prepare(tmp_path, src, name="o2", format="classification", missing={"prompt": "drop"})


def test_cleaning_keeps_placeholders_and_counts_changes(tmp_path):
    raw = "Cafe\u0301 <b>bold</b>&amp; <br>next\u200b line\x07  with   spaces <PERSON> said a < b"
    src = tmp_path / "c.jsonl"
    src.write_text(json.dumps({"id": "x", "prompt": raw, "response": "  ok \r\n\r\n\r\n done "}) + "\n")
    rep, recs = prepare(tmp_path, src)
    rec = recs["train"][0]
    assert rec["prompt"] == "Café bold&\nnext line with spaces <PERSON> said a < b"
    assert rec["response"] == "ok\n\ndone"
    assert rep["cleaning"]["fields_changed"] == {
        "control_chars": 1,
        "html": 1,
        "unicode_nfc": 1,
        "whitespace": 2,
        "zero_width": 1,
    }


def test_token_limits_drop_or_truncate(tmp_path):
    rows = [
        {"id": f"r{i}", "prompt": "a b", "response": " ".join(f"w{i}x{j}" for j in range(n))}
        for i, n in enumerate([3, 10, 30])
    ]
    src = tmp_path / "l.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rep, recs = prepare(tmp_path, src, clean={"max_tokens": 12})
    assert [r["id"] for r in recs["train"]] == ["r0", "r1"] and rep["counts"]["dropped_by_reason"] == {
        "too_long": 1
    }
    rep, recs = prepare(tmp_path, src, name="t", clean={"max_tokens": 12, "too_long": "truncate"})
    assert [len(r["response"].split()) for r in recs["train"]] == [3, 10, 10] and rep["counts"][
        "truncated"
    ] == 1
    assert rep["tokens"]["max"] == 12 and sum(rep["tokens"]["counts"]) == 3


def test_tokenizer_counts_with_model_tokenizer(tmp_path):
    from appliance.data.clean import TokenCounter
    from tests.tiny import make_tokenizer

    tok = make_tokenizer(["alpha beta gamma delta"] * 10, 270)
    tc = TokenCounter.load(tok)
    assert tc.count("alpha beta") >= 2 and tc.truncate("alpha beta gamma delta", 2) in ("alpha beta", "alpha")
    out = tmp_path / "o"
    out.mkdir()
    src = tmp_path / "x.jsonl"
    src.write_text(json.dumps({"id": "1", "prompt": "alpha", "response": "beta gamma"}) + "\n")
    rep = prepare_records(section(src), src, out, tokenizer=tok)
    assert rep["tokens"]["counter"].startswith("tokenizer:") and rep["tokens"]["max"] >= 3


def _corpus(n, seed=0):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(2000)]
    return [" ".join(rng.choices(vocab, k=150)) for _ in range(n)]


def test_exact_and_near_duplicates_removed_within_and_across_splits(tmp_path):
    base = _corpus(60)
    rows = [{"id": f"a{i}", "prompt": t, "response": "r"} for i, t in enumerate(base)]
    rng = random.Random(1)
    for i, t in enumerate(base[:30]):  # near copies: one word changed, new ids (other splits)
        w = t.split()
        w[rng.randrange(len(w))] = "changed"
        rows.append({"id": f"n{i}", "prompt": " ".join(w), "response": "r"})
    for i, t in enumerate(base[30:40]):  # exact copies modulo case/whitespace
        rows.append({"id": f"e{i}", "prompt": "  " + t.upper() + " ", "response": "r"})
    src = tmp_path / "d.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rep, recs = prepare(tmp_path, src, split={"validation": 0.3, "test": 0.3, "seed": 3})
    d = rep["duplicates"]
    assert d["exact"] == 10 and d["near"] >= 27 and d["cross_split"] > 0
    assert rep["counts"]["kept"] == 100 - d["exact"] - d["near"]
    assert d["largest_clusters"][0]["size"] == 2 and "kept_line" in d["largest_clusters"][0]
    # no kept pair (train vs validation/test, or within train) has Jaccard >= 0.85 on word 5-grams
    sets = {s: [set(shingles([r["prompt"], r["response"]], 5)) for r in recs[s]] for s in recs}
    train, evals = sets["train"], sets["validation"] + sets["test"]
    for a in train:
        for b in evals + [x for x in train if x is not a]:
            assert len(a & b) / len(a | b) < 0.85
    rep2, _ = prepare(tmp_path, src, name="y", dedupe={"near": None})  # near-duplicates off: they stay
    assert rep2["duplicates"]["near"] == 0 and rep2["duplicates"]["exact"] == 10
    assert rep2["counts"]["kept"] == 90


def test_same_seed_same_splits_and_stratified_labels(tmp_path):
    rows = [
        {"id": f"r{i}", "text": f"text number {i} " + "x" * (i % 7), "label": "pos" if i % 4 else "neg"}
        for i in range(200)
    ]
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    kw = {
        "format": "classification",
        "split": {"validation": 0.2, "test": 0.1, "seed": 11},
        "dedupe": {"near": None},
    }
    rep1, a = prepare(tmp_path, src, "a", **kw)
    rep2, b = prepare(tmp_path, src, "b", **kw)
    assert a == b
    labels = rep1["labels"]
    assert labels["validation"] == {"neg": 10, "pos": 30} and labels["test"] == {"neg": 5, "pos": 15}
    assert rep1["split"]["stratified"] is True
    kw["split"] = {**kw["split"], "seed": 12}
    _, c = prepare(tmp_path, src, "c", **kw)
    assert [r["id"] for r in c["validation"]] != [r["id"] for r in a["validation"]]
    # reordering the input does not move records between splits (hash of the id)
    src2 = tmp_path / "s2.jsonl"
    src2.write_text("".join(json.dumps(r) + "\n" for r in reversed(rows)))
    _, d = prepare(tmp_path, src2, "d", **{**kw, "split": {**kw["split"], "seed": 11}})
    assert {s: sorted(r["id"] for r in d[s]) for s in d} == {s: sorted(r["id"] for r in a[s]) for s in a}

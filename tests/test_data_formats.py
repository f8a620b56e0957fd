"""Data preparation: every format round-trips from JSONL, CSV and Parquet; column mapping; formatting."""

import csv
import json

import pytest

from appliance.config import DataSection
from appliance.data.prepare import prepare_records
from tests.conftest import write_jsonl

NO_SPLIT = {"validation": 0.0, "test": 0.0, "seed": 7}


def run(tmp_path, records_or_path, fmt, fields=None, **section):
    src = records_or_path
    if isinstance(records_or_path, list):
        src = write_jsonl(tmp_path / "in.jsonl", records_or_path)
    sec = DataSection.model_validate(
        {"source": str(src), "format": fmt, "fields": fields or {}, "split": NO_SPLIT, **section}
    )
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    report = prepare_records(sec, src, out)
    recs = {
        s: [json.loads(x) for x in (out / f"{s}.jsonl").read_text("utf-8").splitlines()]
        for s in ("train", "validation", "test")
    }
    return report, recs


SOURCES = {
    "instruction": (
        [
            {"id": "a", "question": "What is 2+2?", "answer": "4"},
            {"id": "b", "question": "Capital of France?", "answer": "Paris", "sys": "Be brief."},
        ],
        {"prompt": "question", "response": "answer", "system": "sys"},
        [
            {"id": "a", "prompt": "What is 2+2?", "response": "4"},
            {"id": "b", "prompt": "Capital of France?", "response": "Paris", "system": "Be brief."},
        ],
    ),
    "chat": (
        [
            {
                "id": "c1",
                "conversation": [
                    {"from": "human", "value": "Hi"},
                    {"from": "gpt", "value": "Hello!"},
                    {"from": "human", "value": "Bye"},
                    {"from": "gpt", "value": "Bye now"},
                ],
            },
            {
                "id": "c2",
                "conversation": [
                    {"role": "system", "content": "S"},
                    {"role": "user", "content": "Q"},
                    {"role": "assistant", "content": "A"},
                ],
            },
        ],
        None,
        [
            {
                "id": "c1",
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "Bye"},
                    {"role": "assistant", "content": "Bye now"},
                ],
            },
            {
                "id": "c2",
                "messages": [
                    {"role": "system", "content": "S"},
                    {"role": "user", "content": "Q"},
                    {"role": "assistant", "content": "A"},
                ],
            },
        ],
    ),
    "classification": (
        [
            {"id": 1, "review": "Great product", "sentiment": "positive"},
            {"id": 2, "review": "Awful", "sentiment": "negative"},
        ],
        None,
        [
            {"id": "1", "text": "Great product", "label": "positive"},
            {"id": "2", "text": "Awful", "label": "negative"},
        ],
    ),
    "summarization": (
        [
            {
                "id": "s",
                "article": "Long text about cats and dogs living together.",
                "highlights": "Cats, dogs.",
            }
        ],
        None,
        [{"id": "s", "document": "Long text about cats and dogs living together.", "summary": "Cats, dogs."}],
    ),
    "preference": (
        [{"id": "p", "prompt": "Say hi", "chosen": "Hi there!", "rejected": "No."}],
        None,
        [{"id": "p", "prompt": "Say hi", "chosen": "Hi there!", "rejected": "No."}],
    ),
    "ranking": (
        [{"id": "r", "prompt": "Pick", "responses": ["best", "middle", "worst"]}],
        None,
        [{"id": "r", "prompt": "Pick", "responses": ["best", "middle", "worst"]}],
    ),
    "feedback": (
        [
            {"id": "f1", "prompt": "Q1", "response": "A1", "rating": "good"},
            {"id": "f2", "prompt": "Q2", "response": "A2", "rating": "thumbs_down"},
        ],
        {"label": "rating"},
        [
            {"id": "f1", "prompt": "Q1", "response": "A1", "label": True},
            {"id": "f2", "prompt": "Q2", "response": "A2", "label": False},
        ],
    ),
}


@pytest.mark.parametrize("fmt", list(SOURCES))
def test_format_round_trips_jsonl(tmp_path, fmt):
    rows, fields, expected = SOURCES[fmt]
    report, recs = run(tmp_path, rows, fmt, fields)
    assert recs["train"] == expected
    assert report["counts"]["read"] == report["counts"]["kept"] == len(expected)
    assert report["format"] == fmt and report["schema"] == f"appliance.data/{fmt}@1"
    # canonical output prepared again is a fixed point
    again = tmp_path / "again"
    again.mkdir()
    report2, recs2 = run(again, expected, fmt)
    assert recs2["train"] == expected


@pytest.mark.parametrize("fmt", ["instruction", "chat", "ranking", "feedback"])
def test_format_round_trips_parquet(tmp_path, fmt):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, fields, expected = SOURCES[fmt]
    path = tmp_path / "in.parquet"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    pq.write_table(pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows]), path, row_group_size=1)
    report, recs = run(tmp_path, path, fmt, fields)
    assert recs["train"] == expected and report["source"]["type"] == "parquet"


def test_csv_bom_semicolon_quoted_newline_and_list_columns(tmp_path):
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["ID", "Question", "Answer"])
        w.writerow(["1", "Line one\nline two; with semicolon", "Yes"])
        w.writerow(["2", 'She said "hi"', "Ok"])
    report, recs = run(tmp_path, path, "instruction")
    assert report["source"]["delimiter"] == ";" and report["source"]["bom"] is True
    assert report["mapping"] == {"id": "ID", "prompt": "Question", "response": "Answer", "system": None}
    assert recs["train"] == [
        {"id": "1", "prompt": "Line one\nline two; with semicolon", "response": "Yes"},
        {"id": "2", "prompt": 'She said "hi"', "response": "Ok"},
    ]
    # ranking from several columns in rank order; chat messages as a JSON string column
    rk = tmp_path / "rank.tsv"
    rk.write_text("prompt\tresponse_1\tresponse_2\nQ\tgood\tbad\n", encoding="utf-8")
    (tmp_path / "r").mkdir()
    _, recs = run(tmp_path / "r", rk, "ranking")
    assert recs["train"][0]["responses"] == ["good", "bad"]
    ch = tmp_path / "chat.csv"
    msgs = json.dumps([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}])
    with open(ch, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["messages"], [msgs]])
    (tmp_path / "c").mkdir()
    _, recs = run(tmp_path / "c", ch, "chat")
    assert recs["train"][0]["messages"][1] == {"role": "assistant", "content": "Yo"}
    assert recs["train"][0]["id"].startswith("h-")  # no id column: content-hash ids


def test_csv_legacy_encoding_is_sniffed(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("prompt,response\nCafé crème à la carte,Très bien merci beaucoup\n".encode("cp1252"))
    report, recs = run(tmp_path, path, "instruction")
    assert report["source"]["encoding"] != "utf-8"
    assert recs["train"][0]["prompt"] == "Café crème à la carte"


def test_explicit_column_absent_from_header_is_named(tmp_path):
    from appliance.errors import BadInput

    path = tmp_path / "x.csv"
    path.write_text("q,a\nx,y\n")
    with pytest.raises(BadInput, match=r"no column 'question' .*data.fields.prompt.*has 2 columns") as exc:
        run(tmp_path, path, "instruction", {"prompt": "question"})
    assert "'q'" not in str(exc.value)  # header cells are not echoed (headerless files: they are data)


def test_ingest_analyzes_without_writing(tmp_path):
    from appliance.data import ingest

    path = tmp_path / "t.csv"
    path.write_text("ticket_id,text,category\n1,printer broken,hardware\n2,cannot log in,access\n")
    res = ingest(path)
    assert res["format"] == "classification" and res["rows"] == 2
    assert res["mapping"] == {"id": "ticket_id", "text": "text", "label": "category"}
    assert res["config"]["data"]["fields"]["label"] == "category"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_formatting_masks_prompt_and_uses_task_templates():
    from appliance.data import IGNORE_INDEX, encode_record, to_messages
    from tests.tiny import make_tokenizer

    tok = make_tokenizer(["hello there how are you fine thanks classify positive negative"] * 20, 300)
    chat = {
        "id": "c",
        "messages": [
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": "how are you"},
            {"role": "assistant", "content": "fine thanks"},
        ],
    }
    ex = encode_record(tok, chat, "chat", 256)
    kept = tok.decode([t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE_INDEX])
    assert "hi" in kept and "fine thanks" in kept and "how are you" not in kept and "hello" not in kept
    cls = {"id": "k", "text": "hello there", "label": "positive"}
    msgs, target = to_messages(cls, "classification", labels=["negative", "positive"])
    assert "(negative, positive)" in msgs[-1]["content"] and target == "positive"
    ex = encode_record(tok, cls, "classification", 256, labels=["negative", "positive"])
    assert tok.decode(
        [t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE_INDEX]
    ).startswith("positive")
    with pytest.raises(ValueError, match="no supervised target"):
        encode_record(tok, {"id": "p", "prompt": "a", "chosen": "b", "rejected": "c"}, "preference", 64)

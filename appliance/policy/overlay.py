"""Review rules as a workspace-level policy overlay.

The operator's review of a scrubbed dataset can add rules: an allow rule (a span the scrubber flagged that is
not an identifier, e.g. a drug name) and a deny rule (a pattern the scrubber missed, e.g. a site's record-number
shape). Policy packs are read-only files shared by every workspace, so the rules go into a derived policy in the
workspace, `policies/<base>.review.yaml`: the base pack plus `allow_list` entries and `recognizers` with
patterns. Its `name` stays the base's (gates and evaluation resolve the base pack by name); its `version` says
`+review.N`; scrubbing with the overlay's path records the overlay's own sha256 in the dataset manifest.

A deny rule is a regular expression of the identifier's *shape* (e.g. `ACME-\\d{6}`): a literal value typed here
would be stored in the workspace. Adding rules is audited (`policy.review_rules`: counts and hashes only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.errors import BadInput

OVERLAY_DIR = "policies"
DENY_SCORE = 0.9


def overlay_path(ws: Any, base: str) -> Path:
    from appliance.policy import load_policy

    if str(base).endswith(".review.yaml"):
        name = Path(base).name.removesuffix(".review.yaml")
    else:
        name = load_policy(base).policy.name
    return Path(ws.root) / OVERLAY_DIR / f"{name}.review.yaml"


def workspace_policies(ws: Any) -> list[Path]:
    """The workspace's review overlays (paths usable wherever a policy name is)."""
    d = Path(ws.root) / OVERLAY_DIR
    return sorted(d.glob("*.review.yaml")) if d.is_dir() else []


def add_review_rules(
    ws: Any, base: str, allow: list[str] | None = None, deny: list[tuple[str, str]] | None = None
) -> Path:
    """Add allow rules (regexes, full match) and deny rules ((entity, regex)) to the workspace overlay of
    policy `base` (a pack name, a path, or an existing overlay); returns the overlay's path."""
    import regex
    import yaml

    from appliance.policy import Policy, load_policy
    from appliance.workspace import sha256_file, write_atomic

    allow, deny = list(allow or []), list(deny or [])
    if not allow and not deny:
        raise BadInput("no rule to add")
    path = overlay_path(ws, base)
    previous = path.read_text("utf-8") if path.is_file() else None
    source = path if previous is not None else load_policy(base).path
    doc = yaml.safe_load(source.read_text("utf-8"))
    base_version = str(doc.get("version", "0")).split("+review.", 1)
    n = int(base_version[1]) + 1 if len(base_version) == 2 and base_version[1].isdigit() else 1
    doc["version"] = f"{base_version[0]}+review.{n}"
    entities = doc.get("entities") or {}
    for pattern in allow + [p for _, p in deny]:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise BadInput(f"not a valid regular expression ({exc})") from None
    doc.setdefault("allow_list", [])
    doc["allow_list"] = list(doc["allow_list"]) + [p for p in allow if p not in doc["allow_list"]]
    recs = list(doc.get("recognizers") or [])
    for entity, pattern in deny:
        if entity not in entities:
            raise BadInput(
                f"entity {entity!r} is not in the policy; use one of {', '.join(sorted(entities))}"
            )
        k = sum(1 for r in recs if str(r.get("name", "")).startswith("review_deny_")) + 1
        recs.append(
            {
                "name": f"review_deny_{k}",
                "entity": entity,
                "patterns": [{"name": f"review_deny_{k}", "regex": pattern, "score": DENY_SCORE}],
            }
        )
    doc["recognizers"] = recs
    Policy.model_validate(doc)  # refuse to write an overlay that would not load
    text = (
        "# Review overlay written by the appliance (appliance/policy/overlay.py); base pack: "
        f"{doc.get('name')}\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    )
    write_atomic(path, text)
    from appliance.audit import AuditLog

    try:
        AuditLog(ws.audit_dir, ws.keys_dir).record(
            "policy.review_rules",
            artifacts={f"{OVERLAY_DIR}/{path.name}": sha256_file(path)},
            details={
                "policy": doc.get("name"),
                "version": doc["version"],
                "allow_added": len(allow),
                "deny_added": len(deny),
            },
        )
    except Exception:
        if previous is not None:  # fail-closed: put the previous overlay back
            write_atomic(path, previous)
        else:
            path.unlink(missing_ok=True)
        raise
    return path


__all__ = ["add_review_rules", "overlay_path", "workspace_policies"]

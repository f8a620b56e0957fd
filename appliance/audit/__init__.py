"""The audit log: encrypted, hash-chained, Merkle-checkpointed and signed (format: docs/audit-format.md).

Stages call `AuditLog.record()` (or `audit_artifact()`) before they report success; if the record cannot be
written the stage fails (fail-closed). Records carry counts, hashes and artifact ids in encrypted bodies;
never raw values from a dataset.
"""

from __future__ import annotations

import os
from typing import Any

from appliance.audit import crypto
from appliance.audit.log import AuditLog as _AuditLogBase
from appliance.audit.log import current_actor
from appliance.audit.verify import VerifyResult, verify_log
from appliance.errors import ApplianceError


class AuditLog(_AuditLogBase):
    def keys_available(self) -> bool:
        """True when the keyring exists and a passphrase can be had without prompting a non-terminal."""
        import sys

        return crypto.keyring_exists(self.keys_dir) and bool(
            crypto.passphrase_known() or (sys.stdin is not None and sys.stdin.isatty())
        )

    def verify(self, use_keys: bool = True, pins: list[str] | None = None) -> VerifyResult:
        """Full check. With the keys, signatures must be the workspace's own and bodies must decrypt."""
        if use_keys and self.keys_available():
            ring = self.keyring(create=False)
            res = verify_log(self.dir, trusted=ring.public_keys(), data_keys=ring.data)
        else:
            res = verify_log(self.dir, pins=pins)
        return res

    def repair(self, confirm: Any) -> str:
        """Mend what a crash leaves (a torn final line, an unsigned tail); refuse anything else.

        `confirm(message) -> bool` asks the operator. The repair is itself audited.
        """
        res = self.verify()
        if res.ok:
            return "nothing to repair: " + res.describe()
        if res.kind == "torn":
            seg, path = self.segments()[-1]
            data = path.read_bytes()
            keep = data.rfind(b"\n") + 1
            if not confirm(f"cut {len(data) - keep} bytes of an incomplete final record from {path.name}?"):
                raise ApplianceError("repair cancelled; the log is unchanged")
            with self._writer_lock():
                with open(path, "r+b") as f:
                    f.truncate(keep)
                    os.fsync(f.fileno())
                self._tail = None
            self.record(
                "audit.repair", details={"kind": "torn", "removed_bytes": len(data) - keep, "segment": seg}
            )
            return (
                self.repair(confirm)
                if not self.verify().ok
                else f"removed a torn final record from {path.name}"
            )
        if res.kind == "unsigned":
            if not self.keys_available():
                raise ApplianceError("re-signing needs the workspace keys: set APPLIANCE_PASSPHRASE")
            if not confirm(
                f"{res.records - res.signed_size} records are not yet signed and their bodies "
                "authenticate with the workspace key; sign a checkpoint over them?"
            ):
                raise ApplianceError("repair cancelled; the log is unchanged")
            self.record(
                "audit.repair", details={"kind": "unsigned", "records": res.records - res.signed_size}
            )
            return "signed a checkpoint over the unsigned records"
        raise ApplianceError(
            f"refusing to repair: {res.describe()}. This is not what a crash leaves; keep the log as evidence"
        )


def audit_artifact(
    ws: Any, event: str, art: Any, details: dict[str, Any], extra: dict[str, str] | None = None
) -> None:
    """Record a stage's new artifact; if the record fails, take the artifact back (fail-closed)."""
    try:
        AuditLog(ws.audit_dir, ws.keys_dir).record(
            event, artifacts={art.id: art.manifest_sha256, **(extra or {})}, details=details
        )
    except Exception:
        ws.remove(art)
        raise


__all__ = ["AuditLog", "VerifyResult", "audit_artifact", "current_actor", "verify_log"]

"""The audit log: one JSON record per line, each chained to the previous one by sha256.

This is the foundation's plain hash chain; the audit issue adds body encryption, Merkle checkpoints and
signatures behind the same `AuditLog.record()` call sites. Records carry counts, hashes and artifact ids,
never raw values from a dataset.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import AuditWriteError
from appliance.workspace import canonical_json, sha256_bytes, utc_now

FORMAT_VERSION = 0
GENESIS = "0" * 64
LOG_NAME = "log.jsonl"


def current_actor() -> str:
    """Operator id for audit records: APPLIANCE_OPERATOR, else the OS user."""
    actor = os.environ.get("APPLIANCE_OPERATOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return f"uid:{os.getuid()}"


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return sha256_bytes(canonical_json(body))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    first_bad_line: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit log intact: {self.records} records, hash chain verified"
        return f"audit log damaged at line {self.first_bad_line}: {self.problem}"


class AuditLog:
    def __init__(self, audit_dir: Path):
        self.dir = audit_dir
        self.path = audit_dir / LOG_NAME

    def record(
        self,
        event: str,
        *,
        artifacts: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Append one record, fsync'd, and return it. Raises AuditWriteError if it cannot be written.

        `artifacts` maps artifact ids (or file labels) to sha256 hashes; `details` holds counts and settings,
        never raw values from a dataset.
        """
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise AuditWriteError(f"cannot open the audit log {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # serializes writers across processes
            seq, prev = self._tail(fd)
            rec: dict[str, Any] = {
                "v": FORMAT_VERSION,
                "seq": seq,
                "time": utc_now(),
                "actor": actor or current_actor(),
                "event": event,
                "artifacts": dict(sorted((artifacts or {}).items())),
                "details": details or {},
                "prev": prev,
            }
            rec["hash"] = record_hash(rec)
            os.write(fd, canonical_json(rec) + b"\n")
            os.fsync(fd)
            return rec
        except AuditWriteError:
            raise
        except (OSError, TypeError, ValueError) as exc:
            raise AuditWriteError(f"cannot write the audit log {self.path}: {exc}") from exc
        finally:
            os.close(fd)

    def _tail(self, fd: int) -> tuple[int, str]:
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, GENESIS
        # Read back far enough to hold the last full line.
        chunk = min(size, 1 << 16)
        data = os.pread(fd, chunk, size - chunk)
        if not data.endswith(b"\n"):
            raise AuditWriteError(
                f"the audit log {self.path} ends with an incomplete record (a crash mid-write?); "
                "run `appliance audit verify` and repair it before continuing"
            )
        last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        rec = json.loads(last)
        return int(rec["seq"]) + 1, str(rec["hash"])

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_bytes().splitlines() if line.strip()]

    def verify(self) -> VerifyResult:
        if not self.path.exists():
            return VerifyResult(True, 0)
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        torn = lines[-1] != b""
        prev, count = GENESIS, 0
        for n, line in enumerate(lines[:-1] if not torn else lines, start=1):
            if torn and n == len(lines):
                return VerifyResult(False, count, n, "incomplete final record (torn write)")
            try:
                rec = json.loads(line)
            except ValueError:
                return VerifyResult(False, count, n, "not a valid JSON record")
            if canonical_json(rec) != line:
                return VerifyResult(False, count, n, "record is not in canonical encoding (altered?)")
            if rec.get("seq") != count:
                return VerifyResult(
                    False, count, n, f"sequence number {rec.get('seq')} where {count} expected"
                )
            if rec.get("prev") != prev:
                return VerifyResult(False, count, n, "does not chain to the previous record")
            if record_hash(rec) != rec.get("hash"):
                return VerifyResult(False, count, n, "record hash does not match its content")
            prev, count = rec["hash"], count + 1
        return VerifyResult(True, count)


def audit_artifact(
    ws: Any, event: str, art: Any, details: dict[str, Any], extra: dict[str, str] | None = None
) -> None:
    """Record a stage's new artifact; if the record fails, take the artifact back (fail-closed)."""
    try:
        AuditLog(ws.audit_dir).record(
            event, artifacts={art.id: art.manifest_sha256, **(extra or {})}, details=details
        )
    except Exception:
        ws.remove(art)
        raise

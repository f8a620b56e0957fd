"""Verify an audit log: hash chain, sequence, Merkle roots, checkpoint signatures, and (with keys) bodies.

Works on a workspace's audit/ folder or on an extracted bundle; needs no decryption key unless asked to
authenticate the encrypted bodies.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.audit import crypto
from appliance.audit.format import (
    GENESIS,
    LineError,
    MerkleAccumulator,
    checkpoint_message,
    decrypt_body,
    leaf_hash,
    parse_line,
)


@dataclass
class VerifyResult:
    ok: bool
    records: int
    checkpoints: int = 0
    signed_size: int = 0
    kind: str = ""
    problem: str = ""
    where: str = ""  # segment file and line of the first bad record
    first_bad_seq: int | None = None
    signing_keys: list[str] = field(default_factory=list)
    trust: str = ""

    def describe(self) -> str:
        if self.ok:
            return (
                f"audit log intact: {self.records} records, hash chain and Merkle tree verified, "
                f"{self.checkpoints} signed checkpoints (keys {', '.join(self.signing_keys)}; {self.trust})"
            )
        seq = f" (record seq {self.first_bad_seq})" if self.first_bad_seq is not None else ""
        return f"audit log damaged: {self.kind} at {self.where}{seq}: {self.problem}"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _segments(audit_dir: Path) -> list[tuple[int, Path]]:
    seg_dir = audit_dir / "segments"
    if not seg_dir.is_dir():
        return []
    return sorted((int(p.stem), p) for p in seg_dir.glob("*.jsonl") if p.stem.isdigit())


def _public_keys(audit_dir: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted((audit_dir / "public").glob("*.json")):
        doc = json.loads(p.read_text("utf-8"))
        pub = crypto.b64d(doc["public"])
        if crypto.key_id(pub) == doc["key_id"]:
            out[doc["key_id"]] = pub
    return out


def verify_log(
    audit_dir: Path,
    trusted: dict[str, bytes] | None = None,
    pins: list[str] | None = None,
    data_keys: dict[int, bytes] | None = None,
) -> VerifyResult:
    """Check everything; return the first problem found.

    Trust: checkpoint signatures must come from `trusted` keys (the workspace keyring's), or from keys
    whose id is in `pins`, or from keys announced by a key-rotation record under an already trusted key.
    With neither, the
    first checkpoint's key is trusted on first use and the result says so.
    """
    count, prev, acc = 0, GENESIS, MerkleAccumulator()
    checkpoints = _read_checkpoints(audit_dir)
    if isinstance(checkpoints, VerifyResult):
        return checkpoints
    wanted = {cp["tree_size"] for cp in checkpoints}
    roots: dict[int, tuple[str, str]] = {0: (acc.root(), GENESIS)} if 0 in wanted else {}
    announced: list[tuple[int, str, str]] = []
    seen_seqs: set[int] = set()  # (seq, key id, sha256 of public key)

    def bad(kind: str, problem: str, where: str, seq: int | None) -> VerifyResult:
        return VerifyResult(False, count, len(checkpoints), 0, kind, problem, where, seq)

    for seg, path in _segments(audit_dir):
        data = path.read_bytes()
        lines = data.split(b"\n")
        torn = lines[-1] != b""
        body_lines = lines if torn else lines[:-1]
        seg_name = path.name
        for n, line in enumerate(body_lines, start=1):
            where = f"{seg_name}:{n}"
            if torn and n == len(body_lines):
                return bad(
                    "torn",
                    "incomplete final record (a crash mid-write); `appliance audit repair`",
                    where,
                    count,
                )
            try:
                parsed = parse_line(line)
            except LineError as exc:
                return bad("altered", str(exc), where, count)
            h = parsed.header
            seq = h.get("seq")
            if seq != count:
                later = {_seq_of(x) for x in body_lines[n:]}
                if isinstance(seq, int) and seq > count and count not in later:
                    return bad("missing", f"records {count}..{seq - 1} are missing (deleted?)", where, seq)
                what = (
                    "duplicated" if isinstance(seq, int) and seq < count and seq in seen_seqs else "reordered"
                )
                return bad(
                    what, f"sequence number {seq} where {count} was expected ({what} record)", where, seq
                )
            if h.get("prev") != prev:
                return bad(
                    "chain", "does not chain to the previous record (replaced or reordered)", where, seq
                )
            if h.get("segment") != seg:
                return bad(
                    "altered", f"record claims segment {h.get('segment')} but lies in {path.name}", where, seq
                )
            if data_keys is not None and h.get("body") is not None:
                try:
                    decrypt_body(data_keys[seg], h)
                except Exception:
                    return bad(
                        "forged",
                        "encrypted body fails authentication (not written with the workspace key)",
                        where,
                        seq,
                    )
            for name, digest in h.get("artifacts", {}).items():
                if name.startswith("signing-key:"):
                    announced.append((seq, name.split(":", 1)[1], digest))
            seen_seqs.add(seq)
            acc.append(leaf_hash(parsed.hash))
            prev, count = parsed.hash, count + 1
            if count in wanted:
                roots[count] = (acc.root(), prev)

    # Checkpoints: signatures by trusted keys, roots matching the records.
    pubs = _public_keys(audit_dir)
    trusted_keys = dict(trusted or {})
    for kid in pins or []:
        if kid in pubs:
            trusted_keys[kid] = pubs[kid]
    trust = "keys from the workspace keyring" if trusted else ("pinned keys" if pins else "")
    if not trusted and not pins and checkpoints and checkpoints[0]["key_id"] in pubs:
        first = checkpoints[0]["key_id"]
        trusted_keys[first] = pubs[first]
        trust = f"first key trusted on first use: compare {first} with your records, or --pin it"
    signed, used = 0, []
    for i, cp in enumerate(checkpoints, start=1):
        where = f"checkpoints.jsonl:{i}"
        for (
            seq,
            kid,
            digest,
        ) in announced:  # keys introduced by a rotation record an earlier checkpoint covers
            if seq < signed and kid in pubs and hashlib.sha256(pubs[kid]).hexdigest() == digest:
                trusted_keys.setdefault(kid, pubs[kid])
        key = trusted_keys.get(cp["key_id"])
        if key is None:
            return VerifyResult(
                False,
                count,
                len(checkpoints),
                signed,
                "untrusted-key",
                f"checkpoint signed by key {cp['key_id']}, which is not a trusted workspace key",
                where,
            )
        if not crypto.verify_signature(key, crypto.b64d(cp["sig"]), checkpoint_message(cp)):
            return VerifyResult(
                False,
                count,
                len(checkpoints),
                signed,
                "bad-signature",
                "checkpoint signature does not verify",
                where,
            )
        if cp["tree_size"] > count:
            return VerifyResult(
                False,
                count,
                len(checkpoints),
                signed,
                "missing",
                f"the log has {count} records but a signed checkpoint covers {cp['tree_size']} "
                "(records deleted or the file truncated)",
                where,
                count,
            )
        root, head = roots[cp["tree_size"]]
        if cp["root"] != root or cp["head"] != head:
            return VerifyResult(
                False,
                count,
                len(checkpoints),
                signed,
                "altered",
                f"records do not match the signed Merkle root of the first {cp['tree_size']}",
                where,
            )
        signed = max(signed, cp["tree_size"])
        if cp["key_id"] not in used:
            used.append(cp["key_id"])
    if signed < count:
        return VerifyResult(
            False,
            count,
            len(checkpoints),
            signed,
            "unsigned",
            f"records {signed}..{count - 1} are not covered by a signed checkpoint (appended without "
            "the signing key, or a crash before the checkpoint: `appliance audit repair` re-signs "
            "after checking them)",
            f"record seq {signed}",
            signed,
        )
    return VerifyResult(True, count, len(checkpoints), signed, signing_keys=used, trust=trust)


def _seq_of(line: bytes) -> int | None:
    try:
        return int(json.loads(line[: line.rfind(b',"hash":"')] + b"}")["seq"])
    except (ValueError, KeyError, TypeError):
        return None


def _read_checkpoints(audit_dir: Path) -> list[dict[str, Any]] | VerifyResult:
    path = audit_dir / "checkpoints.jsonl"
    if not path.exists():
        return []
    out = []
    raw = path.read_bytes()
    for n, line in enumerate(raw.splitlines(), start=1):
        try:
            cp = json.loads(line)
            int(cp["tree_size"]), cp["root"], cp["head"], cp["key_id"], cp["sig"]
        except (ValueError, KeyError, TypeError):
            if n == raw.count(b"\n") + 1:  # torn final checkpoint line: the records are still checked
                break
            return VerifyResult(
                False, 0, 0, 0, "altered", "checkpoint line is not valid", f"checkpoints.jsonl:{n}"
            )
        out.append(cp)
    return out

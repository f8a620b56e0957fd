"""AuditLog: encrypted, hash-chained records, signed Merkle checkpoints, group-committed durable appends."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import getpass
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.audit import crypto
from appliance.audit.format import (
    FORMAT_VERSION,
    GENESIS,
    LineError,
    MerkleAccumulator,
    aead,
    checkpoint_message,
    decrypt_body,
    encode_record,
    leaf_hash,
    parse_line,
)
from appliance.errors import ApplianceError, AuditWriteError
from appliance.workspace import utc_now

CHECKPOINT_EVERY = 64
GROUP_COMMIT_WAIT_S = 0.0002


def current_actor() -> str:
    """Operator id for audit records: APPLIANCE_OPERATOR, else the OS user."""
    actor = os.environ.get("APPLIANCE_OPERATOR")
    if actor:
        return actor
    return _os_user()


@functools.cache
def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return f"uid:{os.getuid()}"


_second: tuple[int, str] = (-1, "")


def _utc_now() -> str:
    """`workspace.utc_now()`'s format (YYYY-MM-DDTHH:MM:SS.ffffffZ), formatting the date once a second."""
    global _second
    sec, ns = divmod(time.time_ns(), 1_000_000_000)
    cached = _second
    if cached[0] != sec:
        cached = _second = (sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)))
    return f"{cached[1]}.{ns // 1000:06d}Z"


@dataclass
class _Pending:
    event: str
    artifacts: dict[str, str]
    details: dict[str, Any] | None
    actor: str
    done: bool = False
    result: dict[str, Any] | None = None
    error: BaseException | None = None


@dataclass
class _Tail:
    segment: int
    size: int
    seq: int  # next sequence number
    prev: str


@dataclass
class LogPosition:
    accumulator: MerkleAccumulator = field(default_factory=MerkleAccumulator)
    segment: int = 1
    offset: int = 0
    head: str = GENESIS


class AuditLog:
    """The audit log of one workspace (`audit/` beside `keys/`)."""

    def __init__(
        self, audit_dir: Path, keys_dir: Path | None = None, checkpoint_every: int = CHECKPOINT_EVERY
    ):
        self.dir = Path(audit_dir)
        self.keys_dir = Path(keys_dir) if keys_dir else self.dir.parent / "keys"
        self.segments_dir = self.dir / "segments"
        self.checkpoints_path = self.dir / "checkpoints.jsonl"
        self.public_dir = self.dir / "public"
        self.checkpoint_every = checkpoint_every
        self._ring: crypto.Keyring | None = None
        self._cv = threading.Condition()
        self._queue: list[_Pending] = []
        self._last_batch = 1
        self._leader = False
        self._tail: _Tail | None = None
        self._pos = LogPosition()
        self._last_checkpoint_size = -1
        self._fd: int | None = None
        self._fd_segment = 0
        self._lock_fd: int | None = None
        self._lock_depth = 0
        self._thread_lock = threading.RLock()
        self._ciphers: dict[int, Any] = {}  # segment -> AESGCM of its data key

    @classmethod
    def for_workspace(cls, ws: Any) -> AuditLog:
        return cls(ws.audit_dir, ws.keys_dir)

    # ---- files
    def segment_path(self, segment: int) -> Path:
        return self.segments_dir / f"{segment:06d}.jsonl"

    def segments(self) -> list[tuple[int, Path]]:
        if not self.segments_dir.is_dir():
            return []
        out = []
        for p in self.segments_dir.glob("*.jsonl"):
            if p.stem.isdigit():
                out.append((int(p.stem), p))
        return sorted(out)

    def current_segment(self) -> int:
        segs = self.segments()
        return segs[-1][0] if segs else 1

    def _acquire_writer(self) -> None:
        """Serialize writers: threads by a reentrant lock, processes by flock on a file this instance keeps."""
        self._thread_lock.acquire()
        try:
            if self._lock_depth == 0:
                if self._lock_fd is None:
                    self.dir.mkdir(parents=True, exist_ok=True)
                    self._lock_fd = os.open(self.dir / ".writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        self._lock_depth += 1

    def _release_writer(self) -> None:
        self._lock_depth -= 1
        try:
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        self._acquire_writer()
        try:
            yield
        finally:
            self._release_writer()

    # ---- keys
    def keyring(self, create: bool = True) -> crypto.Keyring:
        if self._ring is not None:
            return self._ring
        if crypto.keyring_exists(self.keys_dir):
            passphrase = crypto.read_passphrase()
            try:
                self._ring = crypto.load_keyring(self.keys_dir, passphrase)
            except crypto.WrongPassphrase:
                crypto.forget_typed_passphrase()
                self._record_header_only("auth.failed", {"what": "audit keyring"})
                raise
        elif create:
            passphrase = crypto.read_passphrase(confirm=True)
            with self._writer_lock():
                if crypto.keyring_exists(self.keys_dir):  # another process created it meanwhile
                    self._ring = crypto.load_keyring(self.keys_dir, passphrase)
                else:
                    ring = crypto.Keyring.generate()
                    crypto.save_keyring(self.keys_dir, ring, passphrase)
                    self._write_public_key(crypto.signing_public(ring.signing_key))
                    self._ring = ring
        else:
            raise ApplianceError(
                f"no audit keys in {self.keys_dir}: nothing has been audited in this workspace yet"
            )
        return self._ring

    def _write_public_key(self, public_raw: bytes) -> None:
        from appliance.workspace import write_atomic

        kid = crypto.key_id(public_raw)
        doc = {"alg": "ed25519", "key_id": kid, "public": crypto.b64e(public_raw), "created": utc_now()}
        write_atomic(self.public_dir / f"{kid}.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")

    def public_keys(self) -> dict[str, bytes]:
        out = {}
        if self.public_dir.is_dir():
            for p in sorted(self.public_dir.glob("*.json")):
                doc = json.loads(p.read_text("utf-8"))
                out[doc["key_id"]] = crypto.b64d(doc["public"])
        return out

    def pseudonym(self, value: str) -> str:
        """Keyed HMAC-SHA256 of a sensitive value: correlatable across records, not reversible."""
        mac = hmac.new(self.keyring().hmac, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{mac}"

    def file_pseudonym(self, path: Path) -> str:
        """Keyed HMAC-SHA256 of a file holding raw (unscrubbed) data. Its plain SHA-256 in a readable header
        (or a bundle's lineage, a model card) lets whoever holds the scrubbed copy test guesses for the
        placeholders against it: one SSN in a one-record file is found in seconds."""
        mac = hmac.new(self.keyring().hmac, digestmod=hashlib.sha256)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                mac.update(block)
        return f"hmac-sha256:{mac.hexdigest()}"

    # ---- appends
    def record(
        self,
        event: str,
        *,
        artifacts: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        checkpoint: bool = True,
    ) -> dict[str, Any]:
        """Append one record, durable (fsync'd) before this returns; AuditWriteError if it cannot be written.

        `details` are encrypted; `artifacts` (ids → sha256) and the event type stay readable for verifiers.
        Concurrent callers in one process share fsyncs (group commit); processes are serialized by a lock.
        With `checkpoint` a signed checkpoint covering this record is written too (stage ends do this).
        """
        try:
            if self._ring is None:
                self.keyring()
        except OSError as exc:  # ApplianceError (e.g. a wrong passphrase) passes through as it is
            raise AuditWriteError(f"cannot read the audit keys in {self.keys_dir}: {exc}") from exc
        item = _Pending(
            event, dict(sorted((artifacts or {}).items())), dict(details or {}), actor or current_actor()
        )
        self._commit(item)
        if checkpoint:
            self.checkpoint()
        assert item.result is not None
        return item.result

    def _record_header_only(self, event: str, public_details: dict[str, str]) -> None:
        """Events written without the keys (e.g. a failed passphrase): no encrypted body."""
        arts = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in public_details.items()}
        with contextlib.suppress(AuditWriteError):
            self._commit(_Pending(event, arts, None, current_actor()))

    def _commit(self, item: _Pending) -> None:
        with self._cv:
            self._queue.append(item)
            while not item.done:
                if self._leader:
                    self._cv.wait()
                    continue
                self._leader = True
                if self._last_batch > 1 and len(self._queue) < self._last_batch:
                    # Group commit: other writers were active a moment ago; give them a fraction of an fsync
                    # to join this batch instead of paying for their own fsync right after it.
                    self._cv.wait(GROUP_COMMIT_WAIT_S)
                batch, self._queue = self._queue, []
                self._last_batch = len(batch)
                self._cv.release()
                try:
                    self._write_batch(batch)
                except BaseException as exc:  # every waiter of this batch gets the error
                    for p in batch:
                        p.error = exc
                finally:
                    self._cv.acquire()
                    for p in batch:
                        p.done = True
                    self._leader = False
                    self._cv.notify_all()
        if item.error is not None:
            if isinstance(item.error, ApplianceError):
                raise item.error
            raise AuditWriteError(f"cannot write the audit log in {self.dir}: {item.error}") from item.error

    def _open_segment(self, segment: int) -> int:
        if self._fd is not None and self._fd_segment == segment:
            return self._fd
        self.close()
        self.segments_dir.mkdir(parents=True, exist_ok=True)
        path = self.segment_path(segment)
        created = not path.exists()
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        self._fd_segment = segment
        if created:
            dfd = os.open(self.segments_dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        try:
            self.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
        except Exception:  # interpreter shutdown
            pass

    def _read_tail(self, segment: int, fd: int) -> _Tail:
        size = os.fstat(fd).st_size
        if self._tail and self._tail.segment == segment and self._tail.size == size:
            return self._tail
        # Walk back through segments to the newest record.
        for seg, path in reversed([s for s in self.segments() if s[0] <= segment]):
            data = path.read_bytes()
            if not data:
                continue
            if not data.endswith(b"\n"):
                raise AuditWriteError(
                    f"the audit log {path.name} ends with an incomplete record (a crash mid-write?); "
                    "run `appliance audit verify`, then `appliance audit repair`"
                )
            last = data[:-1].rsplit(b"\n", 1)[-1]
            try:
                parsed = parse_line(last)
            except LineError as exc:
                raise AuditWriteError(
                    f"the last audit record in {path.name} is damaged ({exc}); run verify"
                ) from None
            return _Tail(segment, size if seg == segment else 0, int(parsed.header["seq"]) + 1, parsed.hash)
        return _Tail(segment, size, 0, GENESIS)

    def _locked_tail(self) -> tuple[int, int, _Tail]:
        """Segment, its fd and the chain tail to append to (writer lock held).

        Fast path: when the open segment still has the size our last append left, no other process has
        written since, so nothing rotated either (a rotation first appends its record to the old segment).
        """
        tail = self._tail
        if self._fd is not None and tail is not None and tail.segment == self._fd_segment:
            if os.fstat(self._fd).st_size == tail.size:
                return tail.segment, self._fd, tail
        segment = self._fd_segment if self._fd is not None else self.current_segment()
        if self.segment_path(segment + 1).exists():  # another process rotated the keys
            segment = self.current_segment()
        fd = self._open_segment(segment)
        return segment, fd, self._read_tail(segment, fd)

    def _write_batch(self, batch: list[_Pending]) -> None:
        self._acquire_writer()
        try:
            segment, fd, tail = self._locked_tail()
            cipher = None
            if self._ring is not None:
                cipher = self._ciphers.get(segment)
                if cipher is None:
                    cipher = self._ciphers[segment] = aead(self._ring.data[segment])
            lines, digests, seq, prev = [], [], tail.seq, tail.prev
            for p in batch:
                now = _utc_now()
                if p.details is not None and cipher is None:
                    raise AuditWriteError("internal: an encrypted record needs the keyring")
                line, digest, nonce, body = encode_record(
                    seq,
                    now,
                    p.actor,
                    p.event,
                    p.artifacts,
                    segment,
                    prev,
                    cipher if p.details is not None else None,
                    p.details,
                )
                lines.append(line)
                digests.append(digest)
                p.result = {
                    "v": FORMAT_VERSION,
                    "seq": seq,
                    "time": now,
                    "actor": p.actor,
                    "event": p.event,
                    "artifacts": p.artifacts,
                    "segment": segment,
                    "prev": prev,
                    "nonce": nonce,
                    "body": body,
                    "hash": digest,
                }
                seq, prev = seq + 1, digest
            payload = b"".join(lines) if len(lines) > 1 else lines[0]
            written = os.write(fd, payload)
            if written != len(payload):
                raise AuditWriteError(f"short write to the audit log ({written} of {len(payload)} bytes)")
            # fdatasync: flushes the appended bytes and the new size (all a reader needs), not the mtime.
            os.fdatasync(fd)
            self._tail = _Tail(segment, tail.size + len(payload), seq, prev)
            pos = self._pos
            if pos.segment == segment and pos.offset == tail.size:  # Merkle position: feed it what we wrote
                for digest in digests:
                    pos.accumulator.append(leaf_hash(digest))
                pos.offset, pos.head = tail.size + len(payload), prev
            if self._ring is not None and seq - max(self._last_checkpoint_size, 0) >= self.checkpoint_every:
                # The position is current when it ends where this batch did: nothing to re-read then.
                self._checkpoint_locked(current=pos.segment == segment and pos.offset == self._tail.size)
        finally:
            self._release_writer()

    # ---- checkpoints
    def checkpoint(self) -> dict[str, Any]:
        with self._writer_lock():
            return self._checkpoint_locked()

    def _advance_position(self) -> LogPosition:
        """Feed records appended since the last call into the Merkle accumulator."""
        pos = self._pos
        segs = self.segments()
        if segs and (pos.segment not in dict(segs) or dict(segs)[pos.segment].stat().st_size < pos.offset):
            pos = self._pos = LogPosition()  # files changed under us (repair): start over
        for seg, path in segs:
            if seg < pos.segment:
                continue
            with open(path, "rb") as f:
                f.seek(pos.offset if seg == pos.segment else 0)
                data = f.read()
            complete = data[: data.rfind(b"\n") + 1]
            for line in complete.splitlines():
                h = line[-66:-2].decode("ascii")
                pos.accumulator.append(leaf_hash(h))
                pos.head = h
            pos.offset = (pos.offset if seg == pos.segment else 0) + len(complete)
            pos.segment = seg
        return pos

    def _checkpoint_locked(self, current: bool = False) -> dict[str, Any]:
        ring = self.keyring()
        pos = self._pos if current else self._advance_position()
        cp: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "tree_size": pos.accumulator.size,
            "root": pos.accumulator.root(),
            "head": pos.head,
            "time": utc_now(),
            "key_id": ring.signing_key_id,
        }
        cp["sig"] = crypto.b64e(crypto.sign(ring.signing_key, checkpoint_message(cp)))
        self._drop_torn_checkpoint()
        with open(self.checkpoints_path, "ab") as f:
            f.write(crypto.canonical(cp) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        self._last_checkpoint_size = cp["tree_size"]
        return cp

    def _drop_torn_checkpoint(self) -> None:
        """A crash during a checkpoint write leaves an unterminated last line, which verify skips; appending
        after it would glue it to the next checkpoint and make that line invalid. It was never a complete
        signed checkpoint (the records it would have covered are covered by the new one), so it is cut."""
        try:
            f = open(self.checkpoints_path, "rb+")
        except FileNotFoundError:
            return
        with f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            start = max(0, size - 65536)
            f.seek(start)
            tail = f.read()
            f.truncate(start + tail.rfind(b"\n") + 1 if b"\n" in tail else 0)
            f.flush()
            os.fsync(f.fileno())

    # ---- key rotation
    def rotate_keys(self) -> str:
        """New signing key and data key, new segment; announced by a record signed under the old key."""
        ring = self.keyring()
        new = ring.rotated()
        new_pub = crypto.signing_public(new.signing_key)
        kid = crypto.key_id(new_pub)
        self._write_public_key(new_pub)
        self.record(
            "audit.key_rotation",
            artifacts={f"signing-key:{kid}": hashlib.sha256(new_pub).hexdigest()},
            details={
                "new_segment": new.segment,
                "new_signing_key_id": kid,
                "old_signing_key_id": ring.signing_key_id,
            },
            checkpoint=True,  # signed by the old key: this is what makes the new key trusted
        )
        with self._writer_lock():
            crypto.save_keyring(self.keys_dir, new, crypto.read_passphrase())
            self._ring = new
            self._open_segment(new.segment)
        self.checkpoint()
        return kid

    # ---- reading
    def iter_records(self, decrypt: bool = True) -> Iterator[dict[str, Any]]:
        ring = self.keyring(create=False) if decrypt else None
        for seg, path in self.segments():
            for line in path.read_bytes().splitlines():
                if not line.strip():
                    continue
                parsed = parse_line(line)
                rec = {**parsed.header, "hash": parsed.hash}
                if ring is not None:
                    rec["details"] = decrypt_body(ring.data[seg], parsed.header)
                yield rec

    def records(self) -> list[dict[str, Any]]:
        """Record headers (no decryption; no passphrase needed)."""
        if not self.segments():
            return []
        return list(self.iter_records(decrypt=False))

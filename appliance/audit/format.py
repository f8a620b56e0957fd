"""Byte-level record and checkpoint format, and the RFC 9162 Merkle tree hash (docs/audit-format.md)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from typing import Any, NamedTuple

from appliance.audit.crypto import b64d, b64e, canonical, canonical_text

FORMAT_VERSION = 1
# What the canonical encoder writes for a str (the C function where there is one): saves its dispatch.
_str = json.encoder.encode_basestring_ascii
_raw_decode = json.JSONDecoder().raw_decode
GENESIS = "0" * 64
HASH_MARKER = b',"hash":"'
CHECKPOINT_CONTEXT = b"compliance-appliance/audit-checkpoint/v1\n"
# Header fields bound into the AES-GCM associated data (everything but nonce, body and hash).
AAD_EXCLUDE = ("nonce", "body")


def record_aad(header: dict[str, Any]) -> bytes:
    return canonical({k: v for k, v in header.items() if k not in AAD_EXCLUDE})


@functools.lru_cache(maxsize=16)
def aead(data_key: bytes) -> Any:
    """The AES-256-GCM object of a data key, built once per key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(data_key)


def encrypt_body(data_key: bytes, header: dict[str, Any], body: dict[str, Any]) -> None:
    """Fill header['nonce'] and header['body'] with the AES-256-GCM encryption of `body`."""
    nonce = os.urandom(12)
    header["nonce"] = b64e(nonce)
    header["body"] = b64e(aead(data_key).encrypt(nonce, canonical(body), record_aad(header)))


def decrypt_body(data_key: bytes, header: dict[str, Any]) -> dict[str, Any]:
    if header.get("body") is None:
        return {}
    plain = aead(data_key).decrypt(b64d(header["nonce"]), b64d(header["body"]), record_aad(header))
    return json.loads(plain)


def seal_line(header: dict[str, Any]) -> tuple[bytes, str]:
    """The record line: canonical(header) with ',"hash":"<sha256 of that>"' inserted before its final '}'."""
    prefix = canonical(header)
    digest = hashlib.sha256(prefix).hexdigest()
    return prefix[:-1] + HASH_MARKER + digest.encode("ascii") + b'"}', digest


def encode_record(
    seq: int,
    time: str,
    actor: str,
    event: str,
    artifacts: dict[str, str],
    segment: int,
    prev: str,
    cipher: Any = None,
    details: dict[str, Any] | None = None,
) -> tuple[bytes, str, str | None, str | None]:
    """One record line (with its '\\n'), its hash, and b64 nonce and body: the writer's fast path.

    Byte for byte what `encrypt_body` then `seal_line` produce for the same header, built from one canonical
    encoding of each member instead of three of the whole header. It relies on the canonical member order
    (actor, artifacts, body, event, nonce, prev, segment, seq, time, v): the associated data is that header
    without body and nonce. `cipher` is `aead(data key of the segment)`; None writes a record without a body.
    """
    enc = canonical_text
    head = (
        '{"actor":'
        + (_str(actor) if isinstance(actor, str) else enc(actor))
        + ',"artifacts":'
        + enc(artifacts)
    )
    mid = ',"event":' + (_str(event) if isinstance(event, str) else enc(event))
    tail = f',"prev":{_str(prev)},"segment":{segment:d},"seq":{seq:d},"time":{_str(time)},"v":{FORMAT_VERSION:d}}}'
    if cipher is None:
        nonce_b64 = body_b64 = None
        prefix = head + ',"body":null' + mid + ',"nonce":null' + tail
    else:
        nonce = os.urandom(12)
        aad = (head + mid + tail).encode("ascii")
        body_b64 = b64e(cipher.encrypt(nonce, enc(details).encode("ascii"), aad))
        nonce_b64 = b64e(nonce)
        prefix = head + ',"body":"' + body_b64 + '"' + mid + ',"nonce":"' + nonce_b64 + '"' + tail
    raw = prefix.encode("ascii")
    digest = hashlib.sha256(raw).hexdigest()
    return raw[:-1] + HASH_MARKER + digest.encode("ascii") + b'"}\n', digest, nonce_b64, body_b64


class ParsedLine(NamedTuple):
    header: dict[str, Any]
    hash: str


class LineError(ValueError):
    pass


def parse_line(line: bytes) -> ParsedLine:
    """Split a record line into its header and hash, checking the hash; LineError says what is wrong."""
    idx = line.rfind(HASH_MARKER)
    if idx < 0 or not line.endswith(b'"}') or len(line) - idx != len(HASH_MARKER) + 66:
        raise LineError("not a record line (no trailing hash field)")
    prefix = line[:idx] + b"}"
    claimed = line[idx + len(HASH_MARKER) : -2].decode("ascii", errors="replace")
    if hashlib.sha256(prefix).hexdigest() != claimed:
        raise LineError("record altered: its content does not match its hash")
    try:
        text = prefix.decode("utf-8")
        header, end = _raw_decode(text)  # a canonical header: no whitespace around it
        if end != len(text):
            raise ValueError
    except ValueError:
        try:
            header = json.loads(prefix)  # the general parse decides (and names) anything else
        except ValueError:
            raise LineError("record is not valid JSON") from None
    if not isinstance(header, dict):
        raise LineError("record is not a JSON object")
    return ParsedLine(header, claimed)


# ---- Merkle tree (RFC 9162 §2.1.1): leaf = SHA256(0x00 || entry), node = SHA256(0x01 || left || right).
# The entry of record i is its 32-byte record hash.
def leaf_hash(record_hash_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(record_hash_hex)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleAccumulator:
    """Compact range of perfect subtrees: O(log n) state, root of the first n leaves at any time."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing

    def append(self, leaf: bytes) -> None:
        height, h = 0, leaf
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            h = node_hash(left, h)
            height += 1
        self.stack.append((height, h))
        self.size += 1

    def root(self) -> str:
        if not self.stack:
            return hashlib.sha256(b"").hexdigest()
        acc = self.stack[-1][1]
        for _, h in reversed(self.stack[:-1]):
            acc = node_hash(h, acc)
        return acc.hex()


def merkle_root(record_hashes: list[str]) -> str:
    """Reference (recursive) RFC 9162 MTH, used by tests and the docs' worked example."""
    leaves = [leaf_hash(h) for h in record_hashes]

    def mth(items: list[bytes]) -> bytes:
        if not items:
            return hashlib.sha256(b"").digest()
        if len(items) == 1:
            return items[0]
        k = 1
        while k * 2 < len(items):
            k *= 2
        return node_hash(mth(items[:k]), mth(items[k:]))

    return mth(leaves).hex()


def checkpoint_message(cp: dict[str, Any]) -> bytes:
    return CHECKPOINT_CONTEXT + canonical({k: v for k, v in cp.items() if k != "sig"})

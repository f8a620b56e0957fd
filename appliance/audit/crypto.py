"""Key material for the audit log: passphrase-sealed keyring, Ed25519 signing, AES-256-GCM, X25519 wrapping.

All formats are specified in docs/audit-format.md. Secrets are sealed with a key derived from the operator's
passphrase by scrypt and encrypted with AES-256-GCM; files are written atomically with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import functools
import getpass
import hashlib
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError, BadInput

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
KEYRING_FILE = "audit-keyring.json"
PASSPHRASE_ENV = "APPLIANCE_PASSPHRASE"
AUDITOR_PASSPHRASE_ENV = "APPLIANCE_AUDITOR_PASSPHRASE"
WRAP_INFO = b"compliance-appliance/audit-key-wrap/v1"


def b64e(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
# The C encoder that JSONEncoder.encode builds on every call, built once. Without a circular-reference check
# (a shared markers dict would keep stale entries after a failed encoding): a cyclic value still fails, with
# RecursionError instead of ValueError. Output is identical.
_C_ENCODE = (
    json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, True
    )
    if json.encoder.c_make_encoder is not None
    else None
)


def canonical_text(obj: Any) -> str:
    """`canonical(obj)` as a str (what json.dumps(sort_keys=True, separators=(",", ":")) writes)."""
    if isinstance(obj, str):
        return json.encoder.encode_basestring_ascii(obj)
    if _C_ENCODE is None:
        return _ENCODER.encode(obj)
    return "".join(_C_ENCODE(obj, 0))


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, ASCII only (non-ASCII as \\uXXXX escapes)."""
    return canonical_text(obj).encode("ascii")


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024, dklen=32
    )


@functools.lru_cache(maxsize=8)
def _unseal_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """The key that opens one sealed file (its own salt), derived once per process: a command opens the
    keyring more than once (to fail early, then to write its audit record), ~0.14 s of scrypt each time."""
    return _scrypt(passphrase, salt, n, r, p)


def seal(payload: bytes, passphrase: str, aad: bytes) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return {
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": b64e(salt)},
        "cipher": "aes-256-gcm",
        "nonce": b64e(nonce),
        "ciphertext": b64e(AESGCM(kek).encrypt(nonce, payload, aad)),
    }


class WrongPassphrase(ApplianceError):
    pass


def unseal(sealed: dict[str, Any], passphrase: str, aad: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kdf = sealed["kdf"]
    kek = _unseal_key(passphrase, b64d(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
    try:
        return AESGCM(kek).decrypt(b64d(sealed["nonce"]), b64d(sealed["ciphertext"]), aad)
    except InvalidTag:
        raise WrongPassphrase(
            "wrong passphrase for the workspace keys (or the key file was altered)"
        ) from None


# A passphrase typed at the terminal, kept for the rest of the process (per variable it stands in for): a
# command opens the keys more than once, and a second prompt appeared in the middle of its progress display
# (where the command then waited). The TUI keeps its dialog's passphrase in the environment likewise.
_typed: dict[str, str] = {}


def read_passphrase(
    env: str = PASSPHRASE_ENV, prompt: str = "Workspace passphrase: ", confirm: bool = False
) -> str:
    value = os.environ.get(env) or _typed.get(env)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("Repeat passphrase: ") != first:
            raise BadInput("the passphrases do not match")
        if not first:
            raise BadInput("an empty passphrase is not allowed")
        _typed[env] = first
        return first
    raise ApplianceError(
        f"the workspace keys need a passphrase: set {env} (non-interactive) or run in a terminal"
    )


def passphrase_known(env: str = PASSPHRASE_ENV) -> bool:
    """True when `read_passphrase(env)` answers without asking."""
    return bool(os.environ.get(env) or _typed.get(env))


def forget_typed_passphrase(env: str = PASSPHRASE_ENV) -> None:
    """After a wrong passphrase: the next `read_passphrase` asks again."""
    _typed.pop(env, None)


def _write_secret(path: Path, obj: dict[str, Any]) -> None:
    from appliance.workspace import write_atomic

    write_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
    os.chmod(path, 0o600)


# ---- Ed25519 / X25519 helpers
@functools.lru_cache(maxsize=16)
def _ed25519(private_raw: bytes) -> Any:
    """The key object of a raw seed, built once (a checkpoint signs every 64 records)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private_raw)


@functools.lru_cache(maxsize=16)
def signing_public(private_raw: bytes) -> bytes:
    return _ed25519(private_raw).public_key().public_bytes_raw()


def sign(private_raw: bytes, message: bytes) -> bytes:
    return _ed25519(private_raw).sign(message)


def verify_signature(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def _wrap_key(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), 32, salt=eph_pub + recipient_pub, info=WRAP_INFO).derive(shared)


def wrap_for(recipient_pub: bytes, secret: bytes, aad: bytes) -> dict[str, str]:
    """ECIES: ephemeral X25519 + HKDF-SHA256 + AES-256-GCM."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes_raw()
    kek = _wrap_key(eph.exchange(X25519PublicKey.from_public_bytes(recipient_pub)), eph_pub, recipient_pub)
    nonce = secrets.token_bytes(12)
    return {
        "ephemeral_public": b64e(eph_pub),
        "nonce": b64e(nonce),
        "ciphertext": b64e(AESGCM(kek).encrypt(nonce, secret, aad)),
    }


def unwrap_with(recipient_priv: bytes, wrapped: dict[str, str], aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    priv = X25519PrivateKey.from_private_bytes(recipient_priv)
    eph_pub = b64d(wrapped["ephemeral_public"])
    kek = _wrap_key(
        priv.exchange(X25519PublicKey.from_public_bytes(eph_pub)),
        eph_pub,
        priv.public_key().public_bytes_raw(),
    )
    return AESGCM(kek).decrypt(b64d(wrapped["nonce"]), b64d(wrapped["ciphertext"]), aad)


# ---- the workspace keyring
@dataclass
class Keyring:
    """Signing keys (newest last), one AES-256 data key per log segment, and the HMAC key."""

    signing: list[bytes] = field(default_factory=list)
    data: dict[int, bytes] = field(default_factory=dict)
    hmac: bytes = b""

    @property
    def signing_key(self) -> bytes:
        return self.signing[-1]

    @property
    def signing_key_id(self) -> str:
        return key_id(signing_public(self.signing_key))

    def public_keys(self) -> dict[str, bytes]:
        return {key_id(signing_public(k)): signing_public(k) for k in self.signing}

    @property
    def segment(self) -> int:
        return max(self.data)

    @classmethod
    def generate(cls) -> Keyring:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(
            [Ed25519PrivateKey.generate().private_bytes_raw()],
            {1: secrets.token_bytes(32)},
            secrets.token_bytes(32),
        )

    def rotated(self) -> Keyring:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        seg = self.segment + 1
        return Keyring(
            [*self.signing, Ed25519PrivateKey.generate().private_bytes_raw()],
            {**self.data, seg: secrets.token_bytes(32)},
            self.hmac,
        )

    def to_payload(self) -> bytes:
        return canonical(
            {
                "signing": [b64e(k) for k in self.signing],
                "data": {str(s): b64e(k) for s, k in self.data.items()},
                "hmac": b64e(self.hmac),
            }
        )

    @classmethod
    def from_payload(cls, payload: bytes) -> Keyring:
        obj = json.loads(payload)
        return cls(
            [b64d(k) for k in obj["signing"]],
            {int(s): b64d(k) for s, k in obj["data"].items()},
            b64d(obj["hmac"]),
        )


KEYRING_AAD = b"compliance-appliance/audit-keyring/v1"


def keyring_exists(keys_dir: Path) -> bool:
    return (keys_dir / KEYRING_FILE).is_file()


def save_keyring(keys_dir: Path, ring: Keyring, passphrase: str) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True)
    sealed = seal(ring.to_payload(), passphrase, KEYRING_AAD)
    _write_secret(keys_dir / KEYRING_FILE, {"v": 1, "kind": "audit-keyring", **sealed})


def load_keyring(keys_dir: Path, passphrase: str) -> Keyring:
    path = keys_dir / KEYRING_FILE
    try:
        obj = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ApplianceError(f"no audit keyring at {path}") from None
    return Keyring.from_payload(unseal(obj, passphrase, KEYRING_AAD))


# ---- auditor key pair
def auditor_keygen(out_dir: Path, passphrase: str) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    priv = X25519PrivateKey.generate()
    pub = priv.public_key().public_bytes_raw()
    kid = key_id(pub)
    out_dir.mkdir(parents=True, exist_ok=True)
    pub_path, key_path = out_dir / "auditor.pub.json", out_dir / "auditor.key.json"
    if pub_path.exists() or key_path.exists():
        raise BadInput(f"{out_dir} already holds an auditor key; choose an empty folder")
    from appliance.workspace import write_atomic

    write_atomic(pub_path, json.dumps({"alg": "x25519", "key_id": kid, "public": b64e(pub)}, indent=2) + "\n")
    sealed = seal(priv.private_bytes_raw(), passphrase, b"compliance-appliance/auditor-key/v1")
    _write_secret(key_path, {"v": 1, "kind": "auditor-x25519", "key_id": kid, "public": b64e(pub), **sealed})
    return pub_path, key_path


def load_auditor_public(path: Path) -> tuple[str, bytes]:
    try:
        obj = json.loads(path.read_text("utf-8"))
        pub = b64d(obj["public"])
    except (OSError, ValueError, KeyError) as exc:
        raise BadInput(f"{path}: not an auditor public key file ({type(exc).__name__})") from None
    if obj.get("alg") != "x25519" or len(pub) != 32:
        raise BadInput(f"{path}: not an X25519 auditor public key")
    return key_id(pub), pub


def load_auditor_private(path: Path, passphrase: str) -> bytes:
    try:
        obj = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: not an auditor key file ({type(exc).__name__})") from None
    return unseal(obj, passphrase, b"compliance-appliance/auditor-key/v1")
